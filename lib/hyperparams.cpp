#include "hyperparams.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "error.hpp"

namespace linlearn {
namespace {

// How a value is checked: a kind, bounds and the allowed words.
enum class Kind { word, integer, real, boolean, text };
struct Spec {
    const char* name;
    const char* default_value;
    Kind kind;
    double lo, hi;           // numeric range
    bool lo_open, hi_open;   // exclusive bounds
    bool allow_auto;
    std::vector<std::string> words;  // Kind::word: allowed values; numeric: extra words
};

constexpr double inf = std::numeric_limits<double>::infinity();

const std::vector<Spec>& specs() {
    static const std::vector<Spec> table = {
        {"predictor_type", "", Kind::word, 0, 0, false, false, false,
         {"binary_classifier", "multiclass_classifier", "regressor"}},
        {"num_classes", "auto", Kind::integer, 3, 1e6, false, false, true, {}},
        {"feature_dim", "auto", Kind::integer, 1, inf, false, false, true, {}},
        {"accuracy_top_k", "3", Kind::integer, 1, 1e6, false, false, false, {}},
        {"balance_multiclass_weights", "false", Kind::boolean, 0, 0, false, false, false, {}},
        {"beta_1", "auto", Kind::real, 0, 1, false, true, true, {}},
        {"beta_2", "auto", Kind::real, 0, 1, false, true, true, {}},
        {"bias_lr_mult", "auto", Kind::real, 0, inf, true, false, true, {}},
        {"bias_wd_mult", "auto", Kind::real, 0, inf, false, false, true, {}},
        {"binary_classifier_model_selection_criteria", "accuracy", Kind::word, 0, 0, false, false,
         false,
         {"accuracy", "f_beta", "precision_at_target_recall", "recall_at_target_precision",
          "loss_function", "f1", "cross_entropy_loss"}},
        {"early_stopping_patience", "3", Kind::integer, 1, 2147483647, false, false, false, {}},
        {"early_stopping_tolerance", "0.001", Kind::real, 0, inf, true, false, false, {}},
        {"epochs", "15", Kind::integer, 1, 2147483647, false, false, false, {}},
        {"f_beta", "1.0", Kind::real, 0, inf, true, false, false, {}},
        {"huber_delta", "1.0", Kind::real, 0, inf, true, false, false, {}},
        {"init_bias", "0", Kind::real, -inf, inf, false, false, false, {}},
        {"init_method", "uniform", Kind::word, 0, 0, false, false, false, {"uniform", "normal"}},
        {"init_scale", "0.07", Kind::real, 0, inf, true, false, false, {}},
        {"init_sigma", "0.01", Kind::real, 0, inf, true, false, false, {}},
        {"l1", "auto", Kind::real, 0, inf, false, false, true, {}},
        {"learning_rate", "auto", Kind::real, 0, inf, true, false, true, {}},
        {"loss", "auto", Kind::word, 0, 0, false, false, false,
         {"auto", "logistic", "squared_loss", "absolute_loss", "hinge_loss",
          "eps_insensitive_squared_loss", "eps_insensitive_absolute_loss", "quantile_loss",
          "huber_loss", "softmax_loss"}},
        {"loss_insensitivity", "0.01", Kind::real, 0, inf, true, false, false, {}},
        {"lr_scheduler_factor", "auto", Kind::real, 0, 1, true, true, true, {}},
        {"lr_scheduler_minimum_lr", "auto", Kind::real, 0, inf, true, false, true, {}},
        {"lr_scheduler_step", "auto", Kind::integer, 1, inf, false, false, true, {}},
        {"margin", "1.0", Kind::real, 0, inf, true, false, false, {}},
        {"mini_batch_size", "auto", Kind::integer, 1, inf, false, false, true, {}},
        {"momentum", "auto", Kind::real, 0, 1, false, true, true, {}},
        {"normalize_data", "true", Kind::boolean, 0, 0, false, false, true, {}},
        {"normalize_label", "auto", Kind::boolean, 0, 0, false, false, true, {}},
        {"num_calibration_samples", "auto", Kind::integer, 1, inf, false, false, true, {}},
        {"num_models", "auto", Kind::integer, 1, 1024, false, false, true, {}},
        {"num_point_for_scaler", "10000", Kind::integer, 1, inf, false, false, false, {}},
        {"optimizer", "auto", Kind::word, 0, 0, false, false, false,
         {"auto", "sgd", "adam", "rmsprop"}},
        {"positive_example_weight_mult", "1.0", Kind::real, 0, inf, true, false, true,
         {"balanced"}},
        {"quantile", "0.5", Kind::real, 0, 1, true, true, false, {}},
        {"target_precision", "0.8", Kind::real, 0, 1, true, true, false, {}},
        {"target_recall", "0.8", Kind::real, 0, 1, true, true, false, {}},
        {"unbias_data", "auto", Kind::boolean, 0, 0, false, false, true, {}},
        {"unbias_label", "auto", Kind::boolean, 0, 0, false, false, true, {}},
        {"use_bias", "true", Kind::boolean, 0, 0, false, false, false, {}},
        {"use_lr_scheduler", "true", Kind::boolean, 0, 0, false, false, false, {}},
        {"wd", "auto", Kind::real, 0, inf, false, false, true, {}},
        // SageMaker's hidden keys (its container's default-input.json): accepted so that a
        // SageMaker hyperparameters file runs as is, and ignored.
        {"_tuning_objective_metric", "", Kind::text, 0, 0, false, false, false, {}},
        {"_kvstore", "auto", Kind::text, 0, 0, false, false, false, {}},
        {"_num_kv_servers", "auto", Kind::text, 0, 0, false, false, false, {}},
        {"_num_gpus", "auto", Kind::text, 0, 0, false, false, false, {}},
        {"_log_level", "info", Kind::text, 0, 0, false, false, false, {}},
        {"_enable_profiler", "false", Kind::text, 0, 0, false, false, false, {}},
        // linlearn's own, beyond SageMaker's set:
        {"seed", "0", Kind::integer, 0, 4294967295.0, false, false, false, {}},
        {"num_threads", "auto", Kind::integer, 1, 4096, false, false, true, {}},
    };
    return table;
}

const Spec* find_spec(const std::string& key) {
    for (const auto& s : specs())
        if (key == s.name) return &s;
    return nullptr;
}

size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
            diag = up;
        }
    }
    return row[b.size()];
}

[[noreturn]] void unknown_key(const std::string& key) {
    std::string best;
    size_t best_d = std::min<size_t>(4, key.size() / 2 + 1);  // short keys need close matches
    for (const auto& s : specs()) {
        size_t d = edit_distance(key, s.name);
        if (d < best_d) best_d = d, best = s.name;
    }
    std::string msg = "unknown hyperparameter '" + key + "'";
    if (!best.empty()) msg += "; did you mean '" + best + "'?";
    else msg += " (see docs/hyperparameters.md for the list)";
    fail(ErrorCode::invalid_argument, msg);
}

std::string range_text(const Spec& s) {
    std::ostringstream o;
    o.precision(12);
    o << (s.kind == Kind::integer ? "an integer" : "a number");
    const bool has_lo = std::isfinite(s.lo), has_hi = std::isfinite(s.hi);
    if (has_lo && has_hi)
        o << " in " << (s.lo_open ? "(" : "[") << s.lo << ", " << s.hi << (s.hi_open ? ")" : "]");
    else if (has_lo)
        o << (s.lo_open ? " > " : " >= ") << s.lo;
    for (const auto& w : s.words) o << ", or '" << w << "'";
    if (s.allow_auto) o << ", or 'auto'";
    return o.str();
}

std::string join_words(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "'" : ", '") + w + "'";
    return out;
}

[[noreturn]] void bad_value(const Spec& s, const std::string& value, const std::string& allowed) {
    fail(ErrorCode::invalid_argument, "hyperparameter '" + std::string(s.name) + "': invalid value '" +
                                          value + "'; allowed: " + allowed);
}

bool parse_double(const std::string& text, double& out) {
    const char* b = text.data();
    const char* e = b + text.size();
    auto r = std::from_chars(b, e, out);
    return r.ec == std::errc() && r.ptr == e;
}

// Returns the canonical text of a valid value, or throws.
std::string validate(const Spec& s, std::string value) {
    if (s.allow_auto && value == "auto") return value;
    switch (s.kind) {
    case Kind::text: return value;
    case Kind::word:
        if (std::find(s.words.begin(), s.words.end(), value) == s.words.end())
            bad_value(s, value, "one of " + join_words(s.words));
        return value;
    case Kind::boolean: {
        std::string v = value;
        std::transform(v.begin(), v.end(), v.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (v == "true" || v == "1") return "true";
        if (v == "false" || v == "0") return "false";
        bad_value(s, value, std::string("'true' or 'false'") + (s.allow_auto ? " or 'auto'" : ""));
    }
    case Kind::integer:
    case Kind::real: {
        if (std::find(s.words.begin(), s.words.end(), value) != s.words.end()) return value;
        double v;
        if (!parse_double(value, v) || !std::isfinite(v)) bad_value(s, value, range_text(s));
        if (s.kind == Kind::integer && v != std::floor(v)) bad_value(s, value, range_text(s));
        if (s.kind == Kind::integer && std::fabs(v) > 9e15) bad_value(s, value, range_text(s) + " (at most 9e15)");
        if ((s.lo_open ? v <= s.lo : v < s.lo) || (s.hi_open ? v >= s.hi : v > s.hi))
            bad_value(s, value, range_text(s));
        return value;
    }
    }
    return value;
}

}  // namespace

const std::vector<std::string>& Hyperparameters::names() {
    static const std::vector<std::string> list = [] {
        std::vector<std::string> v;
        for (const auto& s : specs()) v.push_back(s.name);
        return v;
    }();
    return list;
}

Hyperparameters::Hyperparameters() {
    for (const auto& s : specs()) values_[s.name] = s.default_value;
}

void Hyperparameters::set(const std::string& key, const std::string& value) {
    const Spec* s = find_spec(key);
    if (!s) unknown_key(key);
    values_[key] = validate(*s, value);
}

void Hyperparameters::set_json(const std::string& text) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        fail(ErrorCode::invalid_argument,
             "hyperparameters JSON: " + std::string(e.what()) + " (byte " + std::to_string(e.byte) + ")");
    } catch (const nlohmann::json::exception& e) {  // e.g. a number beyond double's range
        fail(ErrorCode::invalid_argument, "hyperparameters JSON: " + std::string(e.what()));
    }
    if (!j.is_object())
        fail(ErrorCode::invalid_argument, "hyperparameters JSON: expected an object of key: value");
    Hyperparameters next = *this;  // all or nothing
    for (auto it = j.begin(); it != j.end(); ++it) {
        const auto& v = it.value();
        std::string text_value;
        if (v.is_string()) text_value = v.get<std::string>();
        else if (v.is_boolean()) text_value = v.get<bool>() ? "true" : "false";
        // dump(): the number as written, so that a refusal quotes it (get<long long>()
        // would wrap an integer above 2^63 into a different value).
        else if (v.is_number()) text_value = v.dump();
        else
            fail(ErrorCode::invalid_argument, "hyperparameters JSON: key '" + it.key() +
                                                  "' has a " + v.type_name() +
                                                  " value; expected a string, number or boolean");
        next.set(it.key(), text_value);
    }
    *this = std::move(next);
}

const std::string& Hyperparameters::get(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) unknown_key(key);
    return it->second;
}

}  // namespace linlearn
