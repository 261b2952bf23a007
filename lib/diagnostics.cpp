#include "diagnostics.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "evaluation.hpp"

namespace linlearn {

bool Diagnostics::once(const std::string& code) {
    if (std::find(raised_.begin(), raised_.end(), code) != raised_.end()) return false;
    raised_.push_back(code);
    return true;
}

std::vector<Warning> Diagnostics::at_start(const Dataset& train, const Scaler& scaler) {
    std::vector<Warning> out;
    if (scaler.constant_features > 0 && once("constant_features"))
        out.push_back({"constant_features",
                       std::to_string(scaler.constant_features) +
                           " feature(s) are constant in the scaler's sample: they carry no information; "
                           "consider removing them"});
    if (cfg_.predictor == Predictor::regressor || !train.labels()) return out;
    std::vector<double> count(static_cast<size_t>(std::max(2, cfg_.num_classes)), 0.0);
    for (int64_t i = 0; i < train.rows(); ++i) count[static_cast<size_t>(train.labels()[i])] += 1;
    const double most = *std::max_element(count.begin(), count.end());
    const double least = *std::min_element(count.begin(), count.end());
    const bool weighted = cfg_.predictor == Predictor::binary
                              ? cfg_.balance_positive_weight || cfg_.models[0].positive_example_weight_mult != 1.0
                              : cfg_.balance_multiclass_weights;
    if (least * 10 < most && !weighted && once("class_imbalance")) {
        std::ostringstream m;
        m << "the training labels are imbalanced (largest class " << most << " rows, smallest " << least
          << "); consider "
          << (cfg_.predictor == Predictor::binary ? "positive_example_weight_mult=balanced"
                                                  : "balance_multiclass_weights=true")
          << (cfg_.predictor == Predictor::binary ? " or a selection criterion such as f_beta" : "");
        out.push_back({"class_imbalance", m.str()});
    }
    return out;
}

std::vector<Warning> Diagnostics::after_epoch(const std::vector<MetricList>& train,
                                              const std::vector<MetricList>& validation,
                                              const std::vector<bool>& one_class) {
    std::vector<Warning> out;
    const double tl = metric_value(train[0], "objective_loss");
    if (!std::isfinite(tl) && once("diverging")) {
        std::ostringstream m;
        m << "model 0's training loss is not finite: its learning rate (" << cfg_.models[0].learning_rate
          << ") is probably too large; try a smaller learning_rate, or normalize_data=true";
        out.push_back({"diverging", m.str(), 0});
    }
    train_loss_.push_back(tl);
    if (!validation.empty()) {
        validation_loss_.push_back(metric_value(validation[0], "objective_loss"));
        const size_t n = validation_loss_.size(), k = kOverfitEpochs;
        bool rising = n > k;
        for (size_t e = n - std::min(n, k); rising && e < n; ++e)
            rising = validation_loss_[e] > validation_loss_[e - 1] && train_loss_[e] < train_loss_[e - 1];
        if (rising && once("overfitting"))
            out.push_back({"overfitting",
                           "model 0's validation loss has risen for " + std::to_string(k) +
                               " epochs while its training loss fell: it is overfitting; the best checkpoint is "
                               "kept, and wd or l1 (or fewer epochs) would help",
                           0});
    }
    if (cfg_.predictor != Predictor::regressor && !one_class.empty() && one_class[0] && once("one_class"))
        out.push_back({"one_class",
                       "model 0 predicts a single class for every row of the calibration data; check the labels, "
                       "class weights (positive_example_weight_mult, balance_multiclass_weights) and learning rate",
                       0});
    return out;
}

}  // namespace linlearn
