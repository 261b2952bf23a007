#include "evaluation.hpp"

#include <cmath>

#include "losses.hpp"
#include "model.hpp"

namespace linlearn {

MetricList evaluate_scores(const EvalSpec& spec, const Eigen::Ref<const Eigen::MatrixXf>& z,
                           const float* labels, const float* weights, double threshold) {
    MetricList out{{"objective_loss", mean_loss(spec.loss, spec.loss_params, z, labels, weights)}};
    MetricList rest;
    if (spec.predictor == Predictor::regressor) {
        rest = regression_metrics(z.col(0).cast<double>(), labels, weights);
    } else if (spec.predictor == Predictor::binary) {
        const bool prob = spec.loss != Loss::hinge;
        const Eigen::VectorXd s = prob ? sigmoid(z.col(0)) : Eigen::VectorXd(z.col(0).cast<double>());
        rest = binary_metrics(s, labels, weights, threshold, spec.f_beta, prob);
    } else {
        Eigen::MatrixXd p = z.cast<double>();
        softmax_rows(p);
        rest = multiclass_metrics(p, labels, weights, spec.top_k, spec.f_beta);
    }
    out.insert(out.end(), rest.begin(), rest.end());
    return out;
}

double metric_value(const MetricList& list, const std::string& name) {
    for (const auto& m : list)
        if (m.name == name) return m.value;
    return std::nan("");
}

}  // namespace linlearn
