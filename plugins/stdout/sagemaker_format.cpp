// format=sagemaker: the log lines of SageMaker's Linear Learner, so that its published
// MetricDefinition regexes (e.g. "#quality_metric: host=\S+, epoch=\S+, train
// \S+_objective <loss>=(\S+)") match them unchanged. Per epoch, as SageMaker does:
//   #metrics {...}                  one per model and phase: its objective
//   #quality_metric: host=H, epoch=N, train <objective> <loss>=V       model 0, like SageMaker
//   #quality_metric: host=H, epoch=N, validation <objective> <loss>=V  model 0
//   #early_stopping_criteria_metric: host=H, epoch=N, criteria=<metric>, value=V     best model
//   #progress_metric: host=H, completed P % of epochs
//   #throughput_metric: host=H, train throughput=T records/second
// At run end, for the selected model, the final lines without epoch=:
//   #quality_metric: host=H, validation binary_classification_accuracy <score>=V
// Values that are not finite are left out: the regexes expect numbers.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <utility>
#include <vector>

#include "event_text.hpp"
#include "formats.hpp"

namespace linlearn::sinks {
namespace {

// Python's repr of a finite float, as SageMaker prints them: the shortest digits that
// read back the same, in fixed notation for exponents -4..15 ("0.5", "1700000000.0"),
// else in scientific notation with at least two exponent digits ("1e-05", "1e+16").
std::string py_float(double v) {
    char buf[64];
    const std::string s(buf, std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific).ptr);
    const size_t e = s.find('e');
    const bool negative = s[0] == '-';
    std::string digits = s.substr(negative, e - negative);  // "1.2345" -> "12345"
    digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
    const int exponent = std::atoi(s.c_str() + e + 1);

    std::string out = negative ? "-" : "";
    if (exponent >= 16 || exponent < -4) {
        const std::string exp_digits = std::to_string(std::abs(exponent));
        out += digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "") + (exponent < 0 ? "e-" : "e+") +
               (exp_digits.size() < 2 ? "0" : "") + exp_digits;
    } else if (exponent < 0) {
        out += "0." + std::string(-exponent - 1, '0') + digits;
    } else {
        digits.resize(std::max(digits.size(), static_cast<size_t>(exponent) + 1), '0');
        const std::string fraction = digits.substr(exponent + 1);
        out += digits.substr(0, exponent + 1) + "." + (fraction.empty() ? "0" : fraction);
    }
    return out;
}

// The token SageMaker prints for the objective of a loss (a resolved "loss" hyperparameter).
std::string objective_token(const std::string& loss, const std::string& predictor_type) {
    if (loss == "logistic") return "binary_classification_cross_entropy_objective";
    if (loss == "softmax_loss") return "multiclass_cross_entropy_objective";
    if (loss == "squared_loss") return "mse_objective";
    if (!loss.empty() && loss != "auto") return loss + "_objective";  // hinge_loss_objective, ...
    if (predictor_type == "binary_classifier") return "binary_classification_cross_entropy_objective";
    if (predictor_type == "multiclass_classifier") return "multiclass_cross_entropy_objective";
    return "mse_objective";
}

// The metric that binary_classifier_model_selection_criteria selects by.
std::string criterion_metric(const std::string& criterion) {
    if (criterion == "accuracy" || criterion.empty()) return "binary_classification_accuracy";  // the default
    if (criterion == "f_beta" || criterion == "f1") return "binary_f_beta";
    if (criterion == "precision_at_target_recall") return "precision";
    if (criterion == "recall_at_target_precision") return "recall";
    return "objective_loss";  // loss_function, cross_entropy_loss
}

bool is_loss(const std::string& metric) {
    return metric == "mse" || metric == "rmse" ||
           (metric.size() >= 4 && metric.compare(metric.size() - 4, 4, "loss") == 0);
}

class SageMakerFormat : public Format {
public:
    explicit SageMakerFormat(std::string host) : host_(std::move(host)) {}

    std::string render(const ll_event& ev) override {
        switch (ev.kind) {
            case LL_EVENT_RUN_START: return run_start(ev);
            case LL_EVENT_EPOCH_END: return epoch_end(ev);
            case LL_EVENT_EARLY_STOP:
                return "Early stopping criterion met after epoch " + std::to_string(ev.epoch) + ". " + text(ev.message) + "\n";
            case LL_EVENT_DIAGNOSTIC: return "Warning: " + text(ev.message) + "\n";
            case LL_EVENT_RUN_END: return run_end(ev);
            default: return "";
        }
    }

private:
    std::string run_start(const ll_event& ev) {
        const std::string predictor_type = text(ev.predictor_type);
        objective_ = objective_token(param(ev, "loss"), predictor_type);
        f_beta_ = with_precision(std::strtod(param(ev, "f_beta", "1").c_str(), nullptr), std::chars_format::fixed, 3);
        top_k_ = param(ev, "accuracy_top_k", "3");
        criterion_ = predictor_type == "binary_classifier"
                         ? criterion_metric(param(ev, "binary_classifier_model_selection_criteria"))
                         : "objective_loss";
        epochs_ = std::atoi(param(ev, "epochs", "0").c_str());
        start_ms_ = last_ms_ = ev.timestamp_ms;
        epochs_done_ = 0;
        return "";
    }

    std::string epoch_end(const ll_event& ev) {
        const std::string epoch = std::to_string(ev.epoch);
        std::string out;
        for (uint32_t phase : {LL_PHASE_TRAIN, LL_PHASE_VALIDATION}) {
            const ll_metric_set* first_model = nullptr;  // model 0 when there is one
            for (const ll_metric_set* set : sets_of(ev, kAnyModel)) {
                if (set->phase != phase || set->model < 0) continue;
                if (!first_model || set->model < first_model->model) first_model = set;
                if (const ll_metric* loss = finite_metric(*set, "objective_loss"))
                    out += metrics_line(last_ms_, ev.timestamp_ms,
                                        "\"epoch\": " + epoch + ", \"model\": " + std::to_string(set->model),
                                        {{std::string(phase_name(phase)) + "_" + objective_, loss->value}});
            }
            if (const ll_metric* loss = first_model ? finite_metric(*first_model, "objective_loss") : nullptr)
                out += "#quality_metric: host=" + host_ + ", epoch=" + epoch + ", " + phase_name(phase) + " " +
                       objective_ + " <loss>=" + py_float(loss->value) + "\n";
        }
        if (const ll_metric* best = best_criterion(ev))
            out += "#early_stopping_criteria_metric: host=" + host_ + ", epoch=" + epoch +
                   ", criteria=" + metric_token(criterion_) + ", value=" + py_float(best->value) + "\n";
        ++epochs_done_;
        if (epochs_ > 0)
            out += "#progress_metric: host=" + host_ + ", completed " +
                   std::to_string(100 * std::min(ev.epoch + 1, epochs_) / epochs_) + " % of epochs\n";
        if (std::isfinite(ev.throughput))
            out += "#throughput_metric: host=" + host_ + ", train throughput=" + py_float(ev.throughput) +
                   " records/second\n";
        last_ms_ = ev.timestamp_ms;
        return out;
    }

    std::string run_end(const ll_event& ev) {
        std::string out;
        for (const ll_metric_set* set : sets_of(ev, kAnyModel))
            for (uint32_t i = 0; set->metrics && i < set->count; ++i) {
                const ll_metric& metric = set->metrics[i];
                if (!metric.name || !std::isfinite(metric.value)) continue;
                out += "#quality_metric: host=" + host_ + ", " + phase_name(set->phase) + " " +
                       metric_token(metric.name) + (is_loss(metric.name) ? " <loss>=" : " <score>=") +
                       py_float(metric.value) + "\n";
            }
        const double total_ms = ev.total_time_s * 1000;
        out += metrics_line(start_ms_, ev.timestamp_ms, "",
                            {{"totaltime", total_ms}, {"epochs", static_cast<double>(epochs_done_)}});
        if (ev.status == LL_STATUS_FAILED || ev.status == LL_STATUS_CANCELLED)
            out += "Training " + std::string(status_name(ev.status)) + ": " + text(ev.message) + "\n";
        return out;
    }

    // The name SageMaker logs for a final metric.
    std::string metric_token(const std::string& name) const {
        if (name == "objective_loss") return objective_;
        if (name == "binary_f_beta") return "binary_f_" + f_beta_;
        if (name == "macro_f_beta") return "macro_f_" + f_beta_;
        if (name == "multiclass_top_k_accuracy") return name + "_" + top_k_;
        return name;
    }

    // The best model's value of the selection criterion, on validation data, or on
    // training data without it.
    const ll_metric* best_criterion(const ll_event& ev) const {
        const ll_metric* best = nullptr;
        for (const ll_metric_set* set : sets_of(ev, LL_MODEL_BEST))
            if (const ll_metric* value = finite_metric(*set, criterion_.c_str()))
                if (set->phase == LL_PHASE_VALIDATION || !best) best = value;
        return best;
    }

    static const ll_metric* finite_metric(const ll_metric_set& set, const char* name) {
        const ll_metric* metric = find_metric(set, name);
        return metric && std::isfinite(metric->value) ? metric : nullptr;
    }

    // #metrics {"StartTime": s, "EndTime": s, "Dimensions": {...}, "Metrics": {name: {sum, count, min, max}}}
    std::string metrics_line(int64_t start_ms, int64_t end_ms, const std::string& extra_dimensions,
                             const std::vector<std::pair<std::string, double>>& values) const {
        std::string metrics;
        for (const auto& [name, v] : values)
            metrics += (metrics.empty() ? "\"" : ", \"") + name + "\": {\"sum\": " + py_float(v) +
                       ", \"count\": 1, \"min\": " + py_float(v) + ", \"max\": " + py_float(v) + "}";
        return "#metrics {\"StartTime\": " + py_float(start_ms / 1000.0) + ", \"EndTime\": " +
               py_float(end_ms / 1000.0) + ", \"Dimensions\": {\"Algorithm\": \"Linear Learner\", \"Host\": \"" +
               host_ + "\", \"Operation\": \"training\"" + (extra_dimensions.empty() ? "" : ", " + extra_dimensions) +
               "}, \"Metrics\": {" + metrics + "}}\n";
    }

    std::string host_;
    std::string objective_ = "mse_objective";
    std::string f_beta_ = "1.000";
    std::string top_k_ = "3";
    std::string criterion_ = "objective_loss";  // the metric of #early_stopping_criteria_metric
    int epochs_ = 0;
    int epochs_done_ = 0;
    int64_t start_ms_ = 0;
    int64_t last_ms_ = 0;
};

}  // namespace

std::unique_ptr<Format> sagemaker_format(const std::string& host) {
    return std::make_unique<SageMakerFormat>(host);
}

}  // namespace linlearn::sinks
