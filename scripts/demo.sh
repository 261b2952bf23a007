#!/usr/bin/env bash
# The main job: install what is missing, build, and train a binary classifier on the
# bundled breast-cancer data (train/validation/test), with per-epoch progress on stdout
# and the model and metrics written to out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target linlearn_cli linlearn_sinks
build/release/bin/linlearn train \
  --train data/breast_cancer.train.csv \
  --validation data/breast_cancer.validation.csv \
  --test data/breast_cancer.test.csv \
  --hp predictor_type=binary_classifier \
  --output-dir out/demo "$@"
