// Rules on the metrics of a running `linlearn train`: --alert warns, --stop-when ends
// the run. They are evaluated in the CLI, on the events the trainer's callback receives,
// so they work whatever sinks are attached.
//
// Grammar:  <phase>:<metric> <op> <number> [after epoch <N>]
//   phase   train | validation (test metrics exist only at run end)
//   op      >  >=  <  <=  ==  !=
//   after epoch N   only epochs numbered above N count (epochs count from 0)
// e.g. "validation:objective_loss > 0.7 after epoch 3".
#pragma once
#include <string>
#include <vector>

#include "linlearn/linlearn.h"

namespace linlearn::cli {

struct Rule {
    enum class Kind { alert, stop_when };
    Kind kind = Kind::alert;
    std::string text;                  // as written
    std::string phase, metric, op;
    double threshold = 0;
    int after_epoch = -1;              // -1: every epoch
    // What happened during the run.
    bool fired = false;
    int first_epoch = -1;              // the first epoch on which the rule held
    double first_value = 0;
    int epochs_held = 0;               // how many epochs it held on
    std::string note;                  // why the rule could not apply, if it could not
};

// Parses one rule; a mistake throws CommandError (exit 2) naming the option, the rule
// and the 1-based column.
Rule parse_rule(const std::string& text, Rule::Kind kind);

// Watches a run's events and applies the rules to the best-model-so-far metrics of each
// epoch_end (the series that selection and early stopping use).
class RuleWatcher {
   public:
    RuleWatcher(const std::vector<std::string>& alerts, const std::vector<std::string>& stop_when);
    bool empty() const { return rules_.empty(); }
    // Installs the watcher as t's event callback; it must outlive the fit.
    void install(ll_trainer* t);
    // The --stop-when rule that ended the run, or nullptr.
    const Rule* stopped_by() const { return stopped_by_ < 0 ? nullptr : &rules_[stopped_by_]; }
    // alerts.json: every rule with what it did.
    std::string to_json() const;

   private:
    static int callback(const ll_event* e, void* self);
    int on_event(const ll_event& e);
    void check_epoch(const ll_event& e);

    std::vector<Rule> rules_;
    std::string run_id_;
    bool has_validation_ = true;
    int stopped_by_ = -1;
};

}  // namespace linlearn::cli
