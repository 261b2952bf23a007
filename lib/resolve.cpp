// Hyperparameters::resolve: "auto" values, cross-checks, and the spread of settings over
// the num_models models (documented in docs/hyperparameters.md).
#include <charconv>
#include <cmath>
#include <random>
#include <sstream>

#include "error.hpp"
#include "hyperparams.hpp"
#include "number_text.hpp"

namespace linlearn {

const char* to_string(Predictor p) {
    switch (p) {
    case Predictor::binary: return "binary_classifier";
    case Predictor::multiclass: return "multiclass_classifier";
    case Predictor::regressor: return "regressor";
    }
    return "?";
}
const char* to_string(Loss l) {
    static const char* names[] = {"logistic", "hinge_loss", "softmax_loss", "squared_loss",
                                  "absolute_loss", "eps_insensitive_squared_loss",
                                  "eps_insensitive_absolute_loss", "quantile_loss", "huber_loss"};
    return names[static_cast<int>(l)];
}
const char* to_string(Optimizer o) {
    static const char* names[] = {"sgd", "adam", "rmsprop"};
    return names[static_cast<int>(o)];
}
const char* to_string(Criterion c) {
    static const char* names[] = {"accuracy", "f_beta", "precision_at_target_recall",
                                  "recall_at_target_precision", "loss_function"};
    return names[static_cast<int>(c)];
}

namespace {

std::string num(double v) { return number_text(v, 10); }

Loss parse_loss(const std::string& s, Predictor p) {
    if (s == "auto")
        return p == Predictor::binary ? Loss::logistic
               : p == Predictor::multiclass ? Loss::softmax : Loss::squared;
    static const std::pair<const char*, Loss> table[] = {
        {"logistic", Loss::logistic}, {"hinge_loss", Loss::hinge},
        {"softmax_loss", Loss::softmax}, {"squared_loss", Loss::squared},
        {"absolute_loss", Loss::absolute}, {"eps_insensitive_squared_loss", Loss::eps_squared},
        {"eps_insensitive_absolute_loss", Loss::eps_absolute}, {"quantile_loss", Loss::quantile},
        {"huber_loss", Loss::huber}};
    Loss loss = Loss::logistic;
    for (auto& [name, l] : table)
        if (s == name) loss = l;
    const bool ok = p == Predictor::binary ? (loss == Loss::logistic || loss == Loss::hinge)
                    : p == Predictor::multiclass ? loss == Loss::softmax
                    : !(loss == Loss::logistic || loss == Loss::hinge || loss == Loss::softmax);
    if (!ok) {
        const char* allowed = p == Predictor::binary ? "'logistic', 'hinge_loss' or 'auto'"
                              : p == Predictor::multiclass
                                  ? "'softmax_loss' or 'auto'"
                                  : "'squared_loss', 'absolute_loss', 'eps_insensitive_squared_loss', "
                                    "'eps_insensitive_absolute_loss', 'quantile_loss', "
                                    "'huber_loss' or 'auto'";
        fail(ErrorCode::invalid_argument, "hyperparameter 'loss': '" + s + "' does not fit predictor_type '" +
                                              to_string(p) + "'; allowed: " + allowed);
    }
    return loss;
}

bool flag(const std::string& v, bool if_auto) { return v == "auto" ? if_auto : v == "true"; }
// Values were validated by Hyperparameters::set. std::from_chars, not std::stod: stod
// follows the C locale, and a program that embeds linlearn under a locale with a
// decimal comma (setlocale(LC_ALL, "") in de_DE) would read "0.5" as 0.
double number(const std::string& v) {
    double out = 0;
    std::from_chars(v.data(), v.data() + v.size(), out);
    return out;
}
double real(const std::string& v, double if_auto) { return v == "auto" ? if_auto : number(v); }
int64_t integer(const std::string& v, int64_t if_auto) {
    return v == "auto" ? if_auto : static_cast<int64_t>(number(v));
}

double default_learning_rate(Optimizer o) { return o == Optimizer::adam ? 0.1 : o == Optimizer::rmsprop ? 0.01 : 0.05; }

// Models 1..M-1 draw nearby settings: a value the user gave varies by up to 10x either
// way; a value left "auto" is drawn from a range that is known to work.
void spread(const Hyperparameters& hp, std::vector<ModelSettings>& models, uint64_t seed,
            bool binary, double auto_wd) {
    std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    auto log_uniform = [&](double lo_exp, double hi_exp) {
        return std::pow(10.0, lo_exp + (hi_exp - lo_exp) * u01(rng));
    };
    const bool auto_opt = hp.get("optimizer") == "auto";
    for (size_t m = 1; m < models.size(); ++m) {
        ModelSettings s = models[0];
        if (auto_opt) {
            const double r = u01(rng);
            s.optimizer = r < 0.7 ? Optimizer::adam : r < 0.85 ? Optimizer::rmsprop : Optimizer::sgd;
        }
        const double base_lr = hp.get("learning_rate") == "auto" ? default_learning_rate(s.optimizer)
                                                                 : models[0].learning_rate;
        s.learning_rate = base_lr * log_uniform(-1, 1);
        s.wd = hp.get("wd") == "auto" ? (u01(rng) < 0.25 ? 0.0 : auto_wd * log_uniform(-2, 1))
                                      : models[0].wd * log_uniform(-1, 1);
        s.l1 = hp.get("l1") == "auto" ? (u01(rng) < 0.67 ? 0.0 : log_uniform(-7, -3))
                                      : models[0].l1 * log_uniform(-1, 1);
        if (hp.get("lr_scheduler_factor") == "auto") s.lr_scheduler_factor = 0.6 + 0.399 * u01(rng);
        if (hp.get("lr_scheduler_minimum_lr") == "auto")
            s.lr_scheduler_minimum_lr = 1e-5 * log_uniform(-1, 1);
        if (hp.get("lr_scheduler_step") == "auto" && s.lr_scheduler_step > 0)
            s.lr_scheduler_step = std::max<int64_t>(1, std::llround(s.lr_scheduler_step * log_uniform(-0.5, 0.5)));
        if (binary && hp.get("positive_example_weight_mult") == "auto")
            s.positive_example_weight_mult = log_uniform(-1, 1);
        models[m] = s;
    }
}

}  // namespace

TrainConfig Hyperparameters::resolve(int64_t n_train) const {
    const auto& v = values_;
    auto at = [&](const char* k) -> const std::string& { return v.at(k); };
    TrainConfig c;
    const std::string& pt = at("predictor_type");
    if (pt.empty())
        fail(ErrorCode::invalid_argument,
             "hyperparameter 'predictor_type' is required; allowed: 'binary_classifier', "
             "'multiclass_classifier', 'regressor'");
    c.predictor = pt == "binary_classifier" ? Predictor::binary
                  : pt == "multiclass_classifier" ? Predictor::multiclass : Predictor::regressor;
    if (c.predictor == Predictor::multiclass) {
        if (at("num_classes") == "auto")
            fail(ErrorCode::invalid_argument,
                 "hyperparameter 'num_classes' is required for predictor_type "
                 "'multiclass_classifier'; allowed: an integer in [3, 1000000]");
        c.num_classes = static_cast<int>(integer(at("num_classes"), 3));
    } else {
        c.num_classes = c.predictor == Predictor::binary ? 2 : 0;
    }
    c.loss = parse_loss(at("loss"), c.predictor);
    c.loss_params = {real(at("margin"), 1), real(at("loss_insensitivity"), 0.01),
                     real(at("quantile"), 0.5), real(at("huber_delta"), 1)};
    c.feature_dim = integer(at("feature_dim"), 0);
    c.epochs = static_cast<int>(integer(at("epochs"), 15));
    // auto: SageMaker's 1000 on data of 10,000 rows or more; on smaller data a tenth of
    // the rows, so that an epoch is ten optimizer steps rather than one (docs/hyperparameters.md).
    const int64_t rows = std::max<int64_t>(n_train, 1);
    const int64_t auto_batch = rows >= 10000 ? 1000 : std::max<int64_t>(1, (rows + 9) / 10);
    c.mini_batch_size = std::min<int64_t>(integer(at("mini_batch_size"), auto_batch), rows);
    c.use_bias = flag(at("use_bias"), true);
    c.normalize_data = flag(at("normalize_data"), true);
    const bool regression = c.predictor == Predictor::regressor;
    c.normalize_label = regression && flag(at("normalize_label"), true);
    c.unbias_data = flag(at("unbias_data"), c.use_bias);
    c.unbias_label = regression && flag(at("unbias_label"), c.use_bias);
    for (const char* key : {"unbias_data", "unbias_label"})
        if (at(key) == "true" && !c.use_bias)
            fail(ErrorCode::invalid_argument,
                 std::string("hyperparameters '") + key + "'=true and 'use_bias'=false contradict each other: "
                 "centring needs a bias to fold the means into");
    c.num_point_for_scaler = integer(at("num_point_for_scaler"), 10000);
    c.use_lr_scheduler = flag(at("use_lr_scheduler"), true);
    c.bias_lr_mult = real(at("bias_lr_mult"), 1);
    c.bias_wd_mult = real(at("bias_wd_mult"), 0);
    c.init_normal = at("init_method") == "normal";
    c.init_scale = real(at("init_scale"), 0.07);
    c.init_sigma = real(at("init_sigma"), 0.01);
    c.init_bias = real(at("init_bias"), 0);
    const std::string& crit = at("binary_classifier_model_selection_criteria");
    c.criterion = crit == "accuracy" ? Criterion::accuracy
                  : crit == "f_beta" || crit == "f1" ? Criterion::f_beta
                  : crit == "precision_at_target_recall" ? Criterion::precision_at_target_recall
                  : crit == "recall_at_target_precision" ? Criterion::recall_at_target_precision
                                                         : Criterion::loss_function;
    if (c.predictor != Predictor::binary) c.criterion = Criterion::loss_function;
    c.target_recall = real(at("target_recall"), 0.8);
    c.target_precision = real(at("target_precision"), 0.8);
    c.f_beta = crit == "f1" ? 1.0 : real(at("f_beta"), 1.0);
    c.num_calibration_samples = integer(at("num_calibration_samples"), 10000000);
    c.early_stopping_patience = static_cast<int>(integer(at("early_stopping_patience"), 3));
    c.early_stopping_tolerance = real(at("early_stopping_tolerance"), 0.001);
    c.balance_multiclass_weights = flag(at("balance_multiclass_weights"), false);
    c.accuracy_top_k = static_cast<int>(integer(at("accuracy_top_k"), 3));
    c.seed = static_cast<uint64_t>(integer(at("seed"), 0));
    c.num_threads = static_cast<int>(integer(at("num_threads"), 0));

    ModelSettings m0;
    const std::string& opt = at("optimizer");
    m0.optimizer = opt == "sgd" ? Optimizer::sgd : opt == "rmsprop" ? Optimizer::rmsprop : Optimizer::adam;
    m0.learning_rate = real(at("learning_rate"), default_learning_rate(m0.optimizer));
    m0.l1 = real(at("l1"), 0);
    // auto: 1/n, the L2 strength of scikit-learn's LogisticRegression(C=1) in per-example terms.
    const double auto_wd = 1.0 / static_cast<double>(rows);
    m0.wd = real(at("wd"), auto_wd);
    m0.momentum = real(at("momentum"), 0.9);
    m0.beta_1 = real(at("beta_1"), 0.9);
    m0.beta_2 = real(at("beta_2"), 0.999);
    m0.lr_scheduler_factor = real(at("lr_scheduler_factor"), 0.99);
    m0.lr_scheduler_minimum_lr = real(at("lr_scheduler_minimum_lr"), 1e-5);
    const int64_t batches = (std::max<int64_t>(n_train, 1) + c.mini_batch_size - 1) / c.mini_batch_size;
    m0.lr_scheduler_step = integer(at("lr_scheduler_step"), batches);
    const std::string& pw = at("positive_example_weight_mult");
    c.balance_positive_weight = pw == "balanced";
    m0.positive_example_weight_mult = (pw == "auto" || pw == "balanced") ? 1.0 : number(pw);
    c.models.assign(static_cast<size_t>(integer(at("num_models"), 32)), m0);
    spread(*this, c.models, c.seed, c.predictor == Predictor::binary, auto_wd);

    for (const auto& [key, text] : v)
        if (key[0] != '_') c.resolved.emplace_back(key, text);  // SageMaker's hidden keys are ignored
    auto put = [&](const char* key, const std::string& value) {
        for (auto& kv : c.resolved)
            if (kv.first == key) kv.second = value;
    };
    put("loss", to_string(c.loss));
    put("num_classes", std::to_string(c.num_classes));
    put("mini_batch_size", std::to_string(c.mini_batch_size));
    put("optimizer", to_string(m0.optimizer));
    put("learning_rate", num(m0.learning_rate));
    put("l1", num(m0.l1));
    put("wd", num(m0.wd));
    put("momentum", num(m0.momentum));
    put("beta_1", num(m0.beta_1));
    put("beta_2", num(m0.beta_2));
    put("bias_lr_mult", num(c.bias_lr_mult));
    put("bias_wd_mult", num(c.bias_wd_mult));
    put("lr_scheduler_factor", num(m0.lr_scheduler_factor));
    put("lr_scheduler_minimum_lr", num(m0.lr_scheduler_minimum_lr));
    put("lr_scheduler_step", std::to_string(m0.lr_scheduler_step));
    put("normalize_label", c.normalize_label ? "true" : "false");
    put("unbias_data", c.unbias_data ? "true" : "false");
    put("unbias_label", c.unbias_label ? "true" : "false");
    put("num_calibration_samples", std::to_string(c.num_calibration_samples));
    put("num_models", std::to_string(c.models.size()));
    put("binary_classifier_model_selection_criteria", to_string(c.criterion));
    put("num_threads", std::to_string(c.num_threads));
    put("f_beta", num(c.f_beta));
    put("normalize_data", c.normalize_data ? "true" : "false");
    put("positive_example_weight_mult", c.balance_positive_weight ? "balanced" : num(m0.positive_example_weight_mult));
    return c;
}

}  // namespace linlearn
