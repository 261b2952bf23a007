// `linlearn sink-check PATH`: loads a sink plugin and drives it through a synthetic run
// with every event kind, checking the version handshake, NULL handling and error
// reporting; prints a pass/fail report. Needs neither liblinlearn nor a training run.
#pragma once
#include <deque>
#include <ostream>
#include <string>
#include <vector>

#include "linlearn/event.h"

namespace linlearn::cli {

// Prints the report to out; returns 0 when every check passes, 1 otherwise. A relative
// PATH is made absolute against the current directory (this is a command-line tool).
// The checks run in a child process, so a plugin that crashes is reported, not fatal.
int sink_check(const std::string& path, std::ostream& out);

// A made-up binary-classification run: run_start (with each model's settings),
// `epochs` epoch_end with `models` models plus the best so far (train and validation;
// one NaN, one infinite throughput), a diagnostic, an "alert" diagnostic after epoch 1
// (when there is one), early_stop, model_selected and run_end (train, validation, test).
// Also used by the sink tests. Events point into this object: keep it alive.
class SyntheticRun {
public:
    explicit SyntheticRun(int epochs = 3, int models = 2);
    SyntheticRun(const SyntheticRun&) = delete;
    SyntheticRun& operator=(const SyntheticRun&) = delete;

    const std::vector<ll_event>& events() const { return events_; }
    // A second run in which every pointer documented "or NULL" is NULL, an epoch has no
    // metric sets and run_end has no metrics.
    const std::vector<ll_event>& sparse_events() const { return sparse_; }
    // An event of a kind no sink knows (it must be ignored).
    const ll_event& unknown_event() const { return unknown_; }

    static constexpr const char* run_id = "sink-check-run";

private:
    ll_event base(uint32_t kind, int epoch);
    const ll_metric_set* add_sets(const std::vector<ll_metric_set>& sets);
    ll_metric_set metric_set(uint32_t phase, int32_t model, int epoch);
    const char* keep(std::string s);

    std::deque<std::string> strings_;
    std::deque<std::vector<ll_metric>> metrics_;
    std::deque<std::vector<ll_metric_set>> sets_;
    std::vector<ll_param> params_;
    std::deque<std::vector<ll_param>> model_param_lists_;
    std::vector<ll_model_params> model_params_;
    std::vector<ll_event> events_, sparse_;
    ll_event unknown_{};
};

}  // namespace linlearn::cli
