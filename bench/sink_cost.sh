#!/usr/bin/env bash
# The cost of the built-in sinks (issue 3's target: under 1% of training time): a 15-epoch
# run on 1,000,000 generated rows with the json, csv and stdout sinks all on, reading the
# time spent in sinks and the total from metrics.json (run_end's sink_time_s, total_time_s).
# usage: bench/sink_cost.sh [BUILD_DIR] [ROWS]   (BUILD_DIR must hold bin/linlearn and bin/bench_gen)
set -euo pipefail
build=${1:-build/release}
rows=${2:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/bin/bench_gen" csv "$work/train.csv" --rows "$rows" --cols 100 --seed 1 >/dev/null
for run in 1 2 3; do
  "$build/bin/linlearn" train --train "$work/train.csv" --hp predictor_type=binary_classifier \
    --hp epochs=15 --hp mini_batch_size=1000 --hp num_models=1 --hp early_stopping_patience=100 \
    -o "$work/run$run" >/dev/null
  /usr/bin/python3 -c "
import json, sys
m = json.load(open('$work/run$run/metrics.json'))
print(f\"run $run: {m['sink_time_s']:.4f} s in sinks of {m['total_time_s']:.2f} s = {100 * m['sink_time_s'] / m['total_time_s']:.3f}%\")"
done
