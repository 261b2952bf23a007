// Each loss's derivative against a central finite difference of its value.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "losses.hpp"

using namespace linlearn;

namespace {
double numeric_derivative(Loss loss, const LossParams& p, double z, double y) {
    const double h = 1e-6;
    return (loss_value(loss, p, z + h, y) - loss_value(loss, p, z - h, y)) / (2 * h);
}
}  // namespace

TEST_CASE("losses: derivative matches a finite difference away from kinks") {
    const LossParams p{1.0, 0.1, 0.3, 0.7};
    const std::vector<Loss> classifiers{Loss::logistic, Loss::hinge};
    const std::vector<Loss> regressors{Loss::squared, Loss::absolute, Loss::eps_squared,
                                       Loss::eps_absolute, Loss::quantile, Loss::huber};
    for (Loss loss : classifiers)
        for (double y : {0.0, 1.0})
            for (double z : {-3.1, -0.43, 0.37, 2.3}) {
                CAPTURE(to_string(loss));
                CAPTURE(z);
                CHECK(loss_derivative(loss, p, z, y) == doctest::Approx(numeric_derivative(loss, p, z, y)).epsilon(1e-5));
            }
    for (Loss loss : regressors)
        for (double y : {-1.0, 0.5, 4.0})
            for (double r : {-2.3, -0.55, -0.05, 0.04, 0.61, 3.7}) {
                CAPTURE(to_string(loss));
                CAPTURE(r);
                CHECK(loss_derivative(loss, p, y + r, y) ==
                      doctest::Approx(numeric_derivative(loss, p, y + r, y)).epsilon(1e-5));
            }
}

TEST_CASE("losses: values at known points") {
    const LossParams p{1.0, 0.1, 0.3, 0.7};
    CHECK(loss_value(Loss::logistic, p, 0.0, 1.0) == doctest::Approx(std::log(2.0)));
    CHECK(loss_value(Loss::logistic, p, 800.0, 0.0) == doctest::Approx(800.0));  // no overflow
    CHECK(loss_value(Loss::hinge, p, 0.5, 1.0) == doctest::Approx(0.5));
    CHECK(loss_value(Loss::hinge, p, 0.5, 0.0) == doctest::Approx(1.5));
    CHECK(loss_value(Loss::squared, p, 3.0, 1.0) == doctest::Approx(4.0));
    CHECK(loss_value(Loss::eps_absolute, p, 1.05, 1.0) == 0.0);  // inside the insensitive band
    CHECK(loss_value(Loss::quantile, p, 0.0, 1.0) == doctest::Approx(0.3));  // under-prediction costs q
    CHECK(loss_value(Loss::quantile, p, 1.0, 0.0) == doctest::Approx(0.7));
    CHECK(loss_value(Loss::huber, p, 2.0, 0.0) == doctest::Approx(0.7 * (2.0 - 0.35)));
}

TEST_CASE("losses: softmax row gradient is p - onehot and matches finite differences") {
    const float z[4] = {0.3f, -1.2f, 2.0f, 0.1f};
    float grad[4];
    const double loss = softmax_loss_row(z, 1, 4, 2, grad, 1);
    double sum = 0;
    for (float v : z) sum += std::exp(double(v));
    CHECK(loss == doctest::Approx(-std::log(std::exp(2.0) / sum)));
    for (int k = 0; k < 4; ++k) {
        float zp[4], zm[4];
        std::copy(z, z + 4, zp);
        std::copy(z, z + 4, zm);
        zp[k] += 1e-3f;
        zm[k] -= 1e-3f;
        const double fd = (softmax_loss_row(zp, 1, 4, 2, nullptr, 0) - softmax_loss_row(zm, 1, 4, 2, nullptr, 0)) / 2e-3;
        CHECK(grad[k] == doctest::Approx(fd).epsilon(1e-3));
    }
    float big[3] = {1000.f, 0.f, -1000.f};  // stable for large scores
    CHECK(std::isfinite(softmax_loss_row(big, 1, 3, 2, nullptr, 0)));
}
