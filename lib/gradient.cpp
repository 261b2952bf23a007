#include "gradient.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "losses.hpp"

namespace linlearn {

namespace {
using RowMatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using StridedRows = Eigen::Map<const RowMatF, 0, Eigen::OuterStride<>>;
// Runs shorter than this are copied into a piece of their own; longer ones are read in place.
constexpr int64_t kInPlaceRows = 32;
}  // namespace

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
    double positive_weight_balanced = 1.0;
    if (cfg_.balance_positive_weight) {  // negatives / positives, counted once
        double pos = 0;
        for (int64_t i = 0; i < n; ++i) pos += y[i] > 0.5f;
        positive_weight_balanced = pos > 0 ? (n - pos) / pos : 1.0;
    }
    if (cfg_.predictor == Predictor::binary) {
        positive_mult_.resize(config.num_models() * cfg_.outputs());
        for (Eigen::Index c = 0; c < positive_mult_.size(); ++c) {
            const auto& s = cfg_.models[static_cast<size_t>(c / cfg_.outputs())];
            positive_mult_[c] = static_cast<float>(cfg_.balance_positive_weight ? positive_weight_balanced
                                                                                : s.positive_example_weight_mult);
        }
    }
    if (cfg_.predictor == Predictor::multiclass && cfg_.balance_multiclass_weights) {
        Eigen::VectorXd count = Eigen::VectorXd::Zero(cfg_.num_classes);
        for (int64_t i = 0; i < n; ++i) count[static_cast<int>(y[i])] += 1;
        class_weight_.resize(cfg_.num_classes);
        for (int k = 0; k < cfg_.num_classes; ++k)  // n / (K · count_k), as sklearn's "balanced"
            class_weight_[k] = count[k] > 0 ? static_cast<float>(n / (cfg_.num_classes * count[k])) : 0.f;
    }
}

// The training targets of rows ids: labels, normalised for regression (mean 0, std 1 otherwise).
void BatchGradient::targets(const int64_t* ids, int64_t m, float* y) const {
    const float* label = data_.labels();
    const float inv_std = static_cast<float>(1.0 / scaler_.label_std);
    const float mean = static_cast<float>(scaler_.label_mean);
    for (int64_t r = 0; r < m; ++r) y[r] = (label[ids[r]] - mean) * inv_std;
}

// G ← G · (example weight × class weight) / n, per row and, for a binary classifier's
// positive rows, per model column (positive_example_weight_mult).
void BatchGradient::weight_rows(const int64_t* ids, int64_t m, int64_t n, Eigen::Ref<Eigen::MatrixXf> G) const {
    const float* w = data_.weights();
    const float* y = data_.labels();
    Eigen::ArrayXf rw(m);
    for (int64_t r = 0; r < m; ++r) {
        float base = (w ? w[ids[r]] : 1.0f) / static_cast<float>(n);
        if (class_weight_.size()) base *= class_weight_[static_cast<int>(y[ids[r]])];
        rw[r] = base;
    }
    if (positive_mult_.size() == 0) {
        G.array().colwise() *= rw;
        return;
    }
    Eigen::ArrayXf positive(m);
    for (int64_t r = 0; r < m; ++r) positive[r] = y[ids[r]] > 0.5f ? 1.0f : 0.0f;
    for (Eigen::Index c = 0; c < G.cols(); ++c)
        G.col(c).array() *= rw * (1.0f + positive * (positive_mult_[c] - 1.0f));
}

void BatchGradient::compute(const Eigen::MatrixXf& W, const Eigen::VectorXf& b, const std::vector<RowRun>& runs,
                            Gradient& out) {
    int64_t n = 0;
    for (const RowRun& r : runs) n += r.count;
    out.sparse = data_.sparse();
    if (out.sparse) {
        rows_.clear();
        for (const RowRun& r : runs)
            for (int64_t i = 0; i < r.count; ++i) rows_.push_back(r.first + i);
        sparse_batch(W, b, out);
    } else {
        Wr_ = scaler_.inv_std.asDiagonal() * W;
        br_ = b - Wr_.transpose() * scaler_.mean;
        dense_batch(runs, n, out);
    }
    if (!cfg_.use_bias) out.gb.setZero();
}

void BatchGradient::dense_batch(const std::vector<RowRun>& runs, int64_t n, Gradient& out) {
    const int P = threads_ > 1 && n >= 256 ? threads_ : 1;
    if (static_cast<int>(parts_.size()) < P) parts_.resize(static_cast<size_t>(P));
#pragma omp parallel for schedule(static) num_threads(P) if (P > 1)
    for (int p = 0; p < P; ++p) dense_part(parts_[p], runs, n * p / P, n * (p + 1) / P, n);
    Eigen::MatrixXf gW = parts_[0].gW;
    out.gb = parts_[0].gb;
    for (int p = 1; p < P; ++p) gW += parts_[p].gW, out.gb += parts_[p].gb;
    out.rows.clear();
    out.g.noalias() = scaler_.inv_std.asDiagonal() * (gW - scaler_.mean * out.gb.transpose());
}

// Rows [begin, end) of the batch (counted along its runs), a piece of at most kPiece rows
// at a time: long runs in place, other rows gathered.
void BatchGradient::dense_part(Part& part, const std::vector<RowRun>& runs, int64_t begin, int64_t end,
                               int64_t n) {
    const DenseView& x = data_.dense();
    const int64_t d = x.cols;
    part.x.resize(static_cast<size_t>(kPiece * d));
    part.ids.resize(kPiece);
    part.run_ids.resize(kPiece);
    int64_t gathered = 0, pos = 0;
    bool first = true;
    // A few models read long runs where they are; more models do better with the GEMM of
    // full pieces, so their rows are gathered (measured: bench/README.md, case 2).
    const bool in_place = Wr_.cols() <= kNarrow;
    auto flush = [&] {
        if (gathered == 0) return;
        dense_piece(part, part.ids.data(), part.x.data(), d, gathered, n, first);
        first = false, gathered = 0;
    };
    for (const RowRun& run : runs) {
        const int64_t lo = std::max(begin, pos), hi = std::min(end, pos + run.count);
        const int64_t row0 = run.first + (lo - pos);
        pos += run.count;
        if (lo >= hi) {
            if (pos >= end) break;
            continue;
        }
        if (in_place && hi - lo >= kInPlaceRows) {
            for (int64_t off = 0; off < hi - lo; off += kPiece) {
                const int64_t m = std::min(kPiece, hi - lo - off);
                std::iota(part.run_ids.begin(), part.run_ids.begin() + m, row0 + off);
                dense_piece(part, part.run_ids.data(), x.row(row0 + off), x.stride, m, n, first);
                first = false;
            }
            continue;
        }
        for (int64_t i = row0; i < row0 + (hi - lo); ++i) {
            std::memcpy(&part.x[static_cast<size_t>(gathered * d)], x.row(i), sizeof(float) * d);
            part.ids[static_cast<size_t>(gathered++)] = i;
            if (gathered == kPiece) flush();
        }
    }
    flush();
    if (first) {  // no rows: nothing to add
        part.gW.setZero(d, Wr_.cols());
        part.gb.setZero(Wr_.cols());
    }
}

// Scores, loss gradient and Xᵀ·G of m rows starting at x (row stride `stride`), added to
// the part's sums (or replacing them for the part's first piece).
void BatchGradient::dense_piece(Part& part, const int64_t* ids, const float* x, int64_t stride, int64_t m,
                                int64_t n, bool first) {
    const Eigen::Index C = Wr_.cols();
    const StridedRows X(x, m, data_.cols(), Eigen::OuterStride<>(stride));
    if (part.Z.rows() < kPiece || part.Z.cols() != C) part.Z.resize(kPiece, C), part.G.resize(kPiece, C);
    part.y.resize(kPiece);
    auto Z = part.Z.topRows(m);
    auto G = part.G.topRows(m);
    const bool narrow = C <= kNarrow;
    if (narrow) narrow_scores(x, stride, m, Z);
    else Z.noalias() = X * Wr_;
    Z.rowwise() += br_.transpose();
    targets(ids, m, part.y.data());
    loss_gradient(cfg_.loss, loss_params_, cfg_.outputs(), Z, part.y.data(), G);
    weight_rows(ids, m, n, G);
    if (first) part.gW.setZero(data_.cols(), C), part.gb.setZero(C);
    if (narrow) narrow_backward(x, stride, m, G, part.gW);
    else part.gW.noalias() += X.transpose() * G;
    part.gb += G.colwise().sum().transpose();
}

// A few models: Eigen's row-major matrix-vector product reads the rows at about half the
// memory bandwidth (bench/README.md); one vectorised dot product per row and column, and
// one axpy per row and column for the gradient, reach it.
void BatchGradient::narrow_scores(const float* x, int64_t stride, int64_t m, Eigen::Ref<Eigen::MatrixXf> Z) const {
    const int64_t d = data_.cols();
    for (int64_t i = 0; i < m; ++i) {
        const float* xi = x + i * stride;
        for (Eigen::Index c = 0; c < Z.cols(); ++c) {
            const float* w = Wr_.col(c).data();
            float s = 0;
#pragma omp simd reduction(+ : s)
            for (int64_t j = 0; j < d; ++j) s += xi[j] * w[j];
            Z(i, c) = s;
        }
    }
}

void BatchGradient::narrow_backward(const float* x, int64_t stride, int64_t m, const Eigen::Ref<const Eigen::MatrixXf>& G,
                                    Eigen::MatrixXf& gW) const {
    const int64_t d = data_.cols();
    for (int64_t i = 0; i < m; ++i) {
        const float* xi = x + i * stride;
        for (Eigen::Index c = 0; c < G.cols(); ++c) {
            const float g = G(i, c);
            float* out = gW.col(c).data();
#pragma omp simd
            for (int64_t j = 0; j < d; ++j) out[j] += g * xi[j];
        }
    }
}

void BatchGradient::sparse_batch(const Eigen::MatrixXf& W, const Eigen::VectorXf& b, Gradient& out) {
    const int64_t n = static_cast<int64_t>(rows_.size());
    yb_.resize(rows_.size());
    targets(rows_.data(), n, yb_.data());
    forward_sparse(W, b);
    G_.resize(n, W.cols());
    loss_gradient(cfg_.loss, loss_params_, cfg_.outputs(), Z_, yb_.data(), G_);
    weight_rows(rows_.data(), n, n, G_);
    out.gb = G_.colwise().sum().transpose();
    backward_sparse(out);
}

void BatchGradient::forward_sparse(const Eigen::MatrixXf& W, const Eigen::VectorXf& b) {
    const CsrView& x = data_.csr();
    const float* inv_std = scaler_.inv_std.data();
    const Eigen::Index C = W.cols(), d = W.rows();
    const int64_t n = static_cast<int64_t>(rows_.size());
    Z_.resize(n, C);
    for (int64_t r = 0; r < n; ++r) {  // b is the raw bias: sparse data is never centred
        const int64_t i = rows_[r];
        for (Eigen::Index c = 0; c < C; ++c) Z_(r, c) = b[c];
        for (int64_t k = x.indptr[i]; k < x.indptr[i + 1]; ++k) {
            const int32_t j = x.indices[k];
            const float a = x.values[k] * inv_std[j];
            const float* wj = W.data() + j;  // feature j's weight in column c is wj[c * d]
            for (Eigen::Index c = 0; c < C; ++c) Z_(r, c) += a * wj[c * d];
        }
    }
}

void BatchGradient::backward_sparse(Gradient& out) {
    const CsrView& x = data_.csr();
    const float* inv_std = scaler_.inv_std.data();
    const int64_t n = static_cast<int64_t>(rows_.size());
    if (slot_.size() != static_cast<size_t>(x.cols)) slot_.assign(static_cast<size_t>(x.cols), -1);
    out.rows.clear();
    for (int64_t r = 0; r < n; ++r)
        for (int64_t k = x.indptr[rows_[r]]; k < x.indptr[rows_[r] + 1]; ++k)
            if (slot_[x.indices[k]] < 0) {
                slot_[x.indices[k]] = 0;
                out.rows.push_back(x.indices[k]);
            }
    std::sort(out.rows.begin(), out.rows.end());  // a fixed order: deterministic updates
    for (size_t u = 0; u < out.rows.size(); ++u) slot_[out.rows[u]] = static_cast<int32_t>(u);
    out.g.setZero(static_cast<Eigen::Index>(out.rows.size()), G_.cols());
    for (int64_t r = 0; r < n; ++r)
        for (int64_t k = x.indptr[rows_[r]]; k < x.indptr[rows_[r] + 1]; ++k) {
            const int32_t j = x.indices[k];
            out.g.row(slot_[j]) += (x.values[k] * inv_std[j]) * G_.row(r);
        }
    for (int32_t j : out.rows) slot_[j] = -1;
}

}  // namespace linlearn
