#include <doctest/doctest.h>

#include "diagnostics.hpp"
#include "hyperparams.hpp"

using namespace linlearn;

namespace {
TrainConfig config(const char* predictor, const char* extra_key = nullptr, const char* extra_value = nullptr) {
    Hyperparameters hp;
    hp.set("predictor_type", predictor);
    hp.set("num_models", "2");
    if (extra_key) hp.set(extra_key, extra_value);
    return hp.resolve(100);
}
MetricList loss(double v) { return {{"objective_loss", v}}; }
std::vector<std::string> codes(const std::vector<Warning>& ws) {
    std::vector<std::string> out;
    for (const auto& w : ws) out.push_back(w.code);
    return out;
}
}  // namespace

TEST_CASE("diagnostics: overfitting after three epochs of rising validation loss and falling train loss") {
    const TrainConfig c = config("regressor");
    Diagnostics d(c);
    const double train[] = {1.0, 0.8, 0.7, 0.6, 0.5, 0.4};
    const double val[] = {1.0, 0.9, 0.95, 1.0, 1.1, 1.2};
    std::vector<std::vector<std::string>> seen;
    for (int e = 0; e < 6; ++e) seen.push_back(codes(d.after_epoch({loss(train[e])}, {loss(val[e])}, {})));
    CHECK(seen[3].empty());  // two rises so far
    CHECK(seen[4] == std::vector<std::string>{"overfitting"});
    CHECK(seen[5].empty());  // raised once
}

TEST_CASE("diagnostics: diverging, one class, imbalance") {
    const TrainConfig c = config("binary_classifier");
    Diagnostics d(c);
    CHECK(codes(d.after_epoch({loss(std::nan(""))}, {}, {false})) == std::vector<std::string>{"diverging"});
    CHECK(codes(d.after_epoch({loss(0.5)}, {}, {true})) == std::vector<std::string>{"one_class"});

    std::vector<float> x(100, 1.0f), y(100, 0.0f);
    y[0] = 1.0f;  // 1 positive in 100
    const Dataset data = Dataset::dense(x, 100, 1, y);
    Scaler s;
    s.constant_features = 1;
    CHECK(codes(Diagnostics(c).at_start(data, s)) == std::vector<std::string>{"constant_features", "class_imbalance"});
    const TrainConfig balanced = config("binary_classifier", "positive_example_weight_mult", "balanced");
    CHECK(codes(Diagnostics(balanced).at_start(data, Scaler{})).empty());
}
