// Warnings with advice, beyond SageMaker: raised once each, at the epoch they appear,
// and delivered by the trainer as diagnostic events.
#pragma once
#include <string>
#include <vector>

#include "config.hpp"
#include "dataset.hpp"
#include "metrics.hpp"
#include "scaler.hpp"

namespace linlearn {

struct Warning {
    std::string code;  // stable short id: "diverging", "overfitting", ...
    std::string message;
    int model = -1;
};

class Diagnostics {
public:
    explicit Diagnostics(const TrainConfig& config) : cfg_(config) {}

    // Before training: constant features, heavy class imbalance without class weights.
    std::vector<Warning> at_start(const Dataset& train, const Scaler& scaler);
    // After each epoch, from model 0's series (whose settings are the user's) and from
    // which models predicted a single class on the calibration data.
    std::vector<Warning> after_epoch(const std::vector<MetricList>& train, const std::vector<MetricList>& validation,
                                     const std::vector<bool>& one_class);

    static constexpr int kOverfitEpochs = 3;  // rising validation loss while training loss falls

private:
    bool once(const std::string& code);

    const TrainConfig& cfg_;
    std::vector<std::string> raised_;
    std::vector<double> train_loss_, validation_loss_;  // model 0, per epoch
};

}  // namespace linlearn
