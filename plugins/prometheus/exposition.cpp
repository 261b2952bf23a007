#include "exposition.hpp"

#include <cmath>

#include "event_text.hpp"

namespace linlearn::sinks {
namespace {

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string escaped(const std::string& text, bool quote) {
    std::string out;
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && quote) out += "\\\"";
        else out += c;
    }
    return out;
}

std::string rendered_labels(const PromLabels& labels) {
    if (labels.empty()) return "";
    std::string out = "{";
    for (const auto& [name, value] : labels)
        out += (out.size() > 1 ? "," : "") + prom_metric_name(name) + "=\"" + prom_label_value(value) + "\"";
    return out + "}";
}

}  // namespace

std::string prom_metric_name(const std::string& text) {
    std::string out = text.empty() || (text[0] >= '0' && text[0] <= '9') ? "_" : "";
    for (char c : text) out += is_name_char(c) ? c : '_';
    return out;
}

std::string prom_label_value(const std::string& text) { return escaped(text, true); }

std::string prom_help(const std::string& text) { return escaped(text, false); }

std::string prom_number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return shortest(v);  // "0.1", "1e-05", "3": all Go ParseFloat syntax
}

void Exposition::set(const std::string& name, const std::string& help, const PromLabels& labels, double value) {
    const std::string family_name = prom_metric_name(name);
    Family* family = nullptr;
    for (Family& f : families_)
        if (f.name == family_name) family = &f;
    if (!family) family = &families_.emplace_back(Family{family_name, help, {}});
    const std::string key = rendered_labels(labels);
    for (auto& sample : family->samples)
        if (sample.first == key) {
            sample.second = value;
            return;
        }
    family->samples.emplace_back(key, value);
}

std::string Exposition::text() const {
    std::string out;
    for (const Family& f : families_) {
        out += "# HELP " + f.name + " " + prom_help(f.help) + "\n";
        out += "# TYPE " + f.name + " gauge\n";
        for (const auto& [labels, value] : f.samples) out += f.name + labels + " " + prom_number(value) + "\n";
    }
    return out;
}

}  // namespace linlearn::sinks
