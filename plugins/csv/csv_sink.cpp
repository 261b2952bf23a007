// The csv sink: one row per epoch with the best model so far, or with per_model=true a
// row per model as well (column "model": "best" or the index). Columns: epoch, [model,]
// timestamp_ms, elapsed_s, learning_rate, throughput, then "phase:metric" in the order of
// the first epoch. RFC 4180: header once, fields quoted when needed, CRLF line ends; '.'
// as decimal point whatever the locale; NaN and infinities as NaN, Inf, -Inf.
//   csv:path=out/epochs.csv[,per_model=true][,append=true]
#include <algorithm>
#include <cmath>

#include "event_text.hpp"
#include "output_file.hpp"
#include "sink_plugin.hpp"

namespace linlearn::sinks {
namespace {

std::string csv_field(const std::string& field) {
    if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
    std::string quoted = "\"";
    for (char c : field) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::string csv_number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "Inf" : "-Inf";
    return shortest(v);
}

std::string csv_line(const std::vector<std::string>& fields) {
    std::string line;
    for (const std::string& field : fields) line += (line.empty() ? "" : ",") + csv_field(field);
    return line + "\r\n";
}

class CsvSink {
public:
    static constexpr const char* name = "csv";
    static constexpr const char* description =
        "one CSV row per epoch (per_model=true: per model too), RFC 4180";
    static constexpr const char* keys[] = {"path", "per_model", "append"};

    CsvSink(const Options& options, const ll_sink_host&)
        : per_model_(options.flag("per_model", false)),
          append_(options.flag("append", false)),
          path_(options.required("path", "csv:path=out/epochs.csv")),
          header_in_file_(append_ ? first_line(path_) : ""),
          file_(path_, append_ ? OutputFile::Mode::append : OutputFile::Mode::truncate) {}

    void on_event(const ll_event& ev) {
        if (ev.kind == LL_EVENT_RUN_START) metric_columns_.clear();  // checked again below
        if (ev.kind != LL_EVENT_EPOCH_END) return;
        if (metric_columns_.empty()) start_columns(ev);
        std::string rows = row(ev, LL_MODEL_BEST);
        if (per_model_)
            for (int32_t model : models_of(ev)) rows += row(ev, model);
        file_.write(rows);
    }

    void flush() { file_.flush(); }

private:
    // The "phase:metric" columns of this run, checked against the header already written.
    void start_columns(const ll_event& ev) {
        for (const ll_metric_set* set : sets_of(ev, per_model_ ? kAnyModel : LL_MODEL_BEST))
            for (uint32_t i = 0; set->metrics && i < set->count; ++i) {
                const std::string column = std::string(phase_name(set->phase)) + ":" + text(set->metrics[i].name);
                if (std::find(metric_columns_.begin(), metric_columns_.end(), column) == metric_columns_.end())
                    metric_columns_.push_back(column);
            }
        std::vector<std::string> columns = {"epoch", "timestamp_ms", "elapsed_s", "learning_rate", "throughput"};
        if (per_model_) columns.insert(columns.begin() + 1, "model");
        columns.insert(columns.end(), metric_columns_.begin(), metric_columns_.end());
        std::string header = csv_line(columns);
        header.resize(header.size() - 2);  // without CRLF, as first_line reads it

        if (header_in_file_.empty()) {
            file_.write(header + "\r\n");
            header_in_file_ = header;
        } else if (header_in_file_ != header) {
            throw std::runtime_error("the columns of this run differ from the header of " + path_ +
                                     " (file: " + header_in_file_ + "; run: " + header +
                                     "); write to another file");
        }
    }

    std::string row(const ll_event& ev, int32_t model) const {
        std::vector<std::string> fields = {std::to_string(ev.epoch), std::to_string(ev.timestamp_ms),
                                           csv_number(ev.elapsed_s), csv_number(ev.learning_rate),
                                           csv_number(ev.throughput)};
        if (per_model_) fields.insert(fields.begin() + 1, model == LL_MODEL_BEST ? "best" : std::to_string(model));
        std::vector<std::string> metrics(metric_columns_.size());  // "" where a model lacks one
        for (const ll_metric_set* set : sets_of(ev, model))
            for (uint32_t i = 0; set->metrics && i < set->count; ++i) {
                const std::string column = std::string(phase_name(set->phase)) + ":" + text(set->metrics[i].name);
                const auto at = std::find(metric_columns_.begin(), metric_columns_.end(), column);
                if (at != metric_columns_.end()) metrics[at - metric_columns_.begin()] = csv_number(set->metrics[i].value);
            }
        fields.insert(fields.end(), metrics.begin(), metrics.end());
        return csv_line(fields);
    }

    bool per_model_;
    bool append_;
    std::string path_;
    std::string header_in_file_;  // the header line already in the file, "" if none yet
    std::vector<std::string> metric_columns_;
    OutputFile file_;  // last: opened once every option is known to be good
};

}  // namespace
}  // namespace linlearn::sinks

extern "C" LL_SINK_EXPORT const ll_sink_plugin* ll_sink_entry(uint32_t, uint32_t) {
    return linlearn::sinks::plugin_table<linlearn::sinks::CsvSink>();
}
