#include "emf_document.hpp"

#include <algorithm>
#include <cmath>

namespace linlearn::sinks {
namespace {

using Json = nlohmann::ordered_json;

// The members every document of the group shares: dimensions, then properties.
Json shared_members(const EmfGroup& group) {
    Json root = Json::object();
    for (const auto& [key, value] : group.dimensions) root[key] = value;
    for (const auto& [key, value] : group.properties) root[key] = value;
    return root;
}

std::vector<const EmfMetric*> writable_metrics(const EmfGroup& group, const Json& shared) {
    std::vector<const EmfMetric*> out;
    std::vector<std::string> names;
    for (const EmfMetric& m : group.metrics) {
        const bool taken = m.name == "_aws" || shared.contains(m.name) ||
                           std::find(names.begin(), names.end(), m.name) != names.end();
        if (!std::isfinite(m.value) || m.name.empty() || m.name.size() > kEmfMaxName || taken) continue;
        names.push_back(m.name);
        out.push_back(&m);
    }
    return out;
}

}  // namespace

std::vector<std::string> emf_lines(const EmfGroup& group, const std::string& name_space, int64_t timestamp_ms) {
    const Json shared = shared_members(group);
    const std::vector<const EmfMetric*> metrics = writable_metrics(group, shared);
    Json dimension_set = Json::array();
    for (const auto& dimension : group.dimensions) dimension_set.push_back(dimension.first);

    std::vector<std::string> lines;
    for (size_t first = 0; first < metrics.size(); first += kEmfMaxMetrics) {
        const size_t last = std::min(metrics.size(), first + kEmfMaxMetrics);
        Json definitions = Json::array();
        Json values = Json::object();
        for (size_t i = first; i < last; ++i) {
            definitions.push_back({{"Name", metrics[i]->name}, {"Unit", metrics[i]->unit}});
            values[metrics[i]->name] = metrics[i]->value;
        }
        Json doc = {{"_aws",
                     {{"Timestamp", timestamp_ms},
                      {"CloudWatchMetrics", Json::array({{{"Namespace", name_space},
                                                          {"Dimensions", Json::array({dimension_set})},
                                                          {"Metrics", definitions}}})}}}};
        doc.update(shared);
        doc.update(values);
        // nlohmann writes doubles locale-free, with the digits that read back the same value.
        lines.push_back(doc.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
    }
    return lines;
}

}  // namespace linlearn::sinks
