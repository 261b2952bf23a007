// CloudWatch Embedded Metric Format (EMF) documents: metrics that share their dimension
// values, rendered as one JSON object per line. The facts relied on, from AWS's EMF
// specification and its published JSON schema:
//   {"_aws": {"Timestamp": <integer ms since the Unix epoch>,
//             "CloudWatchMetrics": [{"Namespace": "...",
//                                    "Dimensions": [["Key", ...]],
//                                    "Metrics": [{"Name": "...", "Unit": "..."}]}]},
//    "Key": "string value", "<metric name>": <number>, ...}
// - Each Dimensions key and each metric Name refers to a member of the ROOT object, by
//   its literal key (no paths); a dimension member holds a string, a metric member a number.
// - Metrics holds at most 100 definitions, so a larger group becomes several documents,
//   each repeating the dimensions.
// - CloudWatch takes finite values only: NaN and infinities are left out (metric and member).
// - Dimensions [[]] (one empty set) is valid: metrics without dimensions.
// - Names and dimension keys are at most 255 characters; other root members are allowed
//   and are searchable in Logs Insights without becoming metrics.
// - A document is limited to 256 KB (1 MB today); 100 short metrics stay far below.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace linlearn::sinks {

constexpr size_t kEmfMaxMetrics = 100;  // MetricDirective.Metrics, per document
constexpr size_t kEmfMaxName = 255;     // metric names and dimension keys

struct EmfMetric {
    std::string name;  // the root member's key
    double value;
    const char* unit;  // a CloudWatch unit: "None", "Seconds", "Count/Second", ...
};

// Metrics that share the values of their dimensions.
struct EmfGroup {
    std::vector<std::pair<std::string, std::string>> dimensions;    // key → value, all in the one DimensionSet
    std::vector<std::pair<std::string, nlohmann::ordered_json>> properties;  // other root members, not metrics
    std::vector<EmfMetric> metrics;
};

// The group as JSON lines ('\n'-terminated): one per 100 finite metrics, none when no
// metric is finite. A metric whose name is taken by a root member of the document, or
// is too long, is left out too rather than make an invalid document.
std::vector<std::string> emf_lines(const EmfGroup& group, const std::string& name_space, int64_t timestamp_ms);

}  // namespace linlearn::sinks
