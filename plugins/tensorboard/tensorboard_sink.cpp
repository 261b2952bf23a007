// The tensorboard sink: event files TensorBoard reads (tensorboard --logdir DIR), one
// scalar per phase and metric with the epoch as step.
//   tensorboard:logdir=DIR[,per_model=false][,host=NAME]
// Tags, TensorBoard grouping charts by what comes before the first '/':
//   <phase>/<metric>          the best model so far, each epoch ("validation/objective_loss")
//   model_<N>/<phase>/<metric>  each model, each epoch, with per_model=true
//   progress/learning_rate, progress/throughput, progress/elapsed_seconds   each epoch
//   final/<phase>/<metric>    the selected model at run end, at step best_epoch
//   alerts                    text (the Text tab): each "alert" diagnostic's message, at
//                             step epoch, when an alert or stop rule fired
// TensorBoard's scalars are 32-bit floats; NaN and infinities are left out.
// A new file is started for each run after the first one the instance sees.
#include <cmath>
#include <memory>

#include <unistd.h>

#include "event_file.hpp"
#include "event_text.hpp"
#include "sink_plugin.hpp"

namespace linlearn::sinks {
namespace {

std::string this_host() {
    char name[256] = "";
    if (::gethostname(name, sizeof name - 1) != 0 || !name[0]) return "localhost";
    return name;
}

// The host is part of a file name.
std::string checked_host(const std::string& host) {
    if (host.empty() || host.find_first_of("/\\ \t\r\n") != std::string::npos)
        throw std::invalid_argument("host must be a word without '/', '\\' or spaces, not '" + host + "'");
    return host;
}

// path= is the key sink-check and other generic tools give sinks that write files.
std::string logdir(const Options& options) {
    if (options.has("logdir") && options.has("path"))
        throw std::invalid_argument("give logdir= or path= (the same option), not both");
    return options.has("path") ? options.required("path", "tensorboard:logdir=runs/first")
                               : options.required("logdir", "tensorboard:logdir=runs/first");
}

void add(TfScalars& scalars, const std::string& tag, double value) {
    const float v = static_cast<float>(value);  // a double beyond float's range becomes infinite
    if (std::isfinite(v)) scalars.emplace_back(tag, v);
}

void add_sets(TfScalars& scalars, const ll_event& ev, int32_t model, const std::string& prefix) {
    for (const ll_metric_set* set : sets_of(ev, model))
        for (uint32_t i = 0; set->metrics && i < set->count; ++i)
            if (set->metrics[i].name)
                add(scalars, prefix + phase_name(set->phase) + "/" + set->metrics[i].name, set->metrics[i].value);
}

class TensorBoardSink {
public:
    static constexpr const char* name = "tensorboard";
    static constexpr const char* description = "TensorBoard event files of scalars per phase and metric (logdir=)";
    static constexpr const char* keys[] = {"logdir", "path", "per_model", "host"};

    TensorBoardSink(const Options& options, const ll_sink_host&)
        : logdir_(logdir(options)),
          host_(checked_host(options.get("host", this_host()))),
          per_model_(options.flag("per_model", false)),
          file_(std::make_unique<EventFile>(logdir_, host_)) {}  // fails now if the folder is not writable

    void on_event(const ll_event& ev) {
        if (ev.kind == LL_EVENT_RUN_START && has_run_) file_ = std::make_unique<EventFile>(logdir_, host_);
        const double wall_time = static_cast<double>(ev.timestamp_ms) / 1000.0;
        TfScalars scalars;
        int64_t step = ev.epoch;
        if (ev.kind == LL_EVENT_EPOCH_END) {
            add_sets(scalars, ev, LL_MODEL_BEST, "");
            if (per_model_)
                for (int32_t model : models_of(ev)) add_sets(scalars, ev, model, "model_" + std::to_string(model) + "/");
            add(scalars, "progress/learning_rate", ev.learning_rate);
            add(scalars, "progress/throughput", ev.throughput);
            add(scalars, "progress/elapsed_seconds", ev.elapsed_s);
        } else if (ev.kind == LL_EVENT_RUN_END) {
            add_sets(scalars, ev, kAnyModel, "final/");
            step = ev.best_epoch >= 0 ? ev.best_epoch : ev.epoch;
        }
        const bool alert = ev.kind == LL_EVENT_DIAGNOSTIC && text(ev.diagnostic_code) == "alert" && ev.message;
        has_run_ = has_run_ || ev.kind == LL_EVENT_RUN_START || !scalars.empty() || alert;
        if (!scalars.empty()) file_->write_event(tf_scalars_event(wall_time, step < 0 ? 0 : step, scalars));
        if (alert) file_->write_event(tf_text_event(wall_time, step < 0 ? 0 : step, "alerts", ev.message));
    }

    void flush() { file_->flush(); }

private:
    std::string logdir_, host_;
    bool per_model_;
    bool has_run_ = false;  // the file holds a run: the next run_start opens a new one
    std::unique_ptr<EventFile> file_;
};

}  // namespace
}  // namespace linlearn::sinks

extern "C" LL_SINK_EXPORT const ll_sink_plugin* ll_sink_entry(uint32_t, uint32_t) {
    return linlearn::sinks::plugin_table<linlearn::sinks::TensorBoardSink>();
}
