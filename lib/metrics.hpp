// Evaluation metrics under SageMaker Linear Learner's metric names. Pure functions: they
// read the caller's arrays and return named values, nothing else.
//
// Conventions shared by every function below:
//  - weight: nullptr means every row weighs 1; otherwise each row's weight multiplies its
//    contribution to every metric (sklearn's sample_weight). Sums are accumulated in double.
//  - n == 0 (no rows): every value is NaN.
//  - Scores and probabilities are expected to be finite; a NaN score makes roc_auc NaN.
#pragma once
#include <Eigen/Core>
#include <string>
#include <vector>

namespace linlearn {

struct NamedValue {
    std::string name;
    double value;
};
using MetricList = std::vector<NamedValue>;

// Binary classification. score: one per row, a probability when score_is_probability, else
// a raw margin (e.g. hinge). A row is predicted positive when score > threshold; a label is
// positive when it is > 0.5 (labels are 0/1). Returns, in this order:
//  binary_classification_accuracy  weighted fraction of rows whose prediction equals the label
//  precision      TP / (TP + FP) for class 1; 0 when nothing is predicted positive
//  recall         TP / (TP + FN) for class 1; 0 when no label is positive
//  binary_f_beta  (1 + beta^2) P R / (beta^2 P + R); 0 when P + R == 0
//  roc_auc_score  roc_auc() below
//  log_loss       only when score_is_probability: weighted mean of -log(p) for positive rows
//                 and -log(1 - p) for negative ones, p clipped to [1e-15, 1 - 1e-15]
// (sklearn's accuracy/precision/recall/fbeta with zero_division=0, roc_auc_score, log_loss.)
MetricList binary_metrics(const Eigen::Ref<const Eigen::VectorXd>& score, const float* label,
                          const float* weight, double threshold, double beta,
                          bool score_is_probability);
// The same with the scores' order already known (order_descending(score)), e.g. from the
// calibration on the same rows: one sort fewer.
MetricList binary_metrics(const Eigen::Ref<const Eigen::VectorXd>& score, const std::vector<Eigen::Index>& order,
                          const float* label, const float* weight, double threshold, double beta,
                          bool score_is_probability);

// Exact ROC AUC: the area under the trapezoidal ROC curve through one point per distinct score,
// which is the weighted fraction of (positive, negative) pairs the score orders correctly, a
// tie counting 1/2 (as sklearn's roc_auc_score). One sort, O(n log n). NaN when either class
// has no (or zero total) weight, or when a score is NaN.
double roc_auc(const Eigen::Ref<const Eigen::VectorXd>& score, const float* label,
               const float* weight);
// The same with order = order_descending(score).
double roc_auc(const Eigen::Ref<const Eigen::VectorXd>& score, const std::vector<Eigen::Index>& order,
               const float* label, const float* weight);

// Multiclass. prob: n x K class probabilities (rows = examples). label: 0..K-1 as floats; a
// label outside that range throws Error(invalid_argument). The predicted class is the argmax,
// the lowest index winning ties (numpy's argmax). Returns, in this order:
//  multiclass_accuracy        weighted fraction of rows whose predicted class is the label
//  multiclass_top_k_accuracy  weighted fraction of rows whose label is among the k most probable
//                             classes, k clamped to [1, K]; equal probabilities rank the higher
//                             class index first (sklearn's top_k_accuracy_score)
//  macro_precision, macro_recall, macro_f_beta
//                             unweighted mean over all K classes (absent ones included: sklearn's
//                             average='macro' with labels=range(K)) of the per-class values,
//                             defined as in binary_metrics with zero_division = 0
//  multiclass_balanced_accuracy  mean per-class recall over the classes with positive label
//                             weight (sklearn's balanced_accuracy_score)
//  dcg                        linlearn's definition (SageMaker does not document its own):
//                             weighted mean of 1 / log2(1 + r), r the 1-based rank of the true
//                             class when classes are sorted by probability descending, ties
//                             broken by lower class index first
//  multiclass_log_loss        weighted mean of -log(clip(p_true, 1e-15, 1)) (no renormalisation)
MetricList multiclass_metrics(const Eigen::Ref<const Eigen::MatrixXd>& prob, const float* label,
                              const float* weight, int top_k, double beta);

// Regression. Returns, in this order (weighted as sklearn's sample_weight):
//  mse            weighted mean of (pred - label)^2
//  rmse           sqrt(mse)
//  absolute_loss  weighted mean of |pred - label|
//  r2             1 - SS_res / SS_tot, SS_tot about the weighted label mean; when SS_tot is 0
//                 (constant labels): 1.0 if SS_res is 0, else 0.0 (sklearn's r2_score)
MetricList regression_metrics(const Eigen::Ref<const Eigen::VectorXd>& pred, const float* label,
                              const float* weight);

}  // namespace linlearn
