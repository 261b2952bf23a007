// The Prometheus text exposition format (version 0.0.4), what node_exporter's textfile
// collector and the Pushgateway read. The rules relied on:
// - UTF-8, lines end with '\n', the last one too.
// - A family is "# HELP name text", "# TYPE name gauge", then its samples, all contiguous;
//   at most one HELP and one TYPE per name. In HELP text '\' is written "\\" and a line
//   break "\n".
// - A sample is `name{label="value",...} value`. In label values '\' is "\\", '"' is
//   "\"" and a line break "\n". Each name + label set appears once.
// - Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
//   (the textfile collector checks the legacy names, whatever Prometheus 3 allows).
// - Values are parsed as Go floats: NaN, +Inf and -Inf are valid.
// - No timestamps: the textfile collector skips a whole file that has one, and the
//   Pushgateway refuses such a push.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace linlearn::sinks {

using PromLabels = std::vector<std::pair<std::string, std::string>>;  // name → value, in order

// A valid metric name: characters outside [a-zA-Z0-9_] become '_' (':' too, which is meant
// for recording rules), and a leading digit gets a '_' before it.
std::string prom_metric_name(const std::string& text);
// A label value between the quotes, escaped.
std::string prom_label_value(const std::string& text);
// HELP text, escaped.
std::string prom_help(const std::string& text);
// A sample value: the shortest text that reads back the same double, NaN, +Inf or -Inf.
std::string prom_number(double v);

// Gauge families with their samples; rendered in the order each family was first set.
class Exposition {
public:
    // Sets a sample of the gauge family `name` (sanitised); the first help of a family is
    // kept. Setting the same labels again replaces the value.
    void set(const std::string& name, const std::string& help, const PromLabels& labels, double value);
    void clear() { families_.clear(); }
    bool empty() const { return families_.empty(); }
    std::string text() const;

private:
    struct Family {
        std::string name, help;
        std::vector<std::pair<std::string, double>> samples;  // rendered {labels} → value
    };
    std::vector<Family> families_;
};

}  // namespace linlearn::sinks
