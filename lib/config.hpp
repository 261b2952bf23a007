// TrainConfig: the hyperparameters resolved to typed values ("auto" replaced by what
// is used). Produced by Hyperparameters::resolve(); read by the trainer.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace linlearn {

enum class Predictor { binary, multiclass, regressor };
enum class Loss {
    logistic, hinge, softmax, squared, absolute, eps_squared, eps_absolute, quantile, huber
};
enum class Optimizer { sgd, adam, rmsprop };
enum class Criterion {
    accuracy, f_beta, precision_at_target_recall, recall_at_target_precision, loss_function
};

const char* to_string(Predictor p);
const char* to_string(Loss l);
const char* to_string(Optimizer o);
const char* to_string(Criterion c);

// The settings that differ between the models trained together.
struct ModelSettings {
    Optimizer optimizer = Optimizer::adam;
    double learning_rate = 0.1;
    double l1 = 0, wd = 0;
    double momentum = 0.9, beta_1 = 0.9, beta_2 = 0.999;
    double lr_scheduler_factor = 0.99, lr_scheduler_minimum_lr = 1e-5;
    int64_t lr_scheduler_step = 0;  // 0 = one epoch's worth of mini-batches
    double positive_example_weight_mult = 1.0;
};

struct LossParams {
    double margin = 1.0, loss_insensitivity = 0.01, quantile = 0.5, huber_delta = 1.0;
};

struct TrainConfig {
    Predictor predictor = Predictor::binary;
    Loss loss = Loss::logistic;
    LossParams loss_params;
    int num_classes = 2;  // outputs: K for multiclass, else 1 (see outputs())
    int64_t feature_dim = 0;  // 0 = from the data
    int epochs = 15;
    int64_t mini_batch_size = 1000;
    bool use_bias = true;
    bool normalize_data = true, normalize_label = false;
    bool unbias_data = true, unbias_label = false;
    int64_t num_point_for_scaler = 10000;
    bool use_lr_scheduler = true;
    double bias_lr_mult = 1, bias_wd_mult = 0;
    bool init_normal = false;
    double init_scale = 0.07, init_sigma = 0.01, init_bias = 0;
    Criterion criterion = Criterion::accuracy;
    double target_recall = 0.8, target_precision = 0.8, f_beta = 1.0;
    int64_t num_calibration_samples = 10000000;
    int early_stopping_patience = 3;
    double early_stopping_tolerance = 0.001;
    bool balance_positive_weight = false;  // positive_example_weight_mult=balanced
    bool balance_multiclass_weights = false;
    int accuracy_top_k = 3;
    uint64_t seed = 0;
    int num_threads = 0;  // 0 = OpenMP's default
    std::vector<ModelSettings> models;  // models[0] holds the settings as given
    // Every hyperparameter with its resolved value, for run_start and the summary.
    std::vector<std::pair<std::string, std::string>> resolved;

    int outputs() const { return predictor == Predictor::multiclass ? num_classes : 1; }
    int num_models() const { return static_cast<int>(models.size()); }
};

}  // namespace linlearn
