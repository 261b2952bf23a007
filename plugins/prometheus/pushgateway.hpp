// Pushing to a Prometheus Pushgateway. What the gateway expects:
// - The grouping key is the URL path /metrics/job/<JOB>{/<LABEL>/<VALUE>}. A value with a
//   '/' (or any character a path segment cannot hold as is), or an empty one, is written
//   <LABEL>@base64/<URL-safe base64 of the value> (RFC 4648 section 5; "=" for empty).
// - PUT replaces every metric of the group, POST only those of the same names; the body is
//   the text format with Content-Type "text/plain; version=0.0.4". 200 (or 202) means
//   accepted, 400 a malformed push or one inconsistent with other groups (a metric name
//   must have the same type in every group); the answer's body says why.
// - The gateway adds push_time_seconds and push_failure_time_seconds to each group.
#pragma once
#include <string>
#include <utility>

#include "http_client.hpp"

namespace linlearn::sinks {

// A path segment of the grouping key: "label/value", or "label@base64/..." when needed.
std::string grouping_segment(const std::string& label, const std::string& value);

// Each push replaces the group /metrics/job/<job>/run_id/<run_id> whole (PUT): the body is
// always every current value of the run.
class Pushgateway {
public:
    Pushgateway(HttpUrl url, std::string job, int timeout_ms)
        : url_(std::move(url)), job_(std::move(job)), timeout_ms_(timeout_ms) {}

    // Throws std::runtime_error when nothing listens at the URL.
    void check_reachable() const { http_check_reachable(url_, timeout_ms_); }
    // Throws std::runtime_error, naming the URL and the gateway's answer, unless accepted.
    void push(const std::string& run_id, const std::string& exposition) const;

private:
    HttpUrl url_;
    std::string job_;
    int timeout_ms_;
};

}  // namespace linlearn::sinks
