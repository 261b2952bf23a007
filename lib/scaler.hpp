// Feature and label statistics from a seeded sample of num_point_for_scaler rows.
// Training runs on standardized features x' = (x - mean) * inv_std without ever
// materialising them: the trainer folds the statistics into the weights.
#pragma once
#include <Eigen/Core>

#include "config.hpp"
#include "dataset.hpp"

namespace linlearn {

struct Scaler {
    Eigen::VectorXf mean;     // 0 when not centring (and always for sparse data)
    Eigen::VectorXf inv_std;  // 1 when not scaling, and for constant features
    double label_mean = 0, label_std = 1;
    Eigen::Index constant_features = 0;  // features with zero variance in the sample
};

Scaler fit_scaler(const Dataset& data, const TrainConfig& config);

}  // namespace linlearn
