// Model selection (docs/hyperparameters.md, "Model selection and threshold
// calibration") against answers found another way: for every criterion, the selected
// (model, epoch) is recomputed from the per-model metrics of the epoch_end events by the
// documented rule, and the returned weights must reproduce that checkpoint's metrics;
// and constructed runs where the winner is known beforehand (the model that moved least
// on a validation set that contradicts the training set, at epoch 0; without validation
// data, the model that moved most, at the last epoch).
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "evaluation.hpp"
#include "hyperparams.hpp"
#include "model.hpp"
#include "trainer.hpp"

using namespace linlearn;

namespace {

// What the events of one run said.
struct Record {
    std::vector<std::vector<MetricList>> train, validation;  // [epoch][model]
    int selected_epoch = -1, selected_model = -1;
    MetricList selected_train, selected_validation;
    LinearModel model;
};

Record run(const Hyperparameters& hp, const Dataset& tr, const Dataset* validation) {
    Record r;
    TrainOptions opt;
    opt.on_event = [&](const Event& e) {
        if (e.kind == EventKind::epoch_end) {
            r.train.emplace_back();
            r.validation.emplace_back();
            for (const auto& s : e.metric_sets) {
                if (s.model == kBestModel) continue;
                auto& list = s.phase == Phase::train ? r.train.back() : r.validation.back();
                REQUIRE(static_cast<int>(list.size()) == s.model);  // models in order
                list.push_back(s.metrics);
            }
        }
        if (e.kind == EventKind::model_selected) {
            r.selected_epoch = e.epoch;
            r.selected_model = e.model;
            for (const auto& s : e.metric_sets)
                (s.phase == Phase::train ? r.selected_train : r.selected_validation) = s.metrics;
        }
        return true;
    };
    r.model = train(hp, tr, validation, nullptr, opt);
    return r;
}

struct Key {
    double criterion, loss;
    bool valid;
};

// The key of one (model, epoch), from its metrics on the selection data, as the
// documentation defines it.
Key key_of(const MetricList& m, const std::string& criterion, double target_recall, double target_precision) {
    const double loss = metric_value(m, "objective_loss");
    double c = loss;
    if (criterion == "accuracy") c = metric_value(m, "binary_classification_accuracy");
    if (criterion == "f_beta") c = metric_value(m, "binary_f_beta");
    if (criterion == "precision_at_target_recall")
        c = metric_value(m, "recall") >= target_recall ? metric_value(m, "precision") : 0.0;
    if (criterion == "recall_at_target_precision")
        c = metric_value(m, "precision") >= target_precision ? metric_value(m, "recall") : 0.0;
    return {c, loss, std::isfinite(c) && std::isfinite(loss)};
}

bool better(const Key& a, const Key& b, bool minimise) {
    if (!a.valid) return false;
    if (!b.valid) return true;
    if (a.criterion != b.criterion) return minimise ? a.criterion < b.criterion : a.criterion > b.criterion;
    return a.loss < b.loss;
}

// The documented rule: the best key of each epoch (lowest model index among equals)
// replaces the checkpoint when strictly better.
std::pair<int, int> winner(const std::vector<std::vector<MetricList>>& sets, const std::string& criterion,
                           double target_recall, double target_precision) {
    const bool minimise = criterion == "loss_function";
    Key best{0, 0, false};
    std::pair<int, int> at{-1, -1};
    for (size_t e = 0; e < sets.size(); ++e)
        for (size_t m = 0; m < sets[e].size(); ++m) {
            const Key k = key_of(sets[e][m], criterion, target_recall, target_precision);
            if (better(k, best, minimise)) best = k, at = {static_cast<int>(e), static_cast<int>(m)};
        }
    return at;
}

// Overlapping classes, so that models and epochs differ in every criterion.
Dataset binary_data(int64_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g(0.0, 1.0);
    const int64_t d = 5;
    std::vector<float> x(static_cast<size_t>(n * d)), y(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        double t = -0.6;  // about a third positive
        for (int64_t j = 0; j < d; ++j) t += (x[i * d + j] = static_cast<float>(g(rng) * (j + 1))) * 0.4 / (j + 1);
        y[i] = t + 1.2 * g(rng) > 0 ? 1.f : 0.f;
    }
    return Dataset::dense(std::move(x), n, d, std::move(y));
}

Dataset multiclass_data(int64_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g(0.0, 1.0);
    const int64_t d = 4;
    std::vector<float> x(static_cast<size_t>(n * d)), y(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        const int k = static_cast<int>(i % 3);
        for (int64_t j = 0; j < d; ++j) x[i * d + j] = static_cast<float>(g(rng) + (j == k ? 1.0 : 0.0));
        y[i] = static_cast<float>(k);
    }
    return Dataset::dense(std::move(x), n, d, std::move(y));
}

Dataset regression_data(int64_t n, uint64_t seed, double slope) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g(0.0, 1.0);
    std::vector<float> x(static_cast<size_t>(n * 2)), y(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        x[i * 2] = static_cast<float>(g(rng));
        x[i * 2 + 1] = static_cast<float>(3 * g(rng) + 1);
        y[i] = static_cast<float>(slope * x[i * 2] - 0.5 * x[i * 2 + 1] + 2 + 0.7 * g(rng));
    }
    return Dataset::dense(std::move(x), n, 2, std::move(y));
}

Hyperparameters base(const char* predictor, int models, int epochs) {
    Hyperparameters hp;
    hp.set("predictor_type", predictor);
    hp.set("num_models", std::to_string(models));
    hp.set("epochs", std::to_string(epochs));
    hp.set("early_stopping_patience", std::to_string(epochs + 1));
    hp.set("num_threads", "1");
    hp.set("seed", "3");
    return hp;
}

// The selected checkpoint is the rule's winner, and the returned weights reproduce its
// metrics on the selection data (and on validation data when there is some).
void check_selection(const Record& r, const std::string& criterion, double target_recall, double target_precision,
                     const Dataset& selection_data, bool on_validation) {
    const auto& sets = on_validation ? r.validation : r.train;
    REQUIRE(!sets.empty());
    const auto want = winner(sets, criterion, target_recall, target_precision);
    CHECK(r.selected_epoch == want.first);
    CHECK(r.selected_model == want.second);
    CHECK(r.model.best_epoch == want.first);
    CHECK(r.model.best_model == want.second);
    REQUIRE(want.first >= 0);
    const MetricList& chosen = sets[static_cast<size_t>(want.first)][static_cast<size_t>(want.second)];
    // model_selected reports that checkpoint's values, and the returned weights give them again.
    const MetricList& reported = on_validation ? r.selected_validation : r.selected_train;
    const MetricList again = r.model.evaluate(selection_data);
    for (const auto& nv : chosen) {
        CAPTURE(nv.name);
        if (!std::isfinite(nv.value)) continue;
        CHECK(metric_value(reported, nv.name) == nv.value);
        CHECK(metric_value(again, nv.name) == doctest::Approx(nv.value).epsilon(1e-6));
    }
    // The criterion's best is over all (model, epoch) pairs: no event shows a better key.
    const Key top = key_of(chosen, criterion, target_recall, target_precision);
    for (const auto& epoch : sets)
        for (const auto& m : epoch) CHECK_FALSE(better(key_of(m, criterion, target_recall, target_precision), top,
                                                       criterion == "loss_function"));
}

}  // namespace

TEST_CASE("parity selection: each binary criterion selects the (model, epoch) the rule picks") {
    const Dataset tr = binary_data(500, 11), validation = binary_data(240, 12);
    struct Case {
        const char* criterion;
        const char* key;
        const char* value;
        double target_recall, target_precision;
    };
    const Case cases[] = {
        {"accuracy", "", "", 0.8, 0.8},
        {"f_beta", "f_beta", "1", 0.8, 0.8},
        {"f_beta", "f_beta", "0.4", 0.8, 0.8},
        {"f_beta", "f_beta", "3", 0.8, 0.8},
        {"f1", "", "", 0.8, 0.8},
        {"precision_at_target_recall", "target_recall", "0.7", 0.7, 0.8},
        {"precision_at_target_recall", "target_recall", "0.95", 0.95, 0.8},
        {"recall_at_target_precision", "target_precision", "0.6", 0.8, 0.6},
        {"recall_at_target_precision", "target_precision", "0.75", 0.8, 0.75},
        {"loss_function", "", "", 0.8, 0.8},
        {"cross_entropy_loss", "", "", 0.8, 0.8},
    };
    for (const Case& c : cases) {
        for (const char* loss : {"logistic", "hinge_loss"}) {
            CAPTURE(c.criterion);
            CAPTURE(c.value);
            CAPTURE(loss);
            Hyperparameters hp = base("binary_classifier", 6, 5);
            hp.set("binary_classifier_model_selection_criteria", c.criterion);
            hp.set("loss", loss);
            if (*c.key) hp.set(c.key, c.value);
            const std::string canonical = std::string(c.criterion) == "f1"                   ? "f_beta"
                                          : std::string(c.criterion) == "cross_entropy_loss" ? "loss_function"
                                                                                             : c.criterion;
            const Record with_val = run(hp, tr, &validation);
            check_selection(with_val, canonical, c.target_recall, c.target_precision, validation, true);
            // Without validation data, the training data selects.
            const Record without = run(hp, tr, nullptr);
            check_selection(without, canonical, c.target_recall, c.target_precision, tr, false);
        }
    }
}

TEST_CASE("parity selection: regressors and multiclass classifiers select by the objective loss") {
    const Dataset tr = regression_data(400, 1, 1.5), validation = regression_data(150, 2, 1.5);
    for (const char* loss : {"squared_loss", "absolute_loss", "huber_loss", "quantile_loss"}) {
        CAPTURE(loss);
        Hyperparameters hp = base("regressor", 5, 5);
        hp.set("loss", loss);
        // The binary criterion is ignored for regression: loss it is, lower is better.
        hp.set("binary_classifier_model_selection_criteria", "accuracy");
        check_selection(run(hp, tr, &validation), "loss_function", 0, 0, validation, true);
        check_selection(run(hp, tr, nullptr), "loss_function", 0, 0, tr, false);
    }
    const Dataset mtr = multiclass_data(450, 3), mval = multiclass_data(150, 4);
    Hyperparameters hp = base("multiclass_classifier", 5, 5);
    hp.set("num_classes", "3");
    hp.set("binary_classifier_model_selection_criteria", "f_beta");  // ignored
    check_selection(run(hp, mtr, &mval), "loss_function", 0, 0, mval, true);
    check_selection(run(hp, mtr, nullptr), "loss_function", 0, 0, mtr, false);
}

namespace {

// Full-batch sgd without momentum, weight decay or scheduler, from the same initial
// weights: the models differ only in their learning rate, and each epoch moves every
// model along the same path towards the training optimum, further for a larger rate.
Hyperparameters known_winner_hp(const char* predictor, int64_t n) {
    Hyperparameters hp = base(predictor, 6, 6);
    hp.set("optimizer", "sgd");
    hp.set("momentum", "0");
    hp.set("learning_rate", "0.02");  // the spread: 0.002 .. 0.2, all stable
    hp.set("wd", "0");
    hp.set("l1", "0");
    hp.set("use_lr_scheduler", "false");
    hp.set("mini_batch_size", std::to_string(n));
    hp.set("init_method", "normal");
    hp.set("init_sigma", "0.0001");
    hp.set("binary_classifier_model_selection_criteria", "loss_function");
    return hp;
}

int argmin_lr(const TrainConfig& c, bool smallest) {
    int at = 0;
    for (int m = 1; m < c.num_models(); ++m) {
        const double lr = c.models[static_cast<size_t>(m)].learning_rate;
        const double best = c.models[static_cast<size_t>(at)].learning_rate;
        if (smallest ? lr < best : lr > best) at = m;
    }
    return at;
}

// Flips the labels: 0 <-> 1 for binary, y -> -y for regression, k -> (k + 1) mod 3.
Dataset contradicting(const Dataset& d, const char* predictor) {
    std::vector<float> x(d.dense().data, d.dense().data + d.rows() * d.cols()), y(d.labels(), d.labels() + d.rows());
    for (float& v : y) {
        if (std::string(predictor) == "binary_classifier") v = 1 - v;
        else if (std::string(predictor) == "regressor") v = -v;
        else v = static_cast<float>((static_cast<int>(v) + 1) % 3);
    }
    return Dataset::dense(std::move(x), d.rows(), d.cols(), std::move(y));
}

}  // namespace

TEST_CASE("parity selection: constructed runs with a known winner") {
    struct Data {
        const char* predictor;
        Dataset data;
    };
    const Data all[] = {{"regressor", regression_data(300, 5, 2.0)},
                        {"binary_classifier", binary_data(300, 6)},
                        {"multiclass_classifier", multiclass_data(300, 7)}};
    for (const Data& d : all) {
        CAPTURE(d.predictor);
        Hyperparameters hp = known_winner_hp(d.predictor, d.data.rows());
        if (std::string(d.predictor) == "multiclass_classifier") hp.set("num_classes", "3");
        const TrainConfig c = hp.resolve(d.data.rows());
        for (int m = 0; m < c.num_models(); ++m) {  // only the learning rate differs
            CHECK(c.models[static_cast<size_t>(m)].optimizer == Optimizer::sgd);
            CHECK(c.models[static_cast<size_t>(m)].wd == 0);
            CHECK(c.models[static_cast<size_t>(m)].l1 == 0);
        }
        // Validation data whose labels contradict the training data: every step makes
        // every model worse on it, so the best is the model that moved least, at epoch 0.
        const Dataset flipped = contradicting(d.data, d.predictor);
        const Record r = run(hp, d.data, &flipped);
        CHECK(r.selected_epoch == 0);
        CHECK(r.selected_model == argmin_lr(c, true));
        CHECK(r.model.best_epoch == 0);
        // The final model is that checkpoint, not the last epoch: its validation loss is
        // epoch 0's, lower than at the last epoch.
        const double final_loss = metric_value(r.model.evaluate(flipped), "objective_loss");
        CHECK(final_loss == doctest::Approx(metric_value(r.validation[0][static_cast<size_t>(r.selected_model)],
                                                         "objective_loss"))
                                .epsilon(1e-6));
        CHECK(final_loss < metric_value(r.validation.back()[static_cast<size_t>(r.selected_model)], "objective_loss"));
        // Without validation data the training data selects: the model that moved most
        // towards the training optimum, at the last epoch.
        const Record t = run(hp, d.data, nullptr);
        CHECK(t.selected_epoch == static_cast<int>(t.train.size()) - 1);
        CHECK(t.selected_model == argmin_lr(c, false));
    }
}
