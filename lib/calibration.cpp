#include "calibration.hpp"

#include "sort_order.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace linlearn {

namespace {
struct Counts {
    double tp, fp, pos, neg;
};

double criterion_value(Criterion c, const Counts& k, const TrainConfig& cfg, bool& feasible) {
    const double precision = k.tp + k.fp > 0 ? k.tp / (k.tp + k.fp) : 0.0;
    const double recall = k.pos > 0 ? k.tp / k.pos : 0.0;
    feasible = true;
    switch (c) {
    case Criterion::accuracy: return (k.tp + k.neg - k.fp) / (k.pos + k.neg);
    case Criterion::f_beta: {
        const double b2 = cfg.f_beta * cfg.f_beta;
        return precision + recall > 0 ? (1 + b2) * precision * recall / (b2 * precision + recall) : 0.0;
    }
    case Criterion::precision_at_target_recall:
        feasible = recall >= cfg.target_recall;
        return precision;
    case Criterion::recall_at_target_precision:
        feasible = precision >= cfg.target_precision;
        return recall;
    case Criterion::loss_function: break;
    }
    return std::nan("");
}
}  // namespace

Calibration calibrate_threshold(const Eigen::Ref<const Eigen::VectorXd>& score, const float* labels,
                                const float* weights, Criterion criterion, const TrainConfig& config,
                                double default_threshold) {
    std::vector<Eigen::Index> order;
    if (score.allFinite()) order_descending(score, order);
    return calibrate_threshold(score, order, labels, weights, criterion, config, default_threshold);
}

Calibration calibrate_threshold(const Eigen::Ref<const Eigen::VectorXd>& score, const std::vector<Eigen::Index>& order,
                                const float* labels, const float* weights, Criterion criterion,
                                const TrainConfig& config, double default_threshold) {
    const Eigen::Index n = score.size();
    // A diverged model's scores (NaN, ±inf) have no meaningful threshold, and NaNs would
    // break the sort's ordering: no criterion value (such a model never wins selection).
    if (!score.allFinite()) return {default_threshold, std::nan(""), false};
    Counts k{0, 0, 0, 0};
    for (Eigen::Index i = 0; i < n; ++i) (labels[i] > 0.5f ? k.pos : k.neg) += weights ? weights[i] : 1.0;

    Calibration best{default_threshold, std::nan(""), false};
    auto consider = [&](double threshold) {
        bool feasible;
        const double v = criterion_value(criterion, k, config, feasible);
        const bool better = (feasible && !best.feasible) ||
                            (feasible == best.feasible &&
                             (std::isnan(best.value) || v > best.value ||
                              (v == best.value && std::fabs(threshold - default_threshold) <
                                                      std::fabs(best.threshold - default_threshold))));
        if (better) best = {threshold, v, feasible};
    };
    if (n == 0) return best;
    // Cut j: the first j scores (all > threshold) are predicted positive.
    consider(score[order[0]]);
    for (Eigen::Index j = 0; j < n;) {
        const double s = score[order[j]];
        for (; j < n && score[order[j]] == s; ++j)
            (labels[order[j]] > 0.5f ? k.tp : k.fp) += weights ? weights[order[j]] : 1.0;
        if (j == n) {  // everything positive: a threshold below the lowest score
            consider(s - 0.5 * std::max(1.0, std::fabs(s)));
            break;
        }
        // The midpoint, unless it rounds onto s (two adjacent doubles): then the lower
        // score itself, which still puts s above the threshold and the next one not.
        const double next = score[order[j]], mid = 0.5 * (s + next);
        consider(mid < s && mid >= next ? mid : next);
    }
    if (!best.feasible) best.value = 0.0;  // no threshold meets the target: worst possible
    return best;
}

}  // namespace linlearn
