// The events of a training run, in C++ form. The C ABI turns them into ll_event
// (capi/include/linlearn/event.h), whose comments define every field.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "metrics.hpp"

namespace linlearn {

enum class EventKind { run_start = 1, epoch_end, early_stop, model_selected, diagnostic, run_end };
enum class Phase { train = 0, validation = 1, test = 2 };
enum class RunStatus { running = 0, completed, early_stopped, cancelled, failed };
constexpr int kBestModel = -1;

inline const char* to_string(Phase p) {
    return p == Phase::train ? "train" : p == Phase::validation ? "validation" : "test";
}
inline const char* to_string(RunStatus s) {
    static const char* const names[] = {"running", "completed", "early_stopped", "cancelled", "failed"};
    return names[static_cast<int>(s)];
}
inline const char* to_string(EventKind k) {
    static const char* const names[] = {"", "run_start", "epoch_end", "early_stop", "model_selected", "diagnostic",
                                        "run_end"};
    return names[static_cast<int>(k)];
}

struct MetricSet {
    Phase phase;
    int model;  // index, or kBestModel
    MetricList metrics;
};

struct Event {
    EventKind kind = EventKind::diagnostic;
    std::string run_id;
    int64_t timestamp_ms = 0;
    double elapsed_s = 0;
    int epoch = -1;
    int model = -1;
    std::vector<MetricSet> metric_sets;
    // run_start
    std::string predictor_type, library_version;
    std::vector<std::pair<std::string, std::string>> params;
    int64_t n_features = 0, n_train_rows = 0, n_validation_rows = 0, n_test_rows = 0;
    int num_models = 0, num_classes = 0;
    // run_start: the settings that vary between models, entry m for model m (0..M-1)
    std::vector<std::vector<std::pair<std::string, std::string>>> model_params;
    // epoch_end
    double learning_rate = 0, throughput = 0;
    // run_end, diagnostic
    RunStatus status = RunStatus::running;
    std::string message;
    int best_epoch = -1;
    std::string model_path;
    double total_time_s = 0, sink_time_s = 0;
    std::string diagnostic_code;
};

// Receives every event on the training thread. Returns false to stop training (as a
// cancellation); may throw linlearn::Error to fail the run.
using EventHandler = std::function<bool(const Event&)>;

}  // namespace linlearn
