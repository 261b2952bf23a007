// libFuzzer target: the alert/stop rule parser (parse_alert_rule in lib/alerts.cpp),
// "<phase>:<metric> <op> <number> [after epoch <N>]".
// Checks, beyond "no crash, no leak, no UB, only linlearn::Error thrown":
//  - a refused rule is ErrorCode::invalid_argument, and its message quotes the rule;
//  - an accepted one names a known metric, a phase that has metrics during a run, one of
//    the six operators, a finite threshold and an epoch >= -1; written back in canonical
//    form (the shortest exact number) it parses to the same rule;
//  - a monitor holding it reports valid JSON.
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "alerts.hpp"
#include "error.hpp"
#include "number_text.hpp"

using namespace linlearn;

namespace {

void require(bool ok) {
    if (!ok) __builtin_trap();
}

bool known_metric(const std::string& name) {
    for (const std::string& m : known_metric_names())
        if (m == name) return true;
    return false;
}

std::string canonical(const AlertRule& r) {
    std::string s = (r.phase == Phase::train ? "train:" : "validation:") + r.metric + " " + r.op + " " +
                    exact_number_text(r.threshold);
    if (r.after_epoch >= 0) s += " after epoch " + std::to_string(r.after_epoch);
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto kind = size % 2 ? AlertRule::Kind::stop : AlertRule::Kind::alert;
    AlertRule rule;
    try {
        rule = parse_alert_rule(text, kind);
    } catch (const Error& e) {
        require(e.code() == ErrorCode::invalid_argument);
        require(std::string(e.what()).find("rule '") != std::string::npos);
        return 0;
    }
    require(rule.kind == kind && rule.text == text);
    require(rule.phase == Phase::train || rule.phase == Phase::validation);
    require(known_metric(rule.metric));
    require(rule.op == ">" || rule.op == ">=" || rule.op == "<" || rule.op == "<=" || rule.op == "==" ||
            rule.op == "!=");
    require(std::isfinite(rule.threshold) && rule.after_epoch >= -1);
    const AlertRule again = parse_alert_rule(canonical(rule), kind);
    require(again.phase == rule.phase && again.metric == rule.metric && again.op == rule.op &&
            again.threshold == rule.threshold && again.after_epoch == rule.after_epoch);
    AlertMonitor monitor;
    monitor.add(rule);
    const nlohmann::json report = nlohmann::json::parse(monitor.to_json());
    require(report.at("rules").size() == 1 && report.at("rules")[0].at("rule") == text);
    return 0;
}
