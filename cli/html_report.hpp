// The HTML page of `linlearn report`: learning curves of one or more runs as inline SVG.
#pragma once
#include <string>
#include <vector>

#include "run_dir.hpp"

namespace linlearn::cli {

// One self-contained page (inline CSS and SVG; no script, no external resource), with
// one <svg class="chart" data-metric=NAME> per metric. In each, per run and phase, a
// <path class="series" data-run=ID data-phase=train|validation data-points=N> through
// the best-model-so-far value of every epoch (a NaN breaks the line); per run a
// <g class="best-epoch" data-epoch=E> at the selected checkpoint's epoch, and a
// <g class="early-stop"> (or class="stopped" for a cancelled run) at its last epoch.
// Runs need their events (read_run_dir(dir, true)).
std::string html_report(const std::vector<RunDir>& runs, const std::string& title);

}  // namespace linlearn::cli
