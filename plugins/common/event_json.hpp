// One event as one JSON object: the line format of the json sink and of stdout's
// format=jsonl (documented in docs/plugins.md). NaN and infinities are written as null,
// since JSON has neither.
#pragma once
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "event_text.hpp"

namespace linlearn::sinks {

using Json = nlohmann::ordered_json;  // keys in the order written

inline Json number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

inline Json nullable(const char* s) { return s ? Json(s) : Json(nullptr); }

// {"<metric>": value, ...} of one set.
inline Json metrics_json(const ll_metric_set& set) {
    Json out = Json::object();
    for (uint32_t i = 0; set.metrics && i < set.count; ++i)
        if (set.metrics[i].name) out[set.metrics[i].name] = number(set.metrics[i].value);
    return out;
}

// {"train": {...}, "validation": {...}, "test": {...}} of one model's sets.
inline Json phases_json(const ll_event& ev, int32_t model) {
    Json out = Json::object();
    for (const ll_metric_set* set : sets_of(ev, model)) out[phase_name(set->phase)] = metrics_json(*set);
    return out;
}

inline Json params_json(const ll_event& ev) {
    Json out = Json::object();
    for (uint32_t i = 0; ev.params && i < ev.n_params; ++i)
        if (ev.params[i].key) out[ev.params[i].key] = text(ev.params[i].value);
    return out;
}

// In epoch_end, "best" holds the best model so far and "models" each model: the two
// are never in the same object, so a reader cannot take one for the other.
inline Json event_json(const ll_event& ev, bool per_model) {
    Json j;
    const char* kind = event_name(ev.kind);
    j["event"] = kind ? kind : "unknown";
    if (!kind) j["kind"] = ev.kind;
    j["run_id"] = nullable(ev.run_id);
    j["timestamp_ms"] = ev.timestamp_ms;
    j["elapsed_s"] = number(ev.elapsed_s);
    switch (ev.kind) {
        case LL_EVENT_RUN_START:
            j["predictor_type"] = nullable(ev.predictor_type);
            j["library_version"] = nullable(ev.library_version);
            j["params"] = params_json(ev);
            j["n_features"] = ev.n_features;
            j["n_train_rows"] = ev.n_train_rows;
            j["n_validation_rows"] = ev.n_validation_rows;
            j["n_test_rows"] = ev.n_test_rows;
            j["num_models"] = ev.num_models;
            j["num_classes"] = ev.num_classes;
            break;
        case LL_EVENT_EPOCH_END:
            j["epoch"] = ev.epoch;
            j["learning_rate"] = number(ev.learning_rate);
            j["throughput"] = number(ev.throughput);
            j["best"] = phases_json(ev, LL_MODEL_BEST);
            if (per_model) {
                j["models"] = Json::array();
                for (int32_t model : models_of(ev)) {
                    Json entry = {{"model", model}};
                    entry.update(phases_json(ev, model));
                    j["models"].push_back(std::move(entry));
                }
            }
            break;
        case LL_EVENT_EARLY_STOP:
            j["epoch"] = ev.epoch;
            j["model"] = ev.model;
            j["message"] = nullable(ev.message);
            break;
        case LL_EVENT_MODEL_SELECTED:
            j["epoch"] = ev.epoch;
            j["model"] = ev.model;
            j["metrics"] = phases_json(ev, kAnyModel);
            break;
        case LL_EVENT_DIAGNOSTIC:
            j["epoch"] = ev.epoch;
            j["code"] = nullable(ev.diagnostic_code);
            j["message"] = nullable(ev.message);
            break;
        case LL_EVENT_RUN_END:
            j["status"] = status_name(ev.status);
            j["message"] = nullable(ev.message);
            j["best_epoch"] = ev.best_epoch;
            j["model"] = ev.model;
            j["model_path"] = nullable(ev.model_path);
            j["total_time_s"] = number(ev.total_time_s);
            j["sink_time_s"] = number(ev.sink_time_s);
            j["metrics"] = phases_json(ev, kAnyModel);
            break;
        default:
            break;
    }
    return j;
}

// Compact, one line; invalid UTF-8 in a string is replaced rather than refused.
inline std::string json_line(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace linlearn::sinks
