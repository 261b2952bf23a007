// --alert and --stop-when of `linlearn train`: rules on the metrics of a running fit. The
// library parses and evaluates them (ll_trainer_add_alert; the grammar is in linlearn.h and
// docs/tracking.md), sends an "alert" diagnostic event to the callback and every sink when
// one fires, and ends the run early_stopped when a stop rule fires. The command adds
// the rules, echoes those diagnostics on stderr, and writes alerts.json after the fit.
#pragma once
#include <string>
#include <vector>

#include "linlearn/linlearn.h"

namespace linlearn::cli {

class RuleWatcher {
public:
    RuleWatcher(std::vector<std::string> alerts, std::vector<std::string> stop_when)
        : alerts_(std::move(alerts)), stop_when_(std::move(stop_when)) {}
    bool empty() const { return alerts_.empty() && stop_when_.empty(); }
    // Adds every rule to t; a mistake throws CommandError (exit 2) naming the option, the
    // rule and the 1-based column, before anything is read or trained.
    void add_to(ll_trainer* t) const;
    // Installs the callback that echoes the rules' diagnostics on stderr; the watcher must
    // outlive the fit.
    void install(ll_trainer* t);
    // After the fit: reads what the rules did (ll_trainer_get_alerts).
    void collect(const ll_trainer* t);
    // The --stop-when rule that ended the run, or "".
    const std::string& stopped_by() const { return stopped_by_; }
    // alerts.json: {"run_id", "stopped_by", "rules": [...]} (docs/tracking.md).
    std::string to_json() const;

private:
    static int callback(const ll_event* e, void* self);

    std::vector<std::string> alerts_, stop_when_;
    std::string run_id_;
    std::string library_json_;  // ll_trainer_get_alerts
    std::string stopped_by_;
};

}  // namespace linlearn::cli
