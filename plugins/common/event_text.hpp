// Reading events and writing numbers, shared by the built-in sinks.
// Numbers go through std::to_chars, which ignores the locale: '.' is always the decimal point.
#pragma once
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "linlearn/event.h"

namespace linlearn::sinks {

// The shortest text that reads back as the same double ("0.1", "1e-05", "3").
inline std::string shortest(double v) {
    char buf[64];
    return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// v with a precision: std::chars_format::fixed digits after the point, or general significant digits.
inline std::string with_precision(double v, std::chars_format format, int precision) {
    char buf[400];  // fixed notation of 1e308 needs ~310
    return std::string(buf, std::to_chars(buf, buf + sizeof buf, v, format, precision).ptr);
}

inline std::string text(const char* s) { return s ? s : ""; }

inline const char* phase_name(uint32_t phase) {
    switch (phase) {
        case LL_PHASE_TRAIN: return "train";
        case LL_PHASE_VALIDATION: return "validation";
        case LL_PHASE_TEST: return "test";
        default: return "unknown_phase";
    }
}

inline const char* status_name(uint32_t status) {
    switch (status) {
        case LL_STATUS_RUNNING: return "running";
        case LL_STATUS_COMPLETED: return "completed";
        case LL_STATUS_EARLY_STOPPED: return "early_stopped";
        case LL_STATUS_CANCELLED: return "cancelled";
        case LL_STATUS_FAILED: return "failed";
        default: return "unknown";
    }
}

inline const char* event_name(uint32_t kind) {
    switch (kind) {
        case LL_EVENT_RUN_START: return "run_start";
        case LL_EVENT_EPOCH_END: return "epoch_end";
        case LL_EVENT_EARLY_STOP: return "early_stop";
        case LL_EVENT_MODEL_SELECTED: return "model_selected";
        case LL_EVENT_DIAGNOSTIC: return "diagnostic";
        case LL_EVENT_RUN_END: return "run_end";
        default: return nullptr;
    }
}

// The event's metric sets of one model (an index, or LL_MODEL_BEST), train before
// validation before test; all of them when model is kAnyModel.
constexpr int32_t kAnyModel = -2;
inline std::vector<const ll_metric_set*> sets_of(const ll_event& ev, int32_t model) {
    std::vector<const ll_metric_set*> sets;
    for (uint32_t phase = LL_PHASE_TRAIN; phase <= LL_PHASE_TEST; ++phase)
        for (uint32_t i = 0; ev.metric_sets && i < ev.n_metric_sets; ++i) {
            const ll_metric_set& set = ev.metric_sets[i];
            if (set.phase == phase && (model == kAnyModel || set.model == model)) sets.push_back(&set);
        }
    return sets;
}

// The model indexes (>= 0) of an event's metric sets, in the order they first appear.
inline std::vector<int32_t> models_of(const ll_event& ev) {
    std::vector<int32_t> models;
    for (uint32_t i = 0; ev.metric_sets && i < ev.n_metric_sets; ++i) {
        const int32_t m = ev.metric_sets[i].model;
        bool seen = m < 0;
        for (int32_t known : models) seen = seen || known == m;
        if (!seen) models.push_back(m);
    }
    return models;
}

inline const ll_metric* find_metric(const ll_metric_set& set, const char* name) {
    for (uint32_t i = 0; set.metrics && i < set.count; ++i)
        if (set.metrics[i].name && std::strcmp(set.metrics[i].name, name) == 0) return &set.metrics[i];
    return nullptr;
}

// A resolved hyperparameter of a run_start event, or fallback.
inline std::string param(const ll_event& ev, const char* key, const std::string& fallback = "") {
    for (uint32_t i = 0; ev.params && i < ev.n_params; ++i)
        if (ev.params[i].key && std::strcmp(ev.params[i].key, key) == 0) return text(ev.params[i].value);
    return fallback;
}

}  // namespace linlearn::sinks
