// The trainer against answers computed another way: least squares in closed form,
// determinism, selection, early stopping and cancellation.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <random>

#include "error.hpp"
#include "evaluation.hpp"
#include "model.hpp"
#include "trainer.hpp"

using namespace linlearn;

namespace {

// y = X·w + b + noise, X with features on different scales (normalisation matters).
Dataset regression_data(int64_t n, int64_t d, uint64_t seed, Eigen::VectorXd& w, double& b) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g(0.0, 1.0);
    w = Eigen::VectorXd(d);
    for (int64_t j = 0; j < d; ++j) w[j] = g(rng);
    b = 3.0;
    std::vector<float> x(static_cast<size_t>(n * d)), y(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        double t = b;
        for (int64_t j = 0; j < d; ++j) {
            const double v = (j + 1) * g(rng) + j;  // scale j+1, mean j
            x[i * d + j] = static_cast<float>(v);
            t += w[j] * v;
        }
        y[i] = static_cast<float>(t + 0.1 * g(rng));
    }
    return Dataset::dense(std::move(x), n, d, std::move(y));
}

Dataset binary_data(int64_t n, int64_t d, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g(0.0, 1.0);
    std::vector<float> x(static_cast<size_t>(n * d)), y(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        double t = 0;
        for (int64_t j = 0; j < d; ++j) t += (x[i * d + j] = static_cast<float>(g(rng))) * (j % 2 ? 1.0 : -0.5);
        y[i] = t + 0.5 * g(rng) > 0 ? 1.f : 0.f;
    }
    return Dataset::dense(std::move(x), n, d, std::move(y));
}

std::string exact(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

// The least-squares solution with an intercept, by QR.
Eigen::VectorXd ols(const Dataset& data) {
    const int64_t n = data.rows(), d = data.cols();
    Eigen::MatrixXd A(n, d + 1);
    Eigen::VectorXd y(n);
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < d; ++j) A(i, j) = data.dense().row(i)[j];
        A(i, d) = 1.0;
        y[i] = data.labels()[i];
    }
    return A.colPivHouseholderQr().solve(y);
}

Hyperparameters regressor_hp() {
    Hyperparameters hp;
    hp.set("predictor_type", "regressor");
    hp.set("num_models", "1");
    hp.set("wd", "0");
    hp.set("l1", "0");
    hp.set("epochs", "60");
    hp.set("mini_batch_size", "50");
    hp.set("learning_rate", "0.05");
    hp.set("lr_scheduler_factor", "0.9");
    hp.set("early_stopping_patience", "100");
    hp.set("num_threads", "1");
    return hp;
}

}  // namespace

TEST_CASE("trainer: squared loss converges to the closed-form least-squares solution") {
    Eigen::VectorXd w_true;
    double b_true;
    const Dataset data = regression_data(1000, 5, 7, w_true, b_true);
    const Eigen::VectorXd exact = ols(data);
    const LinearModel m = train(regressor_hp(), data, nullptr, nullptr, {});
    REQUIRE(m.num_features() == 5);
    for (int j = 0; j < 5; ++j) CHECK(m.W(j, 0) == doctest::Approx(exact[j]).epsilon(0.01));
    CHECK(m.b[0] == doctest::Approx(exact[5]).epsilon(0.02));
}

TEST_CASE("trainer: the same seed and thread count give a bit-identical model") {
    const Dataset data = binary_data(600, 8, 3);
    Hyperparameters hp;
    hp.set("predictor_type", "binary_classifier");
    hp.set("num_models", "4");
    hp.set("epochs", "3");
    hp.set("seed", "11");
    hp.set("num_threads", "2");
    const LinearModel a = train(hp, data, nullptr, nullptr, {});
    const LinearModel b = train(hp, data, nullptr, nullptr, {});
    CHECK(a.W == b.W);
    CHECK(a.b == b.b);
    CHECK(a.threshold == b.threshold);
    hp.set("seed", "12");
    const LinearModel c = train(hp, data, nullptr, nullptr, {});
    CHECK(a.W != c.W);
}

TEST_CASE("trainer: the selected model is never worse on validation than model 0") {
    const Dataset tr = binary_data(800, 6, 5), validation = binary_data(300, 6, 6);
    Hyperparameters hp;
    hp.set("predictor_type", "binary_classifier");
    hp.set("num_models", "8");
    hp.set("epochs", "4");
    double model0_best = 0, selected = -1;
    TrainOptions opt;
    opt.on_event = [&](const Event& e) {
        for (const auto& s : e.metric_sets) {
            const double acc = metric_value(s.metrics, "binary_classification_accuracy");
            if (e.kind == EventKind::epoch_end && s.phase == Phase::validation && s.model == 0)
                model0_best = std::max(model0_best, acc);
            if (e.kind == EventKind::model_selected && s.phase == Phase::validation) selected = acc;
        }
        return true;
    };
    train(hp, tr, &validation, nullptr, opt);
    CHECK(selected >= model0_best);
}

TEST_CASE("trainer: events arrive in order and end with run_end") {
    const Dataset data = binary_data(300, 4, 9);
    Hyperparameters hp;
    hp.set("predictor_type", "binary_classifier");
    hp.set("epochs", "3");
    hp.set("num_models", "2");
    hp.set("early_stopping_patience", "10");
    std::vector<EventKind> kinds;
    TrainOptions opt;
    opt.run_id = "r1";
    opt.on_event = [&](const Event& e) {
        CHECK(e.run_id == "r1");
        kinds.push_back(e.kind);
        if (e.kind == EventKind::epoch_end) CHECK(e.metric_sets.size() == 3);  // 2 models + best, train only
        return true;
    };
    train(hp, data, nullptr, nullptr, opt);
    const std::vector<EventKind> want{EventKind::run_start, EventKind::epoch_end, EventKind::epoch_end,
                                      EventKind::epoch_end, EventKind::model_selected, EventKind::run_end};
    CHECK(kinds == want);
}

TEST_CASE("trainer: a handler that asks to stop ends the run as cancelled with the best so far") {
    const Dataset data = binary_data(300, 4, 9);
    Hyperparameters hp;
    hp.set("predictor_type", "binary_classifier");
    hp.set("epochs", "10");
    RunStatus end_status = RunStatus::running;
    int epochs_seen = 0;
    TrainOptions opt;
    opt.on_event = [&](const Event& e) {
        if (e.kind == EventKind::run_end) end_status = e.status;
        return !(e.kind == EventKind::epoch_end && ++epochs_seen == 2);
    };
    const LinearModel m = train(hp, data, nullptr, nullptr, opt);
    CHECK(end_status == RunStatus::cancelled);
    CHECK(m.status == RunStatus::cancelled);
    CHECK(m.best_epoch <= 1);

    std::atomic<bool> cancel{true};
    TrainOptions early;
    early.cancel = &cancel;
    CHECK_THROWS_AS(train(hp, data, nullptr, nullptr, early), Error);
}

TEST_CASE("trainer: early stopping fires after patience epochs without improvement") {
    // A problem learnt in the first epoch: later epochs cannot improve validation accuracy.
    const Dataset tr = binary_data(2000, 2, 1), validation = binary_data(500, 2, 2);
    Hyperparameters hp;
    hp.set("predictor_type", "binary_classifier");
    hp.set("num_models", "1");
    hp.set("epochs", "40");
    hp.set("early_stopping_patience", "2");
    hp.set("early_stopping_tolerance", "0.5");  // nothing short of a 50% gain counts
    int last_epoch = -1, stop_epoch = -1;
    TrainOptions opt;
    opt.on_event = [&](const Event& e) {
        if (e.kind == EventKind::epoch_end) last_epoch = e.epoch;
        if (e.kind == EventKind::early_stop) stop_epoch = e.epoch;
        return true;
    };
    const LinearModel m = train(hp, tr, &validation, nullptr, opt);
    // Epoch 0 sets the reference; epochs 1 and 2 do not improve by 50%: stop after epoch 2.
    CHECK(stop_epoch == 2);
    CHECK(last_epoch == 2);
    CHECK(m.status == RunStatus::early_stopped);
}

TEST_CASE("trainer: bad data is refused with the row and the value") {
    Hyperparameters hp;
    hp.set("predictor_type", "binary_classifier");
    const Dataset bad = Dataset::dense({1, 2, 3, 4}, 2, 2, {0, 2});
    CHECK_THROWS_WITH_AS(train(hp, bad, nullptr, nullptr, {}), doctest::Contains("row 2: label 2"), Error);
    const Dataset nan = Dataset::dense({1, std::nanf(""), 3, 4}, 2, 2, {0, 1});
    CHECK_THROWS_WITH_AS(train(hp, nan, nullptr, nullptr, {}), doctest::Contains("feature 2 is nan"), Error);
    const Dataset good = Dataset::dense({1, 2, 3, 4}, 2, 2, {0, 1});
    const Dataset narrow = Dataset::dense({1, 2}, 2, 1, {0, 1});
    CHECK_THROWS_WITH_AS(train(hp, good, &narrow, nullptr, {}), doctest::Contains("validation data has 1 features"),
                         Error);
    const Dataset empty = Dataset::dense({}, 0, 2, {});
    CHECK_THROWS_WITH_AS(train(hp, empty, nullptr, nullptr, {}), doctest::Contains("empty"), Error);
}

TEST_CASE("trainer: a model trained among others follows the same path as trained alone") {
    const Dataset tr = binary_data(500, 6, 21), validation = binary_data(200, 6, 22);
    Hyperparameters group;
    group.set("predictor_type", "binary_classifier");
    group.set("num_models", "4");
    group.set("epochs", "4");
    group.set("early_stopping_patience", "100");
    group.set("seed", "5");
    group.set("num_threads", "1");
    const TrainConfig resolved = group.resolve(tr.rows());
    // Per-epoch validation loss of each model, from the events.
    auto losses = [&](const Hyperparameters& hp, int model) {
        std::vector<double> out;
        TrainOptions opt;
        opt.on_event = [&](const Event& e) {
            for (const auto& s : e.metric_sets)
                if (e.kind == EventKind::epoch_end && s.phase == Phase::validation && s.model == model)
                    out.push_back(metric_value(s.metrics, "objective_loss"));
            return true;
        };
        train(hp, tr, &validation, nullptr, opt);
        return out;
    };
    for (int m = 1; m < 4; ++m) {
        const ModelSettings& s = resolved.models[static_cast<size_t>(m)];
        Hyperparameters alone = group;
        alone.set("num_models", "1");
        alone.set("optimizer", to_string(s.optimizer));
        alone.set("learning_rate", exact(s.learning_rate));
        alone.set("wd", exact(s.wd));
        alone.set("l1", exact(s.l1));
        alone.set("lr_scheduler_factor", exact(s.lr_scheduler_factor));
        alone.set("lr_scheduler_minimum_lr", exact(s.lr_scheduler_minimum_lr));
        alone.set("lr_scheduler_step", std::to_string(s.lr_scheduler_step));
        alone.set("positive_example_weight_mult", exact(s.positive_example_weight_mult));
        const auto together = losses(group, m), solo = losses(alone, 0);
        REQUIRE(together.size() == 4);
        REQUIRE(solo.size() == 4);
        for (size_t e = 0; e < 4; ++e) {
            CAPTURE(m);
            CAPTURE(e);
            // Equal up to rounding: the matrix products see a different number of columns.
            CHECK(together[e] == doctest::Approx(solo[e]).epsilon(1e-5));
        }
    }
}

TEST_CASE("trainer: incremental training resumes from a saved model") {
    Eigen::VectorXd w_true;
    double b_true;
    const Dataset data = regression_data(1000, 5, 9, w_true, b_true);
    Hyperparameters hp = regressor_hp();
    hp.set("epochs", "3");
    auto first_loss = [&](const LinearModel* start, LinearModel& out) {
        double loss = -1;
        TrainOptions opt;
        opt.initial_model = start;
        opt.on_event = [&](const Event& e) {
            if (e.kind == EventKind::epoch_end && loss < 0)
                for (const auto& s : e.metric_sets)
                    if (s.model == 0) loss = metric_value(s.metrics, "objective_loss");
            return true;
        };
        out = train(hp, data, nullptr, nullptr, opt);
        return loss;
    };
    LinearModel first, resumed, fresh;
    const double fresh_loss = first_loss(nullptr, fresh);
    first_loss(nullptr, first);
    // The file keeps what resuming needs: scaler and optimizer state.
    first = deserialize_model(serialize_model(first), "mem");
    REQUIRE(first.has_state);
    CHECK(first.state.steps > 0);
    const double resumed_loss = first_loss(&first, resumed);
    const double first_final = metric_value(first.evaluate(data), "objective_loss");
    // The first epoch of the resumed run starts where the first run ended, not from scratch.
    CHECK(resumed_loss < fresh_loss / 10);
    CHECK(resumed_loss <= first_final * 1.05);

    Hyperparameters clf;
    clf.set("predictor_type", "binary_classifier");
    const Dataset labels01 = binary_data(100, 5, 1);
    TrainOptions bad;
    bad.initial_model = &first;  // a regressor's model for a classifier
    CHECK_THROWS_WITH_AS(train(clf, labels01, nullptr, nullptr, bad), doctest::Contains("does not fit"), Error);
}

TEST_CASE("trainer: a run whose every epoch diverges fails; it never returns an empty model") {
    Hyperparameters hp;
    hp.set("predictor_type", "binary_classifier");
    hp.set("num_models", "1");
    hp.set("epochs", "4");  // more than the default patience of 3
    hp.set("optimizer", "sgd");
    hp.set("learning_rate", "1e37");
    hp.set("use_lr_scheduler", "false");
    hp.set("num_threads", "1");
    const Dataset data = binary_data(200, 3, 11);
    CHECK_THROWS_WITH_AS(train(hp, data, nullptr, nullptr, {}), doctest::Contains("diverged"), Error);
}
