#include <doctest/doctest.h>

#include <string>

#include "error.hpp"
#include "hyperparams.hpp"

using namespace linlearn;

namespace {
std::string error_of(Hyperparameters& hp, const std::string& key, const std::string& value) {
    try {
        hp.set(key, value);
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::invalid_argument);
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("hyperparameters: every SageMaker name has a default and accepts it back") {
    Hyperparameters hp;
    for (const auto& name : Hyperparameters::names()) {
        const std::string v = hp.get(name);
        if (name == "predictor_type") continue;  // required, no default
        CAPTURE(name);
        CHECK_NOTHROW(hp.set(name, v));
    }
    CHECK(Hyperparameters::names().size() >= 44);
}

TEST_CASE("hyperparameters: refusals name the key, the value and what is allowed") {
    Hyperparameters hp;
    CHECK(error_of(hp, "mini_batch_siz", "10").find("did you mean 'mini_batch_size'") != std::string::npos);
    CHECK(error_of(hp, "zzzzzzzz", "1").find("unknown hyperparameter 'zzzzzzzz'") != std::string::npos);
    const std::string bad_int = error_of(hp, "epochs", "2.5");
    CHECK(bad_int.find("'epochs'") != std::string::npos);
    CHECK(bad_int.find("'2.5'") != std::string::npos);
    CHECK(bad_int.find("an integer") != std::string::npos);
    CHECK(error_of(hp, "epochs", "0").find("[1, 2147483647]") != std::string::npos);
    CHECK(error_of(hp, "mini_batch_size", "0").find(">= 1") != std::string::npos);
    CHECK(error_of(hp, "beta_1", "1").find("[0, 1)") != std::string::npos);
    CHECK(error_of(hp, "learning_rate", "-1").find("> 0") != std::string::npos);
    CHECK(error_of(hp, "learning_rate", "nan") != "");
    CHECK(error_of(hp, "optimizer", "adagrad").find("'sgd'") != std::string::npos);
    CHECK(error_of(hp, "use_bias", "maybe").find("'true' or 'false'") != std::string::npos);
    CHECK(error_of(hp, "use_bias", "auto") != "");  // use_bias has no auto
    CHECK(error_of(hp, "positive_example_weight_mult", "balanced") == "");
    CHECK(error_of(hp, "positive_example_weight_mult", "0") != "");
}

TEST_CASE("hyperparameters: JSON is all or nothing and takes numbers, strings and booleans") {
    Hyperparameters hp;
    hp.set_json(R"({"predictor_type": "regressor", "epochs": 7, "use_bias": false, "wd": 0.5})");
    CHECK(hp.get("epochs") == "7");
    CHECK(hp.get("use_bias") == "false");
    CHECK(hp.get("wd") == "0.5");
    CHECK_THROWS_AS(hp.set_json(R"({"epochs": 9, "l2": 1})"), Error);
    CHECK(hp.get("epochs") == "7");  // unchanged by the refused object
    CHECK_THROWS_AS(hp.set_json("[1,2]"), Error);
    CHECK_THROWS_AS(hp.set_json("{\"epochs\": [1]}"), Error);
    CHECK_THROWS_AS(hp.set_json("{"), Error);
}

TEST_CASE("hyperparameters: resolve fills auto values and checks the combination") {
    Hyperparameters hp;
    CHECK_THROWS_WITH_AS(hp.resolve(100), doctest::Contains("predictor_type"), Error);
    hp.set("predictor_type", "multiclass_classifier");
    CHECK_THROWS_WITH_AS(hp.resolve(100), doctest::Contains("num_classes"), Error);
    hp.set("num_classes", "4");
    TrainConfig c = hp.resolve(100);
    CHECK(c.loss == Loss::softmax);
    CHECK(c.outputs() == 4);
    CHECK(c.num_models() == 32);
    CHECK(c.mini_batch_size == 10);  // auto: a tenth of a small training set
    CHECK(hp.resolve(50000).mini_batch_size == 1000);  // SageMaker's value on larger data
    hp.set("loss", "squared_loss");
    CHECK_THROWS_WITH_AS(hp.resolve(100), doctest::Contains("does not fit predictor_type"), Error);

    Hyperparameters reg;
    reg.set("predictor_type", "regressor");
    reg.set("num_models", "3");
    reg.set("learning_rate", "0.05");
    c = reg.resolve(20);
    CHECK(c.loss == Loss::squared);
    CHECK(c.normalize_label);
    CHECK(c.models[0].learning_rate == doctest::Approx(0.05));
    for (const auto& m : c.models) {  // the spread stays within 10x of the given value
        CHECK(m.learning_rate >= 0.005 - 1e-12);
        CHECK(m.learning_rate <= 0.5 + 1e-12);
    }
    bool found = false;
    for (const auto& [k, v] : c.resolved) found |= k == "optimizer" && v == "adam";
    CHECK(found);  // optimizer=auto resolves to adam
}
