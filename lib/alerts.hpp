// Alert and stop rules on the metrics of a running fit (ll_trainer_add_alert):
//
//   <phase>:<metric> <op> <number> [after epoch <N>]
//     phase   train | validation (test metrics exist only at run end)
//     metric  a metric name without the phase (objective_loss, roc_auc_score, rmse, ...)
//     op      >  >=  <  <=  ==  !=
//     after epoch N   only epochs numbered above N count (epochs count from 0)
//   e.g. "validation:objective_loss > 0.7 after epoch 3"
//
// After each epoch_end the rules are applied to the best model so far (the metric sets
// with model kBestModel: the series selection and early stopping use). The first epoch
// on which a rule holds, a diagnostic event with code "alert" follows the epoch_end; a
// stop rule then also stops the run, which ends early_stopped with the rule as its reason.
// See docs/tracking.md.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "events.hpp"

namespace linlearn {

struct AlertRule {
    enum class Kind { alert, stop };
    Kind kind = Kind::alert;
    std::string text;  // as written
    Phase phase = Phase::validation;
    std::string metric, op;
    double threshold = 0;
    int after_epoch = -1;  // -1: every epoch
};

// Parses one rule. A mistake throws Error(invalid_argument):
//   "rule 'validation:objective_loss >> 0.7': column 28: expected a number"
// with the 1-based column. A metric name no predictor type reports is refused too (with
// the near miss, if any); one this run's predictor type lacks is only known at the first
// epoch (the "alert_never_applies" diagnostic).
AlertRule parse_alert_rule(const std::string& text, AlertRule::Kind kind);

// Every metric name some predictor type reports, objective_loss first.
const std::vector<std::string>& known_metric_names();

// The rules of a trainer and what they did in its last fit.
class AlertMonitor {
public:
    void add(AlertRule rule);
    void clear();
    bool empty() const { return rules_.empty(); }

    // Starts a fit: forgets what the rules did before, and returns a handler that passes
    // every event to `next` unchanged and, after each epoch_end, delivers the rules'
    // diagnostics to `next`. It returns false (stop) when `next` does or a stop rule
    // fired. The monitor must outlive the fit.
    EventHandler wrap(EventHandler next);

    // After a stop rule fired: the run's reason, "stopped by rule '<rule>' at epoch N:
    // <phase>:<metric> = V"; otherwise "".
    const std::string& stop_reason() const { return stop_reason_; }
    // The epoch on which the stop rule fired; -1 if none did.
    int stop_epoch() const {
        return stopped_by_ < 0 ? -1 : outcomes_[static_cast<size_t>(stopped_by_)].first_epoch;
    }

    // {"stopped_by": rule text or null, "rules": [{"rule", "kind", "phase", "metric",
    //  "op", "threshold", "after_epoch", "fired", "first_epoch", "value", "epochs_held",
    //  "note"}, ...]} for the last fit (or the rules alone before any).
    std::string to_json() const;

private:
    struct Outcome {
        bool fired = false;
        int first_epoch = -1;
        double value = 0;
        int epochs_held = 0;
        std::string note;  // why the rule cannot apply to this run
    };

    void start();
    void check_epoch(const Event& e, std::vector<Event>& out);
    Event diagnostic(const Event& epoch_end, const char* code, const std::string& message) const;

    std::vector<AlertRule> rules_;
    std::vector<Outcome> outcomes_;  // one per rule
    bool has_validation_ = true;
    bool checked_names_ = false;  // the first epoch_end checked that each rule can apply
    int stopped_by_ = -1;
    std::string stop_reason_;
    std::chrono::steady_clock::time_point received_;  // when the current epoch_end arrived
};

}  // namespace linlearn
