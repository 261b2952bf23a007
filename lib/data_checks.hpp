// Checks of the data against the task before training: labels, weights, finite values,
// feature counts. Each failure names the dataset, the row (1-based) and the value.
#pragma once
#include <string>

#include "config.hpp"
#include "dataset.hpp"

namespace linlearn {

// role: "train", "validation", "test" (used in messages).
void check_labels(const Dataset& data, const TrainConfig& config, const std::string& role);
void check_finite_features(const Dataset& data, const std::string& role);
// The feature count the model will have, checked across the datasets and feature_dim.
int64_t check_feature_counts(const Dataset& train, const Dataset* validation, const Dataset* test,
                             int64_t feature_dim);

}  // namespace linlearn
