#include "optimizer.hpp"

#include <algorithm>
#include <cmath>

namespace linlearn {

namespace {
constexpr double kEps = 1e-8;
constexpr double kRmspropDecay = 0.9;  // documented in docs/hyperparameters.md
}  // namespace

Optimizers::Optimizers(const TrainConfig& config, Eigen::Index features)
    : config_(config), K_(config.outputs()) {
    const Eigen::Index cols = Eigen::Index(K_) * config.num_models();
    m1_.setZero(features, cols);
    m2_.setZero(features, cols);
    bm1_.setZero(cols);
    bm2_.setZero(cols);
    for (const auto& s : config.models) lr_.push_back(s.learning_rate);
}

void Optimizers::export_state(int model, TrainingState& out) const {
    const Eigen::Index c0 = Eigen::Index(model) * K_;
    out.m1 = m1_.middleCols(c0, K_);
    out.m2 = m2_.middleCols(c0, K_);
    out.bm1 = bm1_.segment(c0, K_);
    out.bm2 = bm2_.segment(c0, K_);
    out.steps = t_;
    out.learning_rate = lr_[static_cast<size_t>(model)];
}

void Optimizers::import_state(const TrainingState& in) {
    const int models = static_cast<int>(lr_.size());
    m1_ = in.m1.replicate(1, models);
    m2_ = in.m2.replicate(1, models);
    bm1_ = in.bm1.replicate(models, 1);
    bm2_ = in.bm2.replicate(models, 1);
    t_ = in.steps;  // Adam's bias correction goes on from where it was
}

// Adam's bias-corrected step size, or the plain rate for the others.
static double effective_lr(const ModelSettings& s, double lr, int64_t t) {
    if (s.optimizer != Optimizer::adam) return lr;
    return lr * std::sqrt(1 - std::pow(s.beta_2, double(t))) / (1 - std::pow(s.beta_1, double(t)));
}

void Optimizers::update_column(Eigen::Ref<Eigen::VectorXf> w, Eigen::Ref<Eigen::VectorXf> m1,
                               Eigen::Ref<Eigen::VectorXf> m2,
                               const Eigen::Ref<const Eigen::VectorXf>& g_raw, const ModelSettings& s,
                               double lr, double adam_lr, double wd, double l1) {
    const float fwd = static_cast<float>(wd), flr = static_cast<float>(lr);
    auto g = (g_raw + fwd * w).array();
    switch (s.optimizer) {
    case Optimizer::sgd:
        m1 = static_cast<float>(s.momentum) * m1 - flr * g.matrix();
        w += m1;
        break;
    case Optimizer::adam: {
        const float b1 = static_cast<float>(s.beta_1), b2 = static_cast<float>(s.beta_2);
        m1 = b1 * m1 + (1 - b1) * g.matrix();
        m2 = (b2 * m2.array() + (1 - b2) * g.square()).matrix();
        w.array() -= static_cast<float>(adam_lr) * m1.array() /
                     (m2.array().sqrt() + float(kEps));
        break;
    }
    case Optimizer::rmsprop: {
        const float r = static_cast<float>(kRmspropDecay);
        m2 = (r * m2.array() + (1 - r) * g.square()).matrix();
        w.array() -= flr * g / (m2.array().sqrt() + float(kEps));
        break;
    }
    }
    if (l1 > 0) {  // proximal step: soft-threshold by the step's share of the L1 penalty
        const float shrink = static_cast<float>(lr * l1);
        w = w.unaryExpr([shrink](float v) {
            return v > shrink ? v - shrink : (v < -shrink ? v + shrink : 0.0f);
        });
    }
}

void Optimizers::update_scalar(float& w, float& m1, float& m2, float g, const ModelSettings& s, double lr,
                               double adam_lr, double wd, double l1) const {
    g += static_cast<float>(wd) * w;
    switch (s.optimizer) {
    case Optimizer::sgd:
        m1 = static_cast<float>(s.momentum) * m1 - static_cast<float>(lr) * g;
        w += m1;
        break;
    case Optimizer::adam:
        m1 = static_cast<float>(s.beta_1 * m1 + (1 - s.beta_1) * g);
        m2 = static_cast<float>(s.beta_2 * m2 + (1 - s.beta_2) * g * g);
        w -= static_cast<float>(adam_lr * m1 / (std::sqrt(m2) + kEps));
        break;
    case Optimizer::rmsprop:
        m2 = static_cast<float>(kRmspropDecay * m2 + (1 - kRmspropDecay) * g * g);
        w -= static_cast<float>(lr * g / (std::sqrt(m2) + kEps));
        break;
    }
    if (l1 > 0) {
        const float shrink = static_cast<float>(lr * l1);
        w = w > shrink ? w - shrink : (w < -shrink ? w + shrink : 0.0f);
    }
}

void Optimizers::step_dense(Eigen::MatrixXf& W, const Eigen::MatrixXf& gW, int num_threads) {
    const Eigen::Index cols = W.cols();
#pragma omp parallel for schedule(static) num_threads(num_threads) if (W.size() > 65536)
    for (Eigen::Index c = 0; c < cols; ++c) {
        const size_t m = static_cast<size_t>(c / K_);
        const ModelSettings& s = config_.models[m];
        update_column(W.col(c), m1_.col(c), m2_.col(c), gW.col(c), s, lr_[m], adam_lr_[m], s.wd, s.l1);
    }
}

void Optimizers::step_rows(Eigen::MatrixXf& W, const Gradient& grad, int num_threads) {
    const Eigen::Index cols = W.cols(), n = static_cast<Eigen::Index>(grad.rows.size());
#pragma omp parallel for schedule(static) num_threads(num_threads) if (n * cols > 65536)
    for (Eigen::Index c = 0; c < cols; ++c) {
        const size_t m = static_cast<size_t>(c / K_);
        const ModelSettings& s = config_.models[m];
        for (Eigen::Index u = 0; u < n; ++u) {
            const Eigen::Index j = grad.rows[static_cast<size_t>(u)];
            update_scalar(W(j, c), m1_(j, c), m2_(j, c), grad.g(u, c), s, lr_[m], adam_lr_[m], s.wd, s.l1);
        }
    }
}

void Optimizers::step(Eigen::MatrixXf& W, Eigen::VectorXf& b, const Gradient& grad, int num_threads) {
    ++t_;
    adam_lr_.resize(lr_.size());
    for (size_t m = 0; m < lr_.size(); ++m) adam_lr_[m] = effective_lr(config_.models[m], lr_[m], t_);
    if (grad.sparse) step_rows(W, grad, num_threads);
    else step_dense(W, grad.g, num_threads);
    if (config_.use_bias)
        for (Eigen::Index c = 0; c < W.cols(); ++c) {
            const size_t m = static_cast<size_t>(c / K_);
            const ModelSettings& s = config_.models[m];
            update_scalar(b[c], bm1_[c], bm2_[c], grad.gb[c], s, lr_[m] * config_.bias_lr_mult,
                          adam_lr_[m] * config_.bias_lr_mult, s.wd * config_.bias_wd_mult, 0.0);
        }
    if (!config_.use_lr_scheduler) return;
    for (size_t m = 0; m < lr_.size(); ++m) {
        const ModelSettings& s = config_.models[m];
        // The floor only stops the decay; it never raises a rate set below it.
        if (s.lr_scheduler_step > 0 && t_ % s.lr_scheduler_step == 0 && lr_[m] > s.lr_scheduler_minimum_lr)
            lr_[m] = std::max(lr_[m] * s.lr_scheduler_factor, s.lr_scheduler_minimum_lr);
    }
}

}  // namespace linlearn
