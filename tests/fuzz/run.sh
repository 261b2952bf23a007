#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs them.
#
#   tests/fuzz/run.sh [--seconds N] [--smoke] [--build-dir DIR] [--jobs J] [--known-bugs] [TARGET...]
#
#   --seconds N    fuzz each target for N seconds (default 60)
#   --smoke        10 seconds per target (what ctest runs)
#   --build-dir    where objects, binaries, the working corpus and crash artifacts go
#                  (default build/h-fuzz)
#   --known-bugs   instead of fuzzing, replay tests/fuzz/known_bugs/TARGET/* (if any) with
#                  the checks of open bugs switched on (FUZZ_KNOWN_BUGS=1); each must crash
#   TARGET         csv libsvm model sink_spec hyperparams (default: all)
#
# Each target first replays its committed corpus, tests/fuzz/corpus/TARGET (seeds and
# regression inputs), then fuzzes. New inputs go to BUILD/new-inputs/TARGET, never into the
# committed corpus; a crash leaves BUILD/artifacts/TARGET-crash-* and fails the script.
# CXX_FUZZ names the compiler (default: clang++, else clang++-14).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=60
build="$root/build/h-fuzz"
jobs=2
known=0
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --smoke) seconds=10; shift ;;
        --build-dir) build=$2; shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        --known-bugs) known=1; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(csv libsvm model sink_spec hyperparams alert_rule)

cxx=${CXX_FUZZ:-$(command -v clang++ || command -v clang++-14 || true)}
if [ -z "$cxx" ]; then
    echo "run.sh: no clang++ found (apt-get install clang libclang-rt-14-dev)" >&2
    exit 2
fi

mkdir -p "$build"
bins=()
for t in "${targets[@]}"; do bins+=("fuzz_$t"); done
make -s -C "$build" -f "$here/Makefile" ROOT="$root" CXX_FUZZ="$cxx" -j"$jobs" "${bins[@]}"

declare -A max_len=([csv]=65536 [libsvm]=65536 [model]=65536 [sink_spec]=4096 [hyperparams]=8192 [alert_rule]=512)
status=0
for t in "${targets[@]}"; do
    bin="$build/fuzz_$t"
    if [ "$known" = 1 ]; then
        for input in "$here/known_bugs/$t"/*; do
            [ -e "$input" ] || continue
            if FUZZ_KNOWN_BUGS=1 "$bin" "$input" >"$build/known-$t.log" 2>&1; then
                echo "known bug no longer reproduces (fixed? move the input to corpus/$t): $input"
                status=1
            else
                echo "reproduces: $input ($(grep -m1 -E 'ERROR|runtime error|deadly' "$build/known-$t.log" || true))"
            fi
        done
        continue
    fi
    work="$build/new-inputs/$t"
    mkdir -p "$work" "$build/artifacts"
    dict=()
    [ -f "$here/dicts/$t.dict" ] && dict=(-dict="$here/dicts/$t.dict")
    log="$build/fuzz-$t.log"
    echo "== $t: replaying $(ls "$here/corpus/$t" | wc -l) corpus inputs, then fuzzing ${seconds}s"
    if ! "$bin" -runs=0 "${dict[@]}" -max_len="${max_len[$t]}" "$here/corpus/$t" >"$log" 2>&1 ||
       ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="${max_len[$t]}" \
            -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "${dict[@]}" \
            "$work" "$here/corpus/$t" >>"$log" 2>&1; then
        echo "FAILED: $t (log: $log)"
        grep -E "ERROR|runtime error|deadly|Test unit written" "$log" | head -5 || true
        status=1
    else
        grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$log" | tail -2 | sed 's/^/   /' || true
    fi
done
exit $status
