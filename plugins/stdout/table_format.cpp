// format=table: one aligned row per epoch with the key metrics of the best model so far.
//
//   epoch  train loss  train accuracy  validation loss  validation accuracy  time (s)  rows/s
//       0    0.412345        0.871233         0.398712             0.885966      0.01  151234  *
#include <algorithm>
#include <cmath>

#include "event_text.hpp"
#include "formats.hpp"

namespace linlearn::sinks {
namespace {

// The metrics worth a column, per predictor type, with their column label.
struct KeyMetric {
    const char* name;
    const char* label;
};
std::vector<KeyMetric> key_metrics(const std::string& predictor_type) {
    if (predictor_type == "binary_classifier")
        return {{"objective_loss", "loss"}, {"binary_classification_accuracy", "accuracy"}, {"binary_f_beta", "f_beta"}};
    if (predictor_type == "multiclass_classifier")
        return {{"objective_loss", "loss"}, {"multiclass_accuracy", "accuracy"}};
    if (predictor_type == "regressor") return {{"objective_loss", "loss"}, {"rmse", "rmse"}};
    return {{"objective_loss", "loss"}};
}

std::string pad_left(const std::string& s, size_t width) {
    return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
}

std::string value_text(double v) { return with_precision(v, std::chars_format::general, 6); }

class TableFormat : public Format {
public:
    std::string render(const ll_event& ev) override {
        switch (ev.kind) {
            case LL_EVENT_RUN_START: return run_start(ev);
            case LL_EVENT_EPOCH_END: {
                std::string out = columns_.empty() ? header(ev) : "";  // before row(): it sets the columns
                return out + row(ev);
            }
            case LL_EVENT_EARLY_STOP:
                return "early stop after epoch " + std::to_string(ev.epoch) + message(ev) + "\n";
            case LL_EVENT_MODEL_SELECTED:
                return "selected model " + std::to_string(ev.model) + " of epoch " + std::to_string(ev.epoch) + "\n";
            case LL_EVENT_DIAGNOSTIC:
                // An alert rule's message says what it is: "alert '<rule>' fired at epoch N: ...".
                if (text(ev.diagnostic_code) == "alert" && ev.message) return text(ev.message) + "\n";
                return "warning" + (ev.diagnostic_code ? " [" + text(ev.diagnostic_code) + "]" : "") + message(ev) + "\n";
            case LL_EVENT_RUN_END: return run_end(ev);
            default: return "";
        }
    }

private:
    struct Column {
        uint32_t phase;
        const char* metric;
        std::string label;
    };

    static std::string message(const ll_event& ev) { return ev.message ? ": " + text(ev.message) : ""; }

    std::string run_start(const ll_event& ev) {
        predictor_type_ = text(ev.predictor_type);
        columns_.clear();
        last_best_.clear();
        std::string line = "linlearn " + text(ev.library_version) + ", run " + text(ev.run_id) + ": " +
                           predictor_type_ + ", " + std::to_string(ev.num_models) + " models, " +
                           std::to_string(ev.n_train_rows) + " training rows x " +
                           std::to_string(ev.n_features) + " features";
        if (ev.n_validation_rows) line += ", " + std::to_string(ev.n_validation_rows) + " validation rows";
        if (ev.n_test_rows) line += ", " + std::to_string(ev.n_test_rows) + " test rows";
        return line + "\n";
    }

    // Chooses the columns from the first epoch's best sets and prints their header.
    std::string header(const ll_event& ev) {
        for (const ll_metric_set* set : sets_of(ev, LL_MODEL_BEST))
            for (const KeyMetric& key : key_metrics(predictor_type_))
                if (find_metric(*set, key.name))
                    columns_.push_back({set->phase, key.name, std::string(phase_name(set->phase)) + " " + key.label});
        std::string line = "epoch";
        for (const Column& column : columns_) line += "  " + pad_left(column.label, width(column));
        return line + "  " + pad_left("time (s)", 9) + "  " + pad_left("rows/s", 10) + "  (* best so far)\n";
    }

    static size_t width(const Column& column) { return std::max<size_t>(column.label.size(), 12); }

    std::string row(const ll_event& ev) {
        std::string line = pad_left(std::to_string(ev.epoch), 5);
        for (const Column& column : columns_) {
            const ll_metric* metric = nullptr;
            for (const ll_metric_set* set : sets_of(ev, LL_MODEL_BEST))
                if (set->phase == column.phase) metric = find_metric(*set, column.metric);
            line += "  " + pad_left(metric ? value_text(metric->value) : "-", width(column));
        }
        line += "  " + pad_left(with_precision(ev.elapsed_s, std::chars_format::fixed, 2), 9);
        line += "  " + pad_left(with_precision(ev.throughput, std::chars_format::fixed, 0), 10);
        return line + (is_best_epoch(ev) ? "  *\n" : "\n");
    }

    // The event says which epoch holds the best model when it knows (best_epoch >= 0);
    // otherwise the best model changed in this epoch if its metrics did.
    bool is_best_epoch(const ll_event& ev) {
        if (ev.best_epoch >= 0) return ev.best_epoch == ev.epoch;
        std::string best;
        for (const ll_metric_set* set : sets_of(ev, LL_MODEL_BEST))
            for (uint32_t i = 0; set->metrics && i < set->count; ++i) best += shortest(set->metrics[i].value) + ";";
        const bool changed = best != last_best_;
        last_best_ = best;
        return changed;
    }

    std::string run_end(const ll_event& ev) {
        std::string out = "run " + std::string(status_name(ev.status)) + message(ev) + " in " +
                          with_precision(ev.total_time_s, std::chars_format::fixed, 3) + " s (" +
                          with_precision(ev.sink_time_s, std::chars_format::fixed, 3) + " s in sinks)";
        if (ev.best_epoch >= 0)
            out += "; best: epoch " + std::to_string(ev.best_epoch) + ", model " + std::to_string(ev.model);
        out += "\n";
        for (const ll_metric_set* set : sets_of(ev, kAnyModel)) {
            out += "  " + pad_left(phase_name(set->phase), 10) + ":";
            for (uint32_t i = 0; set->metrics && i < set->count; ++i)
                out += " " + text(set->metrics[i].name) + "=" + value_text(set->metrics[i].value);
            out += "\n";
        }
        if (ev.model_path) out += "  model saved to " + text(ev.model_path) + "\n";
        return out;
    }

    std::string predictor_type_;
    std::vector<Column> columns_;
    std::string last_best_;
};

}  // namespace

std::unique_ptr<Format> table_format() { return std::make_unique<TableFormat>(); }

}  // namespace linlearn::sinks
