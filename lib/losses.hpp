// Loss functions: values and derivatives with respect to the linear score z.
// Binary labels are 0/1; regression losses see the residual r = z - y.
#pragma once
#include <Eigen/Core>

#include "config.hpp"

namespace linlearn {

// The logistic function, without overflow for large |z|.
double sigmoid(double z);

// The same for a column of scores, in double, vectorised (the per-epoch evaluation).
Eigen::VectorXd sigmoid(const Eigen::Ref<const Eigen::VectorXf>& z);
// The same into out (resized), reusing its storage.
void sigmoid(const Eigen::Ref<const Eigen::VectorXf>& z, Eigen::VectorXd& out);

// The loss of one score for one label (not softmax: see softmax_* below).
double loss_value(Loss loss, const LossParams& p, double z, double y);
// dL/dz of the same.
double loss_derivative(Loss loss, const LossParams& p, double z, double y);

// Softmax cross-entropy on one row of K scores: writes p - onehot(y) into grad (may be
// null) and returns -log p_y, computed stably.
double softmax_loss_row(const float* z, int64_t z_stride, int K, int y, float* grad,
                        int64_t grad_stride);

// Fills G (rows × outputs·models) with dL/dz for the scores Z of every model at once,
// in float and vectorised (this runs on every mini-batch). K: outputs per model (softmax
// over each block of K columns). labels: one per row of Z.
void loss_gradient(Loss loss, const LossParams& p, int K, const Eigen::Ref<const Eigen::MatrixXf>& Z,
                   const float* labels, Eigen::Ref<Eigen::MatrixXf> G);

// The mean (weighted by w when not null) loss of scores z (rows × K) for labels.
double mean_loss(Loss loss, const LossParams& p, const Eigen::Ref<const Eigen::MatrixXf>& z,
                 const float* labels, const float* w);

}  // namespace linlearn
