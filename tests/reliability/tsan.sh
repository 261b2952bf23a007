#!/usr/bin/env bash
# Builds rel_capi_tests with ThreadSanitizer (GCC, in its own build folder) and runs the
# thread tests under it.
#
#   tests/reliability/tsan.sh [BUILD_DIR]        (default build/h-tsan)
#
# The trainers run with num_threads=1 (REL_FORCE_ONE_THREAD=1): GCC's libgomp is not
# built with TSan, so the synchronisation of its parallel regions is invisible to it and
# every region would be reported as a race (257 such reports with num_threads=2, each
# between an OpenMP worker and its master: false positives). Concurrency between the
# caller's threads (several trainers, one model shared by many) is what is checked here.
# Exit status: TSan's (66) on a report, doctest's on a failed check, else 0.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/h-tsan}
flags="-fsanitize=thread -O1 -g"
cmake -S "$root" -B "$build" -DLINLEARN_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target rel_capi_tests
REL_FORCE_ONE_THREAD=1 TSAN_OPTIONS="halt_on_error=0 exitcode=66 ${TSAN_OPTIONS:-}" LINLEARN_PLUGIN_PATH= \
    "$build/bin/rel_capi_tests" -tc="*thread*,cancelling*"
