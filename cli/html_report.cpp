#include "html_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace linlearn::cli {

namespace {

// Colours per run (Tableau 10): distinguishable, and print in greyscale as distinct.
const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
const char* colour(size_t run) { return kPalette[run % (sizeof kPalette / sizeof *kPalette)]; }

// Chart geometry in SVG user units; the page scales the viewBox to the column width.
constexpr double kW = 440, kH = 260, kLeft = 62, kRight = 14, kTop = 30, kBottom = 40;
constexpr double kPlotW = kW - kLeft - kRight, kPlotH = kH - kTop - kBottom;
const char* const kPhases[] = {"train", "validation"};

std::string esc(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
            case '&': o += "&amp;"; break;
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '"': o += "&quot;"; break;
            default: o += c;
        }
    }
    return o;
}

std::string fmt(const char* format, double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}
std::string coord(double v) { return fmt("%.2f", v); }

// A step of 1, 2 or 5 times a power of ten giving about `count` intervals over `range`.
double nice_step(double range, int count) {
    const double raw = range / count;
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0})
        if (raw <= m * p) return m * p;
    return 10 * p;
}

struct Axis {
    double lo, hi, step;
    double map(double v, double from, double length) const { return from + (v - lo) / (hi - lo) * length; }
};

// Y axis over the finite values, widened to whole ticks so that the grid frames the data.
Axis value_axis(double lo, double hi) {
    if (lo == hi) {
        const double pad = lo == 0 ? 1 : std::abs(lo) * 0.05;
        lo -= pad;
        hi += pad;
    }
    const double step = nice_step(hi - lo, 5);
    return {std::floor(lo / step) * step, std::ceil(hi / step) * step, step};
}

// X axis from epoch 0 to the last epoch of the longest run, ticks on whole epochs.
Axis epoch_axis(int last_epoch) {
    const double hi = std::max(last_epoch, 1);
    return {0, hi, std::max(1.0, std::round(nice_step(hi, 8)))};
}

struct Series {
    std::vector<int> epochs;
    std::vector<double> values;  // NaN where undefined
};

Series series_of(const RunDir& run, const std::string& name) {
    Series s;
    for (const EpochPoint& p : run.epochs) {
        s.epochs.push_back(p.epoch);
        s.values.push_back(find_metric(p.best, name));
    }
    return s;
}

class Chart {
   public:
    Chart(const std::vector<RunDir>& runs, std::string metric) : runs_(runs), metric_(std::move(metric)) {}

    std::string svg() {
        if (!scale()) return frame("no finite value in any run") + "</svg>\n";
        std::string out = frame("");
        for (size_t r = 0; r < runs_.size(); ++r) out += run_marks(r);
        return out + "</svg>\n";
    }

   private:
    // Sets the axes from every run's values of this metric; false when there are none.
    bool scale() {
        double lo = INFINITY, hi = -INFINITY;
        int last = 0;
        for (const RunDir& run : runs_) {
            for (const EpochPoint& p : run.epochs) last = std::max(last, p.epoch);
            for (const char* phase : kPhases)
                for (double v : series_of(run, std::string(phase) + ":" + metric_).values)
                    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        }
        x_ = epoch_axis(last);
        if (!(lo <= hi)) return false;
        y_ = value_axis(lo, hi);
        return true;
    }
    double x(double epoch) const { return x_.map(epoch, kLeft, kPlotW); }
    double y(double v) const { return y_.map(v, kTop + kPlotH, -kPlotH); }

    // The title, the grid, the tick labels and the axis names.
    std::string frame(const std::string& empty_note) const {
        std::ostringstream o;
        o << "<svg class=\"chart\" data-metric=\"" << esc(metric_) << "\" viewBox=\"0 0 " << kW << " " << kH
          << "\" role=\"img\" aria-label=\"" << esc(metric_) << " per epoch\">\n"
          << "<text class=\"title\" x=\"" << kLeft << "\" y=\"18\">" << esc(metric_)
          << "<tspan class=\"hint\"> (" << (lower_is_better(metric_) ? "lower" : "higher")
          << " is better)</tspan></text>\n";
        if (!empty_note.empty()) {
            o << "<text class=\"empty\" x=\"" << kW / 2 << "\" y=\"" << kH / 2 << "\">" << empty_note << "</text>\n";
            return o.str();
        }
        o << "<g class=\"grid\">";
        for (double v = y_.lo; v <= y_.hi + y_.step / 2; v += y_.step)
            o << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + kPlotW << "\" y1=\"" << coord(y(v)) << "\" y2=\""
              << coord(y(v)) << "\"/><text class=\"ytick\" x=\"" << kLeft - 6 << "\" y=\"" << coord(y(v) + 4)
              << "\">" << fmt("%.4g", std::abs(v) < y_.step * 1e-9 ? 0.0 : v) << "</text>";
        for (double e = 0; e <= x_.hi + 0.5; e += x_.step)
            o << "<line x1=\"" << coord(x(e)) << "\" x2=\"" << coord(x(e)) << "\" y1=\"" << kTop << "\" y2=\""
              << kTop + kPlotH << "\"/><text class=\"xtick\" x=\"" << coord(x(e)) << "\" y=\""
              << kTop + kPlotH + 16 << "\">" << e << "</text>";
        o << "</g>\n<text class=\"axis\" x=\"" << kLeft + kPlotW / 2 << "\" y=\"" << kH - 6 << "\">epoch</text>\n";
        return o.str();
    }

    // A run's two curves, its best-epoch marker and, if it ended early, the end marker.
    std::string run_marks(size_t r) const {
        const RunDir& run = runs_[r];
        std::ostringstream o;
        Series marked;  // validation when the run has it: selection looks at it
        for (const char* phase : kPhases) {
            const Series s = series_of(run, std::string(phase) + ":" + metric_);
            const std::string d = path_data(s);
            if (d.empty()) continue;
            const bool train = std::string(phase) == "train";
            std::string epochs;
            for (size_t i = 0; i < s.epochs.size(); ++i)
                if (std::isfinite(s.values[i])) epochs += (epochs.empty() ? "" : " ") + std::to_string(s.epochs[i]);
            o << "<path class=\"series\" data-run=\"" << esc(run.run_id) << "\" data-phase=\"" << phase
              << "\" data-points=\"" << std::count_if(s.values.begin(), s.values.end(), [](double v) {
                     return std::isfinite(v);
                 }) << "\" data-epochs=\"" << epochs << "\" d=\"" << d << "\" stroke=\"" << colour(r) << "\""
              << (train ? " stroke-dasharray=\"5 3\"" : "") << "><title>" << esc(run.run_id) << " " << phase << " "
              << esc(metric_) << "</title></path>\n";
            if (!train || marked.epochs.empty()) marked = s;
        }
        if (marked.epochs.empty()) return o.str();
        o << point_marker(r, "best-epoch", run.best_epoch, marked,
                          "selected checkpoint: epoch " + std::to_string(run.best_epoch));
        if (run.early_stop_epoch >= 0)
            o << point_marker(r, "early-stop", marked.epochs.back(), marked,
                              "early stopped after epoch " + std::to_string(marked.epochs.back()) + ": " +
                                  run.early_stop_message);
        else if (run.status == "cancelled")
            o << point_marker(r, "stopped", marked.epochs.back(), marked,
                              run.stopped_by.empty() ? "cancelled" : "stopped by rule: " + run.stopped_by);
        return o.str();
    }

    // "M x y L x y ..." over the finite values; an undefined value starts a new piece.
    std::string path_data(const Series& s) const {
        std::string d;
        bool pen_down = false;
        for (size_t i = 0; i < s.epochs.size(); ++i) {
            if (!std::isfinite(s.values[i])) {
                pen_down = false;
                continue;
            }
            d += (d.empty() ? "" : " ") + std::string(pen_down ? "L" : "M") + coord(x(s.epochs[i])) + " " +
                 coord(y(s.values[i]));
            pen_down = true;
        }
        return d;
    }

    // best-epoch: a dotted vertical line and a dot on the curve; early-stop and stopped:
    // a cross on the curve's last point. Both carry the epoch for tests and tooltips.
    std::string point_marker(size_t r, const char* cls, int epoch, const Series& s, const std::string& tip) const {
        if (epoch < 0) return "";
        const auto it = std::find(s.epochs.begin(), s.epochs.end(), epoch);
        const double v = it == s.epochs.end() ? NAN : s.values[it - s.epochs.begin()];
        const std::string cx = coord(x(epoch));
        std::ostringstream o;
        o << "<g class=\"" << cls << "\" data-run=\"" << esc(runs_[r].run_id) << "\" data-epoch=\"" << epoch
          << "\" stroke=\"" << colour(r) << "\" fill=\"" << colour(r) << "\"><title>" << esc(runs_[r].run_id) << ": "
          << esc(tip) << "</title>";
        if (std::string(cls) == "best-epoch") {
            o << "<line x1=\"" << cx << "\" x2=\"" << cx << "\" y1=\"" << kTop << "\" y2=\"" << kTop + kPlotH
              << "\" stroke-dasharray=\"1 3\"/>";
            if (std::isfinite(v)) o << "<circle cx=\"" << cx << "\" cy=\"" << coord(y(v)) << "\" r=\"4\"/>";
        } else if (std::isfinite(v)) {
            const double px = x(epoch), py = y(v);
            o << "<path class=\"cross\" d=\"M" << coord(px - 5) << " " << coord(py - 5) << " L" << coord(px + 5) << " "
              << coord(py + 5) << " M" << coord(px - 5) << " " << coord(py + 5) << " L" << coord(px + 5) << " "
              << coord(py - 5) << "\"/>";
        }
        return o.str() + "</g>\n";
    }

    const std::vector<RunDir>& runs_;
    std::string metric_;
    Axis x_{0, 1, 1}, y_{0, 1, 1};
};

// Metric names without the phase, in first-seen order over every run.
std::vector<std::string> chart_metrics(const std::vector<RunDir>& runs) {
    std::vector<std::string> out;
    for (const RunDir& r : runs)
        for (const std::string& full : r.series_names()) {
            const std::string name = full.substr(full.find(':') + 1);
            if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
        }
    return out;
}

std::string legend(const std::vector<RunDir>& runs) {
    std::ostringstream o;
    o << "<table class=\"legend\"><thead><tr><th></th><th>run</th><th>folder</th><th>status</th><th>best "
         "epoch</th><th>epochs</th><th>time (s)</th><th>notes</th></tr></thead><tbody>\n";
    for (size_t r = 0; r < runs.size(); ++r) {
        const RunDir& run = runs[r];
        std::string notes = run.early_stop_epoch >= 0 ? "early stop: " + run.early_stop_message : "";
        if (!run.stopped_by.empty()) notes = "stopped by rule: " + run.stopped_by;
        for (const std::string& a : run.alerts) notes += (notes.empty() ? "" : "; ") + std::string("alert: ") + a;
        if (run.status == "failed") notes = run.message;
        o << "<tr class=\"run\" data-run=\"" << esc(run.run_id) << "\"><td><span class=\"swatch\" style=\"background:"
          << colour(r) << "\"></span></td><td>" << esc(run.run_id) << "</td><td>" << esc(run.dir) << "</td><td>"
          << esc(run.status) << "</td><td>" << run.best_epoch << "</td><td>" << run.epochs.size() << "</td><td>"
          << fmt("%.3g", run.total_time_s) << "</td><td class=\"notes\">" << esc(notes) << "</td></tr>\n";
    }
    return o.str() + "</tbody></table>\n";
}

const char* const kStyle = R"(
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:16px 20px;background:#fff}
h1{font-size:20px;margin:0 0 6px}
p.key{margin:0 0 10px;color:#555;font-size:13px}
table.legend{border-collapse:collapse;font-size:13px;margin-bottom:12px}
table.legend th,table.legend td{padding:2px 8px;text-align:left;border-bottom:1px solid #eee;white-space:nowrap}
table.legend td.notes{white-space:normal}
.swatch{display:inline-block;width:18px;height:4px;vertical-align:middle}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:8px 16px}
svg.chart{width:100%;height:auto;display:block}
svg .title{font-size:13px;font-weight:600} svg .hint{font-weight:400;fill:#777}
svg .grid line{stroke:#e4e4e4;stroke-width:1}
svg .ytick{font-size:10px;fill:#666;text-anchor:end} svg .xtick{font-size:10px;fill:#666;text-anchor:middle}
svg .axis{font-size:11px;fill:#555;text-anchor:middle} svg .empty{font-size:12px;fill:#999;text-anchor:middle}
svg path.series{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
svg .best-epoch line{stroke-width:1.2} svg .best-epoch circle{stroke:#fff;stroke-width:1.5}
svg path.cross{fill:none;stroke-width:2.5}
)";

}  // namespace

std::string html_report(const std::vector<RunDir>& runs, const std::string& title) {
    std::ostringstream o;
    o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<title>" << esc(title)
      << "</title>\n<style>" << kStyle << "</style></head>\n<body>\n<h1>" << esc(title) << "</h1>\n"
      << "<p class=\"key\">Each curve is the best model so far at each epoch (<code>best</code> in "
         "events.jsonl). Solid: validation; dashed: train. Dotted line and dot: the epoch of the selected "
         "checkpoint. &#x2715;: the last epoch of a run that stopped early or was stopped.</p>\n"
      << legend(runs) << "<div class=\"charts\">\n";
    for (const std::string& m : chart_metrics(runs)) o << Chart(runs, m).svg();
    o << "</div>\n</body></html>\n";
    return o.str();
}

}  // namespace linlearn::cli
