#include "gradient.hpp"

#include <algorithm>
#include <cstring>

#include "losses.hpp"

namespace linlearn {

using RowMatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

BatchGradient::BatchGradient(const TrainConfig& config, const Dataset& train, const Scaler& scaler,
                             int num_threads)
    : cfg_(config), data_(train), scaler_(scaler), loss_params_(config.loss_params),
      threads_(std::max(1, num_threads)) {
    // Regression trains on labels divided by their spread; the losses' widths follow, so
    // that training minimises the same loss (scaled) as the metrics report in label units.
    loss_params_.huber_delta /= scaler.label_std;
    loss_params_.loss_insensitivity /= scaler.label_std;
    const float* y = train.labels();
    const int64_t n = train.rows();
    if (cfg_.balance_positive_weight) {  // negatives / positives, counted once
        double pos = 0;
        for (int64_t i = 0; i < n; ++i) pos += y[i] > 0.5f;
        positive_weight_balanced_ = pos > 0 ? (n - pos) / pos : 1.0;
    }
    if (cfg_.predictor == Predictor::multiclass && cfg_.balance_multiclass_weights) {
        Eigen::VectorXd count = Eigen::VectorXd::Zero(cfg_.num_classes);
        for (int64_t i = 0; i < n; ++i) count[static_cast<int>(y[i])] += 1;
        class_weight_.resize(cfg_.num_classes);
        for (int k = 0; k < cfg_.num_classes; ++k)  // n / (K · count_k), as sklearn's "balanced"
            class_weight_[k] = count[k] > 0 ? static_cast<float>(n / (cfg_.num_classes * count[k])) : 0.f;
    }
}

void BatchGradient::row_weights(const int64_t* rows, int64_t n) {
    // G ← G · (example weight × class weight) / n, per row and per model column.
    const float* w = data_.weights();
    const float* y = data_.labels();
    const int K = cfg_.outputs();
    for (int64_t r = 0; r < n; ++r) {
        const int64_t i = rows[r];
        float base = (w ? w[i] : 1.0f) / static_cast<float>(n);
        if (class_weight_.size()) base *= class_weight_[static_cast<int>(y[i])];
        if (cfg_.predictor == Predictor::binary && y[i] > 0.5f) {
            for (Eigen::Index c = 0; c < G_.cols(); ++c) {
                const auto& s = cfg_.models[static_cast<size_t>(c / K)];
                const double mult = cfg_.balance_positive_weight ? positive_weight_balanced_
                                                                 : s.positive_example_weight_mult;
                G_(r, c) *= base * static_cast<float>(mult);
            }
        } else {
            G_.row(r) *= base;
        }
    }
}

void BatchGradient::compute(const Eigen::MatrixXf& W, const Eigen::VectorXf& b, const int64_t* rows,
                            int64_t n, Gradient& out) {
    yb_.resize(static_cast<size_t>(n));
    const float* y = data_.labels();
    const float inv_label_std = static_cast<float>(1.0 / scaler_.label_std);
    const float label_mean = static_cast<float>(scaler_.label_mean);
    for (int64_t r = 0; r < n; ++r) yb_[r] = (y[rows[r]] - label_mean) * inv_label_std;

    if (data_.sparse()) {
        forward_sparse(W, b, rows, n);
    } else {
        Wr_ = scaler_.inv_std.asDiagonal() * W;
        br_ = b - Wr_.transpose() * scaler_.mean;
        const DenseView& x = data_.dense();
        xb_.resize(static_cast<size_t>(n * x.cols));
        for (int64_t r = 0; r < n; ++r)
            std::memcpy(&xb_[r * x.cols], x.row(rows[r]), sizeof(float) * x.cols);
        forward_dense(n);
    }
    loss_gradient(cfg_.loss, loss_params_, cfg_.outputs(), Z_, yb_.data(), G_);
    row_weights(rows, n);
    out.gb = G_.colwise().sum().transpose();
    if (!cfg_.use_bias) out.gb.setZero();
    out.sparse = data_.sparse();
    if (out.sparse) {
        backward_sparse(rows, n, out);
        return;
    }
    Eigen::MatrixXf gWraw;
    backward_dense(n, gWraw);
    out.rows.clear();
    out.g.noalias() = scaler_.inv_std.asDiagonal() * (gWraw - scaler_.mean * out.gb.transpose());
}

void BatchGradient::forward_dense(int64_t n) {
    const int64_t d = data_.cols();
    Eigen::Map<const RowMatF> X(xb_.data(), n, d);
    Z_.resize(n, Wr_.cols());
    const int64_t chunk = (n + threads_ - 1) / threads_;
#pragma omp parallel for schedule(static) num_threads(threads_) if (threads_ > 1 && n >= 256)
    for (int t = 0; t < threads_; ++t) {
        const int64_t r0 = t * chunk, nr = std::min(chunk, n - r0);
        if (nr <= 0) continue;
        Z_.middleRows(r0, nr).noalias() = X.middleRows(r0, nr) * Wr_;
        Z_.middleRows(r0, nr).rowwise() += br_.transpose();
    }
}

void BatchGradient::backward_dense(int64_t n, Eigen::MatrixXf& gWraw) {
    const int64_t d = data_.cols();
    Eigen::Map<const RowMatF> X(xb_.data(), n, d);
    if (threads_ == 1 || n < 256) {
        gWraw.noalias() = X.transpose() * G_;
        return;
    }
    // Thread-local partial products, summed in a fixed order: deterministic per thread count.
    partial_.resize(static_cast<size_t>(threads_));
    const int64_t chunk = (n + threads_ - 1) / threads_;
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (int t = 0; t < threads_; ++t) {
        const int64_t r0 = t * chunk, nr = std::max<int64_t>(0, std::min(chunk, n - r0));
        partial_[t].noalias() = X.middleRows(r0, nr).transpose() * G_.middleRows(r0, nr);
    }
    gWraw = partial_[0];
    for (int t = 1; t < threads_; ++t) gWraw += partial_[t];
}

void BatchGradient::forward_sparse(const Eigen::MatrixXf& W, const Eigen::VectorXf& b, const int64_t* rows,
                                   int64_t n) {
    const CsrView& x = data_.csr();
    const float* inv_std = scaler_.inv_std.data();
    const Eigen::Index C = W.cols(), d = W.rows();
    Z_.resize(n, C);
    for (int64_t r = 0; r < n; ++r) {  // b is the raw bias: sparse data is never centred
        const int64_t i = rows[r];
        for (Eigen::Index c = 0; c < C; ++c) Z_(r, c) = b[c];
        for (int64_t k = x.indptr[i]; k < x.indptr[i + 1]; ++k) {
            const int32_t j = x.indices[k];
            const float a = x.values[k] * inv_std[j];
            const float* wj = W.data() + j;  // feature j's weight in column c is wj[c * d]
            for (Eigen::Index c = 0; c < C; ++c) Z_(r, c) += a * wj[c * d];
        }
    }
}

void BatchGradient::backward_sparse(const int64_t* rows, int64_t n, Gradient& out) {
    const CsrView& x = data_.csr();
    const float* inv_std = scaler_.inv_std.data();
    if (slot_.size() != static_cast<size_t>(x.cols)) slot_.assign(static_cast<size_t>(x.cols), -1);
    out.rows.clear();
    for (int64_t r = 0; r < n; ++r)
        for (int64_t k = x.indptr[rows[r]]; k < x.indptr[rows[r] + 1]; ++k)
            if (slot_[x.indices[k]] < 0) {
                slot_[x.indices[k]] = 0;
                out.rows.push_back(x.indices[k]);
            }
    std::sort(out.rows.begin(), out.rows.end());  // a fixed order: deterministic updates
    for (size_t u = 0; u < out.rows.size(); ++u) slot_[out.rows[u]] = static_cast<int32_t>(u);
    out.g.setZero(static_cast<Eigen::Index>(out.rows.size()), G_.cols());
    for (int64_t r = 0; r < n; ++r)
        for (int64_t k = x.indptr[rows[r]]; k < x.indptr[rows[r] + 1]; ++k) {
            const int32_t j = x.indices[k];
            out.g.row(slot_[j]) += (x.values[k] * inv_std[j]) * G_.row(r);
        }
    for (int32_t j : out.rows) slot_[j] = -1;
}

}  // namespace linlearn
