#include "alerts.hpp"

#include "number_text.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "evaluation.hpp"
#include "metrics.hpp"

namespace linlearn {

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
            diag = up;
        }
    }
    return row[b.size()];
}

// A hand-written scanner: the grammar is five tokens, and errors must point at a column.
class RuleParser {
public:
    RuleParser(const std::string& text, AlertRule::Kind kind) : s_(text), kind_(kind) {}

    AlertRule parse() {
        AlertRule r;
        r.kind = kind_;
        r.text = s_;
        skip_space();
        const size_t phase_at = i_;
        const std::string phase = word();
        if (phase.empty() || !eat(':'))
            fail(phase.empty() ? phase_at : i_, "expected <phase>:<metric>, e.g. validation:objective_loss");
        if (phase == "test") fail(phase_at, "test metrics exist only at run end; rules see train and validation");
        if (phase != "train" && phase != "validation")
            fail(phase_at, "unknown phase '" + phase + "'; expected train or validation");
        r.phase = phase == "train" ? Phase::train : Phase::validation;
        const size_t metric_at = i_;
        r.metric = word();
        if (r.metric.empty()) fail(metric_at, "expected a metric name after ':', e.g. objective_loss");
        check_metric(r.metric, metric_at);
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
        linlearn::fail(ErrorCode::invalid_argument,
                       "rule '" + s_ + "': column " + std::to_string(at + 1) + ": " + why);
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
    void check_metric(const std::string& name, size_t at) const {
        const auto& known = known_metric_names();
        if (std::find(known.begin(), known.end(), name) != known.end()) return;
        std::string best;
        size_t best_d = std::min<size_t>(4, name.size() / 2 + 1);  // short names need close matches
        for (const std::string& k : known) {
            // A prefix ("roc_auc" of "roc_auc_score") is as near as one typo.
            const bool prefix = name.size() >= 3 && k.compare(0, name.size(), name) == 0;
            if (const size_t d = prefix ? 1 : edit_distance(name, k); d < best_d) best_d = d, best = k;
        }
        std::string why = "unknown metric '" + name + "'";
        if (!best.empty()) why += "; did you mean '" + best + "'?";
        else {
            why += "; expected one of";
            for (size_t i = 0; i < known.size(); ++i) why += (i ? ", " : " ") + known[i];
        }
        fail(at, why);
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
        double v = 0;
        const char* end = parse_number(from, s_.c_str() + s_.size(), v);
        // from_chars also takes "nan" and "inf"; a threshold must be a plain finite number.
        if (end == from || !std::isfinite(v)) fail(i_, "expected a number");
        i_ += static_cast<size_t>(end - from);
        return v;
    }
    int integer() {
        const size_t from = i_;
        while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
        if (from == i_ || i_ - from > 9) fail(from, "expected an epoch number (0, 1, ...)");
        return std::stoi(s_.substr(from, i_ - from));
    }

    const std::string& s_;
    AlertRule::Kind kind_;
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

std::string short_number(double v) { return number_text(v, 6); }

std::string full_name(const AlertRule& r) { return std::string(to_string(r.phase)) + ":" + r.metric; }

const char* kind_name(AlertRule::Kind k) { return k == AlertRule::Kind::alert ? "alert" : "stop_when"; }

// The metric list of the best model so far for a phase, or nullptr (no validation data,
// or every model has diverged so far).
const MetricList* best_list(const Event& e, Phase phase) {
    for (const MetricSet& s : e.metric_sets)
        if (s.model == kBestModel && s.phase == phase) return &s.metrics;
    return nullptr;
}

// Whether any set of the phase names the metric (model 0's when no best exists yet): a
// metric the run does not have, as opposed to one merely undefined this epoch.
bool phase_has_metric(const Event& e, Phase phase, const std::string& name) {
    for (const MetricSet& s : e.metric_sets)
        if (s.phase == phase)
            return std::any_of(s.metrics.begin(), s.metrics.end(), [&](const NamedValue& m) { return m.name == name; });
    return false;
}

int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

AlertRule parse_alert_rule(const std::string& text, AlertRule::Kind kind) { return RuleParser(text, kind).parse(); }

const std::vector<std::string>& known_metric_names() {
    // Asked of the metric functions themselves, on two rows, so the list cannot drift.
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out{"objective_loss"};
        const float labels[2] = {0.f, 1.f};
        const Eigen::VectorXd score = Eigen::VectorXd::Constant(2, 0.5);
        const Eigen::MatrixXd prob = Eigen::MatrixXd::Constant(2, 3, 1.0 / 3);
        for (const MetricList& list : {binary_metrics(score, labels, nullptr, 0.5, 1.0, true),
                                       multiclass_metrics(prob, labels, nullptr, 3, 1.0),
                                       regression_metrics(score, labels, nullptr)})
            for (const NamedValue& m : list)
                if (std::find(out.begin(), out.end(), m.name) == out.end()) out.push_back(m.name);
        return out;
    }();
    return names;
}

void AlertMonitor::add(AlertRule rule) {
    rules_.push_back(std::move(rule));
    outcomes_.emplace_back();
}

void AlertMonitor::clear() {
    rules_.clear();
    outcomes_.clear();
    start();
}

void AlertMonitor::start() {
    outcomes_.assign(rules_.size(), Outcome{});
    has_validation_ = true;
    checked_names_ = false;
    stopped_by_ = -1;
    stop_reason_.clear();
}

EventHandler AlertMonitor::wrap(EventHandler next) {
    start();
    return [this, next = std::move(next)](const Event& e) {
        const bool go_on = next ? next(e) : true;
        if (e.kind == EventKind::run_start) has_validation_ = e.n_validation_rows > 0;
        if (e.kind != EventKind::epoch_end || rules_.empty() || stopped_by_ >= 0) return go_on;
        received_ = std::chrono::steady_clock::now();
        std::vector<Event> diagnostics;
        check_epoch(e, diagnostics);
        bool all_go_on = go_on;
        for (const Event& d : diagnostics)
            if (next && !next(d)) all_go_on = false;
        return all_go_on && stopped_by_ < 0;
    };
}

Event AlertMonitor::diagnostic(const Event& epoch_end, const char* code, const std::string& message) const {
    Event d;
    d.kind = EventKind::diagnostic;
    d.run_id = epoch_end.run_id;
    d.timestamp_ms = std::max(epoch_end.timestamp_ms, wall_ms());
    d.elapsed_s = epoch_end.elapsed_s +
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - received_).count();
    d.epoch = epoch_end.epoch;
    d.model = epoch_end.model;
    d.diagnostic_code = code;
    d.message = message;
    return d;
}

void AlertMonitor::check_epoch(const Event& e, std::vector<Event>& out) {
    if (!checked_names_) {  // a rule that can never apply is said so at once, not silently kept
        checked_names_ = true;
        for (size_t i = 0; i < rules_.size(); ++i) {
            const AlertRule& r = rules_[i];
            Outcome& o = outcomes_[i];
            if (r.phase == Phase::validation && !has_validation_) o.note = "this run has no validation data";
            else if (!phase_has_metric(e, r.phase, r.metric)) o.note = "this run has no metric " + full_name(r);
            if (!o.note.empty())
                out.push_back(diagnostic(e, "alert_never_applies",
                                         std::string(r.kind == AlertRule::Kind::alert ? "alert" : "stop rule") +
                                             " '" + r.text + "' never applies: " + o.note));
        }
    }
    for (size_t i = 0; i < rules_.size(); ++i) {
        const AlertRule& r = rules_[i];
        Outcome& o = outcomes_[i];
        if (!o.note.empty() || e.epoch <= r.after_epoch) continue;
        const MetricList* list = best_list(e, r.phase);
        const double v = list ? metric_value(*list, r.metric) : std::nan("");
        if (!std::isfinite(v) || !holds(r.op, v, r.threshold)) continue;  // undefined never holds
        ++o.epochs_held;
        if (o.fired) continue;
        o.fired = true;
        o.first_epoch = e.epoch;
        o.value = v;
        const std::string what = "at epoch " + std::to_string(e.epoch) + ": " + full_name(r) + " = " + short_number(v);
        if (r.kind == AlertRule::Kind::alert) {
            out.push_back(diagnostic(e, "alert", "alert '" + r.text + "' fired " + what));
        } else if (stopped_by_ < 0) {  // several stop rules at once: the first given wins
            stopped_by_ = static_cast<int>(i);
            stop_reason_ = "stopped by rule '" + r.text + "' " + what;
            out.push_back(diagnostic(e, "alert", "stop rule '" + r.text + "' fired " + what + "; training stops"));
        }
    }
}

std::string AlertMonitor::to_json() const {
    using Json = nlohmann::ordered_json;
    Json rules = Json::array();
    for (size_t i = 0; i < rules_.size(); ++i) {
        const AlertRule& r = rules_[i];
        const Outcome o = i < outcomes_.size() ? outcomes_[i] : Outcome{};
        rules.push_back({{"rule", r.text},
                         {"kind", kind_name(r.kind)},
                         {"phase", to_string(r.phase)},
                         {"metric", r.metric},
                         {"op", r.op},
                         {"threshold", r.threshold},
                         {"after_epoch", r.after_epoch < 0 ? Json() : Json(r.after_epoch)},
                         {"fired", o.fired},
                         {"first_epoch", o.fired ? Json(o.first_epoch) : Json()},
                         {"value", o.fired ? Json(o.value) : Json()},
                         {"epochs_held", o.epochs_held},
                         {"note", o.note.empty() ? Json() : Json(o.note)}});
    }
    const Json stopped_by = stopped_by_ >= 0 ? Json(rules_[static_cast<size_t>(stopped_by_)].text) : Json();
    return Json{{"stopped_by", stopped_by}, {"rules", rules}}.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace linlearn
