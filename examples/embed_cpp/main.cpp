// embed_cpp: linlearn inside a C++17 program, through its C ABI.
//
// The same program as examples/embed_c: trains a binary classifier on data made in
// memory, follows the epochs through the event callback, stops training from a second
// thread once the validation accuracy reaches a target, then saves the model, loads it
// back and predicts. The handles are owned by std::unique_ptr, errors become exceptions.
//
//   embed_cpp [MODEL_PATH]        (default: embed_cpp.llmodel)
#include <linlearn/linlearn.h>

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

// ---- RAII over the C handles ------------------------------------------------------
struct Free {
    void operator()(ll_dataset* d) const { ll_dataset_free(d); }
    void operator()(ll_trainer* t) const { ll_trainer_free(t); }
    void operator()(ll_model* m) const { ll_model_free(m); }
};
using Dataset = std::unique_ptr<ll_dataset, Free>;
using Trainer = std::unique_ptr<ll_trainer, Free>;
using Model = std::unique_ptr<ll_model, Free>;

// Every fallible ll_ call returns a status; the reason is in ll_last_error().
void check(int status, const char* what) {
    if (status != LL_OK) throw std::runtime_error(std::string(what) + ": " + ll_last_error());
}

constexpr int kFeatures = 8;
constexpr double kTargetAccuracy = 0.99;

// A synthetic problem: label 1 when w.x plus a little noise is positive. Row-major.
struct Data {
    std::vector<float> x, y;
    int64_t rows() const { return static_cast<int64_t>(y.size()); }
};
Data make_data(int rows, unsigned seed) {
    auto uniform = [&seed] {  // in [-1, 1), reproducible everywhere
        seed = seed * 1103515245u + 12345u;
        return static_cast<float>((seed >> 8) / 8388608.0 - 1.0);
    };
    const float w[kFeatures] = {1.5f, -2.0f, 0.5f, 1.0f, -0.7f, 0.0f, 2.5f, -1.2f};
    Data d;
    d.x.resize(static_cast<size_t>(rows) * kFeatures);
    d.y.resize(static_cast<size_t>(rows));
    for (size_t i = 0; i < d.y.size(); ++i) {
        float z = 0.1f * uniform();
        for (size_t j = 0; j < kFeatures; ++j) {
            d.x[i * kFeatures + j] = uniform();
            z += w[j] * d.x[i * kFeatures + j];
        }
        d.y[i] = z > 0 ? 1.0f : 0.0f;
    }
    return d;
}

// Without LL_DATASET_COPY the dataset borrows data's arrays: data must outlive it.
Dataset borrow(const Data& data) {
    ll_dataset* raw = nullptr;
    check(ll_dataset_from_dense(data.x.data(), data.rows(), kFeatures, kFeatures, data.y.data(), nullptr, 0,
                                &raw),
          "ll_dataset_from_dense");
    return Dataset(raw);
}

const char* status_name(uint32_t status) {
    switch (status) {
    case LL_STATUS_COMPLETED: return "completed";
    case LL_STATUS_EARLY_STOPPED: return "early stopped";
    case LL_STATUS_CANCELLED: return "cancelled";
    case LL_STATUS_FAILED: return "failed";
    default: return "running";
    }
}

// ---- Following a run, and stopping it from another thread ---------------------------
class Progress {
public:
    explicit Progress(ll_trainer* trainer) : trainer_(trainer) {}

    // The C callback: a plain function that forwards to this object. No exception may
    // leave it: it returns through C code.
    static int callback(const ll_event* e, void* self) noexcept {
        try {
            static_cast<Progress*>(self)->on_event(*e);
            return 0;
        } catch (...) {
            return 1;  // non-zero stops training cleanly
        }
    }

    // Stands for any other thread that may decide to stop training: a UI, a server, a
    // time limit. ll_trainer_cancel is safe from any thread; training stops at the next
    // mini-batch and fit returns the best model so far.
    void watch() {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return target_reached_ || fit_returned_; });
        // Not once fit has returned: a request made between fits applies to the next fit.
        if (target_reached_ && !fit_returned_) {
            std::cout << "watcher: target accuracy " << kTargetAccuracy << " reached, cancelling\n";
            ll_trainer_cancel(trainer_);
        }
    }

    void fit_returned() {
        std::lock_guard<std::mutex> lock(mutex_);
        fit_returned_ = true;
        changed_.notify_all();
    }

private:
    // On the thread that runs ll_trainer_fit. The event lives only during the call.
    void on_event(const ll_event& e) {
        if (e.kind == LL_EVENT_RUN_START) {
            std::cout << "training " << e.predictor_type << ": " << e.n_train_rows << " rows, " << e.n_features
                      << " features\n";
        } else if (e.kind == LL_EVENT_EPOCH_END) {
            const double accuracy = best_validation(e, "binary_classification_accuracy");
            std::printf("epoch %2d  validation accuracy %.4f\n", e.epoch, accuracy);
            if (accuracy >= kTargetAccuracy) {
                std::lock_guard<std::mutex> lock(mutex_);
                target_reached_ = true;
                changed_.notify_all();
            }
        } else if (e.kind == LL_EVENT_RUN_END) {  // always the last event
            std::cout << "run ended: " << status_name(e.status) << ", best epoch " << e.best_epoch << "\n";
        }
    }

    static double best_validation(const ll_event& e, std::string_view name) {
        for (uint32_t i = 0; i < e.n_metric_sets; ++i) {
            const ll_metric_set& set = e.metric_sets[i];
            if (set.phase != LL_PHASE_VALIDATION || set.model != LL_MODEL_BEST) continue;
            for (uint32_t k = 0; k < set.count; ++k)
                if (name == set.metrics[k].name) return set.metrics[k].value;
        }
        return -1;
    }

    ll_trainer* trainer_;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool target_reached_ = false, fit_returned_ = false;
};

int run(const std::string& model_path) {
    std::cout << "linlearn " << ll_version_string() << " (ABI " << ll_abi_version() << ")\n";
    const Data train_data = make_data(4000, 1), validation_data = make_data(1000, 2);
    const Dataset train = borrow(train_data), validation = borrow(validation_data);

    Trainer trainer;
    {
        ll_trainer* raw = nullptr;
        check(ll_trainer_create(&raw), "ll_trainer_create");
        trainer.reset(raw);
    }
    // Hyperparameters by their SageMaker names. A small learning rate, so that the
    // accuracy climbs over a few epochs.
    check(ll_trainer_set_json(trainer.get(), R"({"predictor_type": "binary_classifier", "epochs": 40,
                                                 "learning_rate": 0.001, "mini_batch_size": 200,
                                                 "seed": 1})"),
          "ll_trainer_set_json");

    Progress progress(trainer.get());
    check(ll_trainer_set_callback(trainer.get(), &Progress::callback, &progress), "ll_trainer_set_callback");
    std::thread watcher(&Progress::watch, &progress);
    ll_model* raw_model = nullptr;
    const int status = ll_trainer_fit(trainer.get(), train.get(), validation.get(), nullptr, &raw_model);
    progress.fit_returned();
    watcher.join();  // before anything can throw: a joinable std::thread must not be destroyed
    check(status, "ll_trainer_fit");  // LL_OK also when cancelled after an epoch
    Model model(raw_model);

    ll_model_info info{};
    info.struct_size = sizeof info;  // tells the library which fields this program knows
    check(ll_model_info_get(model.get(), &info), "ll_model_info_get");
    std::cout << "model of epoch " << info.best_epoch << " (run " << status_name(info.status) << ")\n";

    // Save (atomically), drop, and load it back, as another process would.
    check(ll_model_save(model.get(), model_path.c_str()), "ll_model_save");
    model.reset();
    {
        ll_model* raw = nullptr;
        check(ll_model_load(model_path.c_str(), &raw), "ll_model_load");
        model.reset(raw);
    }

    // Probabilities into our own buffer, sized by a first call without one.
    size_t needed = 0;
    if (ll_model_predict(model.get(), validation.get(), LL_PREDICT_SCORE, nullptr, 0, &needed) !=
        LL_E_BUFFER_TOO_SMALL)
        throw std::runtime_error(std::string("ll_model_predict: ") + ll_last_error());
    std::vector<double> scores(needed);
    check(ll_model_predict(model.get(), validation.get(), LL_PREDICT_SCORE, scores.data(), scores.size(), nullptr),
          "ll_model_predict");
    size_t right = 0;
    for (size_t i = 0; i < scores.size(); ++i) right += (scores[i] > info.threshold) == (validation_data.y[i] > 0.5f);
    std::printf("reloaded from %s: validation accuracy %.4f\n", model_path.c_str(),
                static_cast<double>(right) / static_cast<double>(scores.size()));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc > 1 ? argv[1] : "embed_cpp.llmodel");
    } catch (const std::exception& e) {
        std::cerr << "embed_cpp: " << e.what() << "\n";
        return 1;
    }
}
