#!/usr/bin/env bash
# Builds everything and runs every test: the release build, then with --asan (as CI does)
# the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer, and with
# --tsan the thread tests (ctest label `threads`) under ThreadSanitizer: the tsan preset,
# clang with LLVM's OpenMP runtime (see tests/reliability/README.md).
#
#   scripts/test.sh [--asan] [--tsan]
set -euo pipefail
cd "$(dirname "$0")/.."
presets=(release)
for arg in "$@"; do
  case "$arg" in
    --asan) presets+=(asan) ;;
    --tsan) presets+=(tsan) ;;
    *) echo "usage: scripts/test.sh [--asan] [--tsan]" >&2; exit 2 ;;
  esac
done
scripts/install-deps.sh
jobs="$(nproc)"
for preset in "${presets[@]}"; do
  echo "== $preset: configure, build, test"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"  # tsan: only the thread tests' programs
  ctest --preset "$preset" -j"$jobs"          # tsan: only the tests labelled `threads`
done
