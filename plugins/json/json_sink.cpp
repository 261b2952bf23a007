// The json sink: JSON Lines, one object per event, each line handed to the OS as soon as
// it is written; at run end, if asked, the final metrics as one JSON file, written atomically.
//   json:path=out/events.jsonl[,metrics=out/metrics.json][,per_model=false][,append=true]
#include "event_json.hpp"
#include "output_file.hpp"
#include "run_start_extras.hpp"
#include "sink_plugin.hpp"

namespace linlearn::sinks {
namespace {

class JsonSink {
public:
    static constexpr const char* name = "json";
    static constexpr const char* description =
        "JSON Lines, one object per event (path=), and the final metrics JSON file (metrics=)";
    static constexpr const char* keys[] = {"path", "metrics", "per_model", "append"};

    JsonSink(const Options& options, const ll_sink_host&)
        : metrics_path_(options.get("metrics")),
          per_model_(options.flag("per_model", true)),
          file_(options.required("path", "json:path=out/events.jsonl"),
                options.flag("append", false) ? OutputFile::Mode::append : OutputFile::Mode::truncate) {}

    void on_event(const ll_event& ev) {
        Json line = event_json(ev, per_model_);
        add_run_start_extras(line, ev);
        file_.write(json_line(line));
        if (ev.kind == LL_EVENT_RUN_START) run_start_ = event_json(ev, false);
        if (ev.kind == LL_EVENT_RUN_END && !metrics_path_.empty())
            write_file_atomically(metrics_path_, final_metrics(ev).dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
    }

    void flush() { file_.flush(); }

private:
    // The run's outcome with its metrics flat, named "phase:metric" as SageMaker names them;
    // the final objective loss of train and validation also under SageMaker's own names for
    // it, "train:objective_loss:final" and "validation:objective_loss:final" (its
    // "<phase>:objective_loss" is the per-epoch series; test's has no ":final").
    Json final_metrics(const ll_event& end) const {
        Json metrics = Json::object();
        for (const ll_metric_set* set : sets_of(end, kAnyModel))
            for (uint32_t i = 0; set->metrics && i < set->count; ++i) {
                if (!set->metrics[i].name) continue;
                const std::string name = std::string(phase_name(set->phase)) + ":" + set->metrics[i].name;
                metrics[name] = number(set->metrics[i].value);
                if (name == "train:objective_loss" || name == "validation:objective_loss")
                    metrics[name + ":final"] = metrics[name];
            }
        const auto from_start = [this](const char* key) {
            return run_start_.contains(key) ? run_start_[key] : Json(nullptr);
        };
        return {
            {"run_id", nullable(end.run_id)},
            {"status", status_name(end.status)},
            {"message", nullable(end.message)},
            {"predictor_type", from_start("predictor_type")},
            {"library_version", from_start("library_version")},
            {"best_epoch", end.best_epoch},
            {"selected_model", end.model},
            {"model_path", nullable(end.model_path)},
            {"total_time_s", number(end.total_time_s)},
            {"sink_time_s", number(end.sink_time_s)},
            {"hyperparameters", from_start("params")},
            {"metrics", metrics},
        };
    }

    std::string metrics_path_;
    bool per_model_;
    Json run_start_ = Json::object();
    OutputFile file_;  // last: opened once every option is known to be good
};

}  // namespace
}  // namespace linlearn::sinks

extern "C" LL_SINK_EXPORT const ll_sink_plugin* ll_sink_entry(uint32_t, uint32_t) {
    return linlearn::sinks::plugin_table<linlearn::sinks::JsonSink>();
}
