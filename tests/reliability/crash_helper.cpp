// A victim for the kill test (test_kill.py), written against the C ABI only.
//
//   rel_crash_helper loop DIR [MODELS]
//       Trains over and over on a fixed synthetic dataset with one trainer: iteration i
//       uses run_id "iter-<i>" and seed i % 5, saves DIR/model.llmodel through the
//       model_path option, and reports to the json sink
//       (path=DIR/events.jsonl, metrics=DIR/metrics.json). Runs until killed.
//   rel_crash_helper expect DIR [MODELS]
//       Writes DIR/expect-<s>.llmodel for s = 0..4: the file iteration i writes when
//       i % 5 == s (training is deterministic, so these are its exact bytes).
//   rel_crash_helper check FILE
//       ll_model_load(FILE): exit 0 and "ok <features> <best_epoch>" if it loads, else
//       exit 3 with the library's message.
//
// MODELS is num_models (default 4): more models make bigger epoch_end lines.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "linlearn/linlearn.h"

namespace {

constexpr int kSeeds = 5;
constexpr int64_t kRows = 3000, kCols = 12;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "rel_crash_helper: %s: %s\n", what.c_str(), ll_last_error());
    std::exit(2);
}

void ok(int status, const std::string& what) {
    if (status != LL_OK) die(what);
}

// A fixed, learnable binary problem (a xorshift generator: the same on every machine).
struct Data {
    std::vector<float> x, y;
    Data() : x(static_cast<size_t>(kRows * kCols)), y(static_cast<size_t>(kRows)) {
        uint32_t s = 12345;
        auto next = [&s] {
            s ^= s << 13, s ^= s >> 17, s ^= s << 5;
            return static_cast<float>(s % 20001) / 10000.0f - 1.0f;
        };
        for (int64_t i = 0; i < kRows; ++i) {
            double z = 0;
            for (int64_t j = 0; j < kCols; ++j) {
                const float v = next();
                x[static_cast<size_t>(i * kCols + j)] = v;
                z += v * ((j % 3) - 1.0) * (1.0 + 0.1 * static_cast<double>(j));
            }
            y[static_cast<size_t>(i)] = z + 0.3 * next() > 0 ? 1.0f : 0.0f;
        }
    }
};

ll_trainer* make_trainer(const char* models) {
    ll_trainer* t = nullptr;
    ok(ll_trainer_create(&t), "ll_trainer_create");
    const char* settings[][2] = {{"predictor_type", "binary_classifier"},
                                 {"num_models", models},
                                 {"epochs", "6"},
                                 {"mini_batch_size", "100"},
                                 {"early_stopping_patience", "10"},
                                 {"num_threads", "1"}};
    for (const auto& kv : settings) ok(ll_trainer_set(t, kv[0], kv[1]), std::string("set ") + kv[0]);
    return t;
}

void fit_once(ll_trainer* t, const ll_dataset* train, int iteration, const std::string& model_path) {
    const std::string seed = std::to_string(iteration % kSeeds);
    const std::string run_id = "iter-" + std::to_string(iteration);
    ok(ll_trainer_set(t, "seed", seed.c_str()), "set seed");
    ok(ll_trainer_set_option(t, "run_id", run_id.c_str()), "set run_id");
    ok(ll_trainer_set_option(t, "model_path", model_path.c_str()), "set model_path");
    ll_model* m = nullptr;
    ok(ll_trainer_fit(t, train, nullptr, nullptr, &m), "fit " + run_id);
    ll_model_free(m);
}

int usage() {
    std::fprintf(stderr, "usage: rel_crash_helper loop|expect DIR [MODELS] | check FILE\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) return usage();
    const std::string mode = argv[1], target = argv[2];
    if (mode == "check") {
        ll_model* m = nullptr;
        if (ll_model_load(target.c_str(), &m) != LL_OK) {
            std::printf("load failed: %s\n", ll_last_error());
            return 3;
        }
        ll_model_info info{};
        info.struct_size = sizeof info;
        ok(ll_model_info_get(m, &info), "ll_model_info_get");
        std::printf("ok %lld %d\n", static_cast<long long>(info.num_features), info.best_epoch);
        ll_model_free(m);
        return 0;
    }
    if (mode != "loop" && mode != "expect") return usage();
    const char* models = argc > 3 ? argv[3] : "4";
    const Data data;
    ll_dataset* train = nullptr;
    ok(ll_dataset_from_dense(data.x.data(), kRows, kCols, kCols, data.y.data(), nullptr, 0, &train),
       "ll_dataset_from_dense");
    ll_trainer* t = make_trainer(models);
    if (mode == "expect") {
        for (int s = 0; s < kSeeds; ++s)
            fit_once(t, train, s, target + "/expect-" + std::to_string(s) + ".llmodel");
    } else {
        const std::string sink = "json:path=" + target + "/events.jsonl,metrics=" + target + "/metrics.json";
        ok(ll_trainer_add_sink(t, sink.c_str()), "add json sink");
        for (int i = 0;; ++i) fit_once(t, train, i, target + "/model.llmodel");
    }
    ll_trainer_free(t);
    ll_dataset_free(train);
    return 0;
}
