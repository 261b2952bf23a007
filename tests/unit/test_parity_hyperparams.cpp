// Every hyperparameter against docs/hyperparameters.md, table-driven: the table below
// is written from the documentation, not from lib/hyperparams.cpp, and is checked
// against Hyperparameters::names(), so a key added to the library without an entry
// here (and a row in the documentation) fails. For every key: values accepted, each
// kind of invalid value (wrong type, out of range, not in the allowed set) refused with
// "hyperparameter 'KEY': invalid value 'VALUE'; allowed: WHAT", and what the value
// resolves to. Then the combinations that contradict each other, the JSON form, and
// the documentation's list of keys.
#include <doctest/doctest.h>

#include <algorithm>
#include <clocale>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "error.hpp"
#include "hyperparams.hpp"
#include "trainer.hpp"

using namespace linlearn;

namespace {

enum class Kind { word, integer, real, boolean, text };

struct Expect {
    const char* name;
    Kind kind;
    // Numbers: the documented range ([lo, hi], open ends excluded); words: the set.
    double lo, hi;
    bool lo_open, hi_open, allow_auto;
    std::vector<std::string> words;  // word: the allowed set; numbers: extra words
    const char* allowed;              // the text after "allowed: " in a refusal
};

constexpr double kInf = std::numeric_limits<double>::infinity();
const std::vector<std::string> kNone;

// From docs/hyperparameters.md, "All hyperparameters", one row per key.
const std::vector<Expect>& expectations() {
    static const std::vector<Expect> table = {
        // Task
        {"predictor_type", Kind::word, 0, 0, false, false, false,
         {"binary_classifier", "multiclass_classifier", "regressor"},
         "one of 'binary_classifier', 'multiclass_classifier', 'regressor'"},
        {"num_classes", Kind::integer, 3, 1e6, false, false, true, kNone, "an integer in [3, 1000000], or 'auto'"},
        {"feature_dim", Kind::integer, 1, kInf, false, false, true, kNone, "an integer >= 1, or 'auto'"},
        {"epochs", Kind::integer, 1, 2147483647, false, false, false, kNone, "an integer in [1, 2147483647]"},
        // Data and scaling
        {"mini_batch_size", Kind::integer, 1, kInf, false, false, true, kNone, "an integer >= 1, or 'auto'"},
        {"normalize_data", Kind::boolean, 0, 0, false, false, true, kNone, "'true' or 'false' or 'auto'"},
        {"unbias_data", Kind::boolean, 0, 0, false, false, true, kNone, "'true' or 'false' or 'auto'"},
        {"normalize_label", Kind::boolean, 0, 0, false, false, true, kNone, "'true' or 'false' or 'auto'"},
        {"unbias_label", Kind::boolean, 0, 0, false, false, true, kNone, "'true' or 'false' or 'auto'"},
        {"num_point_for_scaler", Kind::integer, 1, kInf, false, false, false, kNone, "an integer >= 1"},
        {"use_bias", Kind::boolean, 0, 0, false, false, false, kNone, "'true' or 'false'"},
        // Optimisation
        {"optimizer", Kind::word, 0, 0, false, false, false, {"auto", "sgd", "adam", "rmsprop"},
         "one of 'auto', 'sgd', 'adam', 'rmsprop'"},
        {"learning_rate", Kind::real, 0, kInf, true, false, true, kNone, "a number > 0, or 'auto'"},
        {"momentum", Kind::real, 0, 1, false, true, true, kNone, "a number in [0, 1), or 'auto'"},
        {"beta_1", Kind::real, 0, 1, false, true, true, kNone, "a number in [0, 1), or 'auto'"},
        {"beta_2", Kind::real, 0, 1, false, true, true, kNone, "a number in [0, 1), or 'auto'"},
        {"bias_lr_mult", Kind::real, 0, kInf, true, false, true, kNone, "a number > 0, or 'auto'"},
        {"use_lr_scheduler", Kind::boolean, 0, 0, false, false, false, kNone, "'true' or 'false'"},
        {"lr_scheduler_step", Kind::integer, 1, kInf, false, false, true, kNone, "an integer >= 1, or 'auto'"},
        {"lr_scheduler_factor", Kind::real, 0, 1, true, true, true, kNone, "a number in (0, 1), or 'auto'"},
        {"lr_scheduler_minimum_lr", Kind::real, 0, kInf, true, false, true, kNone, "a number > 0, or 'auto'"},
        {"init_method", Kind::word, 0, 0, false, false, false, {"uniform", "normal"}, "one of 'uniform', 'normal'"},
        {"init_scale", Kind::real, 0, kInf, true, false, false, kNone, "a number > 0"},
        {"init_sigma", Kind::real, 0, kInf, true, false, false, kNone, "a number > 0"},
        {"init_bias", Kind::real, -kInf, kInf, false, false, false, kNone, "a number"},
        // Regularisation and example weights
        {"wd", Kind::real, 0, kInf, false, false, true, kNone, "a number >= 0, or 'auto'"},
        {"l1", Kind::real, 0, kInf, false, false, true, kNone, "a number >= 0, or 'auto'"},
        {"bias_wd_mult", Kind::real, 0, kInf, false, false, true, kNone, "a number >= 0, or 'auto'"},
        {"positive_example_weight_mult", Kind::real, 0, kInf, true, false, true, {"balanced"},
         "a number > 0, or 'balanced', or 'auto'"},
        {"balance_multiclass_weights", Kind::boolean, 0, 0, false, false, false, kNone, "'true' or 'false'"},
        // Model selection and calibration
        {"num_models", Kind::integer, 1, 1024, false, false, true, kNone, "an integer in [1, 1024], or 'auto'"},
        {"binary_classifier_model_selection_criteria", Kind::word, 0, 0, false, false, false,
         {"accuracy", "f_beta", "precision_at_target_recall", "recall_at_target_precision", "loss_function", "f1",
          "cross_entropy_loss"},
         "one of 'accuracy', 'f_beta', 'precision_at_target_recall', 'recall_at_target_precision', "
         "'loss_function', 'f1', 'cross_entropy_loss'"},
        {"target_recall", Kind::real, 0, 1, true, true, false, kNone, "a number in (0, 1)"},
        {"target_precision", Kind::real, 0, 1, true, true, false, kNone, "a number in (0, 1)"},
        {"f_beta", Kind::real, 0, kInf, true, false, false, kNone, "a number > 0"},
        {"num_calibration_samples", Kind::integer, 1, kInf, false, false, true, kNone, "an integer >= 1, or 'auto'"},
        {"accuracy_top_k", Kind::integer, 1, 1e6, false, false, false, kNone, "an integer in [1, 1000000]"},
        // Early stopping
        {"early_stopping_patience", Kind::integer, 1, 2147483647, false, false, false, kNone,
         "an integer in [1, 2147483647]"},
        {"early_stopping_tolerance", Kind::real, 0, kInf, true, false, false, kNone, "a number > 0"},
        // Losses and their parameters
        {"loss", Kind::word, 0, 0, false, false, false,
         {"auto", "logistic", "squared_loss", "absolute_loss", "hinge_loss", "eps_insensitive_squared_loss",
          "eps_insensitive_absolute_loss", "quantile_loss", "huber_loss", "softmax_loss"},
         "one of 'auto', 'logistic', 'squared_loss', 'absolute_loss', 'hinge_loss', "
         "'eps_insensitive_squared_loss', 'eps_insensitive_absolute_loss', 'quantile_loss', 'huber_loss', "
         "'softmax_loss'"},
        {"margin", Kind::real, 0, kInf, true, false, false, kNone, "a number > 0"},
        {"loss_insensitivity", Kind::real, 0, kInf, true, false, false, kNone, "a number > 0"},
        {"quantile", Kind::real, 0, 1, true, true, false, kNone, "a number in (0, 1)"},
        {"huber_delta", Kind::real, 0, kInf, true, false, false, kNone, "a number > 0"},
        // linlearn's own
        {"seed", Kind::integer, 0, 4294967295.0, false, false, false, kNone, "an integer in [0, 4294967295]"},
        {"num_threads", Kind::integer, 1, 4096, false, false, true, kNone, "an integer in [1, 4096], or 'auto'"},
        // SageMaker's hidden keys: any text, accepted and ignored
        {"_tuning_objective_metric", Kind::text, 0, 0, false, false, false, kNone, ""},
        {"_kvstore", Kind::text, 0, 0, false, false, false, kNone, ""},
        {"_num_kv_servers", Kind::text, 0, 0, false, false, false, kNone, ""},
        {"_num_gpus", Kind::text, 0, 0, false, false, false, kNone, ""},
        {"_log_level", Kind::text, 0, 0, false, false, false, kNone, ""},
        {"_enable_profiler", Kind::text, 0, 0, false, false, false, kNone, ""},
    };
    return table;
}

const Expect* expect_for(const std::string& name) {
    for (const auto& e : expectations())
        if (name == e.name) return &e;
    return nullptr;
}

// "" when accepted, else the error's text (which must be an invalid_argument).
std::string refusal(const std::string& key, const std::string& value) {
    Hyperparameters hp;
    try {
        hp.set(key, value);
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::invalid_argument);
        return e.what();
    }
    return "";
}

std::string shortest(double v) {
    std::ostringstream o;
    o.precision(17);
    o << v;
    return o.str();
}

struct Sample {
    std::string value;
    bool accepted;
};

// Values of each kind, from the kind and the documented range.
std::vector<Sample> samples(const Expect& e) {
    std::vector<Sample> out;
    auto add = [&](const std::string& v, bool ok) { out.push_back({v, ok}); };
    if (e.kind != Kind::text)
        add("auto", e.allow_auto || std::find(e.words.begin(), e.words.end(), "auto") != e.words.end());
    switch (e.kind) {
    case Kind::text:
        for (const char* v : {"", "anything", "auto", "1", "x y"}) add(v, true);
        break;
    case Kind::word:
        for (const auto& w : e.words) {
            add(w, true);
            std::string upper = w;  // the words are case-sensitive
            std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return char(std::toupper(c)); });
            add(upper, false);
            add(" " + w, false);
            add(w + "x", false);
        }
        for (const char* v : {"", "bogus", "1", "true"}) add(v, false);
        break;
    case Kind::boolean:
        for (const char* v : {"true", "false", "TRUE", "False", "1", "0"}) add(v, true);
        for (const char* v : {"", "yes", "no", "2", "t", "-1", "0.0", " true", "true ", "tru\xc3\xa9"}) add(v, false);
        break;
    case Kind::integer:
    case Kind::real: {
        const bool integer = e.kind == Kind::integer;
        // Wrong type and malformed numbers.
        for (const char* v : {"", "abc", "1,5", "0.5.1", "1e", "--1", "0x10", " 1", "1 ", "+1", "inf", "-inf", "nan",
                              "1e400", "true", "balanced "})
            add(v, false);
        for (const auto& w : e.words) add(w, true);
        if (integer) {
            add("1.5", false);  // not a whole number
            add("2.000001", false);
            add("1e16", false);  // beyond 9e15
        }
        // The ends of the range and just beyond.
        auto inside = [&](double v) {
            return (e.lo_open ? v > e.lo : v >= e.lo) && (e.hi_open ? v < e.hi : v <= e.hi) &&
                   (!integer || std::fabs(v) <= 9e15);
        };
        std::vector<double> probes;
        if (std::isfinite(e.lo)) {
            probes.insert(probes.end(), {e.lo, e.lo - 1, e.lo + 1});
            if (!integer) probes.insert(probes.end(), {e.lo - 1e-9, e.lo + 1e-9});
        } else {
            probes.insert(probes.end(), {-1e300, -1.0});
        }
        if (std::isfinite(e.hi)) {
            probes.insert(probes.end(), {e.hi, e.hi + 1, e.hi - 1});
            if (!integer) probes.insert(probes.end(), {e.hi - 1e-9, e.hi + 1e-9});
        } else {
            probes.insert(probes.end(), {integer ? 9e15 : 1e300, 12345.0});
        }
        for (double v : probes) add(shortest(v), inside(v));
        if (integer && inside(10)) {
            add("10.0", true);  // an integer may be written as a decimal or with an exponent
            add("1e1", true);
        }
        if (!integer && inside(0.5)) {
            add(".5", true);
            add("5e-1", true);
            add("5E-1", true);
        }
        break;
    }
    }
    return out;
}

}  // namespace

TEST_CASE("parity hyperparameters: the expectation table covers every key, and only the keys") {
    std::set<std::string> names(Hyperparameters::names().begin(), Hyperparameters::names().end());
    CHECK(names.size() == Hyperparameters::names().size());  // no duplicates
    for (const auto& n : names) {
        CAPTURE(n);
        CHECK_MESSAGE(expect_for(n) != nullptr, "a hyperparameter without an entry in this test's table");
    }
    for (const auto& e : expectations()) {
        CAPTURE(e.name);
        CHECK(names.count(e.name) == 1);
    }
}

TEST_CASE("parity hyperparameters: each value accepted or refused as documented, and the refusal says why") {
    int refused = 0;
    for (const auto& name : Hyperparameters::names()) {
        const Expect* e = expect_for(name);
        if (!e) continue;  // reported by the coverage test
        for (const Sample& s : samples(*e)) {
            CAPTURE(name);
            CAPTURE(s.value);
            const std::string err = refusal(name, s.value);
            if (s.accepted) {
                CHECK(err == "");
                continue;
            }
            ++refused;
            // The key, the value and what is allowed, in one line.
            const std::string want = "hyperparameter '" + name + "': invalid value '" + s.value + "'; allowed: " + e->allowed;
            if (s.value == "1e16" || s.value == "9e15")
                CHECK(err.rfind(want, 0) == 0);  // may add "(at most 9e15)"
            else
                CHECK(err == want);
        }
        // The default is accepted back (predictor_type has none: it is required).
        Hyperparameters hp;
        if (name != "predictor_type") CHECK(refusal(name, hp.get(name)) == "");
        else CHECK(hp.get(name) == "");
    }
    CHECK(refused > 500);
}

TEST_CASE("parity hyperparameters: unknown keys are refused with a suggestion or the pointer to the docs") {
    for (const auto& name : Hyperparameters::names()) {
        if (name.size() < 6) continue;
        CAPTURE(name);
        // One character dropped: the right key is suggested.
        const std::string typo = name.substr(0, name.size() - 1);
        if (std::find(Hyperparameters::names().begin(), Hyperparameters::names().end(), typo) !=
            Hyperparameters::names().end())
            continue;
        const std::string err = refusal(typo, "1");
        CHECK(err.find("unknown hyperparameter '" + typo + "'") == 0);
        CHECK(err.find("did you mean '") != std::string::npos);
    }
    CHECK(refusal("completely_unrelated_key", "1") ==
          "unknown hyperparameter 'completely_unrelated_key' (see docs/hyperparameters.md for the list)");
    CHECK(refusal("Epochs", "1").find("did you mean 'epochs'?") != std::string::npos);
}

namespace {

Hyperparameters with(const std::vector<std::pair<std::string, std::string>>& kv,
                     const std::string& predictor = "binary_classifier") {
    Hyperparameters hp;
    hp.set("predictor_type", predictor);
    if (predictor == "multiclass_classifier") hp.set("num_classes", "4");
    for (const auto& [k, v] : kv) hp.set(k, v);
    return hp;
}

TrainConfig resolved(const std::vector<std::pair<std::string, std::string>>& kv,
                     const std::string& predictor = "binary_classifier", int64_t n = 100) {
    return with(kv, predictor).resolve(n);
}

std::string shown(const TrainConfig& c, const std::string& key) {
    for (const auto& [k, v] : c.resolved)
        if (k == key) return v;
    return "<absent>";
}

bool every_model(const TrainConfig& c, const std::function<bool(const ModelSettings&)>& f) {
    return std::all_of(c.models.begin(), c.models.end(), f);
}

// What each key resolves to, per docs/hyperparameters.md ("All hyperparameters" and
// "What auto resolves to").
const std::map<std::string, std::function<void()>>& resolutions() {
    using M = const ModelSettings&;
    static const std::map<std::string, std::function<void()>> table = {
        {"predictor_type", [] {
             CHECK(resolved({}).predictor == Predictor::binary);
             CHECK(resolved({}, "regressor").predictor == Predictor::regressor);
             CHECK(resolved({}, "multiclass_classifier").predictor == Predictor::multiclass);
             CHECK(shown(resolved({}), "predictor_type") == "binary_classifier");
         }},
        {"num_classes", [] {
             const TrainConfig c = resolved({{"num_classes", "7"}}, "multiclass_classifier");
             CHECK(c.num_classes == 7);
             CHECK(c.outputs() == 7);
             // Ignored otherwise: reported as 2 (binary) and 0 (regression).
             CHECK(resolved({{"num_classes", "7"}}).num_classes == 2);
             CHECK(resolved({{"num_classes", "7"}}).outputs() == 1);
             CHECK(resolved({{"num_classes", "7"}}, "regressor").num_classes == 0);
             CHECK(shown(resolved({{"num_classes", "7"}}), "num_classes") == "2");
         }},
        {"feature_dim", [] {
             CHECK(resolved({}).feature_dim == 0);  // auto: the data's
             CHECK(resolved({{"feature_dim", "12"}}).feature_dim == 12);
         }},
        {"epochs", [] {
             CHECK(resolved({}).epochs == 15);
             CHECK(resolved({{"epochs", "1e3"}}).epochs == 1000);
             CHECK(resolved({{"epochs", "10.0"}}).epochs == 10);
             CHECK(shown(resolved({{"epochs", "1e3"}}), "epochs") == "1e3");  // as typed
         }},
        {"mini_batch_size", [] {
             CHECK(resolved({}, "binary_classifier", 100).mini_batch_size == 10);     // ⌈n/10⌉
             CHECK(resolved({}, "binary_classifier", 101).mini_batch_size == 11);
             CHECK(resolved({}, "binary_classifier", 9999).mini_batch_size == 1000);
             CHECK(resolved({}, "binary_classifier", 10000).mini_batch_size == 1000);  // SageMaker's 1000
             CHECK(resolved({}, "binary_classifier", 123456).mini_batch_size == 1000);
             CHECK(resolved({}, "binary_classifier", 3).mini_batch_size == 1);
             CHECK(resolved({{"mini_batch_size", "64"}}).mini_batch_size == 64);
             CHECK(resolved({{"mini_batch_size", "5000"}}).mini_batch_size == 100);  // capped at the rows
             CHECK(shown(resolved({}), "mini_batch_size") == "10");
         }},
        {"normalize_data", [] {
             CHECK(resolved({}).normalize_data);
             CHECK(resolved({{"normalize_data", "auto"}}).normalize_data);
             CHECK_FALSE(resolved({{"normalize_data", "false"}}).normalize_data);
         }},
        {"unbias_data", [] {
             CHECK(resolved({}).unbias_data);  // auto: use_bias
             CHECK_FALSE(resolved({{"use_bias", "false"}}).unbias_data);
             CHECK_FALSE(resolved({{"unbias_data", "0"}}).unbias_data);
             CHECK(shown(resolved({{"use_bias", "false"}}), "unbias_data") == "false");
         }},
        {"normalize_label", [] {
             CHECK(resolved({}, "regressor").normalize_label);  // auto: true for regression
             CHECK_FALSE(resolved({{"normalize_label", "false"}}, "regressor").normalize_label);
             CHECK_FALSE(resolved({{"normalize_label", "true"}}).normalize_label);  // never for classifiers
             CHECK_FALSE(resolved({{"normalize_label", "true"}}, "multiclass_classifier").normalize_label);
         }},
        {"unbias_label", [] {
             CHECK(resolved({}, "regressor").unbias_label);
             CHECK_FALSE(resolved({{"use_bias", "false"}}, "regressor").unbias_label);
             CHECK_FALSE(resolved({{"unbias_label", "true"}}).unbias_label);
         }},
        {"num_point_for_scaler", [] {
             CHECK(resolved({}).num_point_for_scaler == 10000);
             CHECK(resolved({{"num_point_for_scaler", "123"}}).num_point_for_scaler == 123);
         }},
        {"use_bias", [] {
             CHECK(resolved({}).use_bias);
             CHECK_FALSE(resolved({{"use_bias", "FALSE"}}).use_bias);
             CHECK(shown(resolved({{"use_bias", "FALSE"}}), "use_bias") == "false");
         }},
        {"optimizer", [] {
             const TrainConfig a = resolved({{"num_models", "40"}});
             CHECK(a.models[0].optimizer == Optimizer::adam);  // auto: adam for model 0
             CHECK(shown(a, "optimizer") == "adam");
             // The others draw one: with 40 models, more than one kind.
             CHECK_FALSE(every_model(a, [](M m) { return m.optimizer == Optimizer::adam; }));
             for (const char* o : {"sgd", "adam", "rmsprop"}) {
                 const TrainConfig c = resolved({{"optimizer", o}, {"num_models", "8"}});
                 CHECK(every_model(c, [&](M m) { return std::string(to_string(m.optimizer)) == o; }));
             }
         }},
        {"learning_rate", [] {
             CHECK(resolved({}).models[0].learning_rate == 0.1);
             CHECK(resolved({{"optimizer", "sgd"}}).models[0].learning_rate == 0.05);
             CHECK(resolved({{"optimizer", "rmsprop"}}).models[0].learning_rate == 0.01);
             const TrainConfig c = resolved({{"learning_rate", "1e-3"}, {"num_models", "16"}});
             CHECK(c.models[0].learning_rate == 0.001);
             CHECK(shown(c, "learning_rate") == "0.001");
             CHECK(every_model(c, [](M m) { return m.learning_rate >= 1e-4 * (1 - 1e-12) && m.learning_rate <= 1e-2 * (1 + 1e-12); }));
         }},
        {"momentum", [] {
             CHECK(resolved({}).models[0].momentum == 0.9);
             CHECK(every_model(resolved({{"momentum", "0"}, {"num_models", "4"}}), [](M m) { return m.momentum == 0; }));
         }},
        {"beta_1", [] {
             CHECK(resolved({}).models[0].beta_1 == 0.9);
             CHECK(every_model(resolved({{"beta_1", "0.5"}, {"num_models", "4"}}), [](M m) { return m.beta_1 == 0.5; }));
         }},
        {"beta_2", [] {
             CHECK(resolved({}).models[0].beta_2 == 0.999);
             CHECK(every_model(resolved({{"beta_2", "0.25"}, {"num_models", "4"}}), [](M m) { return m.beta_2 == 0.25; }));
         }},
        {"bias_lr_mult", [] {
             CHECK(resolved({}).bias_lr_mult == 1);
             CHECK(resolved({{"bias_lr_mult", "2.5"}}).bias_lr_mult == 2.5);
         }},
        {"use_lr_scheduler", [] {
             CHECK(resolved({}).use_lr_scheduler);
             CHECK_FALSE(resolved({{"use_lr_scheduler", "0"}}).use_lr_scheduler);
         }},
        {"lr_scheduler_step", [] {
             // auto: the mini-batches of one epoch, ⌈n / mini_batch_size⌉.
             CHECK(resolved({}, "binary_classifier", 100).models[0].lr_scheduler_step == 10);
             CHECK(resolved({{"mini_batch_size", "30"}}, "binary_classifier", 100).models[0].lr_scheduler_step == 4);
             CHECK(every_model(resolved({{"lr_scheduler_step", "7"}, {"num_models", "4"}}),
                               [](M m) { return m.lr_scheduler_step == 7; }));
         }},
        {"lr_scheduler_factor", [] {
             CHECK(resolved({}).models[0].lr_scheduler_factor == 0.99);
             CHECK(every_model(resolved({{"lr_scheduler_factor", "0.5"}, {"num_models", "4"}}),
                               [](M m) { return m.lr_scheduler_factor == 0.5; }));
         }},
        {"lr_scheduler_minimum_lr", [] {
             CHECK(resolved({}).models[0].lr_scheduler_minimum_lr == 1e-5);
             CHECK(every_model(resolved({{"lr_scheduler_minimum_lr", "1e-3"}, {"num_models", "4"}}),
                               [](M m) { return m.lr_scheduler_minimum_lr == 1e-3; }));
         }},
        {"init_method", [] {
             CHECK_FALSE(resolved({}).init_normal);
             CHECK(resolved({{"init_method", "normal"}}).init_normal);
         }},
        {"init_scale", [] {
             CHECK(resolved({}).init_scale == 0.07);
             CHECK(resolved({{"init_scale", "0.2"}}).init_scale == 0.2);
         }},
        {"init_sigma", [] {
             CHECK(resolved({}).init_sigma == 0.01);
             CHECK(resolved({{"init_sigma", "0.3"}}).init_sigma == 0.3);
         }},
        {"init_bias", [] {
             CHECK(resolved({}).init_bias == 0);
             CHECK(resolved({{"init_bias", "-1.5"}}).init_bias == -1.5);
         }},
        {"wd", [] {
             CHECK(resolved({}, "binary_classifier", 341).models[0].wd == 1.0 / 341);  // auto: 1/n
             CHECK(shown(resolved({}, "binary_classifier", 341), "wd") == "0.00293255132");
             CHECK(every_model(resolved({{"wd", "0"}, {"num_models", "8"}}), [](M m) { return m.wd == 0; }));
             const TrainConfig c = resolved({{"wd", "0.01"}, {"num_models", "8"}});
             CHECK(c.models[0].wd == 0.01);
             CHECK(every_model(c, [](M m) { return m.wd >= 1e-3 * (1 - 1e-12) && m.wd <= 0.1 * (1 + 1e-12); }));
         }},
        {"l1", [] {
             CHECK(resolved({}).models[0].l1 == 0);
             CHECK(every_model(resolved({{"l1", "0"}, {"num_models", "8"}}), [](M m) { return m.l1 == 0; }));
             const TrainConfig c = resolved({{"l1", "1e-4"}, {"num_models", "8"}});
             CHECK(c.models[0].l1 == 1e-4);
             CHECK(every_model(c, [](M m) { return m.l1 >= 1e-5 * (1 - 1e-12) && m.l1 <= 1e-3 * (1 + 1e-12); }));
         }},
        {"bias_wd_mult", [] {
             CHECK(resolved({}).bias_wd_mult == 0);  // the bias is not regularised by default
             CHECK(resolved({{"bias_wd_mult", "3"}}).bias_wd_mult == 3);
         }},
        {"positive_example_weight_mult", [] {
             CHECK(resolved({}).models[0].positive_example_weight_mult == 1.0);
             CHECK_FALSE(resolved({}).balance_positive_weight);
             const TrainConfig b = resolved({{"positive_example_weight_mult", "balanced"}, {"num_models", "4"}});
             CHECK(b.balance_positive_weight);
             CHECK(shown(b, "positive_example_weight_mult") == "balanced");
             const TrainConfig a = resolved({{"positive_example_weight_mult", "auto"}, {"num_models", "16"}});
             CHECK(a.models[0].positive_example_weight_mult == 1.0);  // auto: 1 for model 0, drawn for the others
             CHECK(shown(a, "positive_example_weight_mult") == "1");
             CHECK_FALSE(every_model(a, [](M m) { return m.positive_example_weight_mult == 1.0; }));
             CHECK(every_model(a, [](M m) {
                 return m.positive_example_weight_mult >= 0.1 * (1 - 1e-12) && m.positive_example_weight_mult <= 10 * (1 + 1e-12);
             }));
             CHECK(every_model(resolved({{"positive_example_weight_mult", "2.5"}, {"num_models", "4"}}),
                               [](M m) { return m.positive_example_weight_mult == 2.5; }));
             // Binary only: not drawn for the other predictor types.
             CHECK(every_model(resolved({{"positive_example_weight_mult", "auto"}, {"num_models", "8"}}, "regressor"),
                               [](M m) { return m.positive_example_weight_mult == 1.0; }));
         }},
        {"balance_multiclass_weights", [] {
             CHECK_FALSE(resolved({}, "multiclass_classifier").balance_multiclass_weights);
             CHECK(resolved({{"balance_multiclass_weights", "true"}}, "multiclass_classifier").balance_multiclass_weights);
         }},
        {"num_models", [] {
             CHECK(resolved({}).num_models() == 32);
             CHECK(shown(resolved({}), "num_models") == "32");
             CHECK(resolved({{"num_models", "5"}}).num_models() == 5);
             // Model m's settings do not depend on M.
             const TrainConfig small = resolved({{"num_models", "3"}}), big = resolved({{"num_models", "9"}});
             for (int m = 0; m < 3; ++m) {
                 CHECK(small.models[m].learning_rate == big.models[m].learning_rate);
                 CHECK(small.models[m].wd == big.models[m].wd);
                 CHECK(small.models[m].optimizer == big.models[m].optimizer);
             }
         }},
        {"binary_classifier_model_selection_criteria", [] {
             const std::pair<const char*, Criterion> map[] = {
                 {"accuracy", Criterion::accuracy}, {"f_beta", Criterion::f_beta},
                 {"precision_at_target_recall", Criterion::precision_at_target_recall},
                 {"recall_at_target_precision", Criterion::recall_at_target_precision},
                 {"loss_function", Criterion::loss_function}, {"f1", Criterion::f_beta},
                 {"cross_entropy_loss", Criterion::loss_function}};
             for (const auto& entry : map) {
                 const std::string word = entry.first;  // a copy: CAPTURE takes it into a lambda
                 const Criterion crit = entry.second;
                 CAPTURE(word);
                 const TrainConfig c = resolved({{"binary_classifier_model_selection_criteria", word}});
                 CHECK(c.criterion == crit);
                 CHECK(shown(c, "binary_classifier_model_selection_criteria") == to_string(crit));  // current names
                 // Multiclass and regression always select by the loss.
                 CHECK(resolved({{"binary_classifier_model_selection_criteria", word}}, "regressor").criterion ==
                       Criterion::loss_function);
                 CHECK(resolved({{"binary_classifier_model_selection_criteria", word}}, "multiclass_classifier")
                           .criterion == Criterion::loss_function);
             }
             CHECK(resolved({}).criterion == Criterion::accuracy);
         }},
        {"target_recall", [] {
             CHECK(resolved({}).target_recall == 0.8);
             CHECK(resolved({{"target_recall", "0.95"}}).target_recall == 0.95);
         }},
        {"target_precision", [] {
             CHECK(resolved({}).target_precision == 0.8);
             CHECK(resolved({{"target_precision", "0.6"}}).target_precision == 0.6);
         }},
        {"f_beta", [] {
             CHECK(resolved({}).f_beta == 1.0);
             CHECK(resolved({{"f_beta", "2"}}).f_beta == 2.0);
             // f1 is f_beta with β = 1, whatever f_beta says.
             const TrainConfig c = resolved({{"f_beta", "2"}, {"binary_classifier_model_selection_criteria", "f1"}});
             CHECK(c.f_beta == 1.0);
             CHECK(shown(c, "f_beta") == "1");
         }},
        {"num_calibration_samples", [] {
             CHECK(resolved({}).num_calibration_samples == 10000000);
             CHECK(shown(resolved({}), "num_calibration_samples") == "10000000");
             CHECK(resolved({{"num_calibration_samples", "500"}}).num_calibration_samples == 500);
         }},
        {"accuracy_top_k", [] {
             CHECK(resolved({}).accuracy_top_k == 3);
             CHECK(resolved({{"accuracy_top_k", "5"}}, "multiclass_classifier").accuracy_top_k == 5);
         }},
        {"early_stopping_patience", [] {
             CHECK(resolved({}).early_stopping_patience == 3);
             CHECK(resolved({{"early_stopping_patience", "2147483647"}}).early_stopping_patience == 2147483647);
         }},
        {"early_stopping_tolerance", [] {
             CHECK(resolved({}).early_stopping_tolerance == 0.001);
             CHECK(resolved({{"early_stopping_tolerance", "0.25"}}).early_stopping_tolerance == 0.25);
         }},
        {"loss", [] {
             CHECK(resolved({}).loss == Loss::logistic);
             CHECK(resolved({}, "multiclass_classifier").loss == Loss::softmax);
             CHECK(resolved({}, "regressor").loss == Loss::squared);
             CHECK(shown(resolved({}, "regressor"), "loss") == "squared_loss");
             CHECK(resolved({{"loss", "hinge_loss"}}).loss == Loss::hinge);
             const std::pair<const char*, Loss> reg[] = {
                 {"squared_loss", Loss::squared}, {"absolute_loss", Loss::absolute},
                 {"eps_insensitive_squared_loss", Loss::eps_squared},
                 {"eps_insensitive_absolute_loss", Loss::eps_absolute}, {"quantile_loss", Loss::quantile},
                 {"huber_loss", Loss::huber}};
             for (const auto& [word, loss] : reg) CHECK(resolved({{"loss", word}}, "regressor").loss == loss);
         }},
        {"margin", [] { CHECK(resolved({{"margin", "2"}}).loss_params.margin == 2); }},
        {"loss_insensitivity", [] {
             CHECK(resolved({}, "regressor").loss_params.loss_insensitivity == 0.01);
             CHECK(resolved({{"loss_insensitivity", "0.2"}}, "regressor").loss_params.loss_insensitivity == 0.2);
         }},
        {"quantile", [] {
             CHECK(resolved({}, "regressor").loss_params.quantile == 0.5);
             CHECK(resolved({{"quantile", "0.9"}}, "regressor").loss_params.quantile == 0.9);
         }},
        {"huber_delta", [] {
             CHECK(resolved({}, "regressor").loss_params.huber_delta == 1.0);
             CHECK(resolved({{"huber_delta", "0.5"}}, "regressor").loss_params.huber_delta == 0.5);
         }},
        {"seed", [] {
             CHECK(resolved({}).seed == 0);
             CHECK(resolved({{"seed", "4294967295"}}).seed == 4294967295ULL);
             // It seeds the spread of the other models.
             CHECK(resolved({{"seed", "1"}}).models[1].learning_rate != resolved({{"seed", "2"}}).models[1].learning_rate);
         }},
        {"num_threads", [] {
             CHECK(resolved({}).num_threads == 0);  // auto: OpenMP's default, resolved by the trainer
             CHECK(resolved({{"num_threads", "3"}}).num_threads == 3);
         }},
    };
    return table;
}

}  // namespace

TEST_CASE("parity hyperparameters: every key resolves as documented") {
    for (const auto& name : Hyperparameters::names()) {
        CAPTURE(name);
        if (name[0] == '_') {  // SageMaker's hidden keys: accepted, ignored, not reported
            const TrainConfig c = resolved({{name, "whatever"}});
            CHECK(shown(c, name) == "<absent>");
            continue;
        }
        const auto it = resolutions().find(name);
        CHECK_MESSAGE(it != resolutions().end(), "a hyperparameter without a resolution check in this test");
        if (it != resolutions().end()) it->second();
        // Every key is reported in the resolved list (run_start's params).
        CHECK(shown(resolved({}), name) != "<absent>");
    }
    // The documentation's worked example: 341 rows, only predictor_type.
    const TrainConfig c = resolved({}, "binary_classifier", 341);
    CHECK(shown(c, "mini_batch_size") == "35");
    CHECK(shown(c, "lr_scheduler_step") == "10");
    CHECK(shown(c, "wd") == "0.00293255132");
    CHECK(shown(c, "optimizer") == "adam");
    CHECK(shown(c, "learning_rate") == "0.1");
    CHECK(shown(c, "num_models") == "32");
}

TEST_CASE("parity hyperparameters: values are read without regard to the C locale") {
    // A program that embeds linlearn may set a locale whose decimal separator is a comma.
    const char* names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "ru_RU.UTF-8"};
    const std::string before = std::setlocale(LC_NUMERIC, nullptr);
    const char* set = nullptr;
    for (const char* n : names)
        if ((set = std::setlocale(LC_NUMERIC, n))) break;
    if (!set || std::localeconv()->decimal_point[0] != ',') {
        std::setlocale(LC_NUMERIC, before.c_str());
        MESSAGE("no locale with a decimal comma installed: the locale check did not run");
        return;
    }
    const TrainConfig c = resolved({{"learning_rate", "0.25"}, {"wd", "1.5e-3"}, {"positive_example_weight_mult", "2.5"},
                                    {"epochs", "1.2e1"}});
    std::setlocale(LC_NUMERIC, before.c_str());
    CHECK(c.models[0].learning_rate == 0.25);
    CHECK(c.models[0].wd == 1.5e-3);
    CHECK(c.models[0].positive_example_weight_mult == 2.5);
    CHECK(c.epochs == 12);
}

TEST_CASE("parity hyperparameters: combinations that contradict each other are refused when training starts") {
    auto refused = [](const Hyperparameters& hp) -> std::string {
        try {
            hp.resolve(100);
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::invalid_argument);
            return e.what();
        }
        return "";
    };
    // A loss that does not fit the predictor type, for every pair.
    const char* binary_ok = "'logistic', 'hinge_loss' or 'auto'";
    const char* multi_ok = "'softmax_loss' or 'auto'";
    const char* reg_ok =
        "'squared_loss', 'absolute_loss', 'eps_insensitive_squared_loss', 'eps_insensitive_absolute_loss', "
        "'quantile_loss', 'huber_loss' or 'auto'";
    const std::vector<std::string> losses = {"logistic", "hinge_loss", "softmax_loss", "squared_loss",
                                             "absolute_loss", "eps_insensitive_squared_loss",
                                             "eps_insensitive_absolute_loss", "quantile_loss", "huber_loss"};
    for (const std::string predictor : {"binary_classifier", "multiclass_classifier", "regressor"})
        for (const auto& loss : losses) {
            CAPTURE(predictor);
            CAPTURE(loss);
            const bool fits = predictor == "binary_classifier"       ? loss == "logistic" || loss == "hinge_loss"
                              : predictor == "multiclass_classifier" ? loss == "softmax_loss"
                                                                     : loss.find("loss") != std::string::npos &&
                                                                           loss != "hinge_loss" && loss != "softmax_loss";
            const std::string err = refused(with({{"loss", loss}}, predictor));
            if (fits) {
                CHECK(err == "");
                continue;
            }
            const char* allowed = predictor == "binary_classifier"       ? binary_ok
                                  : predictor == "multiclass_classifier" ? multi_ok
                                                                         : reg_ok;
            CHECK(err == "hyperparameter 'loss': '" + loss + "' does not fit predictor_type '" + predictor +
                             "'; allowed: " + allowed);
        }
    // predictor_type is required.
    CHECK(refused(Hyperparameters()) ==
          "hyperparameter 'predictor_type' is required; allowed: 'binary_classifier', 'multiclass_classifier', "
          "'regressor'");
    // num_classes is required for multiclass.
    Hyperparameters multi;
    multi.set("predictor_type", "multiclass_classifier");
    CHECK(refused(multi) ==
          "hyperparameter 'num_classes' is required for predictor_type 'multiclass_classifier'; allowed: an integer "
          "in [3, 1000000]");
    // Centring without a bias to fold the means into.
    for (const std::string key : {"unbias_data", "unbias_label"}) {
        CAPTURE(key);
        const std::string err = refused(with({{"use_bias", "false"}, {key, "true"}}, "regressor"));
        CHECK(err == "hyperparameters '" + key +
                         "'=true and 'use_bias'=false contradict each other: centring needs a bias to fold the means "
                         "into");
    }
    CHECK(refused(with({{"use_bias", "false"}, {"unbias_data", "auto"}}, "regressor")) == "");
    // Not contradictions (documented as ignored where they do not apply): num_classes
    // for binary, the targets without their criterion, class weights of the other type.
    CHECK(refused(with({{"num_classes", "5"}})) == "");
    CHECK(refused(with({{"target_recall", "0.3"}, {"target_precision", "0.4"}})) == "");
    CHECK(refused(with({{"positive_example_weight_mult", "balanced"}}, "multiclass_classifier")) == "");
    CHECK(refused(with({{"balance_multiclass_weights", "true"}})) == "");
    CHECK(refused(with({{"accuracy_top_k", "1000"}}, "multiclass_classifier")) == "");
}

TEST_CASE("parity hyperparameters: feature_dim is checked against the data when training starts") {
    const Dataset dense = Dataset::dense({1, 2, 3, 4, 5, 6}, 2, 3, {0, 1});
    Hyperparameters hp;
    hp.set("predictor_type", "binary_classifier");
    hp.set("epochs", "1");
    hp.set("feature_dim", "4");
    CHECK_THROWS_WITH_AS(train(hp, dense, nullptr, nullptr, {}),
                         doctest::Contains("train data has 3 features, expected 4 (feature_dim)"), Error);
    hp.set("feature_dim", "3");
    CHECK(train(hp, dense, nullptr, nullptr, {}).num_features() == 3);
    // Sparse data may name fewer features: the model has feature_dim of them.
    const Dataset sparse = Dataset::csr({0, 1, 2}, {0, 1}, {1.f, 2.f}, 2, {0, 1});
    hp.set("feature_dim", "5");
    CHECK(train(hp, sparse, nullptr, nullptr, {}).num_features() == 5);
    hp.set("feature_dim", "1");
    CHECK_THROWS_WITH_AS(train(hp, sparse, nullptr, nullptr, {}), doctest::Contains("expected 1 (feature_dim)"), Error);
}

TEST_CASE("parity hyperparameters: the JSON form refuses what set() refuses, naming the value as written") {
    Hyperparameters hp;
    auto json_refusal = [&](const std::string& text) -> std::string {
        try {
            hp.set_json(text);
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    };
    CHECK(json_refusal(R"({"epochs": 10.0, "wd": 0.5, "use_bias": false, "seed": 4294967295})") == "");
    CHECK(hp.get("epochs") == "10.0");
    CHECK(hp.get("seed") == "4294967295");
    CHECK(json_refusal(R"({"seed": 4294967296})") ==
          "hyperparameter 'seed': invalid value '4294967296'; allowed: an integer in [0, 4294967295]");
    // Above 2^63: quoted as written, not wrapped into another number.
    CHECK(json_refusal(R"({"seed": 18446744073709551615})")
              .rfind("hyperparameter 'seed': invalid value '18446744073709551615'; allowed: an integer in [0, 4294967295]",
                     0) == 0);
    CHECK(json_refusal(R"({"epochs": -3})") ==
          "hyperparameter 'epochs': invalid value '-3'; allowed: an integer in [1, 2147483647]");
    CHECK(json_refusal(R"({"epochs": 1.5})") ==
          "hyperparameter 'epochs': invalid value '1.5'; allowed: an integer in [1, 2147483647]");
    CHECK(json_refusal(R"({"learning_rate": true})") ==
          "hyperparameter 'learning_rate': invalid value 'true'; allowed: a number > 0, or 'auto'");
    CHECK(json_refusal(R"({"wd": null})") ==
          "hyperparameters JSON: key 'wd' has a null value; expected a string, number or boolean");
    CHECK(json_refusal(R"({"_kvstore": "dist_sync", "_num_gpus": 0})") == "");  // hidden keys
}

TEST_CASE("parity hyperparameters: docs/hyperparameters.md lists every key, and no other") {
    std::ifstream f(std::string(LINLEARN_DATA_DIR) + "/../docs/hyperparameters.md");
    REQUIRE(f.good());
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string doc = ss.str();
    // The tables of "All hyperparameters": rows "| `name` | allowed | default | ... |".
    const size_t begin = doc.find("## All hyperparameters");
    const size_t end = doc.find("\n## ", begin + 1);
    REQUIRE(begin != std::string::npos);
    const std::string section = doc.substr(begin, end - begin);
    std::set<std::string> documented;
    std::istringstream lines(section);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("| `", 0) == 0) {
            const size_t close = line.find('`', 3);
            documented.insert(line.substr(3, close - 3));
        }
    for (const auto& name : Hyperparameters::names()) {
        CAPTURE(name);
        CHECK(documented.count(name) == 1);
    }
    for (const auto& name : documented) {
        CAPTURE(name);
        CHECK(std::find(Hyperparameters::names().begin(), Hyperparameters::names().end(), name) !=
              Hyperparameters::names().end());
    }
    // Every default in the tables is the library's.
    Hyperparameters hp;
    std::istringstream rows(section);
    for (std::string line; std::getline(rows, line);) {
        if (line.rfind("| `", 0) != 0) continue;
        std::vector<std::string> cells;
        std::string cell;
        std::istringstream cs(line.substr(1));
        while (std::getline(cs, cell, '|')) cells.push_back(cell);
        REQUIRE(cells.size() >= 3);
        const std::string name = cells[0].substr(cells[0].find('`') + 1, cells[0].rfind('`') - cells[0].find('`') - 1);
        const std::string def = cells[2];
        CAPTURE(name);
        CAPTURE(def);
        if (name == "predictor_type") {
            CHECK(def.find("required") != std::string::npos);
            continue;
        }
        if (hp.get(name).empty()) {  // an empty default is written "empty"
            CHECK(def.find("empty") != std::string::npos);
            continue;
        }
        const size_t a = def.find('`'), b = def.find('`', a + 1);
        REQUIRE(a != std::string::npos);
        CHECK(def.substr(a + 1, b - a - 1) == hp.get(name));
    }
}
