// The metric set of one model from its linear scores: objective_loss first, then the
// predictor type's metrics (metrics.hpp), all with SageMaker's names.
#pragma once
#include <Eigen/Core>

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

// Looks a metric up by name; NaN when absent.
double metric_value(const MetricList& list, const std::string& name);

}  // namespace linlearn
