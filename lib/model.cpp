#include "model.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"
#include "evaluation.hpp"
#include "losses.hpp"

namespace linlearn {

using RowMatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void softmax_rows(Eigen::Ref<Eigen::MatrixXd> z) {
    for (Eigen::Index i = 0; i < z.rows(); ++i) {
        const double mx = z.row(i).maxCoeff();
        z.row(i) = (z.row(i).array() - mx).exp();
        z.row(i) /= z.row(i).sum();
    }
}

namespace {
constexpr int64_t kChunk = 2048;

// rows: the rows to score, in that order, or null for all of them.
void dense_scores(const DenseView& x, const int64_t* rows, int64_t n, const Eigen::MatrixXf& W,
                  const Eigen::VectorXf& b, Eigen::MatrixXf& Z, int num_threads) {
    const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel num_threads(num_threads) if (chunks > 1)
    {
        std::vector<float> gathered;  // a chunk of the listed rows, contiguous
#pragma omp for schedule(static)
        for (int64_t c = 0; c < chunks; ++c) {
            const int64_t r0 = c * kChunk, nr = std::min(kChunk, n - r0);
            const float* at = x.row(r0);
            int64_t stride = x.stride;
            if (rows) {
                gathered.resize(static_cast<size_t>(kChunk * x.cols));
                for (int64_t r = 0; r < nr; ++r)
                    std::copy_n(x.row(rows[r0 + r]), x.cols, &gathered[static_cast<size_t>(r * x.cols)]);
                at = gathered.data(), stride = x.cols;
            }
            Eigen::Map<const RowMatF, 0, Eigen::OuterStride<>> X(at, nr, x.cols, Eigen::OuterStride<>(stride));
            Z.middleRows(r0, nr).noalias() = X * W;
            Z.middleRows(r0, nr).rowwise() += b.transpose();
        }
    }
}

void sparse_scores(const CsrView& x, const int64_t* rows, int64_t n, const Eigen::MatrixXf& W,
                   const Eigen::VectorXf& b, Eigen::MatrixXf& Z, int num_threads) {
    const Eigen::MatrixXf Wt = W.transpose();  // one feature's weights contiguous
    const int64_t C = W.cols();
#pragma omp parallel num_threads(num_threads) if (n > kChunk)
    {
        Eigen::VectorXf z(C);
#pragma omp for schedule(static)
        for (int64_t r = 0; r < n; ++r) {
            const int64_t i = rows ? rows[r] : r;
            z = b;
            for (int64_t k = x.indptr[i]; k < x.indptr[i + 1]; ++k)
                z.noalias() += x.values[k] * Wt.col(x.indices[k]);
            Z.row(r) = z.transpose();
        }
    }
}

// Labels a classifier's metrics can count: 0/1, or 0..K-1; finite for regression.
void check_labels_for(const LinearModel& m, const Dataset& data) {
    const float* y = data.labels();
    for (int64_t i = 0; i < data.rows(); ++i) {
        const float v = y[i];
        const bool ok = m.predictor == Predictor::regressor ? std::isfinite(v)
                        : m.predictor == Predictor::binary  ? (v == 0 || v == 1)
                                                            : (v >= 0 && v < m.num_classes && v == std::floor(v));
        if (!ok)
            fail(ErrorCode::invalid_argument,
                 "evaluate: row " + std::to_string(i + 1) + " has label " + std::to_string(v) + "; the " +
                     to_string(m.predictor) + " takes " +
                     (m.predictor == Predictor::regressor ? std::string("finite labels")
                      : m.predictor == Predictor::binary  ? std::string("labels 0 or 1")
                                                          : "labels 0.." + std::to_string(m.num_classes - 1)));
    }
}

void check_features(int64_t got, int64_t want) {
    if (got != want)
        fail(ErrorCode::invalid_argument, "the data has " + std::to_string(got) +
                                              " features but the model takes " + std::to_string(want));
}
}  // namespace

void linear_scores(const Dataset& data, const Eigen::MatrixXf& W, const Eigen::VectorXf& b,
                   Eigen::MatrixXf& Z, int num_threads) {
    linear_scores(data, nullptr, data.rows(), W, b, Z, num_threads);
}

void linear_scores(const Dataset& data, const int64_t* rows, int64_t n, const Eigen::MatrixXf& W,
                   const Eigen::VectorXf& b, Eigen::MatrixXf& Z, int num_threads) {
    Z.resize(n, W.cols());
    if (num_threads <= 0) num_threads = 1;
    if (data.sparse()) sparse_scores(data.csr(), rows, n, W, b, Z, num_threads);
    else dense_scores(data.dense(), rows, n, W, b, Z, num_threads);
}

namespace {
// Writes one row's output from its K linear scores.
void emit_row(const LinearModel& m, const float* z, int64_t z_stride, PredictKind kind, double* out) {
    const int K = m.outputs();
    if (kind == PredictKind::raw || m.predictor == Predictor::regressor) {
        for (int k = 0; k < (kind == PredictKind::label ? 1 : K); ++k) out[k] = z[k * z_stride];
        return;
    }
    if (m.predictor == Predictor::binary) {
        const double s = m.score_is_probability() ? sigmoid(z[0]) : z[0];
        out[0] = kind == PredictKind::label ? (s > m.threshold ? 1.0 : 0.0) : s;
        return;
    }
    int best = 0;
    double mx = z[0];
    for (int k = 1; k < K; ++k)
        if (z[k * z_stride] > mx) mx = z[k * z_stride], best = k;
    if (kind == PredictKind::label) {
        out[0] = best;
        return;
    }
    double sum = 0;
    for (int k = 0; k < K; ++k) sum += (out[k] = std::exp(z[k * z_stride] - mx));
    for (int k = 0; k < K; ++k) out[k] /= sum;
}
}  // namespace

void LinearModel::predict(const DenseView& x, PredictKind kind, double* out) const {
    check_features(x.cols, num_features());
    const int K = outputs(), per_row = values_per_row(kind);
    float z[64];
    if (K <= 64) {  // allocation-free path: one dot product per output
        for (int64_t i = 0; i < x.rows; ++i) {
            Eigen::Map<const Eigen::VectorXf> xi(x.row(i), x.cols);
            for (int k = 0; k < K; ++k) z[k] = b[k] + W.col(k).dot(xi);
            emit_row(*this, z, 1, kind, out + i * per_row);
        }
        return;
    }
    Dataset d = Dataset::dense_view(x.data, x.rows, x.cols, x.stride, nullptr, nullptr);
    predict(d, kind, out);
}

void LinearModel::predict(const Dataset& data, PredictKind kind, double* out) const {
    check_features(data.cols(), num_features());
    if (!data.sparse() && outputs() <= 64) return predict(data.dense(), kind, out);
    Eigen::MatrixXf Z;
    linear_scores(data, W, b, Z, 1);
    const int per_row = values_per_row(kind);
    for (int64_t i = 0; i < Z.rows(); ++i) emit_row(*this, &Z(i, 0), Z.rows(), kind, out + i * per_row);
}

Eigen::MatrixXd LinearModel::scores(const Dataset& data) const {
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> s(data.rows(), outputs());
    predict(data, PredictKind::score, s.data());
    return s;
}

MetricList LinearModel::evaluate(const Dataset& data) const {
    check_features(data.cols(), num_features());
    if (!data.labels()) fail(ErrorCode::invalid_argument, "evaluate: the data has no labels");
    check_labels_for(*this, data);
    Eigen::MatrixXf Z;
    linear_scores(data, W, b, Z, 1);
    return evaluate_scores({predictor, loss, loss_params, f_beta, top_k}, Z, data.labels(), data.weights(),
                           threshold);
}

}  // namespace linlearn
