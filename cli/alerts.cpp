#include "alerts.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common.hpp"

namespace linlearn::cli {

namespace {

const char* option_name(Rule::Kind k) { return k == Rule::Kind::alert ? "--alert" : "--stop-when"; }

// A hand-written scanner: the grammar is five tokens, and errors must point at a column.
class RuleParser {
   public:
    RuleParser(const std::string& text, Rule::Kind kind) : s_(text), kind_(kind) {}

    Rule parse() {
        Rule r;
        r.kind = kind_;
        r.text = s_;
        skip_space();
        const size_t phase_at = i_;
        r.phase = word();
        if (r.phase.empty() || !eat(':'))
            fail(r.phase.empty() ? phase_at : i_, "expected <phase>:<metric>, e.g. validation:objective_loss");
        if (r.phase == "test") fail(phase_at, "test metrics exist only at run end; rules see train and validation");
        if (r.phase != "train" && r.phase != "validation")
            fail(phase_at, "unknown phase '" + r.phase + "'; expected train or validation");
        const size_t metric_at = i_;
        r.metric = word();
        if (r.metric.empty()) fail(metric_at, "expected a metric name after ':', e.g. objective_loss");
        skip_space();
        r.op = op();
        skip_space();
        r.threshold = number();
        skip_space();
        if (i_ < s_.size()) {
            const size_t after_at = i_;
            if (word() != "after") fail(after_at, "expected 'after epoch N' or the end of the rule");
            skip_space();
            const size_t epoch_at = i_;
            if (word() != "epoch") fail(epoch_at, "expected 'epoch' after 'after'");
            skip_space();
            r.after_epoch = integer();
            skip_space();
            if (i_ < s_.size()) fail(i_, "unexpected text after the epoch number");
        }
        return r;
    }

   private:
    [[noreturn]] void fail(size_t at, const std::string& why) const {
        throw CommandError(std::string(option_name(kind_)) + " '" + s_ + "': column " + std::to_string(at + 1) +
                               ": " + why,
                           2);
    }
    void skip_space() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    bool eat(char c) {
        if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
        return false;
    }
    std::string word() {
        const size_t from = i_;
        while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) ++i_;
        return s_.substr(from, i_ - from);
    }
    std::string op() {
        for (const char* o : {">=", "<=", "==", "!=", ">", "<"})  // two-character ones first
            if (s_.compare(i_, std::char_traits<char>::length(o), o) == 0) {
                i_ += std::char_traits<char>::length(o);
                return o;
            }
        fail(i_, "expected an operator: > >= < <= == !=");
    }
    double number() {
        const char* from = s_.c_str() + i_;
        char* end = nullptr;
        const double v = std::strtod(from, &end);
        // strtod also takes "nan" and hex; a threshold must be a plain finite number.
        if (end == from || !std::isfinite(v) || std::string(from, static_cast<size_t>(end - from)).find_first_of("xXnN") != std::string::npos)
            fail(i_, "expected a number");
        i_ += end - from;
        return v;
    }
    int integer() {
        const size_t from = i_;
        while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
        if (from == i_ || i_ - from > 9) fail(from, "expected an epoch number (0, 1, ...)");
        return std::stoi(s_.substr(from, i_ - from));
    }

    const std::string& s_;
    Rule::Kind kind_;
    size_t i_ = 0;
};

bool holds(const std::string& op, double v, double t) {
    if (op == ">") return v > t;
    if (op == ">=") return v >= t;
    if (op == "<") return v < t;
    if (op == "<=") return v <= t;
    if (op == "==") return v == t;
    return v != t;
}

std::string short_number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

// The best model's metric set of a phase in an epoch_end, or nullptr (no validation
// data, or every model diverged so far).
const ll_metric_set* best_set(const ll_event& e, const std::string& phase) {
    const uint32_t want = phase == "train" ? LL_PHASE_TRAIN : LL_PHASE_VALIDATION;
    for (uint32_t i = 0; i < e.n_metric_sets; ++i)
        if (e.metric_sets[i].model == LL_MODEL_BEST && e.metric_sets[i].phase == want) return &e.metric_sets[i];
    return nullptr;
}

// Any set of the phase (model 0's when no best exists yet): to tell a misspelt metric
// from a value that is merely undefined this epoch.
bool phase_has_metric(const ll_event& e, const std::string& phase, const std::string& name) {
    const uint32_t want = phase == "train" ? LL_PHASE_TRAIN : LL_PHASE_VALIDATION;
    for (uint32_t i = 0; i < e.n_metric_sets; ++i) {
        const ll_metric_set& s = e.metric_sets[i];
        if (s.phase != want) continue;
        for (uint32_t k = 0; k < s.count; ++k)
            if (name == s.metrics[k].name) return true;
        return false;  // every set of a phase has the same names
    }
    return false;
}

}  // namespace

Rule parse_rule(const std::string& text, Rule::Kind kind) { return RuleParser(text, kind).parse(); }

RuleWatcher::RuleWatcher(const std::vector<std::string>& alerts, const std::vector<std::string>& stop_when) {
    for (const std::string& t : alerts) rules_.push_back(parse_rule(t, Rule::Kind::alert));
    for (const std::string& t : stop_when) rules_.push_back(parse_rule(t, Rule::Kind::stop_when));
}

void RuleWatcher::install(ll_trainer* t) { check(ll_trainer_set_callback(t, &RuleWatcher::callback, this)); }

int RuleWatcher::callback(const ll_event* e, void* self) {
    // Nothing may be thrown through the C ABI; a watcher that fails lets training go on.
    try {
        return static_cast<RuleWatcher*>(self)->on_event(*e);
    } catch (const std::exception& ex) {
        std::cerr << "linlearn: warning: rule evaluation failed: " << ex.what() << "\n";
        return 0;
    }
}

int RuleWatcher::on_event(const ll_event& e) {
    if (e.run_id) run_id_ = e.run_id;
    if (e.kind == LL_EVENT_RUN_START) has_validation_ = e.n_validation_rows > 0;
    if (e.kind != LL_EVENT_EPOCH_END) return 0;
    if (stopped_by_ < 0) check_epoch(e);
    return stopped_by_ >= 0 ? 1 : 0;  // non-zero: the trainer stops as ll_trainer_cancel does
}

void RuleWatcher::check_epoch(const ll_event& e) {
    for (size_t i = 0; i < rules_.size(); ++i) {
        Rule& r = rules_[i];
        if (!r.note.empty()) continue;
        // A rule that can never apply is said so at the first epoch, not silently kept.
        if (r.phase == "validation" && !has_validation_) r.note = "this run has no validation data";
        else if (!phase_has_metric(e, r.phase, r.metric))
            r.note = "this run has no metric " + r.phase + ":" + r.metric;
        if (!r.note.empty()) {
            std::cerr << "linlearn: warning: " << option_name(r.kind) << " '" << r.text << "' never applies: " << r.note
                      << "\n";
            continue;
        }
        if (e.epoch <= r.after_epoch) continue;
        const ll_metric_set* s = best_set(e, r.phase);
        double v = NAN;
        for (uint32_t k = 0; s && k < s->count; ++k)
            if (r.metric == s->metrics[k].name) v = s->metrics[k].value;
        if (!std::isfinite(v) || !holds(r.op, v, r.threshold)) continue;  // undefined never triggers
        ++r.epochs_held;
        if (r.fired) continue;
        r.fired = true;
        r.first_epoch = e.epoch;
        r.first_value = v;
        const std::string what = " (epoch " + std::to_string(e.epoch) + ": " + r.phase + ":" + r.metric + " = " +
                                 short_number(v) + ")";
        if (r.kind == Rule::Kind::alert) {
            std::cerr << "linlearn: alert: " << r.text << what << "\n";
        } else if (stopped_by_ < 0) {
            stopped_by_ = static_cast<int>(i);
            std::cerr << "linlearn: stopping: " << r.text << what << "\n";
        }
    }
}

std::string RuleWatcher::to_json() const {
    using Json = nlohmann::ordered_json;
    Json rules = Json::array();
    for (const Rule& r : rules_)
        rules.push_back({{"rule", r.text},
                         {"kind", r.kind == Rule::Kind::alert ? "alert" : "stop_when"},
                         {"phase", r.phase},
                         {"metric", r.metric},
                         {"op", r.op},
                         {"threshold", r.threshold},
                         {"after_epoch", r.after_epoch < 0 ? Json() : Json(r.after_epoch)},
                         {"fired", r.fired},
                         {"first_epoch", r.fired ? Json(r.first_epoch) : Json()},
                         {"value", r.fired ? Json(r.first_value) : Json()},
                         {"epochs_held", r.epochs_held},
                         {"note", r.note.empty() ? Json() : Json(r.note)}});
    const Rule* stop = stopped_by();
    Json out = {{"run_id", run_id_}, {"stopped_by", stop ? Json(stop->text) : Json()}, {"rules", rules}};
    return out.dump(2) + "\n";
}

}  // namespace linlearn::cli
