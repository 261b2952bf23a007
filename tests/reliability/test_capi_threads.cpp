// Threads: trainers in several threads of one process give exactly (bit for bit) the
// results they give one after another; events reach the thread that called fit; one
// model serves predictions to many threads at once; cancelling one trainer leaves the
// others alone; one dataset is read by fits and predictions in several threads at once.
//
// Trainers use num_threads 1 and 2, so OpenMP teams run inside the caller's threads. The
// tsan preset runs this program under ThreadSanitizer (README.md, "ThreadSanitizer").
#include <atomic>
#include <cstring>
#include <thread>

#include "capi_util.hpp"

using namespace rel;

namespace {

// One training job: its data, its settings, and what it produced.
struct Job {
    const char* predictor;
    int classes;  // 2 binary, K multiclass, 0 regression
    bool sparse;
    const char* threads;
    uint32_t seed;

    Table train, held_out;
    std::vector<int64_t> indptr;  // the CSR form of train, when sparse
    std::vector<int32_t> indices;
    std::vector<float> values;

    std::vector<double> raw;  // LL_PREDICT_RAW on held_out
    std::string run_id_seen;
    int events = 0, foreign_thread_events = 0;
    std::thread::id fit_thread;

    Dataset train_dataset() const {
        if (!sparse) return train.dataset();
        ll_dataset* d = nullptr;
        REL_OK(ll_dataset_from_csr(indptr.data(), indices.data(), values.data(), train.rows, train.cols,
                                   train.y.data(), nullptr, 0, &d));  // borrowed: read-only sharing
        return Dataset(d);
    }
};

Job make_job(const char* predictor, int classes, bool sparse, const char* threads, uint32_t seed) {
    Job j{predictor, classes, sparse, threads, seed, {}, {}, {}, {}, {}, {}, {}, 0, 0, {}};
    j.train = synthetic(5000, 16, classes, seed);
    j.held_out = synthetic(300, 16, classes, seed + 1000);
    if (sparse) {  // drop about a third of the values
        j.indptr.push_back(0);
        for (int64_t i = 0; i < j.train.rows; ++i) {
            for (int64_t c = 0; c < j.train.cols; ++c)
                if ((i + c) % 3 != 0) {
                    j.indices.push_back(static_cast<int32_t>(c));
                    j.values.push_back(j.train.x[static_cast<size_t>(i * j.train.cols + c)]);
                }
            j.indptr.push_back(static_cast<int64_t>(j.indices.size()));
        }
    }
    return j;
}

int on_event(const ll_event* e, void* user) {
    auto* job = static_cast<Job*>(user);
    ++job->events;
    if (std::this_thread::get_id() != job->fit_thread) ++job->foreign_thread_events;
    if (e->kind == LL_EVENT_RUN_START) job->run_id_seen = e->run_id;
    return 0;
}

// Trains the job on the calling thread and keeps its raw scores on the held-out rows.
void run(Job& job, const std::string& run_id) {
    job.fit_thread = std::this_thread::get_id();
    job.events = job.foreign_thread_events = 0;
    Trainer t = trainer({{"predictor_type", job.predictor}, {"epochs", "3"}, {"num_models", "4"},
                         {"num_threads", job.threads}, {"seed", std::to_string(job.seed).c_str()}});
    if (job.classes > 2) REL_OK(ll_trainer_set(t.get(), "num_classes", std::to_string(job.classes).c_str()));
    REL_OK(ll_trainer_set_option(t.get(), "run_id", run_id.c_str()));
    REL_OK(ll_trainer_set_callback(t.get(), on_event, &job));
    const Dataset train = job.train_dataset(), held_out = job.held_out.dataset();
    const Model m = fit(t.get(), train.get(), held_out.get());
    size_t needed = 0;
    ll_model_predict(m.get(), held_out.get(), LL_PREDICT_RAW, nullptr, 0, &needed);
    job.raw.assign(needed, 0.0);
    REL_OK(ll_model_predict(m.get(), held_out.get(), LL_PREDICT_RAW, job.raw.data(), job.raw.size(), &needed));
}

std::vector<Job> jobs() {
    return {make_job("binary_classifier", 2, false, "1", 1), make_job("multiclass_classifier", 4, false, "2", 2),
            make_job("regressor", 0, false, "1", 3),         make_job("binary_classifier", 2, true, "2", 4),
            make_job("multiclass_classifier", 3, true, "1", 5), make_job("regressor", 0, true, "1", 6)};
}

}  // namespace

TEST_CASE("trainers in parallel threads give bit-identical models to the same runs in sequence") {
    std::vector<Job> sequential = jobs(), parallel = jobs();
    for (size_t i = 0; i < sequential.size(); ++i) run(sequential[i], "seq-" + std::to_string(i));

    std::vector<std::thread> threads;
    std::vector<std::string> failures(parallel.size());
    for (size_t i = 0; i < parallel.size(); ++i)
        threads.emplace_back([&, i] { run(parallel[i], "par-" + std::to_string(i)); });
    for (auto& th : threads) th.join();

    for (size_t i = 0; i < parallel.size(); ++i) {
        CAPTURE(i);
        CAPTURE(parallel[i].predictor);
        CAPTURE(parallel[i].sparse);
        REQUIRE(!sequential[i].raw.empty());
        REQUIRE(parallel[i].raw.size() == sequential[i].raw.size());
        CHECK(std::memcmp(parallel[i].raw.data(), sequential[i].raw.data(), parallel[i].raw.size() * sizeof(double)) == 0);
        CHECK(parallel[i].events > 4);
        CHECK(parallel[i].foreign_thread_events == 0);  // every event on the fitting thread
        CHECK(parallel[i].run_id_seen == "par-" + std::to_string(i));  // and only its own
    }
}

TEST_CASE("cancelling one trainer while others run stops it alone") {
    std::vector<Job> reference = jobs(), parallel = jobs();
    run(reference[0], "ref");
    run(reference[1], "ref");
    // The victim: a long run, cancelled from this thread once its first epoch has ended.
    struct Victim {
        Job job = make_job("binary_classifier", 2, false, "1", 9);
        ll_trainer* t = nullptr;
        std::atomic<bool> epoch_seen{false};
        int status = 0;
        uint32_t end_status = 0;
    } victim;
    victim.job.train = synthetic(20000, 16, 2, 9);
    Trainer vt = trainer({{"predictor_type", "binary_classifier"}, {"epochs", "200"}, {"num_models", "2"},
                          {"num_threads", "2"}, {"mini_batch_size", "50"}, {"early_stopping_patience", "200"}});
    victim.t = vt.get();
    REL_OK(ll_trainer_set_callback(
        vt.get(),
        [](const ll_event* e, void* user) {
            auto* v = static_cast<Victim*>(user);
            if (e->kind == LL_EVENT_EPOCH_END) v->epoch_seen = true;
            if (e->kind == LL_EVENT_RUN_END) v->end_status = e->status;
            return 0;
        },
        &victim));
    const Dataset victim_data = victim.job.train.dataset();
    std::thread victim_thread([&] {
        ll_model* m = nullptr;
        victim.status = ll_trainer_fit(victim.t, victim_data.get(), nullptr, nullptr, &m);
        ll_model_free(m);
    });
    std::thread a([&] { run(parallel[0], "a"); });
    std::thread b([&] { run(parallel[1], "b"); });
    while (!victim.epoch_seen) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    REL_OK(ll_trainer_cancel(victim.t));
    victim_thread.join();
    a.join();
    b.join();
    CHECK(victim.status == LL_OK);  // an epoch had ended: the best checkpoint comes back
    CHECK(victim.end_status == LL_STATUS_CANCELLED);
    for (int i = 0; i < 2; ++i) {
        CAPTURE(i);
        REQUIRE(parallel[i].raw.size() == reference[i].raw.size());
        CHECK(std::memcmp(parallel[i].raw.data(), reference[i].raw.data(), reference[i].raw.size() * sizeof(double)) == 0);
    }
}

TEST_CASE("one model, many threads: predictions, evaluations, info and saves equal the single-threaded ones") {
    const Table data = synthetic(2500, 24, 5, 21);
    const Dataset train = data.dataset();
    Trainer t = trainer({{"predictor_type", "multiclass_classifier"}, {"num_classes", "5"}, {"epochs", "2"},
                         {"num_models", "2"}, {"num_threads", "2"}});
    const Model m = fit(t.get(), train.get());
    // A sparse copy of the same rows, so that both predict paths run.
    std::vector<int64_t> indptr{0};
    std::vector<int32_t> indices;
    std::vector<float> values;
    for (int64_t i = 0; i < data.rows; ++i) {
        for (int64_t c = 0; c < data.cols; ++c)
            if (data.x[static_cast<size_t>(i * data.cols + c)] > -0.5f) {
                indices.push_back(static_cast<int32_t>(c));
                values.push_back(data.x[static_cast<size_t>(i * data.cols + c)]);
            }
        indptr.push_back(static_cast<int64_t>(indices.size()));
    }
    auto sparse_dataset = [&] {
        ll_dataset* d = nullptr;
        REL_OK(ll_dataset_from_csr(indptr.data(), indices.data(), values.data(), data.rows, data.cols, data.y.data(),
                                   nullptr, 0, &d));
        return Dataset(d);
    };
    const size_t n = static_cast<size_t>(data.rows) * 5;
    struct Want {
        std::vector<double> dense, sparse, label;
        std::string metrics;
    } want;
    want.dense.resize(n);
    want.sparse.resize(n);
    want.label.resize(static_cast<size_t>(data.rows));
    const Dataset sparse = sparse_dataset();
    REL_OK(ll_model_predict_dense(m.get(), data.x.data(), data.rows, data.cols, data.cols, LL_PREDICT_SCORE,
                                  want.dense.data(), n, nullptr));
    REL_OK(ll_model_predict(m.get(), sparse.get(), LL_PREDICT_SCORE, want.sparse.data(), n, nullptr));
    REL_OK(ll_model_predict(m.get(), train.get(), LL_PREDICT_LABEL, want.label.data(), want.label.size(), nullptr));
    size_t needed = 0;
    ll_model_evaluate(m.get(), train.get(), nullptr, 0, &needed);
    want.metrics.assign(needed, '\0');
    REL_OK(ll_model_evaluate(m.get(), train.get(), want.metrics.data(), needed, &needed));
    ll_model_info want_info{};
    want_info.struct_size = sizeof want_info;
    REL_OK(ll_model_info_get(m.get(), &want_info));
    TempDir dir;  // every thread saves to the same path: the file is always one whole model
    const std::string saved = dir.path("shared.llmodel"), reference = dir.path("reference.llmodel");
    REL_OK(ll_model_save(m.get(), reference.c_str()));

    constexpr int kThreads = 8, kRepeats = 15;
    std::atomic<int> mismatches{0}, errors{0};
    std::vector<std::thread> threads;
    for (int k = 0; k < kThreads; ++k)
        threads.emplace_back([&, k] {
            const Dataset own_sparse = sparse_dataset();  // a handle per thread
            const Dataset own_dense = data.dataset();
            std::vector<double> out(n), labels(static_cast<size_t>(data.rows));
            std::string metrics(want.metrics.size(), '\0');
            for (int r = 0; r < kRepeats; ++r) {
                size_t got = 0;
                int s = 0;
                switch ((k + r) % 6) {
                case 0:
                    s = ll_model_predict_dense(m.get(), data.x.data(), data.rows, data.cols, data.cols, LL_PREDICT_SCORE,
                                               out.data(), n, &got);
                    mismatches += s == LL_OK && out != want.dense;
                    break;
                case 1:
                    s = ll_model_predict(m.get(), own_sparse.get(), LL_PREDICT_SCORE, out.data(), n, &got);
                    mismatches += s == LL_OK && out != want.sparse;
                    break;
                case 2:
                    s = ll_model_predict(m.get(), own_dense.get(), LL_PREDICT_LABEL, labels.data(), labels.size(), &got);
                    mismatches += s == LL_OK && labels != want.label;
                    break;
                case 3:
                    s = ll_model_evaluate(m.get(), own_dense.get(), metrics.data(), metrics.size(), &got);
                    mismatches += s == LL_OK && metrics != want.metrics;
                    break;
                case 4: {
                    ll_model_info info{};
                    info.struct_size = sizeof info;
                    s = ll_model_info_get(m.get(), &info);
                    mismatches += s == LL_OK && (info.num_features != want_info.num_features ||
                                                 info.best_epoch != want_info.best_epoch);
                    break;
                }
                default:
                    s = ll_model_save(m.get(), saved.c_str());
                }
                errors += s != LL_OK;
            }
        });
    for (auto& th : threads) th.join();
    CHECK(errors == 0);
    CHECK(mismatches == 0);
    CHECK(read_bytes(saved) == read_bytes(reference));
    CHECK(dir.names().size() == 2);  // no temporary file left
}

TEST_CASE("one dataset, read by fits and predictions in several threads at once, gives the sequential results") {
    const Table data = synthetic(4000, 12, 2, 41);
    ll_dataset* raw = nullptr;  // borrowed arrays, no copy: every thread reads the caller's memory
    REL_OK(ll_dataset_from_dense(data.x.data(), data.rows, data.cols, data.cols, data.y.data(), nullptr, 0, &raw));
    const Dataset shared(raw);
    auto fit_and_score = [&](uint32_t seed, const char* threads) {
        Trainer t = trainer({{"predictor_type", "binary_classifier"}, {"epochs", "2"}, {"num_models", "2"},
                             {"num_threads", threads}, {"seed", std::to_string(seed).c_str()}});
        const Model m = fit(t.get(), shared.get(), shared.get());  // train and validation: the same handle
        std::vector<double> scores(static_cast<size_t>(data.rows));
        REL_OK(ll_model_predict(m.get(), shared.get(), LL_PREDICT_SCORE, scores.data(), scores.size(), nullptr));
        int64_t rows = 0, cols = 0;
        REL_OK(ll_dataset_shape(shared.get(), &rows, &cols));
        CHECK(rows == data.rows);
        return scores;
    };
    constexpr int kFits = 4;
    const char* threads[kFits] = {"1", "2", "1", "2"};
    std::vector<std::vector<double>> sequential, parallel(kFits);
    for (int i = 0; i < kFits; ++i) sequential.push_back(fit_and_score(static_cast<uint32_t>(i), threads[i]));
    std::vector<std::thread> workers;
    for (int i = 0; i < kFits; ++i)
        workers.emplace_back([&, i] { parallel[static_cast<size_t>(i)] = fit_and_score(static_cast<uint32_t>(i), threads[i]); });
    for (auto& w : workers) w.join();
    for (int i = 0; i < kFits; ++i) {
        CAPTURE(i);
        CHECK(parallel[static_cast<size_t>(i)] == sequential[static_cast<size_t>(i)]);
    }
}
