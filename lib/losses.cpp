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

namespace {
// Elementwise work on long columns is done in pieces of this many values, so that its
// double-precision temporaries take a few hundred KB, not several times the column
// (bench/README.md, case 8). A multiple of every SIMD width: a piece starts on a packet
// boundary, so each value takes the same (packet or scalar) path as in one whole-column
// expression, and the results are the same bits.
constexpr Eigen::Index kPiece = 4096;

// As the scalar sigmoid: 1/(1+e^-|z|) for z >= 0, e^-|z|/(1+e^-|z|) below, so that no
// exp overflows and tiny probabilities keep their precision.
Eigen::VectorXd sigmoid_piece(const Eigen::Ref<const Eigen::VectorXf>& z) {
    const Eigen::ArrayXd x = z.cast<double>().array();
    const Eigen::ArrayXd e = (-x.abs()).exp();
    const Eigen::ArrayXd inv = (1.0 + e).inverse();
    const Eigen::ArrayXd negative = (x < 0).cast<double>();
    return (negative * (e * inv) + (1.0 - negative) * inv).matrix();  // exact: one term is 0
}
}  // namespace

void sigmoid(const Eigen::Ref<const Eigen::VectorXf>& z, Eigen::VectorXd& out) {
    out.resize(z.size());
    for (Eigen::Index i = 0; i < z.size(); i += kPiece) {
        const Eigen::Index len = std::min(kPiece, z.size() - i);
        out.segment(i, len) = sigmoid_piece(z.segment(i, len));
    }
}

Eigen::VectorXd sigmoid(const Eigen::Ref<const Eigen::VectorXf>& z) {
    Eigen::VectorXd out;
    sigmoid(z, out);
    return out;
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

namespace {
using ArrayF = Eigen::ArrayXf;

ArrayF sign(const ArrayF& r) { return (r > 0).cast<float>() - (r < 0).cast<float>(); }

// dL/dz of one column of scores z for targets y (not softmax); positive: 1 where y > 0.5.
// (Every expression stays in float arrays: a bool array in an Eigen expression makes it
// fall back to scalar code, std::exp included.)
void derivative_column(Loss loss, const LossParams& p, const ArrayF& z, const ArrayF& y, const ArrayF& positive,
                       Eigen::Ref<Eigen::VectorXf> g) {
    const float margin = float(p.margin), eps = float(p.loss_insensitivity), q = float(p.quantile),
                delta = float(p.huber_delta);
    switch (loss) {
    case Loss::logistic: g = ((1.0f + (-z).exp()).inverse() - positive).matrix(); return;
    case Loss::hinge: {
        const ArrayF s = 2.0f * positive - 1.0f;
        g = ((s * z < margin).select(-s, 0.0f)).matrix();
        return;
    }
    default: break;
    }
    const ArrayF r = z - y, a = r.abs();
    switch (loss) {
    case Loss::squared: g = (2.0f * r).matrix(); return;
    case Loss::absolute: g = sign(r).matrix(); return;
    case Loss::eps_squared: g = ((a > eps).select(2.0f * (a - eps) * sign(r), 0.0f)).matrix(); return;
    case Loss::eps_absolute: g = ((a > eps).select(sign(r), 0.0f)).matrix(); return;
    case Loss::quantile: g = ((r < 0).select(ArrayF::Constant(r.size(), -q), (r > 0).cast<float>() * (1 - q))).matrix(); return;
    case Loss::huber: g = ((a <= delta).select(r, delta * sign(r))).matrix(); return;
    default: return;
    }
}
}  // namespace

void loss_gradient(Loss loss, const LossParams& p, int K, const Eigen::Ref<const Eigen::MatrixXf>& Z,
                   const float* labels, Eigen::Ref<Eigen::MatrixXf> G) {
    const Eigen::Index n = Z.rows();
    if (loss == Loss::softmax) {
        for (Eigen::Index c0 = 0; c0 < Z.cols(); c0 += K) {
            auto Zb = Z.middleCols(c0, K).array();
            auto Gb = G.middleCols(c0, K).array();
            const ArrayF mx = Zb.rowwise().maxCoeff();
            Gb = (Zb.colwise() - mx).exp();
            const ArrayF inv_sum = Gb.rowwise().sum().inverse();
            Gb.colwise() *= inv_sum;
            for (Eigen::Index i = 0; i < n; ++i) Gb(i, static_cast<Eigen::Index>(labels[i])) -= 1.0f;
        }
        return;
    }
    const Eigen::Map<const ArrayF> y(labels, n);
    ArrayF z(n), positive(n);
    for (Eigen::Index i = 0; i < n; ++i) positive[i] = labels[i] > 0.5f ? 1.0f : 0.0f;
    for (Eigen::Index c = 0; c < Z.cols(); ++c) {
        z = Z.col(c).array();
        derivative_column(loss, p, z, y, positive, G.col(c));
    }
}

namespace {
// Logistic loss softplus(±z), vectorised: max(t, 0) + log1p(e^-|t|) with t = z for a
// negative label and -z for a positive one.
// One piece of the per-row losses (see kPiece).
Eigen::ArrayXd logistic_loss_piece(const Eigen::Ref<const Eigen::VectorXf>& z, const float* labels) {
    const Eigen::Index n = z.size();
    Eigen::ArrayXd sign(n);
    for (Eigen::Index i = 0; i < n; ++i) sign[i] = labels[i] > 0.5f ? -1.0 : 1.0;
    const Eigen::ArrayXd t = z.cast<double>().array() * sign;
    return t.max(0.0) + (-t.abs()).exp().log1p();
}

double mean_logistic_loss(const Eigen::Ref<const Eigen::VectorXf>& z, const float* labels, const float* w) {
    const Eigen::Index n = z.size();
    Eigen::ArrayXd loss(n);  // the sums below run over the whole column, in one order
    for (Eigen::Index i = 0; i < n; i += kPiece) {
        const Eigen::Index len = std::min(kPiece, n - i);
        loss.segment(i, len) = logistic_loss_piece(z.segment(i, len), labels + i);
    }
    if (!w) return loss.mean();
    const Eigen::Map<const Eigen::ArrayXf> wf(w, n);
    const double wsum = wf.cast<double>().sum();
    return wsum > 0 ? (loss * wf.cast<double>()).sum() / wsum : std::nan("");
}
}  // namespace

double mean_loss(Loss loss, const LossParams& p, const Eigen::Ref<const Eigen::MatrixXf>& z,
                 const float* labels, const float* w) {
    const int64_t n = z.rows();
    if (loss == Loss::logistic && z.cols() == 1 && n > 0) return mean_logistic_loss(z.col(0), labels, w);
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
