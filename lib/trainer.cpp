#include "trainer.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <cmath>
#include <numeric>
#include <random>

#include "calibration.hpp"
#include "data_checks.hpp"
#include "diagnostics.hpp"
#include "epoch_order.hpp"
#include "error.hpp"
#include "evaluation.hpp"
#include "gradient.hpp"
#include "losses.hpp"
#include "number_text.hpp"
#include "optimizer.hpp"
#include "scaler.hpp"

namespace linlearn {

std::string new_run_id() {
    std::random_device rd;
    const uint64_t r = (uint64_t(rd()) << 32) ^ rd();
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    char buf[48];
    std::snprintf(buf, sizeof buf, "run-%lld-%08x",
                  static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(now).count()),
                  static_cast<unsigned>(r & 0xffffffffu));
    return buf;
}

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kTrainEvalRows = 100000;
constexpr double kEvalScoreBytes = 4e6;  // see Run::eval_group

int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The average bytes of one training row in memory, as an epoch reads it.
double row_bytes(const Dataset& d) {
    if (!d.sparse()) return double(sizeof(float)) * double(d.dense().stride);
    const double nnz = double(d.csr().nnz()) / double(std::max<int64_t>(1, d.rows()));
    return nnz * (sizeof(float) + sizeof(int32_t)) + sizeof(int64_t);
}

std::string text(double v) { return number_text(v, 10); }

// The settings that vary between the models, by their hyperparameter names, numbers
// written by `num`; binary models add their (possibly drawn) positive_example_weight_mult.
std::vector<std::pair<std::string, std::string>> settings_params(const TrainConfig& c, const ModelSettings& s,
                                                                 std::string (*num)(double) = text) {
    std::vector<std::pair<std::string, std::string>> p = {
        {"optimizer", to_string(s.optimizer)}, {"learning_rate", num(s.learning_rate)},
        {"l1", num(s.l1)}, {"wd", num(s.wd)}};
    if (c.use_lr_scheduler) {
        p.emplace_back("lr_scheduler_step", std::to_string(s.lr_scheduler_step));
        p.emplace_back("lr_scheduler_factor", num(s.lr_scheduler_factor));
        p.emplace_back("lr_scheduler_minimum_lr", num(s.lr_scheduler_minimum_lr));
    }
    if (c.predictor == Predictor::binary)
        p.emplace_back("positive_example_weight_mult",
                       c.balance_positive_weight ? "balanced" : num(s.positive_example_weight_mult));
    return p;
}

// Thrown inside the run when the user cancels; turned into the cancelled status. cause
// says which request it was, for the message of a run cancelled before any model exists.
struct Cancelled {
    const char* cause;
};

// What selection compares: the criterion, then the objective loss (see Run::better).
struct Key {
    double criterion = std::nan(""), loss = std::nan("");
};

// The best (model, epoch) so far, on raw features and in label units.
struct Checkpoint {
    bool valid = false;
    Key value;
    int epoch = -1, model = 0;
    Eigen::MatrixXf W;
    Eigen::VectorXf b;
    double threshold = 0.5;
    MetricList train_metrics, validation_metrics;
    TrainingState state;  // the optimizer's moments at this checkpoint
};

// Per-model results of one epoch's evaluation.
struct EpochScores {
    std::vector<MetricList> train, validation;
    std::vector<Key> key;
    std::vector<double> threshold;
    std::vector<bool> one_class;  // the model predicts one class for every calibration row
};

class Run {
public:
    Run(const Hyperparameters& hp, const Dataset& train, const Dataset* validation, const Dataset* test,
        const TrainOptions& options)
        : hp_(hp), train_(train), validation_(validation), test_(test), opt_(options) {}

    LinearModel execute();

private:
    void prepare();
    void emit(Event e);
    Event base_event(EventKind kind) const;
    void run_start();
    double train_epoch(Optimizers& opt, BatchGradient& grad, EpochOrder& order, int epoch);
    void raw_weights(Eigen::MatrixXf& W, Eigen::VectorXf& b) const;
    EpochScores evaluate_epoch();
    int eval_group() const;
    void group_scores(const Eigen::MatrixXf& W, const Eigen::VectorXf& b, int m0, int m1, Eigen::MatrixXf& Ztrain,
                      Eigen::MatrixXf& Zval) const;
    void evaluate_model(int m, Eigen::Index col, const Eigen::MatrixXf& Ztrain, const Eigen::MatrixXf& Zval,
                        EpochScores& s, char& one_class) const;
    bool predicts_one_class(const Eigen::Ref<const Eigen::MatrixXf>& z, double threshold) const;
    bool better(const Key& a, const Key& b) const;
    bool improves_enough(const Key& k) const;
    void update_checkpoint(const EpochScores& s, int epoch);
    void epoch_end(const EpochScores& s, int epoch, double rows_per_s, double lr);
    LinearModel finish(RunStatus status, const std::string& message);
    void warn(const std::vector<Warning>& warnings, int epoch);
    void start_from(const LinearModel& m);
    void check_initial_model(const LinearModel& m) const;

    const Hyperparameters& hp_;
    Dataset train_;
    // The train metrics' rows (see prepare): all, or a sample listed by index, with its
    // labels and weights gathered (the features are read in place).
    std::vector<int64_t> sample_;
    std::vector<float> sample_labels_, sample_weights_;
    const Dataset* validation_;
    const Dataset* test_;
    const TrainOptions& opt_;
    TrainConfig cfg_;
    Scaler scaler_;
    int threads_ = 1, K_ = 1;
    int64_t d_ = 0;
    EvalSpec spec_{};
    Eigen::MatrixXf W_;  // standardized space, features × K·M
    Eigen::VectorXf b_;
    Checkpoint best_;
    int stale_epochs_ = 0;
    int epochs_evaluated_ = 0;  // for the message of a run cancelled with no model
    Key stop_reference_;  // the key of the last improving epoch, for the patience count
    std::string run_id_;
    Clock::time_point start_;
    double sink_seconds_ = 0;
    std::unique_ptr<Diagnostics> diagnostics_;
    Optimizers* optimizer_ = nullptr;  // the run's, while it trains
    bool finishing_ = false;  // model_selected/run_end under way
};

// Selection compares (criterion, loss) pairs: the criterion first, the objective loss on
// the same data breaking ties. Accuracy-like criteria tie often on small data, and the
// lower loss is then the model that generalises better.
bool Run::better(const Key& a, const Key& b) const {
    if (std::isnan(a.criterion)) return false;
    if (std::isnan(b.criterion)) return true;
    if (a.criterion != b.criterion)
        return cfg_.criterion == Criterion::loss_function ? a.criterion < b.criterion : a.criterion > b.criterion;
    return a.loss < b.loss;
}

// Early stopping's rule: an epoch counts as an improvement when its best key beats the
// reference (the key of the last improving epoch) by more than early_stopping_tolerance,
// relative: in the criterion, or, with the criterion equal, in the loss.
bool Run::improves_enough(const Key& k) const {
    if (std::isnan(stop_reference_.criterion)) return !std::isnan(k.criterion);
    const double tol = cfg_.early_stopping_tolerance;
    const bool minimise = cfg_.criterion == Criterion::loss_function;
    const double gain = minimise ? stop_reference_.criterion - k.criterion : k.criterion - stop_reference_.criterion;
    if (gain != 0) return gain > tol * std::fabs(stop_reference_.criterion);
    return stop_reference_.loss - k.loss > tol * std::fabs(stop_reference_.loss);
}

Event Run::base_event(EventKind kind) const {
    Event e;
    e.kind = kind;
    e.run_id = run_id_;
    e.timestamp_ms = wall_ms();
    e.elapsed_s = std::chrono::duration<double>(Clock::now() - start_).count();
    return e;
}

void Run::emit(Event e) {
    if (!opt_.on_event) return;
    const auto t0 = Clock::now();
    const bool go_on = opt_.on_event(e);
    sink_seconds_ += std::chrono::duration<double>(Clock::now() - t0).count();
    // A stop request while finishing is moot: the run is ending anyway.
    if (!go_on && !finishing_) throw Cancelled{to_string(e.kind)};
}

void Run::prepare() {
    cfg_ = hp_.resolve(train_.rows());
    K_ = cfg_.outputs();
    d_ = check_feature_counts(train_, validation_, test_, cfg_.feature_dim);
    if (train_.sparse()) train_.set_cols(d_);
    if (validation_ && validation_->rows() == 0)
        fail(ErrorCode::invalid_argument, "validation data is empty (0 rows)");
    check_labels(train_, cfg_, "train");
    check_finite_features(train_, "train");
    if (validation_) check_labels(*validation_, cfg_, "validation"), check_finite_features(*validation_, "validation");
    if (test_) check_labels(*test_, cfg_, "test"), check_finite_features(*test_, "test");
    threads_ = cfg_.num_threads > 0 ? cfg_.num_threads : omp_get_max_threads();
    for (auto& kv : cfg_.resolved) {
        if (kv.first == "feature_dim") kv.second = std::to_string(d_);
        if (kv.first == "num_threads") kv.second = std::to_string(threads_);
    }
    const LinearModel* init_model = opt_.initial_model;
    if (init_model) check_initial_model(*init_model);
    if (init_model && init_model->has_state) {
        scaler_.mean = init_model->state.mean;
        scaler_.inv_std = init_model->state.inv_std;
        scaler_.label_mean = init_model->state.label_mean;
        scaler_.label_std = init_model->state.label_std;
    } else {
        scaler_ = fit_scaler(train_, cfg_);
    }
    // Train metrics each epoch cost a pass and a sort per model: above kTrainEvalRows
    // rows they are computed on a seeded sample of that many rows.
    if (train_.rows() > kTrainEvalRows) {
        sample_ = sample_rows(train_.rows(), row_bytes(train_), kTrainEvalRows, cfg_.seed + 17);
        sample_labels_.reserve(sample_.size());
        for (int64_t i : sample_) sample_labels_.push_back(train_.labels()[i]);
        if (train_.weights()) {
            sample_weights_.reserve(sample_.size());
            for (int64_t i : sample_) sample_weights_.push_back(train_.weights()[i]);
        }
    }
    spec_ = {cfg_.predictor, cfg_.loss, cfg_.loss_params, cfg_.f_beta, cfg_.accuracy_top_k};
    // Every model starts from the same draw, so a model trained among others follows the
    // same path as when trained alone with its settings and the same seed.
    std::mt19937_64 rng(cfg_.seed);
    Eigen::MatrixXf init(d_, K_);
    if (cfg_.init_normal) {
        std::normal_distribution<float> dist(0.f, static_cast<float>(cfg_.init_sigma));
        for (Eigen::Index i = 0; i < init.size(); ++i) init.data()[i] = dist(rng);
    } else {
        std::uniform_real_distribution<float> dist(-float(cfg_.init_scale), float(cfg_.init_scale));
        for (Eigen::Index i = 0; i < init.size(); ++i) init.data()[i] = dist(rng);
    }
    const Eigen::Index cols = Eigen::Index(K_) * cfg_.num_models();
    W_ = init.replicate(1, cfg_.num_models());
    b_ = Eigen::VectorXf::Constant(cols, cfg_.use_bias ? static_cast<float>(cfg_.init_bias) : 0.f);
    if (init_model) start_from(*init_model);
}

void Run::check_initial_model(const LinearModel& m) const {
    if (m.predictor != cfg_.predictor || m.loss != cfg_.loss || m.outputs() != K_ || m.num_features() != d_)
        fail(ErrorCode::invalid_argument,
             std::string("the initial model (") + to_string(m.predictor) + ", " + to_string(m.loss) + ", " +
                 std::to_string(m.num_features()) + " features, " + std::to_string(m.outputs()) +
                 " outputs) does not fit this training (" + to_string(cfg_.predictor) + ", " + to_string(cfg_.loss) +
                 ", " + std::to_string(d_) + " features, " + std::to_string(K_) + " outputs)");
}

// Every model starts from the initial model's weights, mapped into this run's
// standardized space (the inverse of raw_weights()).
void Run::start_from(const LinearModel& m) {
    const float ys = static_cast<float>(cfg_.predictor == Predictor::regressor ? scaler_.label_std : 1.0);
    const float ym = static_cast<float>(cfg_.predictor == Predictor::regressor ? scaler_.label_mean : 0.0);
    const Eigen::MatrixXf Wr = m.W / ys;
    const Eigen::MatrixXf Wn = scaler_.inv_std.cwiseInverse().asDiagonal() * Wr;
    const Eigen::VectorXf bn = (m.b.array() - ym).matrix() / ys + Wr.transpose() * scaler_.mean;
    W_ = Wn.replicate(1, cfg_.num_models());
    b_ = bn.replicate(cfg_.num_models(), 1);
}

void Run::run_start() {
    Event e = base_event(EventKind::run_start);
    e.predictor_type = to_string(cfg_.predictor);
    e.library_version = LINLEARN_VERSION_STRING;
    e.params = cfg_.resolved;
    e.n_features = d_;
    e.n_train_rows = train_.rows();
    e.n_validation_rows = validation_ ? validation_->rows() : 0;
    e.n_test_rows = test_ ? test_->rows() : 0;
    e.num_models = cfg_.num_models();
    e.num_classes = cfg_.num_classes;
    // Each model's own settings (models 1..M-1 draw theirs near model 0's), written
    // exactly: the shortest text that reads back as the same double, so that a run of
    // num_models=1 with them (and the same seed) follows model m's path.
    for (const ModelSettings& s : cfg_.models) {
        e.model_params.push_back(settings_params(cfg_, s, exact_number_text));
    }
    emit(std::move(e));
    diagnostics_ = std::make_unique<Diagnostics>(cfg_);
    warn(diagnostics_->at_start(train_, scaler_), -1);
}

double Run::train_epoch(Optimizers& opt, BatchGradient& grad, EpochOrder& order, int epoch) {
    const auto t0 = Clock::now();
    order.shuffle(epoch);
    std::vector<RowRun> runs;
    Gradient g;
    while (order.next(cfg_.mini_batch_size, runs)) {
        if (opt_.cancel && opt_.cancel->load(std::memory_order_relaxed)) throw Cancelled{nullptr};
        grad.compute(W_, b_, runs, g);
        opt.step(W_, b_, g, threads_);
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    return secs > 0 ? train_.rows() / secs : 0.0;
}

// The weights on raw features and in label units, every model side by side.
void Run::raw_weights(Eigen::MatrixXf& W, Eigen::VectorXf& b) const {
    W = scaler_.inv_std.asDiagonal() * W_;
    b = b_ - W.transpose() * scaler_.mean;
    if (cfg_.predictor == Predictor::regressor) {
        W *= static_cast<float>(scaler_.label_std);
        b = (b * static_cast<float>(scaler_.label_std)).array() + static_cast<float>(scaler_.label_mean);
    }
}

// Whether every row gets the same label (binary: on one side of the threshold).
bool Run::predicts_one_class(const Eigen::Ref<const Eigen::MatrixXf>& z, double threshold) const {
    if (z.rows() == 0 || cfg_.predictor == Predictor::regressor) return false;
    auto label = [&](Eigen::Index i) -> Eigen::Index {
        if (K_ == 1) {
            const double s = cfg_.loss == Loss::hinge ? z(i, 0) : sigmoid(z(i, 0));
            return s > threshold;
        }
        Eigen::Index k;
        z.row(i).maxCoeff(&k);
        return k;
    };
    const Eigen::Index first = label(0);
    for (Eigen::Index i = 1; i < z.rows(); ++i)
        if (label(i) != first) return false;
    return true;
}

// Models per evaluation group. Every model's scores at once take rows × K·M floats
// (12.8 MB for 32 models on the 100,000-row train sample, the peak of a fit:
// bench/README.md, case 8); above kEvalScoreBytes the models are scored a group at a
// time, each group one more pass over the evaluation rows. A group is a multiple of 8
// columns and starts at a multiple of 8: Eigen's product then takes the same kernel
// path for every column as the product of all columns at once (no matrix-vector
// product for one column, no coefficient-wise product below 20 rows + columns + depth,
// hence at least 12 features, and a last group that takes the rest rather than be
// short), and the scores, so the metrics, are the same bits.
// Sparse data is scored in one pass (its per-row loop vectorises over the columns).
int Run::eval_group() const {
    const int M = cfg_.num_models();
    const int64_t train_rows = sample_.empty() ? train_.rows() : int64_t(sample_.size());
    const double per_model = double(train_rows + (validation_ ? validation_->rows() : 0)) * K_ * sizeof(float);
    if (per_model * M <= kEvalScoreBytes || train_.sparse() || d_ < 12) return M;
    const int step = 8 / std::gcd(K_, 8);
    const int fit = static_cast<int>(kEvalScoreBytes / per_model) / step * step;
    const int busy = (threads_ + step - 1) / step * step;  // a model for every thread
    return std::min(M, std::max({fit, step, busy}));
}

// The scores of models [m0, m1) (columns c0.. of W) on the train metrics' rows and the
// validation data.
void Run::group_scores(const Eigen::MatrixXf& W, const Eigen::VectorXf& b, int m0, int m1, Eigen::MatrixXf& Ztrain,
                       Eigen::MatrixXf& Zval) const {
    const Eigen::Index c0 = Eigen::Index(m0) * K_, cols = Eigen::Index(m1 - m0) * K_;
    const bool all = cols == W.cols();
    const Eigen::MatrixXf Wg = all ? Eigen::MatrixXf() : Eigen::MatrixXf(W.middleCols(c0, cols));
    const Eigen::VectorXf bg = all ? Eigen::VectorXf() : Eigen::VectorXf(b.segment(c0, cols));
    const Eigen::MatrixXf& Wu = all ? W : Wg;
    const Eigen::VectorXf& bu = all ? b : bg;
    const bool sampled = !sample_.empty();
    linear_scores(train_, sampled ? sample_.data() : nullptr, sampled ? int64_t(sample_.size()) : train_.rows(),
                  Wu, bu, Ztrain, threads_);
    if (validation_) linear_scores(*validation_, Wu, bu, Zval, threads_);
}

// Model m's metrics, threshold and key from its K columns at `col` of the group's scores.
void Run::evaluate_model(int m, Eigen::Index col, const Eigen::MatrixXf& Ztrain, const Eigen::MatrixXf& Zval,
                         EpochScores& s, char& one_class) const {
    const bool sampled = !sample_.empty();
    const float* train_labels = sampled ? sample_labels_.data() : train_.labels();
    const float* train_weights = sampled ? (sample_weights_.empty() ? nullptr : sample_weights_.data()) : train_.weights();
    const float* cal_labels = validation_ ? validation_->labels() : train_labels;
    const float* cal_weights = validation_ ? validation_->weights() : train_weights;
    const Eigen::MatrixXf& Zcal = validation_ ? Zval : Ztrain;
    const Eigen::Index n_cal = std::min<Eigen::Index>(Zcal.rows(), cfg_.num_calibration_samples);
    const double default_threshold = cfg_.loss == Loss::hinge ? 0.0 : 0.5;
    const auto block = [&](const Eigen::MatrixXf& Z) { return Z.middleCols(col, K_); };
    double threshold = default_threshold, criterion = std::nan("");
    if (cfg_.predictor == Predictor::binary) {
        // Probabilities and their order once per data set, shared by the calibration (when
        // it uses every row) and the ROC AUC.
        BinaryScores train_s, val_s;
        binary_scores(spec_, Ztrain.col(col), train_s);
        if (validation_) binary_scores(spec_, Zval.col(col), val_s);
        if (cfg_.criterion != Criterion::loss_function) {
            const BinaryScores& cal = validation_ ? val_s : train_s;
            Calibration c;
            if (n_cal == cal.score.size()) {
                c = calibrate_threshold(cal.score, cal.order, cal_labels, cal_weights, cfg_.criterion, cfg_,
                                        default_threshold);
            } else {
                BinaryScores head;
                binary_scores(spec_, Zcal.col(col).head(n_cal), head);
                c = calibrate_threshold(head.score, head.order, cal_labels, cal_weights, cfg_.criterion, cfg_,
                                        default_threshold);
            }
            threshold = c.threshold, criterion = c.value;
        }
        s.train[m] = evaluate_binary(spec_, block(Ztrain), train_s, train_labels, train_weights, threshold);
        if (validation_)
            s.validation[m] = evaluate_binary(spec_, block(Zval), val_s, validation_->labels(), validation_->weights(),
                                              threshold);
    } else {
        s.train[m] = evaluate_scores(spec_, block(Ztrain), train_labels, train_weights, threshold);
        if (validation_)
            s.validation[m] =
                evaluate_scores(spec_, block(Zval), validation_->labels(), validation_->weights(), threshold);
    }
    const double loss = metric_value(validation_ ? s.validation[m] : s.train[m], "objective_loss");
    if (cfg_.criterion == Criterion::loss_function) criterion = loss;
    const bool finite = std::isfinite(criterion) && std::isfinite(loss);
    s.key[m] = finite ? Key{criterion, loss} : Key{};
    s.threshold[m] = threshold;
    one_class = predicts_one_class(block(Zcal).topRows(n_cal), threshold);
}

EpochScores Run::evaluate_epoch() {
    Eigen::MatrixXf W, Ztrain, Zval;  // the score matrices are reused by every group
    Eigen::VectorXf b;
    raw_weights(W, b);
    const int M = cfg_.num_models(), G = eval_group();
    EpochScores s;
    s.train.resize(M), s.validation.resize(validation_ ? M : 0), s.key.resize(M), s.threshold.resize(M);
    std::vector<char> one_class(static_cast<size_t>(M));
    for (int m0 = 0, m1; m0 < M; m0 = m1) {
        m1 = M - (m0 + G) < G ? M : m0 + G;  // the last group takes the rest: 8 columns or more
        group_scores(W, b, m0, m1, Ztrain, Zval);
        // The models are independent: one thread each (an exception is carried out of the team).
        std::exception_ptr error;
#pragma omp parallel for schedule(dynamic) num_threads(threads_) if (m1 - m0 > 1 && threads_ > 1)
        for (int m = m0; m < m1; ++m) {
            try {
                evaluate_model(m, Eigen::Index(m - m0) * K_, Ztrain, Zval, s, one_class[size_t(m)]);
            } catch (...) {
#pragma omp critical(linlearn_evaluate_error)
                if (!error) error = std::current_exception();
            }
        }
        if (error) std::rethrow_exception(error);
    }
    s.one_class.assign(one_class.begin(), one_class.end());
    return s;
}

void Run::update_checkpoint(const EpochScores& s, int epoch) {
    int m_best = -1;
    for (int m = 0; m < cfg_.num_models(); ++m)
        if (m_best < 0 ? !std::isnan(s.key[m].criterion) : better(s.key[m], s.key[m_best])) m_best = m;
    if (m_best < 0) return;  // every model diverged this epoch: not counted (hyperparameters.md)
    const Key value = s.key[m_best];
    if (improves_enough(value)) stale_epochs_ = 0, stop_reference_ = value;
    else ++stale_epochs_;
    if (best_.valid && !better(value, best_.value)) return;
    Eigen::MatrixXf W;
    Eigen::VectorXf b;
    raw_weights(W, b);
    best_.valid = true;
    best_.value = value;
    best_.epoch = epoch;
    best_.model = m_best;
    best_.W = W.middleCols(Eigen::Index(m_best) * K_, K_);
    best_.b = b.segment(Eigen::Index(m_best) * K_, K_);
    best_.threshold = s.threshold[m_best];
    best_.train_metrics = s.train[m_best];
    if (optimizer_) optimizer_->export_state(m_best, best_.state);
    best_.validation_metrics = validation_ ? s.validation[m_best] : MetricList{};
}

void Run::epoch_end(const EpochScores& s, int epoch, double rows_per_s, double lr) {
    Event e = base_event(EventKind::epoch_end);
    e.epoch = epoch;
    e.model = best_.valid ? best_.model : -1;
    e.best_epoch = best_.epoch;
    e.learning_rate = lr;
    e.throughput = rows_per_s;
    for (int m = 0; m < cfg_.num_models(); ++m) {
        e.metric_sets.push_back({Phase::train, m, s.train[m]});
        if (validation_) e.metric_sets.push_back({Phase::validation, m, s.validation[m]});
    }
    if (best_.valid) {
        e.metric_sets.push_back({Phase::train, kBestModel, best_.train_metrics});
        if (validation_) e.metric_sets.push_back({Phase::validation, kBestModel, best_.validation_metrics});
    }
    emit(std::move(e));
}

void Run::warn(const std::vector<Warning>& warnings, int epoch) {
    for (const Warning& w : warnings) {
        Event e = base_event(EventKind::diagnostic);
        e.epoch = epoch;
        e.model = w.model;
        e.diagnostic_code = w.code;
        e.message = w.message;
        emit(std::move(e));
    }
}

LinearModel Run::finish(RunStatus requested_status, const std::string& requested_message) {
    finishing_ = true;
    RunStatus status = requested_status;
    std::string message = requested_message;
    // A stop rule (ll_trainer_add_alert) stopped the run: early stopping by the user's
    // criterion, not a cancellation; the sinks see an early_stop with the rule as reason.
    if (status == RunStatus::cancelled && opt_.rule_stop) {
        const TrainOptions::RuleStop stop = opt_.rule_stop();
        if (!stop.reason.empty()) {
            status = RunStatus::early_stopped;
            message = stop.reason;
            Event e = base_event(EventKind::early_stop);
            e.epoch = stop.epoch;
            e.model = best_.model;
            e.best_epoch = best_.epoch;
            e.message = message;
            emit(std::move(e));
        }
    }
    LinearModel m;
    m.predictor = cfg_.predictor;
    m.loss = cfg_.loss;
    m.num_classes = cfg_.num_classes;
    m.W = best_.W;
    m.b = best_.b;
    m.threshold = best_.threshold;
    m.loss_params = cfg_.loss_params;
    m.f_beta = cfg_.f_beta;
    m.top_k = cfg_.accuracy_top_k;
    m.best_epoch = best_.epoch;
    m.best_model = best_.model;
    m.status = status;
    m.has_state = true;
    m.state = best_.state;
    m.state.mean = scaler_.mean;
    m.state.inv_std = scaler_.inv_std;
    m.state.label_mean = scaler_.label_mean;
    m.state.label_std = scaler_.label_std;
    // The model records the settings it was trained with: the selected model's.
    const auto selected = settings_params(cfg_, cfg_.models[static_cast<size_t>(best_.model)]);
    m.hyperparameters = cfg_.resolved;
    for (auto& kv : m.hyperparameters)
        for (const auto& s : selected)
            if (kv.first == s.first) kv.second = s.second;

    Event sel = base_event(EventKind::model_selected);
    sel.params = selected;
    sel.epoch = sel.best_epoch = best_.epoch;
    sel.model = best_.model;
    sel.metric_sets.push_back({Phase::train, kBestModel, best_.train_metrics});
    if (validation_) sel.metric_sets.push_back({Phase::validation, kBestModel, best_.validation_metrics});
    emit(sel);

    Event end = base_event(EventKind::run_end);
    end.status = status;
    end.message = message;
    end.epoch = end.best_epoch = best_.epoch;
    end.model = best_.model;
    end.metric_sets = sel.metric_sets;
    if (test_) end.metric_sets.push_back({Phase::test, kBestModel, m.evaluate(*test_)});
    if (!opt_.model_path.empty()) {
        save_model(m, opt_.model_path);
        end.model_path = opt_.model_path;
    }
    end.total_time_s = end.elapsed_s;
    end.sink_time_s = sink_seconds_;
    emit(std::move(end));
    return m;
}

LinearModel Run::execute() {
    start_ = Clock::now();
    run_id_ = opt_.run_id.empty() ? new_run_id() : opt_.run_id;
    bool started = false;
    try {
        prepare();
        started = true;
        run_start();
        Optimizers opt(cfg_, d_);
        if (opt_.initial_model && opt_.initial_model->has_state) opt.import_state(opt_.initial_model->state);
        optimizer_ = &opt;
        BatchGradient grad(cfg_, train_, scaler_, threads_);
        EpochOrder order(train_.rows(), row_bytes(train_), cfg_.seed, cfg_.mini_batch_size);
        for (int epoch = 0; epoch < cfg_.epochs; ++epoch) {
            const double rows_per_s = train_epoch(opt, grad, order, epoch);
            const EpochScores s = evaluate_epoch();
            ++epochs_evaluated_;
            update_checkpoint(s, epoch);
            epoch_end(s, epoch, rows_per_s, opt.learning_rate(0));
            warn(diagnostics_->after_epoch(s.train, s.validation, s.one_class), epoch);
            if (best_.valid && stale_epochs_ >= cfg_.early_stopping_patience && epoch + 1 < cfg_.epochs) {
                Event e = base_event(EventKind::early_stop);
                e.epoch = epoch;
                e.model = best_.model;
                e.best_epoch = best_.epoch;
                const std::string why = "no improvement above early_stopping_tolerance for " +
                                        std::to_string(stale_epochs_) + " epoch(s)";
                e.message = why;
                emit(std::move(e));
                return finish(RunStatus::early_stopped, why);
            }
        }
        if (!best_.valid)
            fail(ErrorCode::internal, "every model diverged (non-finite loss); try a smaller learning_rate");
        return finish(RunStatus::completed, "");
    } catch (const Cancelled& c) {
        optimizer_ = nullptr;  // it lived in the try block
        if (best_.valid) return finish(RunStatus::cancelled, "cancelled");
        Event end = base_event(EventKind::run_end);
        end.status = RunStatus::cancelled;
        // No model yet: the first epoch had not ended, or every epoch so far diverged.
        const std::string when = epochs_evaluated_ == 0
                                     ? std::string("cancelled before the first epoch ended")
                                     : "cancelled after " + std::to_string(epochs_evaluated_) +
                                           " epoch(s) in which every model diverged";
        const std::string why = when +
                                (c.cause ? std::string(" (the event callback asked to stop at ") + c.cause + ")"
                                         : std::string(" (a cancel request)"));
        end.message = why;
        end.total_time_s = end.elapsed_s;
        end.sink_time_s = sink_seconds_;
        finishing_ = true;
        emit(std::move(end));
        fail(ErrorCode::cancelled, why);
    } catch (const std::exception& ex) {
        optimizer_ = nullptr;
        if (started) {  // the last event of every run, even a failed one
            Event end = base_event(EventKind::run_end);
            end.status = RunStatus::failed;
            end.message = ex.what();
            end.total_time_s = end.elapsed_s;
            end.sink_time_s = sink_seconds_;
            try {
                if (opt_.on_event) opt_.on_event(end);
            } catch (...) {
            }
        }
        throw;
    }
}

}  // namespace

LinearModel train(const Hyperparameters& hp, const Dataset& train, const Dataset* validation,
                  const Dataset* test, const TrainOptions& options) {
    return Run(hp, train, validation, test, options).execute();
}

}  // namespace linlearn
