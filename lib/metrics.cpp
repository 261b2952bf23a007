#include "metrics.hpp"

#include "error.hpp"
#include "sort_order.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace linlearn {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMinProb = 1e-15;  // sklearn's historical log_loss clip

double weight_at(const float* weight, Eigen::Index i) {
    return weight ? static_cast<double>(weight[i]) : 1.0;
}

bool is_positive(float label) { return label > 0.5f; }

// An empty denominator gives 0: sklearn's zero_division=0.
double ratio_or_zero(double num, double den) { return den != 0 ? num / den : 0.0; }

double f_beta(double precision, double recall, double beta) {
    const double b2 = beta * beta;
    return ratio_or_zero((1 + b2) * precision * recall, b2 * precision + recall);
}

// Every metric NaN: the answer for n == 0.
MetricList all_nan(MetricList list) {
    for (NamedValue& v : list) v.value = kNaN;
    return list;
}

// The class index a float label names; anything else would index out of bounds.
Eigen::Index class_of(float label, Eigen::Index classes) {
    const double c = label;
    if (!(c >= 0 && c < static_cast<double>(classes) && c == std::floor(c)))
        fail(ErrorCode::invalid_argument, "multiclass label " + std::to_string(label) +
                                              " is not a class index in [0, " +
                                              std::to_string(classes) + ")");
    return static_cast<Eigen::Index>(c);
}

// Where the true class sits in one row of probabilities.
struct RowRank {
    Eigen::Index argmax = 0;  // predicted class, lowest index on ties
    Eigen::Index above = 0;   // classes strictly more probable than the true one
    Eigen::Index tied_below = 0, tied_above = 0;  // equally probable, lower / higher index
};

template <class Row>
RowRank rank_in_row(const Row& row, Eigen::Index truth) {
    RowRank r;
    const double pt = row(truth);
    for (Eigen::Index j = 0; j < row.size(); ++j) {
        const double p = row(j);
        if (p > row(r.argmax)) r.argmax = j;
        if (p > pt) ++r.above;
        else if (p == pt && j < truth) ++r.tied_below;
        else if (p == pt && j > truth) ++r.tied_above;
    }
    return r;
}

}  // namespace

double roc_auc(const Eigen::Ref<const Eigen::VectorXd>& score, const float* label,
               const float* weight) {
    if (score.hasNaN()) return kNaN;  // NaN would also break the sort's ordering
    std::vector<Eigen::Index> order;
    order_descending(score, order);
    return roc_auc(score, order, label, weight);
}

double roc_auc(const Eigen::Ref<const Eigen::VectorXd>& score, const std::vector<Eigen::Index>& order,
               const float* label, const float* weight) {
    const Eigen::Index n = score.size();
    if (score.hasNaN()) return kNaN;

    // Walk the thresholds from the highest score down. Each group of tied scores adds one
    // trapezoid to the un-normalised curve (FP weight on x, TP weight on y); its area is the
    // weight of the pairs the group orders correctly plus half of those it ties.
    double tp = 0, fp = 0, area = 0;
    for (Eigen::Index i = 0; i < n;) {
        const double s = score[order[i]];
        double group_tp = 0, group_fp = 0;
        for (; i < n && score[order[i]] == s; ++i) {
            const Eigen::Index row = order[i];
            (is_positive(label[row]) ? group_tp : group_fp) += weight_at(weight, row);
        }
        area += group_fp * (tp + group_tp / 2);
        tp += group_tp;
        fp += group_fp;
    }
    return tp > 0 && fp > 0 ? area / (tp * fp) : kNaN;
}

MetricList binary_metrics(const Eigen::Ref<const Eigen::VectorXd>& score, const float* label,
                          const float* weight, double threshold, double beta,
                          bool score_is_probability) {
    std::vector<Eigen::Index> order;
    if (score.size() > 0 && !score.hasNaN()) order_descending(score, order);
    return binary_metrics(score, order, label, weight, threshold, beta, score_is_probability);
}

MetricList binary_metrics(const Eigen::Ref<const Eigen::VectorXd>& score, const std::vector<Eigen::Index>& order,
                          const float* label, const float* weight, double threshold, double beta,
                          bool score_is_probability) {
    MetricList out = {{"binary_classification_accuracy", 0}, {"precision", 0}, {"recall", 0},
                      {"binary_f_beta", 0}, {"roc_auc_score", 0}};
    if (score_is_probability) out.push_back({"log_loss", 0});
    const Eigen::Index n = score.size();
    if (n == 0) return all_nan(std::move(out));

    double total = 0, correct = 0, tp = 0, predicted = 0, actual = 0, loss = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
        const double w = weight_at(weight, i);
        const bool truth = is_positive(label[i]), guess = score[i] > threshold;
        total += w;
        correct += truth == guess ? w : 0;
        tp += truth && guess ? w : 0;
        predicted += guess ? w : 0;
        actual += truth ? w : 0;
        if (score_is_probability) {
            const double p = std::clamp(score[i], kMinProb, 1 - kMinProb);
            loss += w * -std::log(truth ? p : 1 - p);
        }
    }
    const double precision = ratio_or_zero(tp, predicted), recall = ratio_or_zero(tp, actual);
    out[0].value = correct / total;
    out[1].value = precision;
    out[2].value = recall;
    out[3].value = f_beta(precision, recall, beta);
    out[4].value = roc_auc(score, order, label, weight);
    if (score_is_probability) out[5].value = loss / total;
    return out;
}

MetricList multiclass_metrics(const Eigen::Ref<const Eigen::MatrixXd>& prob, const float* label,
                              const float* weight, int top_k, double beta) {
    MetricList out = {{"multiclass_accuracy", 0},  {"multiclass_top_k_accuracy", 0},
                      {"macro_precision", 0},      {"macro_recall", 0},
                      {"macro_f_beta", 0},         {"multiclass_balanced_accuracy", 0},
                      {"dcg", 0},                  {"multiclass_log_loss", 0}};
    const Eigen::Index n = prob.rows(), classes = prob.cols();
    if (n == 0) return all_nan(std::move(out));
    const Eigen::Index k = std::clamp<Eigen::Index>(top_k, 1, std::max<Eigen::Index>(classes, 1));

    // Per-class weights: correct predictions, predictions, labels.
    std::vector<double> tp(classes, 0.0), predicted(classes, 0.0), actual(classes, 0.0);
    double total = 0, correct = 0, top = 0, dcg = 0, loss = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
        const Eigen::Index truth = class_of(label[i], classes);
        const double w = weight_at(weight, i);
        const RowRank r = rank_in_row(prob.row(i), truth);
        total += w;
        actual[truth] += w;
        predicted[r.argmax] += w;
        if (r.argmax == truth) {
            tp[truth] += w;
            correct += w;
        }
        top += r.above + r.tied_above < k ? w : 0;  // sklearn puts the higher index first
        dcg += w / std::log2(2.0 + static_cast<double>(r.above + r.tied_below));
        loss += w * -std::log(std::clamp(prob(i, truth), kMinProb, 1.0));
    }

    double sum_p = 0, sum_r = 0, sum_f = 0, sum_present_r = 0;
    Eigen::Index present = 0;
    for (Eigen::Index c = 0; c < classes; ++c) {
        const double p = ratio_or_zero(tp[c], predicted[c]), r = ratio_or_zero(tp[c], actual[c]);
        sum_p += p;
        sum_r += r;
        sum_f += f_beta(p, r, beta);
        if (actual[c] > 0) {
            sum_present_r += r;
            ++present;
        }
    }
    const double kc = static_cast<double>(classes);
    out[0].value = correct / total;
    out[1].value = top / total;
    out[2].value = sum_p / kc;
    out[3].value = sum_r / kc;
    out[4].value = sum_f / kc;
    out[5].value = present ? sum_present_r / static_cast<double>(present) : kNaN;
    out[6].value = dcg / total;
    out[7].value = loss / total;
    return out;
}

MetricList regression_metrics(const Eigen::Ref<const Eigen::VectorXd>& pred, const float* label,
                              const float* weight) {
    MetricList out = {{"mse", 0}, {"rmse", 0}, {"absolute_loss", 0}, {"r2", 0}};
    const Eigen::Index n = pred.size();
    if (n == 0) return all_nan(std::move(out));

    double total = 0, ss_res = 0, abs_err = 0, label_sum = 0;
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;  // over rows that weigh
    for (Eigen::Index i = 0; i < n; ++i) {
        const double w = weight_at(weight, i), e = pred[i] - label[i];
        total += w;
        ss_res += w * e * e;
        abs_err += w * std::abs(e);
        label_sum += w * label[i];
        if (w != 0) {
            lo = std::min(lo, label[i]);
            hi = std::max(hi, label[i]);
        }
    }
    // Constant labels give SS_tot = 0 exactly, not the rounding noise of (y - mean)^2 when the
    // weighted mean is inexact. Otherwise a second pass about the mean, which does not cancel
    // the way sum(w y^2) - total * mean^2 would.
    const double mean = label_sum / total;
    double ss_tot = 0;
    if (lo != hi) {
        for (Eigen::Index i = 0; i < n; ++i) {
            const double d = label[i] - mean;
            ss_tot += weight_at(weight, i) * d * d;
        }
    }
    const double mse = ss_res / total;
    out[0].value = mse;
    out[1].value = std::sqrt(mse);
    out[2].value = abs_err / total;
    out[3].value = ss_tot != 0 ? 1 - ss_res / ss_tot : (ss_res == 0 ? 1.0 : 0.0);
    return out;
}

}  // namespace linlearn
