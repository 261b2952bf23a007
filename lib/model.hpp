// A trained linear model on raw features: scaling is folded into W and b, so it takes
// the features and returns labels in their own units.
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"
#include "dataset.hpp"
#include "events.hpp"

namespace linlearn {

enum class PredictKind { score = 0, label = 1, raw = 2 };

// What incremental training needs beyond the weights: the scaler the model was trained
// with and its optimizer's state (SageMaker's incremental training resumes from these).
struct TrainingState {
    Eigen::VectorXf mean, inv_std;  // features
    double label_mean = 0, label_std = 1;
    Eigen::MatrixXf m1, m2;  // optimizer moments in the standardized space, features × outputs
    Eigen::VectorXf bm1, bm2;
    int64_t steps = 0;
    double learning_rate = 0;
};

struct LinearModel {
    Predictor predictor = Predictor::binary;
    Loss loss = Loss::logistic;
    int num_classes = 2;
    Eigen::MatrixXf W;  // features × outputs
    Eigen::VectorXf b;  // outputs
    double threshold = 0.5;  // binary: label = score > threshold
    LossParams loss_params;  // for the objective loss in evaluate()
    double f_beta = 1.0;
    int top_k = 3;
    // Provenance, kept in the file for the record.
    int best_epoch = -1, best_model = 0;
    RunStatus status = RunStatus::completed;
    std::vector<std::pair<std::string, std::string>> hyperparameters;
    bool has_state = false;
    TrainingState state;

    int64_t num_features() const { return W.rows(); }
    int outputs() const { return static_cast<int>(W.cols()); }
    bool score_is_probability() const { return predictor != Predictor::regressor && loss != Loss::hinge; }
    // Values per row that predict(kind) writes.
    int values_per_row(PredictKind kind) const {
        return kind == PredictKind::label ? 1 : outputs();
    }

    // Writes rows × values_per_row(kind) doubles, row-major.
    void predict(const DenseView& x, PredictKind kind, double* out) const;
    void predict(const Dataset& data, PredictKind kind, double* out) const;
    // Scores (as LL_PREDICT_SCORE) into a rows × outputs matrix, for evaluation.
    Eigen::MatrixXd scores(const Dataset& data) const;
    // The metric set on labelled data, SageMaker's names, objective_loss first.
    MetricList evaluate(const Dataset& data) const;
};

// Linear scores X·W + b of a dataset for a weight matrix (features × cols), in chunks
// processed in parallel.
void linear_scores(const Dataset& data, const Eigen::MatrixXf& W, const Eigen::VectorXf& b,
                   Eigen::MatrixXf& Z, int num_threads);
// The same for n rows of data listed in `rows`, in that order (null: the first n rows);
// the rows are read where they are, not copied.
void linear_scores(const Dataset& data, const int64_t* rows, int64_t n, const Eigen::MatrixXf& W,
                   const Eigen::VectorXf& b, Eigen::MatrixXf& Z, int num_threads);

// Converts linear scores to class probabilities (sigmoid() is in losses.hpp).
void softmax_rows(Eigen::Ref<Eigen::MatrixXd> z);

// Model files: magic "LLMODEL\x1a", format version, JSON header, weights, CRC-32; the
// writer replaces the file atomically.
void save_model(const LinearModel& m, const std::string& path);
LinearModel load_model(const std::string& path);
std::string serialize_model(const LinearModel& m);
LinearModel deserialize_model(const std::string& bytes, const std::string& origin);

}  // namespace linlearn
