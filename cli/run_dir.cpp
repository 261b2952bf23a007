#include "run_dir.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "common.hpp"

namespace linlearn::cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;  // ordered: metrics keep the sinks' order
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Json parse_file(const fs::path& path) {
    try {
        return Json::parse(read_text(path.string()));
    } catch (const Json::exception& e) {
        throw CommandError(path.string() + ": not valid JSON (" + e.what() + ")");
    }
}

// A metric value: a number, or null for an undefined one (docs/metrics.md).
double number_or_nan(const Json& v) { return v.is_number() ? v.get<double>() : kNaN; }

// {"objective_loss": 0.1, ...} under `phase` -> ("phase:objective_loss", 0.1), ...
void append_phase(MetricList& out, const std::string& phase, const Json& values) {
    if (!values.is_object()) return;
    for (const auto& [name, v] : values.items()) out.emplace_back(phase + ":" + name, number_or_nan(v));
}

void read_metrics_json(RunDir& run, const fs::path& path) {
    const Json j = parse_file(path);
    if (!j.is_object() || !j.contains("status") || !j.contains("metrics") || !j["metrics"].is_object())
        throw CommandError(path.string() + ": not a linlearn metrics.json (no 'status' or 'metrics')");
    auto text = [&](const char* key) {
        const auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    run.run_id = text("run_id");
    run.status = text("status");
    run.message = text("message");
    run.predictor_type = text("predictor_type");
    run.best_epoch = j.value("best_epoch", -1);
    run.selected_model = j.value("selected_model", -1);
    run.total_time_s = number_or_nan(j.value("total_time_s", Json()));
    if (const auto hp = j.find("hyperparameters"); hp != j.end() && hp->is_object())
        for (const auto& [k, v] : hp->items())
            run.hyperparameters.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    for (const auto& [name, v] : j.at("metrics").items()) {
        // "<phase>:objective_loss:final" is SageMaker's name for "<phase>:objective_loss",
        // written beside it with the same value: one row is enough.
        const std::string alias = ":objective_loss:final";
        if (name.size() > alias.size() && name.compare(name.size() - alias.size(), alias.size(), alias) == 0) continue;
        run.metrics.emplace_back(name, number_or_nan(v));
    }
}

void read_events(RunDir& run, const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CommandError("cannot open '" + path.string() + "'");
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty()) continue;
        Json e;
        try {
            e = Json::parse(line);
        } catch (const Json::exception&) {
            // A run killed mid-write leaves a cut last line; anything else is damage.
            if (in.peek() == std::char_traits<char>::eof()) break;
            throw CommandError(path.string() + ":" + std::to_string(number) + ": not valid JSON");
        }
        const std::string kind = e.value("event", "");
        if (kind == "epoch_end") {
            EpochPoint p;
            p.epoch = e.value("epoch", -1);
            p.elapsed_s = number_or_nan(e.value("elapsed_s", Json()));
            if (const auto best = e.find("best"); best != e.end() && best->is_object())
                for (const auto& [phase, values] : best->items()) append_phase(p.best, phase, values);
            run.epochs.push_back(std::move(p));
        } else if (kind == "early_stop") {
            run.early_stop_epoch = e.value("epoch", -1);
            const auto m = e.find("message");
            if (m != e.end() && m->is_string()) run.early_stop_message = m->get<std::string>();
        }
    }
    run.has_events = true;
}

void read_alerts(RunDir& run, const fs::path& path) {
    const Json j = parse_file(path);
    if (const auto s = j.find("stopped_by"); s != j.end() && s->is_string()) run.stopped_by = s->get<std::string>();
    if (const auto rules = j.find("rules"); rules != j.end() && rules->is_array())
        for (const Json& r : *rules)
            if (r.value("kind", "") == "alert" && r.value("fired", false)) run.alerts.push_back(r.value("rule", ""));
}

}  // namespace

std::vector<std::string> RunDir::series_names() const {
    std::vector<std::string> names;
    for (const EpochPoint& p : epochs)
        for (const auto& [name, v] : p.best)
            if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    return names;
}

RunDir read_run_dir(const std::string& dir, bool need_events) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw CommandError("'" + dir + "' is not a folder");
    const fs::path root(dir);
    RunDir run;
    run.dir = dir;
    const fs::path metrics = root / "metrics.json";
    // metrics.json is written at run end, also for failed runs; a run refused before it
    // started, or still running, has none.
    if (!fs::exists(metrics, ec))
        throw CommandError("'" + dir + "' is not a finished run folder: " + metrics.string() +
                           " is missing (linlearn train -o DIR writes it at run end)");
    const fs::path events = root / "events.jsonl", alerts = root / "alerts.json";
    // A value of an unexpected type (a hand-edited file) names the file, not nlohmann.
    auto reading = [](const fs::path& path, auto&& read) {
        try {
            read();
        } catch (const Json::exception& e) {
            throw CommandError(path.string() + ": unexpected content (" + e.what() + ")");
        }
    };
    reading(metrics, [&] { read_metrics_json(run, metrics); });
    if (fs::exists(events, ec)) reading(events, [&] { read_events(run, events); });
    else if (need_events)
        throw CommandError("'" + dir + "' is not a run folder with epochs: " + events.string() + " is missing");
    if (fs::exists(alerts, ec)) reading(alerts, [&] { read_alerts(run, alerts); });
    return run;
}

bool lower_is_better(const std::string& metric) {
    const std::string name = metric.substr(metric.find(':') + 1);  // npos + 1 == 0
    auto ends_with = [&](const std::string& s) {
        return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
    };
    return ends_with("loss") || name == "mse" || name == "rmse";
}

double find_metric(const MetricList& list, const std::string& name) {
    for (const auto& [n, v] : list)
        if (n == name) return v;
    return kNaN;
}

}  // namespace linlearn::cli
