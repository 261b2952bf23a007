// bench_train — training speed and memory through the C ABI, on data generated in memory.
//
//   bench_train dense  [--rows N] [--cols D] [--models 1,8,32] [--epochs E] [--reps R]
//                      [--threads T] [--batch B] [--probe-reps P] [--no-probe] [--set k=v]...
//   bench_train sparse [--rows N] [--features D] [--nnz K] [--zipf S] [--models 1,32] ...
//   bench_train mem    [--rows N] [--cols D] [--models M] [--epochs E] [--no-train]
//
// dense/sparse: for each num_models value and each repetition, one ll_trainer_fit with
// `epochs` epochs; every epoch_end event gives the training pass's rows/s (throughput,
// which excludes the per-epoch evaluation) and, from elapsed_s, the epoch's wall time with
// evaluation. dense also measures in the same process what it costs just to read the same
// data once: sequentially (the streaming-read bound) and row by row in a shuffled order
// (what an epoch's mini-batch gather has to do at least).
// mem: the process's resident memory before and after training (run it under
// /usr/bin/time -v too).
//
// Output: one JSON object per line on stdout (see bench/run); progress on stderr.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "bench_common.h"
#include "bench_data.hpp"

namespace {

using bench::Dense;
using bench::Sparse;
using bench::make_dense;
using bench::make_sparse;

struct Args {
    std::string mode;
    int64_t rows = 1000000, cols = 100, features = int64_t(1) << 20, nnz = 40;
    double zipf = 1.1;
    std::vector<long long> models = {1};
    int epochs = 3, reps = 3, threads = 0, probe_reps = 5;
    int64_t batch = 1000;
    bool probe = true, train = true;
    uint64_t seed = 42;
    std::vector<std::string> extra;  // key=value hyperparameters
};

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: bench_train dense|sparse|mem [--rows N] [--cols D] [--features D] [--nnz K]\n"
                 "       [--zipf S] [--models 1,8,32] [--epochs E] [--reps R] [--threads T] [--batch B]\n"
                 "       [--probe-reps P] [--no-probe] [--no-train] [--seed S] [--set key=value]...\n");
    std::exit(2);
}

Args parse(int argc, char** argv) {
    if (argc < 2) usage();
    Args a;
    a.mode = argv[1];
    if (a.mode != "dense" && a.mode != "sparse" && a.mode != "mem") usage();
    for (int i = 2; i < argc; ++i) {
        const std::string k = argv[i];
        auto val = [&]() -> const char* {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (k == "--rows") a.rows = std::atoll(val());
        else if (k == "--cols") a.cols = std::atoll(val());
        else if (k == "--features") a.features = std::atoll(val());
        else if (k == "--nnz") a.nnz = std::atoll(val());
        else if (k == "--zipf") a.zipf = std::atof(val());
        else if (k == "--models") {
            long long v[64];
            const int n = bench_parse_list(val(), v, 64);
            a.models.assign(v, v + n);
        } else if (k == "--epochs") a.epochs = std::atoi(val());
        else if (k == "--reps") a.reps = std::atoi(val());
        else if (k == "--threads") a.threads = std::atoi(val());
        else if (k == "--batch") a.batch = std::atoll(val());
        else if (k == "--probe-reps") a.probe_reps = std::atoi(val());
        else if (k == "--seed") a.seed = std::strtoull(val(), nullptr, 10);
        else if (k == "--no-probe") a.probe = false;
        else if (k == "--no-train") a.train = false;
        else if (k == "--set") a.extra.emplace_back(val());
        else usage();
    }
    if (a.threads <= 0) a.threads = omp_get_max_threads();
    return a;
}

// ---- Read-bandwidth probes ----------------------------------------------------------------

volatile float g_sink;  // keeps the probes' sums alive

// One sequential pass over the data: the least an epoch has to do.
double probe_sequential(const float* x, int64_t n, int threads) {
    const double t0 = bench_now();
    float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
        const int nt = omp_get_num_threads(), t = omp_get_thread_num();
        const int64_t chunk = (n + nt - 1) / nt, b = std::min(n, t * chunk), e = std::min(n, b + chunk);
        float s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t i = b; i < e; ++i) s += x[i];
        total += s;
    }
    const double secs = bench_now() - t0;
    g_sink = total;
    return secs;
}

// The rows read once each in a shuffled order, a mini-batch of rows at a time, as the
// trainer's gather does (without the copy).
double probe_shuffled(const float* x, int64_t rows, int64_t cols, const std::vector<int64_t>& order,
                      int threads) {
    const double t0 = bench_now();
    float total = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+ : total)
    for (int64_t k = 0; k < rows; ++k) {
        const float* xi = x + order[static_cast<size_t>(k)] * cols;
        float s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t j = 0; j < cols; ++j) s += xi[j];
        total += s;
    }
    const double secs = bench_now() - t0;
    g_sink = total;
    return secs;
}

// ---- Training -------------------------------------------------------------------------------

struct Trace {
    double start_s = 0;  // elapsed_s at run_start (setup: checks, scaler, sample)
    std::vector<double> epoch_elapsed, epoch_throughput;
    double total_s = 0;
    uint32_t status = 0;
};

int on_event(const ll_event* e, void* user) {
    auto* t = static_cast<Trace*>(user);
    switch (e->kind) {
    case LL_EVENT_RUN_START: t->start_s = e->elapsed_s; break;
    case LL_EVENT_EPOCH_END:
        t->epoch_elapsed.push_back(e->elapsed_s);
        t->epoch_throughput.push_back(e->throughput);
        break;
    case LL_EVENT_RUN_END:
        t->total_s = e->total_time_s;
        t->status = e->status;
        break;
    default: break;
    }
    return 0;
}

ll_trainer* make_trainer(const Args& a, long long models, Trace* trace) {
    ll_trainer* t = nullptr;
    bench_check(ll_trainer_create(&t), "ll_trainer_create");
    bench_set(t, "predictor_type", "binary_classifier");
    bench_set_int(t, "mini_batch_size", a.batch);
    bench_set_int(t, "epochs", a.epochs);
    bench_set_int(t, "num_models", models);
    bench_set_int(t, "num_threads", a.threads);
    bench_set_int(t, "early_stopping_patience", 1000000);
    bench_set(t, "seed", "1");
    for (const auto& kv : a.extra) bench_set_pair(t, kv.c_str());
    if (trace) bench_check(ll_trainer_set_callback(t, on_event, trace), "ll_trainer_set_callback");
    return t;
}

void run_training(const Args& a, const ll_dataset* ds, const char* kind, int64_t rows) {
    for (long long models : a.models) {
        for (int rep = 0; rep < a.reps; ++rep) {
            Trace trace;
            ll_trainer* t = make_trainer(a, models, &trace);
            ll_model* m = nullptr;
            const double t0 = bench_now();
            bench_check(ll_trainer_fit(t, ds, nullptr, nullptr, &m), "ll_trainer_fit");
            const double fit_s = bench_now() - t0;
            for (size_t e = 0; e < trace.epoch_elapsed.size(); ++e) {
                const double prev = e == 0 ? trace.start_s : trace.epoch_elapsed[e - 1];
                const double tp = trace.epoch_throughput[e];
                std::printf(
                    "{\"bench\":\"epoch\",\"data\":\"%s\",\"models\":%lld,\"threads\":%d,\"rep\":%d,"
                    "\"epoch\":%zu,\"rows\":%lld,\"train_s\":%.6f,\"wall_s\":%.6f,\"rows_per_s\":%.1f}\n",
                    kind, models, a.threads, rep, e, static_cast<long long>(rows), tp > 0 ? rows / tp : 0.0,
                    trace.epoch_elapsed[e] - prev, tp);
            }
            std::printf("{\"bench\":\"fit\",\"data\":\"%s\",\"models\":%lld,\"threads\":%d,\"rep\":%d,"
                        "\"setup_s\":%.6f,\"fit_s\":%.6f,\"epochs\":%zu}\n",
                        kind, models, a.threads, rep, trace.start_s, fit_s, trace.epoch_elapsed.size());
            std::fflush(stdout);
            std::fprintf(stderr, "  %s models=%lld threads=%d rep=%d: fit %.2fs, %.0f rows/s\n", kind, models,
                         a.threads, rep, fit_s, trace.epoch_throughput.empty() ? 0.0 : trace.epoch_throughput.back());
            ll_model_free(m);
            ll_trainer_free(t);
        }
    }
}

void print_machine(const Args& a) {
    std::printf("{\"bench\":\"config\",\"threads\":%d,\"omp_max_threads\":%d,\"library\":\"%s\"}\n", a.threads,
                omp_get_max_threads(), ll_version_string());
}

int run_dense(const Args& a) {
    print_machine(a);
    std::fprintf(stderr, "bench_train dense: generating %lld x %lld float32 (%.0f MB)\n",
                 static_cast<long long>(a.rows), static_cast<long long>(a.cols), a.rows * a.cols * 4 / 1e6);
    const Dense d = make_dense(a.rows, a.cols, a.seed, a.threads);
    const double bytes = double(a.rows) * double(a.cols) * 4.0;
    if (a.probe) {
        std::vector<int64_t> order(static_cast<size_t>(a.rows));
        std::iota(order.begin(), order.end(), 0);
        bench_rng r{a.seed};
        for (int64_t i = a.rows - 1; i > 0; --i)
            std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(bench_next(&r) % uint64_t(i + 1))]);
        std::vector<int> thread_counts = {1};
        if (a.threads > 1) thread_counts.push_back(a.threads);
        for (int th : thread_counts)
            for (int rep = 0; rep < a.probe_reps; ++rep) {
                const double s1 = probe_sequential(d.x.data(), a.rows * a.cols, th);
                const double s2 = probe_shuffled(d.x.data(), a.rows, a.cols, order, th);
                std::printf("{\"bench\":\"probe\",\"kind\":\"sequential\",\"threads\":%d,\"rep\":%d,\"bytes\":%.0f,"
                            "\"s\":%.6f}\n", th, rep, bytes, s1);
                std::printf("{\"bench\":\"probe\",\"kind\":\"shuffled\",\"threads\":%d,\"rep\":%d,\"bytes\":%.0f,"
                            "\"s\":%.6f}\n", th, rep, bytes, s2);
            }
        std::fflush(stdout);
    }
    ll_dataset* ds = nullptr;
    bench_check(ll_dataset_from_dense(d.x.data(), a.rows, a.cols, a.cols, d.y.data(), nullptr, 0, &ds),
                "ll_dataset_from_dense");
    run_training(a, ds, "dense", a.rows);
    ll_dataset_free(ds);
    return 0;
}

int run_sparse(const Args& a) {
    print_machine(a);
    std::fprintf(stderr, "bench_train sparse: generating %lld rows, %lld features, ~%lld nnz/row (zipf %.2f)\n",
                 static_cast<long long>(a.rows), static_cast<long long>(a.features),
                 static_cast<long long>(a.nnz), a.zipf);
    const double g0 = bench_now();
    const Sparse sp = make_sparse(a.rows, a.features, a.nnz, a.zipf, a.seed, a.threads);
    std::printf("{\"bench\":\"sparse_data\",\"rows\":%lld,\"features\":%lld,\"nnz\":%lld,\"gen_s\":%.3f}\n",
                static_cast<long long>(sp.rows), static_cast<long long>(sp.cols),
                static_cast<long long>(sp.indices.size()), bench_now() - g0);
    ll_dataset* ds = nullptr;
    bench_check(ll_dataset_from_csr(sp.indptr.data(), sp.indices.data(), sp.values.data(), sp.rows, sp.cols,
                                    sp.y.data(), nullptr, 0, &ds),
                "ll_dataset_from_csr");
    run_training(a, ds, "sparse", a.rows);
    ll_dataset_free(ds);
    return 0;
}

// Resident memory: after generating the data, and after training on it. The data is
// borrowed (no copy), so the growth is what training itself adds.
int run_mem(const Args& a) {
    int64_t rss0, hwm0;
    bench_rss(&rss0, &hwm0);
    const Dense d = make_dense(a.rows, a.cols, a.seed, a.threads);
    int64_t rss1, hwm1;
    bench_rss(&rss1, &hwm1);
    const long long models = a.models.empty() ? 1 : a.models[0];
    std::printf("{\"bench\":\"mem\",\"stage\":\"data\",\"rows\":%lld,\"cols\":%lld,\"models\":%lld,"
                "\"data_bytes\":%lld,\"rss\":%lld,\"hwm\":%lld,\"rss_start\":%lld}\n",
                static_cast<long long>(a.rows), static_cast<long long>(a.cols), models,
                static_cast<long long>((a.rows * a.cols + a.rows) * 4), static_cast<long long>(rss1),
                static_cast<long long>(hwm1), static_cast<long long>(rss0));
    std::fflush(stdout);
    if (!a.train) return 0;
    ll_dataset* ds = nullptr;
    bench_check(ll_dataset_from_dense(d.x.data(), a.rows, a.cols, a.cols, d.y.data(), nullptr, 0, &ds),
                "ll_dataset_from_dense");
    ll_trainer* t = make_trainer(a, models, nullptr);
    ll_model* m = nullptr;
    bench_check(ll_trainer_fit(t, ds, nullptr, nullptr, &m), "ll_trainer_fit");
    int64_t rss2, hwm2;
    bench_rss(&rss2, &hwm2);
    std::printf("{\"bench\":\"mem\",\"stage\":\"trained\",\"models\":%lld,\"batch\":%lld,\"rss\":%lld,\"hwm\":%lld}\n",
                models, static_cast<long long>(a.batch), static_cast<long long>(rss2), static_cast<long long>(hwm2));
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(ds);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const Args a = parse(argc, argv);
    if (a.mode == "dense") return run_dense(a);
    if (a.mode == "sparse") return run_sparse(a);
    return run_mem(a);
}
