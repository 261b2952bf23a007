// One mini-batch's forward and backward pass for all models at once.
//
// The models train on standardized features x' = (x - mean) * inv_std, but the data
// is never rewritten: with raw weights Wr = diag(inv_std)·W and br = b - Wrᵀ·mean,
//   Z = X·Wr + br,   ∂L/∂W = diag(inv_std)·(Xᵀ·G - mean·1ᵀG),   ∂L/∂b = 1ᵀG,
// so a batch costs two matrix products (GEMM) whatever the number of models.
//
// A dense batch goes a piece of at most kPiece rows at a time through the scores, the loss
// gradient and its share of Xᵀ·G while the piece is in cache. With a few models (at most
// kNarrow columns) the rows are read where they are, in the batch's runs of consecutive
// rows (epoch_order.hpp), through a list of their addresses (piece_scores, piece_axpy);
// with more, the rows are gathered into full pieces, for which the GEMM is more
// efficient. Each thread takes a fixed share of the batch's rows and keeps its own partial
// sums, added in a fixed order: results depend on the thread count, never on the scheduling.
//
// Sparse data is scaled but never centred (mean = 0), and its gradient is kept only for
// the features the batch touches: the update is lazy, as TensorFlow's LazyAdam, so a
// batch costs O(non-zeros × models) whatever the feature count.
#pragma once
#include <Eigen/Core>
#include <vector>

#include "config.hpp"
#include "dataset.hpp"
#include "epoch_order.hpp"
#include "scaler.hpp"

namespace linlearn {

// The narrow kernels, public for the tests. rows[i] is row i's d features (anywhere, any
// alignment); the C columns of W, G and gW are ldw, ldg, ldgw floats apart, Z's ldz.
// Z(i, c) = rows[i] · W(:, c) + b[c] for i < m. Each row's sum has one fixed order (SIMD
// lanes, then a tree), whatever the row's address.
void piece_scores(const float* const* rows, int64_t m, int64_t d, const float* W, int64_t ldw, int64_t C,
                  const float* b, float* Z, int64_t ldz);
// gW(:, c) += Σ_{i<m} G(i, c) · rows[i], the rows taken 4 at a time.
void piece_axpy(const float* const* rows, int64_t m, int64_t d, const float* G, int64_t ldg, int64_t C, float* gW,
                int64_t ldgw);

// A mini-batch's gradient: dense (rows empty, g is features × cols) or, for sparse data,
// only the touched features (g's row r belongs to feature rows[r]).
struct Gradient {
    bool sparse = false;
    std::vector<int32_t> rows;
    Eigen::MatrixXf g;
    Eigen::VectorXf gb;
};

class BatchGradient {
public:
    BatchGradient(const TrainConfig& config, const Dataset& train, const Scaler& scaler, int num_threads);

    // Computes gW and gb for the rows `runs` of the training data, with targets (labels,
    // normalised for regression) and per-row weights, at weights W, b.
    void compute(const Eigen::MatrixXf& W, const Eigen::VectorXf& b, const std::vector<RowRun>& runs,
                 Gradient& out);

private:
    static constexpr int64_t kPiece = 256;
    static constexpr Eigen::Index kNarrow = 4;  // up to this many columns: hand-written loops
    struct Part {  // one thread's share of a batch: its scratch and partial sums
        Eigen::MatrixXf Z, G, gW;
        Eigen::VectorXf gb;
        std::vector<float> x, y, rw, positive;  // gathered rows; per row: target, weight, label > 0.5
        std::vector<int64_t> ids;               // the rows of the gathered piece, of a narrow part
        std::vector<const float*> rows;         // where a narrow part's rows are
    };
    void dense_batch(const std::vector<RowRun>& runs, int64_t n, Gradient& out);
    void dense_part(Part& part, const std::vector<RowRun>& runs, int64_t begin, int64_t end, int64_t n);
    void narrow_part(Part& part, const std::vector<RowRun>& runs, int64_t begin, int64_t end, int64_t n);
    void narrow_piece(Part& part, int64_t off, int64_t m, int64_t n, bool first);
    void wide_piece(Part& part, int64_t m, int64_t n, bool first);
    void start_piece(Part& part, bool first) const;
    void piece_gradient(Part& part, const int64_t* ids, int64_t m, int64_t n);
    void row_terms(const int64_t* ids, int64_t m, int64_t n, float* y, float* rw, float* positive) const;
    void weight_rows(const float* rw, const float* positive, Eigen::Ref<Eigen::MatrixXf> G) const;
    void sparse_batch(const Eigen::MatrixXf& W, const Eigen::VectorXf& b, Gradient& out);
    void forward_sparse(const Eigen::MatrixXf& W, const Eigen::VectorXf& b);
    void backward_sparse(Gradient& out);

    const TrainConfig& cfg_;
    const Dataset& data_;
    const Scaler& scaler_;
    LossParams loss_params_;  // in the units of the normalised labels
    int threads_;
    Eigen::MatrixXf Wr_;                 // raw weights
    Eigen::VectorXf br_;
    std::vector<Part> parts_;
    Eigen::VectorXf class_weight_;       // multiclass balance weights (or empty)
    Eigen::ArrayXf positive_mult_;       // binary: each column's positive-example weight
    // Sparse path: the batch's rows, scores, dL/dZ, and feature -> compact gradient row.
    std::vector<int64_t> rows_;
    std::vector<float> yb_, rwb_, posb_;
    Eigen::MatrixXf Z_, G_;
    std::vector<int32_t> slot_;
};

}  // namespace linlearn
