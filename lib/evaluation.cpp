#include "evaluation.hpp"

#include <cmath>

#include "losses.hpp"
#include "model.hpp"
#include "sort_order.hpp"

namespace linlearn {

MetricList evaluate_scores(const EvalSpec& spec, const Eigen::Ref<const Eigen::MatrixXf>& z,
                           const float* labels, const float* weights, double threshold) {
    if (spec.predictor == Predictor::binary) {
        BinaryScores s;
        binary_scores(spec, z.col(0), s);
        return evaluate_binary(spec, z, s, labels, weights, threshold);
    }
    MetricList out{{"objective_loss", mean_loss(spec.loss, spec.loss_params, z, labels, weights)}};
    MetricList rest;
    if (spec.predictor == Predictor::regressor) {
        rest = regression_metrics(z.col(0).cast<double>(), labels, weights);
    } else {
        Eigen::MatrixXd p = z.cast<double>();
        softmax_rows(p);
        rest = multiclass_metrics(p, labels, weights, spec.top_k, spec.f_beta);
    }
    out.insert(out.end(), rest.begin(), rest.end());
    return out;
}

void binary_scores(const EvalSpec& spec, const Eigen::Ref<const Eigen::VectorXf>& z, BinaryScores& out) {
    if (spec.loss != Loss::hinge) sigmoid(z, out.score);
    else out.score = z.cast<double>();
    out.order.clear();
    // The score is a non-decreasing function of z: z's 32-bit keys sort in half the passes.
    if (out.score.size() > 0 && !out.score.hasNaN()) order_descending(z, out.score, out.order);
}

MetricList evaluate_binary(const EvalSpec& spec, const Eigen::Ref<const Eigen::MatrixXf>& z, const BinaryScores& s,
                           const float* labels, const float* weights, double threshold) {
    MetricList out{{"objective_loss", mean_loss(spec.loss, spec.loss_params, z, labels, weights)}};
    const MetricList rest =
        binary_metrics(s.score, s.order, labels, weights, threshold, spec.f_beta, spec.loss != Loss::hinge);
    out.insert(out.end(), rest.begin(), rest.end());
    return out;
}

double metric_value(const MetricList& list, const std::string& name) {
    for (const auto& m : list)
        if (m.name == name) return m.value;
    return std::nan("");
}

}  // namespace linlearn
