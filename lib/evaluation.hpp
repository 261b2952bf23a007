// The metric set of one model from its linear scores: objective_loss first, then the
// predictor type's metrics (metrics.hpp), all with SageMaker's names.
#pragma once
#include <Eigen/Core>
#include <vector>

#include "config.hpp"
#include "metrics.hpp"

namespace linlearn {

struct EvalSpec {
    Predictor predictor;
    Loss loss;
    LossParams loss_params;
    double f_beta = 1.0;
    int top_k = 3;
};

// z: rows × outputs linear scores (regression: predictions in label units).
MetricList evaluate_scores(const EvalSpec& spec, const Eigen::Ref<const Eigen::MatrixXf>& z,
                           const float* labels, const float* weights, double threshold);

// A binary classifier's scores on one data set as its metrics and the threshold
// calibration read them, computed once for both: probabilities (raw margins for hinge)
// in double, and their order, highest first (empty when a score is NaN).
struct BinaryScores {
    Eigen::VectorXd score;
    std::vector<Eigen::Index> order;
};
void binary_scores(const EvalSpec& spec, const Eigen::Ref<const Eigen::VectorXf>& z, BinaryScores& out);

// evaluate_scores for a binary classifier, with s = binary_scores(spec, z.col(0)).
MetricList evaluate_binary(const EvalSpec& spec, const Eigen::Ref<const Eigen::MatrixXf>& z, const BinaryScores& s,
                           const float* labels, const float* weights, double threshold);

// Looks a metric up by name; NaN when absent.
double metric_value(const MetricList& list, const std::string& name);

}  // namespace linlearn
