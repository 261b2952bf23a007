// Choosing a binary classifier's decision threshold: the one that optimises the
// selection criterion on calibration data, found by one sweep over the sorted scores.
#pragma once
#include <Eigen/Core>
#include <vector>

#include "config.hpp"

namespace linlearn {

struct Calibration {
    double threshold;  // predicted label = score > threshold
    double value;      // the criterion's value at that threshold (NaN when undefined)
    bool feasible;     // false when no threshold meets a target recall/precision
};

// criterion must not be loss_function. Among equally good thresholds the one closest
// to default_threshold wins, so that calibration never moves it without a gain.
Calibration calibrate_threshold(const Eigen::Ref<const Eigen::VectorXd>& score, const float* labels,
                                const float* weights, Criterion criterion, const TrainConfig& config,
                                double default_threshold);
// The same with order = order_descending(score), e.g. shared with the ROC AUC of the
// same rows.
Calibration calibrate_threshold(const Eigen::Ref<const Eigen::VectorXd>& score, const std::vector<Eigen::Index>& order,
                                const float* labels, const float* weights, Criterion criterion,
                                const TrainConfig& config, double default_threshold);

}  // namespace linlearn
