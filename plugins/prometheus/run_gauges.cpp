#include "run_gauges.hpp"

#include "event_text.hpp"

namespace linlearn::sinks {

namespace {
const char* const kAlertsHelp = "Alert and stop rules that fired in the run so far (diagnostic events \"alert\")";
}  // namespace

void RunGauges::set_run(const std::string& name, const std::string& help, double value) {
    gauges_.set("linlearn_run_" + name, help, {{"run_id", run_id_}}, value);
}

void RunGauges::set_metrics(const ll_event& ev, int32_t model, const std::string& model_label) {
    for (const ll_metric_set* set : sets_of(ev, model))
        for (uint32_t i = 0; set->metrics && i < set->count; ++i) {
            if (!set->metrics[i].name) continue;
            const std::string metric = set->metrics[i].name;
            gauges_.set("linlearn_" + metric,
                        "SageMaker metric " + metric + " by phase; model=\"best\" is the best model so far, "
                        "\"final\" the selected model at run end",
                        {{"run_id", run_id_}, {"phase", phase_name(set->phase)}, {"model", model_label}},
                        set->metrics[i].value);
        }
}

bool RunGauges::update(const ll_event& ev) {
    switch (ev.kind) {
        case LL_EVENT_RUN_START:
            gauges_.clear();
            run_id_ = text(ev.run_id);
            gauges_.set("linlearn_run_info", "Always 1; the labels describe the run",
                        {{"run_id", run_id_},
                         {"predictor_type", text(ev.predictor_type)},
                         {"library_version", text(ev.library_version)}},
                        1);
            set_run("status", "0 running, 1 completed, 2 early_stopped, 3 cancelled, 4 failed", LL_STATUS_RUNNING);
            alerts_ = 0;
            set_run("alerts", kAlertsHelp, alerts_);
            return true;
        case LL_EVENT_DIAGNOSTIC:  // an alert rule fired (ll_trainer_add_alert); other diagnostics change nothing
            if (text(ev.diagnostic_code) != "alert") return false;
            run_id_ = text(ev.run_id);
            set_run("alerts", kAlertsHelp, ++alerts_);
            return true;
        case LL_EVENT_EPOCH_END:
            run_id_ = text(ev.run_id);  // also when run_start was missed
            set_run("epoch", "Last completed epoch (0-based)", ev.epoch);
            set_run("elapsed_seconds", "Seconds from the start of the run to the end of the last epoch",
                    ev.elapsed_s);
            set_run("learning_rate", "Learning rate of model 0 at the end of the last epoch", ev.learning_rate);
            set_run("throughput_rows_per_second", "Training rows per second in the last epoch", ev.throughput);
            set_metrics(ev, LL_MODEL_BEST, "best");
            if (per_model_)
                for (int32_t model : models_of(ev)) set_metrics(ev, model, std::to_string(model));
            return true;
        case LL_EVENT_RUN_END:
            run_id_ = text(ev.run_id);
            set_run("status", "0 running, 1 completed, 2 early_stopped, 3 cancelled, 4 failed", ev.status);
            set_run("best_epoch", "Epoch of the selected model (-1: none)", ev.best_epoch);
            set_run("selected_model", "Index of the selected model (-1: none)", ev.model);
            set_run("total_seconds", "Wall time of the whole run in seconds", ev.total_time_s);
            set_run("sink_seconds", "Seconds spent in callbacks and sinks during the run", ev.sink_time_s);
            set_metrics(ev, kAnyModel, "final");
            return true;
        default:
            return false;
    }
}

}  // namespace linlearn::sinks
