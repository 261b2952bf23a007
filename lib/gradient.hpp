// One mini-batch's forward and backward pass for all models at once.
//
// The models train on standardized features x' = (x - mean) * inv_std, but the data
// is never rewritten: with raw weights Wr = diag(inv_std)·W and br = b - Wrᵀ·mean,
//   Z = X·Wr + br,   ∂L/∂W = diag(inv_std)·(Xᵀ·G - mean·1ᵀG),   ∂L/∂b = 1ᵀG,
// so a batch costs two matrix products (GEMM) whatever the number of models.
//
// Sparse data is scaled but never centred (mean = 0), and its gradient is kept only for
// the features the batch touches: the update is lazy, as TensorFlow's LazyAdam, so a
// batch costs O(non-zeros × models) whatever the feature count.
#pragma once
#include <Eigen/Core>
#include <vector>

#include "config.hpp"
#include "dataset.hpp"
#include "scaler.hpp"

namespace linlearn {

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

    // Computes gW and gb for the rows `rows` of the training data, with targets
    // (labels, normalised for regression) and per-row weights, at weights W, b.
    void compute(const Eigen::MatrixXf& W, const Eigen::VectorXf& b, const int64_t* rows, int64_t n,
                 Gradient& out);

private:
    void forward_dense(int64_t n);
    void backward_dense(int64_t n, Eigen::MatrixXf& gWraw);
    void forward_sparse(const Eigen::MatrixXf& W, const Eigen::VectorXf& b, const int64_t* rows, int64_t n);
    void backward_sparse(const int64_t* rows, int64_t n, Gradient& out);
    void row_weights(const int64_t* rows, int64_t n);

    const TrainConfig& cfg_;
    const Dataset& data_;
    const Scaler& scaler_;
    LossParams loss_params_;  // in the units of the normalised labels
    int threads_;
    std::vector<float> xb_;              // gathered dense batch, row-major
    std::vector<float> yb_;              // batch targets
    Eigen::MatrixXf Wr_, Z_, G_;         // raw weights, scores, dL/dZ
    std::vector<int32_t> slot_;          // sparse: feature -> row of the compact gradient, or -1
    Eigen::VectorXf br_;
    std::vector<Eigen::MatrixXf> partial_;  // per-thread gradient partial sums
    Eigen::VectorXf class_weight_;          // multiclass balance weights (or empty)
    double positive_weight_balanced_ = 1.0;
};

}  // namespace linlearn
