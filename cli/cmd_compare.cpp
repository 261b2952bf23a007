// linlearn compare: finished runs side by side — the hyperparameters that differ, the
// final metrics, the best epoch, the time — optionally sorted by one final metric.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "common.hpp"
#include "run_dir.hpp"

namespace linlearn::cli {

namespace {

using Json = nlohmann::ordered_json;

struct CompareArgs {
    std::vector<std::string> dirs;
    std::string sort, format = "table";
    bool desc = false, asc = false;
};

// What the runs hold in common and apart, computed once for every format.
struct Comparison {
    std::vector<RunDir> runs;                 // in display order
    std::vector<std::string> differing_hps;   // keys whose value is not the same in every run
    std::vector<std::string> metric_names;    // union of final metrics, first-seen order
    bool ascending = true;                    // meaningful when sorted
};

std::string hp_value(const RunDir& r, const std::string& key) {
    for (const auto& [k, v] : r.hyperparameters)
        if (k == key) return v;
    return "";  // a key one run lacks (an older version) differs from any value
}

std::vector<std::string> differing_hyperparameters(const std::vector<RunDir>& runs) {
    std::vector<std::string> keys, out;
    for (const RunDir& r : runs)
        for (const auto& [k, v] : r.hyperparameters)
            if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    for (const std::string& k : keys) {
        const std::string first = hp_value(runs.front(), k);
        for (const RunDir& r : runs)
            if (hp_value(r, k) != first) {
                out.push_back(k);
                break;
            }
    }
    return out;
}

std::vector<std::string> metric_union(const std::vector<RunDir>& runs) {
    std::vector<std::string> names;
    for (const RunDir& r : runs)
        for (const auto& [n, v] : r.metrics)
            if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    return names;
}

// Stable: runs with equal values keep the command line's order; runs without a finite
// value go last whatever the direction, since "missing" is never the best.
void sort_runs(Comparison& c, const CompareArgs& a) {
    if (std::find(c.metric_names.begin(), c.metric_names.end(), a.sort) == c.metric_names.end()) {
        std::string have;
        for (const std::string& n : c.metric_names) have += (have.empty() ? "" : ", ") + n;
        throw CommandError("--sort '" + a.sort + "': no run has this final metric; they have: " + have, 2);
    }
    c.ascending = a.asc || (!a.desc && lower_is_better(a.sort));
    std::stable_sort(c.runs.begin(), c.runs.end(), [&](const RunDir& x, const RunDir& y) {
        const double vx = find_metric(x.metrics, a.sort), vy = find_metric(y.metrics, a.sort);
        if (!std::isfinite(vx) || !std::isfinite(vy)) return std::isfinite(vx) && !std::isfinite(vy);
        return c.ascending ? vx < vy : vx > vy;
    });
}

// Table cells: 6 significant digits is enough to see which run wins.
std::string short_number(double v) {
    if (std::isnan(v)) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

// CSV and JSON keep every digit (nlohmann writes the shortest exact form).
std::string exact_number(double v) { return std::isfinite(v) ? Json(v).dump() : ""; }

std::string epochs_run(const RunDir& r) { return r.has_events ? std::to_string(r.epochs.size()) : ""; }

// Fields down, runs across: with a dozen metrics and long names, columns per run stay
// readable in a terminal where columns per metric would not.
std::string format_table(const Comparison& c, const CompareArgs& a) {
    std::vector<std::vector<std::string>> rows;
    auto row = [&](const std::string& label, auto cell) {
        std::vector<std::string> r{label};
        for (const RunDir& run : c.runs) r.push_back(cell(run));
        rows.push_back(std::move(r));
    };
    row("run", [](const RunDir& r) { return r.run_id; });
    row("folder", [](const RunDir& r) { return r.dir; });
    row("status", [](const RunDir& r) { return r.stopped_by.empty() ? r.status : r.status + " (rule)"; });
    row("best epoch", [](const RunDir& r) { return std::to_string(r.best_epoch); });
    row("epochs run", [](const RunDir& r) { const std::string e = epochs_run(r); return e.empty() ? "-" : e; });
    row("time (s)", [](const RunDir& r) { return short_number(r.total_time_s); });
    for (const std::string& k : c.differing_hps) row("hp:" + k, [&](const RunDir& r) { return hp_value(r, k); });
    for (const std::string& m : c.metric_names)
        row(m == a.sort ? m + (c.ascending ? " ^" : " v") : m,
            [&](const RunDir& r) { return short_number(find_metric(r.metrics, m)); });
    std::vector<size_t> width(rows.front().size(), 0);
    for (const auto& r : rows)
        for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    std::ostringstream o;
    if (!a.sort.empty())
        o << "sorted by " << a.sort << ", " << (c.ascending ? "ascending (^)" : "descending (v)") << "\n";
    if (c.differing_hps.empty() && c.runs.size() > 1) o << "(the runs have the same hyperparameters)\n";
    for (const auto& r : rows) {
        for (size_t i = 0; i < r.size(); ++i) {
            o << r[i];
            if (i + 1 < r.size()) o << std::string(width[i] - r[i].size() + 2, ' ');
        }
        o << "\n";
    }
    return o.str();
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
}

// One row per run, so that pandas or a spreadsheet read it as records.
std::string format_csv(const Comparison& c) {
    std::vector<std::string> header{"run_id", "folder", "status", "stopped_by", "best_epoch", "epochs_run",
                                    "total_time_s"};
    for (const std::string& k : c.differing_hps) header.push_back("hp:" + k);
    for (const std::string& m : c.metric_names) header.push_back(m);
    std::ostringstream o;
    auto line = [&](const std::vector<std::string>& fields) {
        for (size_t i = 0; i < fields.size(); ++i) o << (i ? "," : "") << csv_field(fields[i]);
        o << "\r\n";  // RFC 4180, as epochs.csv
    };
    line(header);
    for (const RunDir& r : c.runs) {
        std::vector<std::string> f{r.run_id, r.dir, r.status, r.stopped_by, std::to_string(r.best_epoch),
                                   epochs_run(r), exact_number(r.total_time_s)};
        for (const std::string& k : c.differing_hps) f.push_back(hp_value(r, k));
        for (const std::string& m : c.metric_names) f.push_back(exact_number(find_metric(r.metrics, m)));
        line(f);
    }
    return o.str();
}

std::string format_json(const Comparison& c, const CompareArgs& a) {
    auto num = [](double v) { return std::isfinite(v) ? Json(v) : Json(); };
    Json out;
    out["sort"] = a.sort.empty() ? Json()
                                 : Json{{"metric", a.sort}, {"order", c.ascending ? "ascending" : "descending"}};
    out["differing_hyperparameters"] = c.differing_hps;
    out["runs"] = Json::array();
    for (const RunDir& r : c.runs) {
        Json hp = Json::object(), metrics = Json::object();
        for (const std::string& k : c.differing_hps) hp[k] = hp_value(r, k);
        for (const auto& [n, v] : r.metrics) metrics[n] = num(v);
        out["runs"].push_back({{"run_id", r.run_id},
                               {"folder", r.dir},
                               {"status", r.status},
                               {"stopped_by", r.stopped_by.empty() ? Json() : Json(r.stopped_by)},
                               {"best_epoch", r.best_epoch},
                               {"selected_model", r.selected_model},
                               {"epochs_run", r.has_events ? Json(r.epochs.size()) : Json()},
                               {"total_time_s", num(r.total_time_s)},
                               {"hyperparameters", hp},
                               {"metrics", metrics}});
    }
    return out.dump(2) + "\n";
}

int run_compare(CompareArgs a) {
    // SageMaker's name of a final objective loss, "validation:objective_loss:final", is
    // metrics.json's alias of "validation:objective_loss" (run_dir.cpp keeps one of the two).
    const std::string alias = ":objective_loss:final";
    if (a.sort.size() > alias.size() && a.sort.compare(a.sort.size() - alias.size(), alias.size(), alias) == 0)
        a.sort.resize(a.sort.size() - std::string(":final").size());
    Comparison c;
    for (const std::string& d : a.dirs) c.runs.push_back(read_run_dir(d, false));
    c.differing_hps = differing_hyperparameters(c.runs);
    c.metric_names = metric_union(c.runs);
    if (!a.sort.empty()) sort_runs(c, a);
    else if (a.asc || a.desc) throw CommandError("--asc and --desc need --sort PHASE:METRIC", 2);
    if (a.format == "csv") std::cout << format_csv(c);
    else if (a.format == "json") std::cout << format_json(c, a);
    else std::cout << format_table(c, a);
    return 0;
}

}  // namespace

Action add_compare(CLI::App& app) {
    auto a = std::make_shared<CompareArgs>();
    app.add_option("runs", a->dirs, "run folders written by linlearn train -o")->required();
    app.add_option("--sort", a->sort,
                   "order the runs by a final metric, PHASE:NAME (e.g. validation:objective_loss); "
                   "losses, mse and rmse ascending, other metrics descending");
    auto* desc = app.add_flag("--desc", a->desc, "sort in descending order, whatever the metric");
    app.add_flag("--asc", a->asc, "sort in ascending order, whatever the metric")->excludes(desc);
    app.add_option("--format", a->format, "table (runs as columns), csv or json (one record per run)")
        ->check(CLI::IsMember({"table", "csv", "json"}));
    app.footer("Example:\n  linlearn compare runs/a runs/b runs/c --sort validation:roc_auc_score");
    return [a] { return run_compare(*a); };
}

}  // namespace linlearn::cli
