// Class weights (positive_example_weight_mult, balance_multiclass_weights) through
// their effect on what is learnt, against answers found another way:
//  - `balanced` = negatives / positives counted by hand: the trainer's optimum equals
//    the optimum of the weighted logistic problem solved here by Newton's method, and
//    equals the optimum of the unweighted problem with each positive row repeated;
//  - balance_multiclass_weights = n / (K·n_k) counted by hand: gradient descent on the
//    weighted data follows exactly the path of plain gradient descent on the data with
//    rows repeated so that every class has the same count.
// Every run is full-batch gradient descent (sgd, no momentum, no scheduler) on raw
// features (normalize_data=false, unbias_data=false), whose objective is exactly
// docs/hyperparameters.md's (1/n) Σ ωᵢ·L(zᵢ, yᵢ) + (wd/2)‖w‖².
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "hyperparams.hpp"
#include "losses.hpp"
#include "model.hpp"
#include "trainer.hpp"

using namespace linlearn;

namespace {

struct Rows {
    std::vector<float> x, y, w;  // x row-major, d columns; w empty = unit weights
    int64_t d = 2;
    int64_t n() const { return static_cast<int64_t>(y.size()); }
    Dataset dataset() const { return Dataset::dense(x, n(), d, y, w); }
    void add(const float* xi, float yi, float wi) {
        x.insert(x.end(), xi, xi + d);
        y.push_back(yi);
        if (wi != 1.f || !w.empty()) {
            if (w.empty()) w.assign(y.size() - 1, 1.f);
            w.push_back(wi);
        }
    }
};

// `pos` positives among `n` rows, two overlapping Gaussian clouds.
Rows binary_rows(int n, int pos, uint64_t seed, bool example_weights) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g(0.0, 1.0);
    Rows r;
    for (int i = 0; i < n; ++i) {
        const bool positive = i % (n / pos) == 0 && i / (n / pos) < pos;
        const float xi[2] = {static_cast<float>(g(rng) + (positive ? 1.0 : 0.0)),
                             static_cast<float>(0.5 * g(rng) - (positive ? 0.4 : 0.0))};
        r.add(xi, positive ? 1.f : 0.f, example_weights ? static_cast<float>(1 + i % 2) : 1.f);
    }
    return r;
}

// The minimiser of (1/n) Σ ωᵢ log(1 + exp(−sᵢ(w·xᵢ + b))) + (wd/2)‖w‖² by Newton's method;
// ωᵢ = example weight × (positive ? pos_mult : 1). Returns (w, b).
Eigen::VectorXd newton_logistic(const Rows& r, double pos_mult, double wd) {
    const int64_t n = r.n(), d = r.d;
    Eigen::VectorXd theta = Eigen::VectorXd::Zero(d + 1);
    for (int it = 0; it < 50; ++it) {
        Eigen::VectorXd grad = Eigen::VectorXd::Zero(d + 1);
        Eigen::MatrixXd hess = Eigen::MatrixXd::Zero(d + 1, d + 1);
        for (int64_t i = 0; i < n; ++i) {
            Eigen::VectorXd xi(d + 1);
            for (int64_t j = 0; j < d; ++j) xi[j] = r.x[static_cast<size_t>(i * d + j)];
            xi[d] = 1.0;
            const double omega = (r.w.empty() ? 1.0 : r.w[static_cast<size_t>(i)]) * (r.y[i] > 0.5f ? pos_mult : 1.0);
            const double p = 1.0 / (1.0 + std::exp(-theta.dot(xi)));
            grad += omega * (p - r.y[static_cast<size_t>(i)]) * xi / double(n);
            hess += omega * p * (1 - p) * xi * xi.transpose() / double(n);
        }
        for (int64_t j = 0; j < d; ++j) grad[j] += wd * theta[j], hess(j, j) += wd;
        theta -= hess.ldlt().solve(grad);
        if (grad.norm() < 1e-14) break;
    }
    return theta;
}

Hyperparameters gd(const char* predictor, int64_t n, int epochs, const char* lr) {
    Hyperparameters hp;
    hp.set("predictor_type", predictor);
    hp.set("num_models", "1");
    hp.set("optimizer", "sgd");
    hp.set("momentum", "0");
    hp.set("learning_rate", lr);
    hp.set("use_lr_scheduler", "false");
    hp.set("mini_batch_size", std::to_string(n));
    hp.set("epochs", std::to_string(epochs));
    hp.set("early_stopping_patience", std::to_string(epochs + 1));
    hp.set("normalize_data", "false");
    hp.set("unbias_data", "false");
    hp.set("l1", "0");
    hp.set("num_threads", "1");
    hp.set("binary_classifier_model_selection_criteria", "loss_function");
    return hp;
}

// Selection keeps the checkpoint with the lowest validation loss: validation rows
// weighted like the training objective (ω) make that loss the objective itself (wd = 0),
// which gradient descent lowers every epoch, so the last epochs are kept.
Dataset weighted_like_objective(const Rows& r, double pos_mult) {
    std::vector<float> w(static_cast<size_t>(r.n()));
    for (int64_t i = 0; i < r.n(); ++i)
        w[static_cast<size_t>(i)] = static_cast<float>((r.w.empty() ? 1.0 : r.w[static_cast<size_t>(i)]) *
                                                       (r.y[static_cast<size_t>(i)] > 0.5f ? pos_mult : 1.0));
    return Dataset::dense(r.x, r.n(), r.d, r.y, std::move(w));
}

void check_near(const LinearModel& m, const Eigen::VectorXd& theta, double tol) {
    REQUIRE(m.num_features() == theta.size() - 1);
    for (Eigen::Index j = 0; j + 1 < theta.size(); ++j) {
        CAPTURE(j);
        CHECK(std::fabs(m.W(j, 0) - theta[j]) < tol);
    }
    CHECK(std::fabs(m.b[0] - theta[theta.size() - 1]) < tol);
}

}  // namespace

TEST_CASE("parity weights: positive_example_weight_mult=balanced is negatives/positives, counted by hand") {
    for (const bool example_weights : {false, true}) {
        CAPTURE(example_weights);
        // 48 rows, 11 of them positive: balanced = 37 / 11 (rows, not example weights).
        const Rows r = binary_rows(48, 11, 5, example_weights);
        int positives = 0;
        for (float v : r.y) positives += v == 1.f;
        REQUIRE(positives == 11);
        const double balanced = 37.0 / 11.0;
        const Eigen::VectorXd want = newton_logistic(r, balanced, 0.0);
        // Sensitivity: the unweighted optimum is far from the weighted one.
        CHECK((newton_logistic(r, 1.0, 0.0) - want).cwiseAbs().maxCoeff() > 0.2);

        const Dataset data = r.dataset();
        const Dataset validation = weighted_like_objective(r, balanced);
        Hyperparameters hp = gd("binary_classifier", r.n(), 2000, "1");
        hp.set("wd", "0");
        hp.set("positive_example_weight_mult", "balanced");
        check_near(train(hp, data, &validation, nullptr, {}), want, 1e-4);
        // The same multiplier given as a number.
        hp.set("positive_example_weight_mult", "3.3636363636363638");
        check_near(train(hp, data, &validation, nullptr, {}), want, 1e-4);
        // auto: model 0 uses 1, the unweighted optimum.
        hp.set("positive_example_weight_mult", "auto");
        const Dataset plain = weighted_like_objective(r, 1.0);
        check_near(train(hp, data, &plain, nullptr, {}), newton_logistic(r, 1.0, 0.0), 1e-4);
    }
}

TEST_CASE("parity weights: balanced positives equal repeated positive rows, with weight decay") {
    // 30 negatives, 10 positives: balanced = 3, the same problem as each positive row
    // three times (60 rows). (1/40) Σ ω L + (wd/2)‖w‖² = (60/40)·[(1/60) Σ' L + (wd·40/60/2)‖w‖²],
    // so the repeated data with wd' = wd·40/60 has the same minimiser.
    const Rows r = binary_rows(40, 10, 8, false);
    Rows repeated;
    for (int64_t i = 0; i < r.n(); ++i)
        for (int k = 0; k < (r.y[static_cast<size_t>(i)] > 0.5f ? 3 : 1); ++k)
            repeated.add(&r.x[static_cast<size_t>(i * r.d)], r.y[static_cast<size_t>(i)], 1.f);
    REQUIRE(repeated.n() == 60);
    const double wd = 0.03;
    const Eigen::VectorXd want = newton_logistic(r, 3.0, wd);
    CHECK((newton_logistic(repeated, 1.0, wd * 40 / 60) - want).cwiseAbs().maxCoeff() < 1e-9);  // the algebra

    // Sensitivity: a wrong multiplier (1 instead of 3) moves the optimum by far more
    // than the tolerance below.
    CHECK((newton_logistic(r, 1.0, wd) - want).cwiseAbs().maxCoeff() > 0.1);
    Hyperparameters hp = gd("binary_classifier", r.n(), 2000, "1");
    hp.set("wd", "0.03");
    hp.set("positive_example_weight_mult", "balanced");
    const Dataset val = weighted_like_objective(r, 3.0);
    const LinearModel a = train(hp, r.dataset(), &val, nullptr, {});
    Hyperparameters hp2 = gd("binary_classifier", repeated.n(), 2000, "1");
    hp2.set("wd", "0.02");
    hp2.set("positive_example_weight_mult", "1");
    const Dataset val2 = repeated.dataset();
    const LinearModel b = train(hp2, val2, &val2, nullptr, {});
    check_near(a, want, 1e-4);
    check_near(b, want, 1e-4);
}

namespace {

// Three classes with 6, 3 and 2 rows (n = 11): balanced weights 11/18, 11/9, 11/6, in the
// ratio 1 : 2 : 3. Repeating class 1's rows twice and class 2's three times gives 6, 6, 6.
void multiclass_rows(Rows& r, Rows& repeated) {
    std::mt19937_64 rng(17);
    std::normal_distribution<double> g(0.0, 1.0);
    r.d = repeated.d = 3;
    const int count[3] = {6, 3, 2};
    for (int k = 0; k < 3; ++k)
        for (int i = 0; i < count[k]; ++i) {
            float xi[3];
            for (int j = 0; j < 3; ++j) xi[j] = static_cast<float>(g(rng) + (j == k ? 0.8 : 0.0));
            r.add(xi, static_cast<float>(k), 1.f);
            for (int c = 0; c < k + 1; ++c) repeated.add(xi, static_cast<float>(k), 1.f);
        }
}

// After the same number of full-batch steps from the same initial weights, two runs
// whose gradients are equal have equal weights (up to rounding).
Hyperparameters multiclass_gd(int64_t n, bool balance, const char* wd) {
    Hyperparameters hp = gd("multiclass_classifier", n, 40, "0.5");
    hp.set("num_classes", "3");
    hp.set("wd", wd);
    hp.set("balance_multiclass_weights", balance ? "true" : "false");
    return hp;
}

double max_diff(const LinearModel& a, const LinearModel& b) {
    return std::max((a.W - b.W).cwiseAbs().maxCoeff(), (a.b - b.b).cwiseAbs().maxCoeff());
}

}  // namespace

TEST_CASE("parity weights: balance_multiclass_weights is n/(K·n_k), counted by hand") {
    Rows r, repeated;
    multiclass_rows(r, repeated);
    REQUIRE(r.n() == 11);
    REQUIRE(repeated.n() == 18);
    const Dataset data = r.dataset(), rep = repeated.dataset();
    for (const char* wd : {"0", "0.05"}) {
        CAPTURE(wd);
        // The weighted gradient (1/11) Σ ωᵢ gᵢ with ω = 11/18, 11/9, 11/6 is
        // (1/18)(Σ₀ g + 2 Σ₁ g + 3 Σ₂ g): the plain gradient on the repeated rows. Both
        // runs select on the same data (the repeated rows), so they keep the same epoch.
        auto fit = [&](const Dataset& d, bool balance) {
            int epoch = -1;
            TrainOptions opt;
            opt.on_event = [&](const Event& e) {
                if (e.kind == EventKind::model_selected) epoch = e.epoch;
                return true;
            };
            const LinearModel m = train(multiclass_gd(d.rows(), balance, wd), d, &rep, nullptr, opt);
            return std::make_pair(m, epoch);
        };
        const auto weighted = fit(data, true);
        const auto dup = fit(rep, false);
        const auto dup_balanced = fit(rep, true);  // every class 6 rows: weights 18/(3·6) = 1
        const auto unweighted = fit(data, false);
        CHECK(weighted.second == dup.second);
        CHECK(max_diff(weighted.first, dup.first) < 1e-5);
        CHECK(max_diff(dup_balanced.first, dup.first) < 1e-6);
        // Sensitivity: without the weights the path differs. (Weights off by a constant
        // factor, 1/n_k say, would scale the step by 18/66 and differ as well.)
        CHECK(max_diff(unweighted.first, dup.first) > 1e-2);
    }
}
