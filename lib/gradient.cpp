#include "gradient.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "losses.hpp"

namespace linlearn {

namespace {
using RowMatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using StridedRows = Eigen::Map<const RowMatF, 0, Eigen::OuterStride<>>;
namespace ei = Eigen::internal;
// The widest SIMD register Eigen uses for float in this build (4, 8 or 16 lanes): the
// kernels below adapt to the portable and the -march=native builds alike.
using Packet = ei::packet_traits<float>::type;
constexpr int64_t kLanes = ei::packet_traits<float>::size;
constexpr int64_t kCols = 4;  // columns a pass over the rows (their tails on the stack)

// The dot product of one row with w, d ≥ kLanes: one register of partial sums, one tree
// sum at the end. The last, partial register is read as the row's last kLanes floats
// against `tail` (w's last kLanes values, those already counted zeroed), so there is no
// scalar remainder. One row at a time, in address order: the alternative measured, 4 rows
// interleaved (more independent FMA chains), was slower: it reads 4 places in turn, and
// the hardware prefetcher, which sets the pace here, follows one stream better.
inline float dot_row(const float* x, const float* w, const float* tail, int64_t d) {
    Packet a = ei::pset1<Packet>(0.f);
    int64_t j = 0;
    for (; j + kLanes <= d; j += kLanes) a = ei::pmadd(ei::ploadu<Packet>(x + j), ei::ploadu<Packet>(w + j), a);
    if (j < d) a = ei::pmadd(ei::ploadu<Packet>(x + d - kLanes), ei::ploadu<Packet>(tail), a);
    return ei::predux(a);
}

// w's last kLanes values, those that the full registers already count zeroed (d ≥ kLanes).
void tail_weights(const float* w, int64_t d, float* tail) {
    const int64_t done = d / kLanes * kLanes;
    for (int64_t k = 0; k < kLanes; ++k) tail[k] = d - kLanes + k >= done ? w[d - kLanes + k] : 0.f;
}

// Rows shorter than one register: plain sums.
void short_scores(const float* const* rows, int64_t m, int64_t d, const float* W, int64_t ldw, int64_t C,
                  const float* b, float* Z, int64_t ldz) {
    for (int64_t c = 0; c < C; ++c)
        for (int64_t i = 0; i < m; ++i) {
            float s = 0;
            for (int64_t j = 0; j < d; ++j) s += rows[i][j] * W[c * ldw + j];
            Z[c * ldz + i] = s + b[c];
        }
}

// Scores of columns [c0, c0 + nc), nc ≤ kCols, row by row: a row is read from memory once
// for all of them.
void scores_columns(const float* const* rows, int64_t m, int64_t d, const float* W, int64_t ldw, int64_t c0,
                    int64_t nc, const float* b, float* Z, int64_t ldz) {
    float tail[kCols][kLanes];
    for (int64_t c = 0; c < nc; ++c) tail_weights(W + (c0 + c) * ldw, d, tail[c]);
    for (int64_t i = 0; i < m; ++i)
        for (int64_t c = c0; c < c0 + nc; ++c) Z[c * ldz + i] = dot_row(rows[i], W + c * ldw, tail[c - c0], d) + b[c];
}

// gW(:, c) += Σ_i g_i x_i for one column, the rows (in cache by now) 4 at a time, so that
// `out` is loaded and stored once per 4 rows.
void axpy_column(const float* const* rows, int64_t m, int64_t d, const float* g, float* out) {
    int64_t i = 0;
    for (; i + 4 <= m; i += 4) {
        const float *x0 = rows[i], *x1 = rows[i + 1], *x2 = rows[i + 2], *x3 = rows[i + 3];
        const float g0 = g[i], g1 = g[i + 1], g2 = g[i + 2], g3 = g[i + 3];
#pragma omp simd
        for (int64_t j = 0; j < d; ++j) out[j] += g0 * x0[j] + g1 * x1[j] + g2 * x2[j] + g3 * x3[j];
    }
    for (; i < m; ++i) {
        const float* xi = rows[i];
        const float gi = g[i];
#pragma omp simd
        for (int64_t j = 0; j < d; ++j) out[j] += gi * xi[j];
    }
}
}  // namespace

void piece_scores(const float* const* rows, int64_t m, int64_t d, const float* W, int64_t ldw, int64_t C,
                  const float* b, float* Z, int64_t ldz) {
    if (d < kLanes) return short_scores(rows, m, d, W, ldw, C, b, Z, ldz);
    for (int64_t c0 = 0; c0 < C; c0 += kCols)
        scores_columns(rows, m, d, W, ldw, c0, std::min(kCols, C - c0), b, Z, ldz);
}

void piece_axpy(const float* const* rows, int64_t m, int64_t d, const float* G, int64_t ldg, int64_t C, float* gW,
                int64_t ldgw) {
    for (int64_t c = 0; c < C; ++c) axpy_column(rows, m, d, G + c * ldg, gW + c * ldgw);
}

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

// Per row of the piece: the training target (the label, normalised for regression), the
// row's weight (example weight × class weight / n) and whether the label is positive. The
// labels are gathered once; the rest runs on contiguous arrays (vectorised).
void BatchGradient::row_terms(const int64_t* ids, int64_t m, int64_t n, float* y, float* rw,
                              float* positive) const {
    const float* label = data_.labels();
    const float* w = data_.weights();
    const float inv_std = static_cast<float>(1.0 / scaler_.label_std);
    const float mean = static_cast<float>(scaler_.label_mean);
    const float fn = static_cast<float>(n);
    for (int64_t r = 0; r < m; ++r) positive[r] = label[ids[r]];  // the raw labels, for now
    if (w)
        for (int64_t r = 0; r < m; ++r) rw[r] = w[ids[r]] / fn;
    else
        std::fill(rw, rw + m, 1.0f / fn);
    if (class_weight_.size())
        for (int64_t r = 0; r < m; ++r) rw[r] *= class_weight_[static_cast<int>(positive[r])];
    for (int64_t r = 0; r < m; ++r) {
        const float l = positive[r];
        y[r] = (l - mean) * inv_std;
        positive[r] = l > 0.5f ? 1.0f : 0.0f;
    }
}

// G ← G · row weight and, for a binary classifier's positive rows, per model column
// (positive_example_weight_mult).
void BatchGradient::weight_rows(const float* rw, const float* positive, Eigen::Ref<Eigen::MatrixXf> G) const {
    const Eigen::Map<const Eigen::ArrayXf> w(rw, G.rows()), pos(positive, G.rows());
    if (positive_mult_.size() == 0) {
        G.array().colwise() *= w;
        return;
    }
    for (Eigen::Index c = 0; c < G.cols(); ++c) G.col(c).array() *= w * (1.0f + pos * (positive_mult_[c] - 1.0f));
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
    for (int p = 0; p < P; ++p) {
        // A few models read the runs where they are; more do better with the GEMM of full,
        // gathered pieces (measured: bench/README.md, case 2).
        if (Wr_.cols() <= kNarrow) narrow_part(parts_[p], runs, n * p / P, n * (p + 1) / P, n);
        else dense_part(parts_[p], runs, n * p / P, n * (p + 1) / P, n);
    }
    Eigen::MatrixXf gW = parts_[0].gW;
    out.gb = parts_[0].gb;
    for (int p = 1; p < P; ++p) gW += parts_[p].gW, out.gb += parts_[p].gb;
    out.rows.clear();
    out.g.noalias() = scaler_.inv_std.asDiagonal() * (gW - scaler_.mean * out.gb.transpose());
}

// Rows [begin, end) of the batch (counted along its runs), gathered a piece of at most
// kPiece rows at a time.
void BatchGradient::dense_part(Part& part, const std::vector<RowRun>& runs, int64_t begin, int64_t end,
                               int64_t n) {
    const DenseView& x = data_.dense();
    const int64_t d = x.cols;
    part.x.resize(static_cast<size_t>(kPiece * d));
    part.ids.resize(kPiece);
    int64_t gathered = 0, pos = 0;
    bool first = true;
    for (const RowRun& run : runs) {
        const int64_t lo = std::max(begin, pos), hi = std::min(end, pos + run.count);
        const int64_t row0 = run.first + (lo - pos);
        pos += run.count;
        for (int64_t i = row0; i < row0 + (hi - lo); ++i) {
            std::memcpy(&part.x[static_cast<size_t>(gathered * d)], x.row(i), sizeof(float) * d);
            part.ids[static_cast<size_t>(gathered++)] = i;
            if (gathered == kPiece) wide_piece(part, gathered, n, first), first = false, gathered = 0;
        }
        if (pos >= end) break;
    }
    if (gathered > 0) wide_piece(part, gathered, n, first), first = false;
    if (first) part.gW.setZero(d, Wr_.cols()), part.gb.setZero(Wr_.cols());  // no rows: nothing to add
}

// The same for a few models: the part's rows are read where they are, from a list of their
// addresses, so that no row is copied and every piece but the last is full.
void BatchGradient::narrow_part(Part& part, const std::vector<RowRun>& runs, int64_t begin, int64_t end,
                                int64_t n) {
    const DenseView& x = data_.dense();
    part.ids.resize(static_cast<size_t>(end - begin));
    part.rows.resize(part.ids.size());
    int64_t pos = 0, k = 0;
    for (const RowRun& run : runs) {
        const int64_t lo = std::max(begin, pos), hi = std::min(end, pos + run.count);
        for (int64_t i = run.first + (lo - pos); i < run.first + (hi - pos); ++i, ++k)
            part.ids[static_cast<size_t>(k)] = i, part.rows[static_cast<size_t>(k)] = x.row(i);
        pos += run.count;
        if (pos >= end) break;
    }
    if (k == 0) {
        part.gW.setZero(x.cols, Wr_.cols()), part.gb.setZero(Wr_.cols());
        return;
    }
    for (int64_t off = 0; off < k; off += kPiece) narrow_piece(part, off, std::min(kPiece, k - off), n, off == 0);
}

// Sizes the part's scratch for a piece; the part's first piece zeroes its sums.
void BatchGradient::start_piece(Part& part, bool first) const {
    const Eigen::Index C = Wr_.cols();
    if (part.Z.rows() < kPiece || part.Z.cols() != C) part.Z.resize(kPiece, C), part.G.resize(kPiece, C);
    for (auto* v : {&part.y, &part.rw, &part.positive}) v->resize(kPiece);
    if (first) part.gW.setZero(data_.cols(), C), part.gb.setZero(C);
}

// G of the piece's m rows (ids) from their scores in Z: the loss gradient, weighted by
// row; its column sums go to gb.
void BatchGradient::piece_gradient(Part& part, const int64_t* ids, int64_t m, int64_t n) {
    row_terms(ids, m, n, part.y.data(), part.rw.data(), part.positive.data());
    auto G = part.G.topRows(m);
    loss_gradient(cfg_.loss, loss_params_, cfg_.outputs(), part.Z.topRows(m), part.y.data(), G);
    weight_rows(part.rw.data(), part.positive.data(), G);
    part.gb += G.colwise().sum().transpose();
}

// Scores, loss gradient and Xᵀ·G of the gathered piece of m rows (part.x), added to the
// part's sums.
void BatchGradient::wide_piece(Part& part, int64_t m, int64_t n, bool first) {
    start_piece(part, first);
    const StridedRows X(part.x.data(), m, data_.cols(), Eigen::OuterStride<>(data_.cols()));
    auto Z = part.Z.topRows(m);
    Z.noalias() = X * Wr_;
    Z.rowwise() += br_.transpose();
    piece_gradient(part, part.ids.data(), m, n);
    part.gW.noalias() += X.transpose() * part.G.topRows(m);
}

// The same for the narrow piece of m rows from the part's row `off`: read from memory for
// the scores, and again, still in cache, for Xᵀ·G.
void BatchGradient::narrow_piece(Part& part, int64_t off, int64_t m, int64_t n, bool first) {
    start_piece(part, first);
    const int64_t C = Wr_.cols(), ld = part.Z.rows(), d = data_.cols();
    const float* const* rows = part.rows.data() + off;
    piece_scores(rows, m, d, Wr_.data(), Wr_.rows(), C, br_.data(), part.Z.data(), ld);
    piece_gradient(part, part.ids.data() + off, m, n);
    piece_axpy(rows, m, d, part.G.data(), ld, C, part.gW.data(), part.gW.rows());
}

void BatchGradient::sparse_batch(const Eigen::MatrixXf& W, const Eigen::VectorXf& b, Gradient& out) {
    const int64_t n = static_cast<int64_t>(rows_.size());
    for (auto* v : {&yb_, &rwb_, &posb_}) v->resize(rows_.size());
    row_terms(rows_.data(), n, n, yb_.data(), rwb_.data(), posb_.data());
    forward_sparse(W, b);
    G_.resize(n, W.cols());
    loss_gradient(cfg_.loss, loss_params_, cfg_.outputs(), Z_, yb_.data(), G_);
    weight_rows(rwb_.data(), posb_.data(), G_);
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
