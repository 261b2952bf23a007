#include "losses.hpp"

#include <algorithm>
#include <cmath>

namespace linlearn {

namespace {
// log(1 + exp(x)) without overflow.
double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
double sign(double x) { return (x > 0) - (x < 0); }
}  // namespace

double sigmoid(double x) {
    return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
}

double loss_value(Loss loss, const LossParams& p, double z, double y) {
    const double r = z - y, a = std::fabs(r);
    switch (loss) {
    case Loss::logistic: return softplus(y > 0.5 ? -z : z);
    case Loss::hinge: return std::max(0.0, p.margin - (y > 0.5 ? z : -z));
    case Loss::squared: return r * r;
    case Loss::absolute: return a;
    case Loss::eps_squared: return std::pow(std::max(0.0, a - p.loss_insensitivity), 2);
    case Loss::eps_absolute: return std::max(0.0, a - p.loss_insensitivity);
    case Loss::quantile: return r < 0 ? -p.quantile * r : (1 - p.quantile) * r;
    case Loss::huber: return a <= p.huber_delta ? 0.5 * r * r : p.huber_delta * (a - 0.5 * p.huber_delta);
    case Loss::softmax: break;
    }
    return 0;
}

double loss_derivative(Loss loss, const LossParams& p, double z, double y) {
    const double r = z - y, a = std::fabs(r);
    switch (loss) {
    case Loss::logistic: return sigmoid(z) - (y > 0.5 ? 1.0 : 0.0);
    case Loss::hinge: {
        const double s = y > 0.5 ? 1.0 : -1.0;
        return s * z < p.margin ? -s : 0.0;
    }
    case Loss::squared: return 2 * r;
    case Loss::absolute: return sign(r);
    case Loss::eps_squared: return a > p.loss_insensitivity ? 2 * (a - p.loss_insensitivity) * sign(r) : 0.0;
    case Loss::eps_absolute: return a > p.loss_insensitivity ? sign(r) : 0.0;
    case Loss::quantile: return r < 0 ? -p.quantile : (r > 0 ? 1 - p.quantile : 0.0);
    case Loss::huber: return a <= p.huber_delta ? r : p.huber_delta * sign(r);
    case Loss::softmax: break;
    }
    return 0;
}

double softmax_loss_row(const float* z, int64_t z_stride, int K, int y, float* grad,
                        int64_t grad_stride) {
    double mx = z[0];
    for (int k = 1; k < K; ++k) mx = std::max(mx, static_cast<double>(z[k * z_stride]));
    double sum = 0;
    for (int k = 0; k < K; ++k) sum += std::exp(z[k * z_stride] - mx);
    const double log_sum = std::log(sum);
    if (grad)
        for (int k = 0; k < K; ++k)
            grad[k * grad_stride] =
                static_cast<float>(std::exp(z[k * z_stride] - mx - log_sum) - (k == y ? 1.0 : 0.0));
    return log_sum + mx - z[y * z_stride];
}

void loss_gradient(Loss loss, const LossParams& p, int K, const Eigen::MatrixXf& Z,
                   const float* labels, Eigen::MatrixXf& G) {
    G.resize(Z.rows(), Z.cols());
    const int64_t n = Z.rows();
    if (loss == Loss::softmax) {
        for (int64_t c0 = 0; c0 < Z.cols(); c0 += K)
            for (int64_t i = 0; i < n; ++i)
                softmax_loss_row(&Z(i, c0), n, K, static_cast<int>(labels[i]), &G(i, c0), n);
        return;
    }
    for (int64_t c = 0; c < Z.cols(); ++c)
        for (int64_t i = 0; i < n; ++i)
            G(i, c) = static_cast<float>(loss_derivative(loss, p, Z(i, c), labels[i]));
}

double mean_loss(Loss loss, const LossParams& p, const Eigen::Ref<const Eigen::MatrixXf>& z,
                 const float* labels, const float* w) {
    const int64_t n = z.rows();
    double sum = 0, wsum = 0;
    for (int64_t i = 0; i < n; ++i) {
        const double wi = w ? w[i] : 1.0;
        const double li = loss == Loss::softmax
                              ? softmax_loss_row(z.data() + i, z.outerStride(), static_cast<int>(z.cols()),
                                                 static_cast<int>(labels[i]), nullptr, 0)
                              : loss_value(loss, p, z(i, 0), labels[i]);
        sum += wi * li;
        wsum += wi;
    }
    return wsum > 0 ? sum / wsum : std::nan("");
}

}  // namespace linlearn
