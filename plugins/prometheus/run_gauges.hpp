// The gauges of a training run, kept up to date event by event: what the prometheus sink
// writes and pushes. All are gauges (values that go up and down), labelled run_id; the
// SageMaker metrics also phase and model:
//
//   linlearn_run_info{run_id,predictor_type,library_version} 1     from run_start
//   linlearn_run_status{run_id}              0 running, 1 completed, 2 early_stopped, 3 cancelled, 4 failed
//   linlearn_run_epoch{run_id}               the last completed epoch (0-based)
//   linlearn_run_elapsed_seconds{run_id}     seconds since the run started, at that epoch's end
//   linlearn_run_learning_rate{run_id}       model 0's learning rate then
//   linlearn_run_throughput_rows_per_second{run_id}
//   linlearn_run_alerts{run_id}              alert and stop rules fired so far (0 from run_start)
//   linlearn_<metric>{run_id,phase,model}    model="best" (the best model so far), "0".."N"
//                                            with per_model=true, "final" at run end
//   linlearn_run_best_epoch, linlearn_run_selected_model, linlearn_run_total_seconds,
//   linlearn_run_sink_seconds{run_id}        from run_end
//
// <metric> is SageMaker's name (objective_loss, roc_auc_score, rmse, ...), made a valid
// metric name. HELP texts never depend on the run, so that every file and every group of
// a Pushgateway describes a name alike (node_exporter refuses conflicting HELP texts).
#pragma once
#include <string>

#include "exposition.hpp"
#include "linlearn/event.h"

namespace linlearn::sinks {

class RunGauges {
public:
    explicit RunGauges(bool per_model) : per_model_(per_model) {}

    // Applies an event; true when the gauges changed (run_start, epoch_end, an "alert"
    // diagnostic, run_end).
    // run_start forgets the previous run's gauges.
    bool update(const ll_event& ev);

    const std::string& run_id() const { return run_id_; }
    std::string exposition() const { return gauges_.text(); }

private:
    void set_run(const std::string& name, const std::string& help, double value);
    void set_metrics(const ll_event& ev, int32_t model, const std::string& model_label);

    bool per_model_;
    std::string run_id_;
    int alerts_ = 0;  // "alert" diagnostics of this run
    Exposition gauges_;
};

}  // namespace linlearn::sinks
