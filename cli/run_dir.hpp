// Reading a run folder, as `linlearn train -o DIR` leaves it, for `compare` and `report`.
// Only the files the built-in sinks write are read (metrics.json, events.jsonl) plus the
// CLI's own alerts.json; their layout is docs/metrics.md's, not a C++ API, so this reads
// JSON rather than linking against the sinks.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace linlearn::cli {

// "phase:name" -> value, in the order the file lists them. NaN stands for JSON null
// (an undefined metric) so that one type covers every value.
using MetricList = std::vector<std::pair<std::string, double>>;

// One epoch_end event: the best model so far (`best` in events.jsonl).
struct EpochPoint {
    int epoch = -1;
    double elapsed_s = 0;
    MetricList best;  // empty when every model diverged that epoch
};

struct RunDir {
    std::string dir;  // as given on the command line
    // metrics.json (required)
    std::string run_id, status, message, predictor_type;
    int best_epoch = -1, selected_model = -1;
    double total_time_s = 0;
    std::vector<std::pair<std::string, std::string>> hyperparameters;
    MetricList metrics;  // the final model's
    // events.jsonl (read when asked for, or when present for compare)
    bool has_events = false;
    std::vector<EpochPoint> epochs;
    int early_stop_epoch = -1;  // the last epoch trained when early stopping fired
    std::string early_stop_message;
    // alerts.json (optional; written by `train --alert/--stop-when`)
    std::string stopped_by;            // the --stop-when rule that ended the run, if any
    std::vector<std::string> alerts;   // the --alert rules that fired

    // The epoch_end series' names ("train:objective_loss", ...), first-seen order.
    std::vector<std::string> series_names() const;
};

// Reads DIR/metrics.json and alerts.json if present; events.jsonl too when `need_events`
// (then it must exist) or when it exists. Throws CommandError naming the missing or
// malformed file.
RunDir read_run_dir(const std::string& dir, bool need_events);

// Whether a smaller value of the metric is better: losses, mse, rmse (names without or
// with the phase). Accuracies, scores, precision, recall, r2, dcg: larger is better.
bool lower_is_better(const std::string& metric);

// The value of `name` in `list`, NaN when absent.
double find_metric(const MetricList& list, const std::string& name);

}  // namespace linlearn::cli
