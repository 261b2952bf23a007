// The update rules (sgd with momentum, adam, rmsprop) applied to all models at once:
// W holds every model's weights side by side (features × outputs·models), each
// model's columns stepping with that model's own settings.
#pragma once
#include <Eigen/Core>
#include <vector>

#include "config.hpp"
#include "gradient.hpp"
#include "model.hpp"

namespace linlearn {

class Optimizers {
public:
    Optimizers(const TrainConfig& config, Eigen::Index features);

    // One step from the batch gradient (without regularisation: wd and l1 are applied
    // here). A sparse gradient updates only its rows (lazily: untouched weights keep
    // their value and moments). Deterministic for a given thread count.
    void step(Eigen::MatrixXf& W, Eigen::VectorXf& b, const Gradient& grad, int num_threads);

    double learning_rate(int model) const { return lr_[static_cast<size_t>(model)]; }
    // Incremental training: one model's moments out, and in for every model.
    void export_state(int model, TrainingState& out) const;
    void import_state(const TrainingState& in);
    int64_t steps() const { return t_; }

private:
    void update_column(Eigen::Ref<Eigen::VectorXf> w, Eigen::Ref<Eigen::VectorXf> m1,
                       Eigen::Ref<Eigen::VectorXf> m2, const Eigen::Ref<const Eigen::VectorXf>& g,
                       const ModelSettings& s, double lr, double adam_lr, double wd, double l1);
    // One weight's step; also the bias's and a sparse gradient's. adam_lr: lr with Adam's
    // bias correction for this step (computed once per step and model, not per weight).
    void update_scalar(float& w, float& m1, float& m2, float g, const ModelSettings& s, double lr, double adam_lr,
                       double wd, double l1) const;
    void step_dense(Eigen::MatrixXf& W, const Eigen::MatrixXf& gW, int num_threads);
    void step_rows(Eigen::MatrixXf& W, const Gradient& grad, int num_threads);

    const TrainConfig& config_;
    int K_;
    Eigen::MatrixXf m1_, m2_;   // first/second moment (sgd: velocity in m1_)
    Eigen::VectorXf bm1_, bm2_;
    std::vector<double> lr_;    // current learning rate per model
    std::vector<double> adam_lr_;  // this step's bias-corrected Adam rate per model
    int64_t t_ = 0;             // steps taken
};

}  // namespace linlearn
