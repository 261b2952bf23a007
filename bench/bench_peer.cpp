// bench_peer — linlearn's side of the comparison with the peers (issue 6, case 5).
//
//   bench_peer TASK DIR [--reps R] [--classes K] [--monitor] [--holdout F] [--set key=value]...
//
// TASK is binary, multiclass or regression; DIR holds the files bench/peers_data.py wrote:
// TASK_Xtrain.npy, TASK_ytrain.npy, TASK_Xtest.npy, TASK_ytest.npy (float32, C order).
// Trains with linlearn's default settings (only predictor_type and num_classes are set,
// plus any --set), R times, and prints per run the wall time of ll_trainer_fit and the
// test accuracy (classification) or RMSE (regression) of the model it returns. The data
// is already in memory: the time is training only, as for the scikit-learn peers.
//
// --monitor: one more run with the test set given as the validation channel, to see the
// test metric of the best model so far after each epoch (time to reach a target). That run
// selects its model on the test set, so it is reported apart and never as the result.
//
// --holdout F: the last fraction F of the training rows (in a seeded shuffle) is given as the
// validation channel instead of being trained on, as a SageMaker user would give one: the
// model is then selected, calibrated and early-stopped on held-out rows rather than on the
// training rows (tool "linlearn, F held out"). The test set is never seen.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

struct Array {
    std::vector<float> data;
    int64_t rows = 0, cols = 1;
};

// A minimal .npy reader: little-endian float32, C order, 1-D or 2-D.
Array load_npy(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        std::fprintf(stderr, "bench_peer: cannot open %s\n", path.c_str());
        std::exit(1);
    }
    char magic[8];
    f.read(magic, 8);
    if (std::memcmp(magic, "\x93NUMPY", 6) != 0) {
        std::fprintf(stderr, "bench_peer: %s is not a .npy file\n", path.c_str());
        std::exit(1);
    }
    uint32_t header_len = 0;
    if (magic[6] == 1) {
        unsigned char b[2];
        f.read(reinterpret_cast<char*>(b), 2);
        header_len = b[0] | (b[1] << 8);
    } else {
        unsigned char b[4];
        f.read(reinterpret_cast<char*>(b), 4);
        header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24);
    }
    std::string header(header_len, '\0');
    f.read(&header[0], header_len);
    if (header.find("'<f4'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos) {
        std::fprintf(stderr, "bench_peer: %s: expected float32 in C order, header %s\n", path.c_str(), header.c_str());
        std::exit(1);
    }
    Array a;
    const size_t open = header.find("'shape': (");
    long long r = 0, c = 1;
    const int got = std::sscanf(header.c_str() + open + 10, "%lld, %lld", &r, &c);
    a.rows = r;
    a.cols = got >= 2 ? c : 1;
    a.data.resize(static_cast<size_t>(a.rows * a.cols));
    f.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(a.data.size() * sizeof(float)));
    if (!f) {
        std::fprintf(stderr, "bench_peer: %s is truncated\n", path.c_str());
        std::exit(1);
    }
    return a;
}

struct Curve {
    std::string metric;
    bool minimise = false;
    std::vector<double> elapsed, best_value;
};

// Rows [0, n - k) and [n - k, n) of a seeded shuffle of a's rows, k = fraction·n.
void split_rows(const Array& X, const Array& y, double fraction, Array parts[4]) {
    std::vector<int64_t> order(static_cast<size_t>(X.rows));
    for (int64_t i = 0; i < X.rows; ++i) order[static_cast<size_t>(i)] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937_64(12345));
    const int64_t held = static_cast<int64_t>(fraction * double(X.rows));
    for (int p = 0; p < 2; ++p) {
        Array& xs = parts[2 * p];
        Array& ys = parts[2 * p + 1];
        const int64_t from = p ? X.rows - held : 0, to = p ? X.rows : X.rows - held;
        xs.rows = ys.rows = to - from, xs.cols = X.cols;
        for (int64_t i = from; i < to; ++i) {
            const int64_t r = order[static_cast<size_t>(i)];
            xs.data.insert(xs.data.end(), X.data.begin() + r * X.cols, X.data.begin() + (r + 1) * X.cols);
            ys.data.push_back(y.data[static_cast<size_t>(r)]);
        }
    }
}

int on_event(const ll_event* e, void* user) {
    auto* c = static_cast<Curve*>(user);
    if (e->kind != LL_EVENT_EPOCH_END) return 0;
    double v = std::nan("");
    for (uint32_t i = 0; i < e->n_metric_sets; ++i) {
        const ll_metric_set& s = e->metric_sets[i];
        if (s.phase != LL_PHASE_VALIDATION || s.model != LL_MODEL_BEST) continue;
        for (uint32_t k = 0; k < s.count; ++k)
            if (c->metric == s.metrics[k].name) v = s.metrics[k].value;
    }
    c->elapsed.push_back(e->elapsed_s);
    c->best_value.push_back(v);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench_peer binary|multiclass|regression DIR [--reps R] [--classes K] "
                             "[--monitor | --holdout F] [--set key=value]...\n");
        return 2;
    }
    const std::string task = argv[1], dir = argv[2];
    int reps = 3, classes = 10;
    bool monitor = false;
    double holdout = 0;
    std::vector<std::string> extra;
    for (int i = 3; i < argc; ++i) {
        const std::string k = argv[i];
        if (k == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
        else if (k == "--classes" && i + 1 < argc) classes = std::atoi(argv[++i]);
        else if (k == "--monitor") monitor = true;
        else if (k == "--holdout" && i + 1 < argc) holdout = std::atof(argv[++i]);
        else if (k == "--set" && i + 1 < argc) extra.emplace_back(argv[++i]);
        else {
            std::fprintf(stderr, "bench_peer: unknown option %s\n", k.c_str());
            return 2;
        }
    }
    if (holdout < 0 || holdout >= 1 || (holdout > 0 && monitor)) {
        std::fprintf(stderr, "bench_peer: --holdout takes a fraction in [0, 1), without --monitor\n");
        return 2;
    }
    Array X = load_npy(dir + "/" + task + "_Xtrain.npy"), y = load_npy(dir + "/" + task + "_ytrain.npy");
    const Array Xt = load_npy(dir + "/" + task + "_Xtest.npy"), yt = load_npy(dir + "/" + task + "_ytest.npy");
    Array parts[4];  // train X, y; held-out X, y
    if (holdout > 0) {
        split_rows(X, y, holdout, parts);
        X = std::move(parts[0]), y = std::move(parts[1]);
    }
    ll_dataset *train = nullptr, *test = nullptr, *held = nullptr;
    bench_check(ll_dataset_from_dense(X.data.data(), X.rows, X.cols, X.cols, y.data.data(), nullptr, 0, &train),
                "train dataset");
    if (holdout > 0)
        bench_check(ll_dataset_from_dense(parts[2].data.data(), parts[2].rows, parts[2].cols, parts[2].cols,
                                          parts[3].data.data(), nullptr, 0, &held),
                    "held-out dataset");
    char tool[64] = "linlearn";
    if (holdout > 0) std::snprintf(tool, sizeof tool, "linlearn, %g held out", holdout);
    bench_check(ll_dataset_from_dense(Xt.data.data(), Xt.rows, Xt.cols, Xt.cols, yt.data.data(), nullptr, 0, &test),
                "test dataset");
    const bool regression = task == "regression";
    std::vector<double> pred(static_cast<size_t>(Xt.rows));

    for (int rep = 0; rep < reps + (monitor ? 1 : 0); ++rep) {
        const bool monitoring = rep == reps;
        ll_trainer* t = nullptr;
        bench_check(ll_trainer_create(&t), "ll_trainer_create");
        if (task == "binary") bench_set(t, "predictor_type", "binary_classifier");
        else if (task == "multiclass") {
            bench_set(t, "predictor_type", "multiclass_classifier");
            bench_set_int(t, "num_classes", classes);
        } else bench_set(t, "predictor_type", "regressor");
        for (const auto& kv : extra) bench_set_pair(t, kv.c_str());
        Curve curve;
        curve.metric = regression ? "rmse" : task == "binary" ? "binary_classification_accuracy" : "multiclass_accuracy";
        curve.minimise = regression;
        bench_check(ll_trainer_set_callback(t, on_event, &curve), "callback");
        ll_model* m = nullptr;
        const double t0 = bench_now();
        bench_check(ll_trainer_fit(t, train, monitoring ? test : held, nullptr, &m), "ll_trainer_fit");
        const double fit_s = bench_now() - t0;
        bench_check(ll_model_predict(m, test, LL_PREDICT_LABEL, pred.data(), pred.size(), nullptr), "predict");
        double value = 0;
        for (int64_t i = 0; i < Xt.rows; ++i) {
            const double d = pred[static_cast<size_t>(i)] - yt.data[static_cast<size_t>(i)];
            value += regression ? d * d : (d == 0 ? 1.0 : 0.0);
        }
        value = regression ? std::sqrt(value / double(Xt.rows)) : value / double(Xt.rows);
        ll_model_info info;
        info.struct_size = sizeof info;
        bench_check(ll_model_info_get(m, &info), "info");
        char threads[32] = "", models[32] = "";
        size_t needed = 0;
        ll_trainer_get(t, "num_threads", threads, sizeof threads, &needed);
        ll_trainer_get(t, "num_models", models, sizeof models, &needed);
        if (!monitoring) {
            std::printf("{\"bench\":\"peer\",\"tool\":\"%s\",\"task\":\"%s\",\"rep\":%d,\"fit_s\":%.6f,"
                        "\"metric\":\"%s\",\"value\":%.6f,\"epochs\":%zu,\"best_epoch\":%d,\"best_model\":%d,"
                        "\"status\":%u,\"train_rows\":%lld,\"features\":%lld,\"num_models\":\"%s\","
                        "\"num_threads\":\"%s\"}\n",
                        tool, task.c_str(), rep, fit_s, regression ? "rmse" : "accuracy", value, curve.elapsed.size(),
                        info.best_epoch, info.best_model, info.status, static_cast<long long>(X.rows),
                        static_cast<long long>(X.cols), models, threads);
        } else {
            std::printf("{\"bench\":\"peer_curve\",\"tool\":\"linlearn\",\"task\":\"%s\",\"metric\":\"%s\",\"points\":[",
                        task.c_str(), regression ? "rmse" : "accuracy");
            for (size_t e = 0; e < curve.elapsed.size(); ++e)
                std::printf("%s[%.4f,%.6f]", e ? "," : "", curve.elapsed[e], curve.best_value[e]);
            std::printf("]}\n");
        }
        std::fflush(stdout);
        std::fprintf(stderr, "  %s %s rep %d: %.2fs, %s %.4f, %zu epochs\n", tool, task.c_str(), rep, fit_s,
                     regression ? "rmse" : "accuracy", value, curve.elapsed.size());
        ll_model_free(m);
        ll_trainer_free(t);
    }
    ll_dataset_free(train);
    ll_dataset_free(test);
    ll_dataset_free(held);
    return 0;
}
