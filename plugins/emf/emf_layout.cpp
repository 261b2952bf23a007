#include "emf_layout.hpp"

#include <stdexcept>

#include "event_text.hpp"

namespace linlearn::sinks {
namespace {

using Json = nlohmann::ordered_json;

// One value with everything that tells it apart; model and phase are empty for run-level values.
struct Series {
    std::string model, phase;
    EmfMetric metric;
};

std::vector<Series> series_of(const ll_event& ev, const EmfLayout& layout) {
    std::vector<Series> out;
    const auto add_sets = [&](int32_t model, const std::string& label) {
        for (const ll_metric_set* set : sets_of(ev, model))
            for (uint32_t i = 0; set->metrics && i < set->count; ++i)
                if (set->metrics[i].name)
                    // Losses, accuracies and AUCs are plain numbers (accuracy is a fraction, not a percent).
                    out.push_back({label, phase_name(set->phase), {set->metrics[i].name, set->metrics[i].value, "None"}});
    };
    if (ev.kind == LL_EVENT_EPOCH_END) {
        out.push_back({"", "", {"elapsed_time", ev.elapsed_s, "Seconds"}});
        out.push_back({"", "", {"learning_rate", ev.learning_rate, "None"}});
        out.push_back({"", "", {"throughput", ev.throughput, "Count/Second"}});  // training rows per second
        add_sets(LL_MODEL_BEST, "best");
        if (layout.per_model)
            for (int32_t model : models_of(ev)) add_sets(model, std::to_string(model));
    } else if (ev.kind == LL_EVENT_DIAGNOSTIC && text(ev.diagnostic_code) == "alert") {
        // An alert or stop rule fired (ll_trainer_add_alert): 1 per rule, for an alarm on its sum.
        out.push_back({"", "", {"alerts", 1, "Count"}});
    } else if (ev.kind == LL_EVENT_RUN_END) {
        out.push_back({"", "", {"total_time", ev.total_time_s, "Seconds"}});
        out.push_back({"", "", {"sink_time", ev.sink_time_s, "Seconds"}});
        add_sets(kAnyModel, "final");
    }
    return out;
}

// The qualifiers that are not dimensions, as a prefix of the name.
std::string qualified_name(const Series& s, const EmfLayout& layout) {
    std::string prefix;
    if (!layout.model && !s.model.empty() && s.model != "best")
        prefix += s.model == "final" ? "final:" : "model_" + s.model + ":";
    if (!layout.phase && !s.phase.empty()) prefix += s.phase + ":";
    return prefix + s.metric.name;
}

// Members of every document of the event that are not dimensions: searchable context.
std::vector<std::pair<std::string, Json>> properties(const ll_event& ev, const EmfLayout& layout,
                                                     const std::string& run_id, const std::string& host) {
    std::vector<std::pair<std::string, Json>> out;
    if (!layout.run_id) out.emplace_back("RunId", run_id);
    if (!layout.host) out.emplace_back("Host", host);
    out.emplace_back("Event", event_name(ev.kind));
    if (ev.kind == LL_EVENT_EPOCH_END) out.emplace_back("Epoch", ev.epoch);
    if (ev.kind == LL_EVENT_DIAGNOSTIC) {
        out.emplace_back("Epoch", ev.epoch);
        out.emplace_back("Code", text(ev.diagnostic_code));
        out.emplace_back("Message", text(ev.message));
    }
    if (ev.kind == LL_EVENT_RUN_END) {
        out.emplace_back("Status", status_name(ev.status));
        out.emplace_back("BestEpoch", ev.best_epoch);
        out.emplace_back("SelectedModel", ev.model);
    }
    return out;
}

}  // namespace

void parse_dimensions(const std::string& text, EmfLayout& layout) {
    layout.run_id = layout.model = layout.phase = layout.host = false;
    if (text == "none") return;
    size_t start = 0;
    while (true) {
        const size_t end = text.find('+', start);
        const std::string word = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        bool* chosen = word == "run_id" ? &layout.run_id
                       : word == "model" ? &layout.model
                       : word == "phase" ? &layout.phase
                       : word == "host"  ? &layout.host
                                         : nullptr;
        if (!chosen || *chosen)
            throw std::invalid_argument(
                "dimensions: " + (chosen ? "'" + word + "' appears twice" : "unknown dimension '" + word + "'") +
                " (known: run_id, model, phase, host, joined by '+', e.g. dimensions=run_id+phase; or none)");
        *chosen = true;
        if (end == std::string::npos) return;
        start = end + 1;
    }
}

std::string emf_dimension_value(const std::string& text) {
    std::string out = text.substr(0, 1024);
    bool blank = true;
    for (char& c : out) {
        if (c < 0x20 || c > 0x7e) c = '_';
        blank = blank && c == ' ';
    }
    return blank ? "unknown" : out;
}

std::vector<EmfGroup> emf_groups(const ll_event& ev, const EmfLayout& layout) {
    const std::vector<Series> series = series_of(ev, layout);
    if (series.empty()) return {};  // a kind without metrics (or one this version does not know)
    const std::string run_id = emf_dimension_value(text(ev.run_id));
    const std::string host = emf_dimension_value(layout.host_name);
    const auto shared = properties(ev, layout, run_id, host);
    std::vector<EmfGroup> groups;
    for (const Series& s : series) {
        std::vector<std::pair<std::string, std::string>> dimensions;
        if (layout.run_id) dimensions.emplace_back("RunId", run_id);
        if (layout.model && !s.model.empty()) dimensions.emplace_back("Model", s.model);
        if (layout.phase && !s.phase.empty()) dimensions.emplace_back("Phase", s.phase);
        if (layout.host) dimensions.emplace_back("Host", host);
        EmfGroup* group = nullptr;
        for (EmfGroup& g : groups)
            if (g.dimensions == dimensions) group = &g;
        if (!group) group = &groups.emplace_back(EmfGroup{dimensions, shared, {}});
        group->metrics.push_back({qualified_name(s, layout), s.metric.value, s.metric.unit});
    }
    return groups;
}

}  // namespace linlearn::sinks
