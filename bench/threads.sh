#!/usr/bin/env bash
# bench/threads.sh — training speed from 1 to 16 threads in one run (issue 6, case 7).
#
#   bench/threads.sh [BUILD_DIR] [THREADS...]
#
#   BUILD_DIR  where bench_train is built (default build/bench; built there if missing)
#   THREADS    the thread counts (default: 1 2 4 8 16, capped at the machine's cores)
#
# Env: ROWS (default 1000000), MODELS (default "1,32"), EPOCHS (default 3), REPS (default 3).
#
# For each thread count, bench_train trains on the same seeded 1,000,000 x 100 dense data
# (binary, mini_batch_size=1000, num_threads=T) and reports the per-epoch time of the
# training pass and with the per-epoch evaluation; the table gives the speed-up over one
# thread and the parallel efficiency (speed-up / threads). Target (issue 6): 32 models reach
# at least 60% efficiency at 16 threads. Run it on an otherwise idle machine: a busy core
# stalls every OpenMP barrier of every mini-batch.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="${1:-$root/build/bench}"
shift || true
cores="$(nproc)"
if [ "$#" -gt 0 ]; then
  threads=("$@")
else
  threads=()
  for t in 1 2 4 8 16; do [ "$t" -le "$cores" ] && threads+=("$t"); done
  [ "${threads[-1]}" -lt "$cores" ] && [ "$cores" -le 16 ] && threads+=("$cores")
fi
rows="${ROWS:-1000000}"
models="${MODELS:-1,32}"
epochs="${EPOCHS:-3}"
reps="${REPS:-3}"
py=/usr/bin/python3
[ -x "$py" ] || py="$(command -v python3)"

if [ ! -x "$build/bin/bench_train" ]; then
  echo "building bench_train in $build ..." >&2
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLINLEARN_BUILD_TESTS=OFF -DLINLEARN_BUILD_BENCH=ON \
    -DLINLEARN_NATIVE=ON -DCMAKE_CXX_FLAGS=-march=native -DCMAKE_C_FLAGS=-march=native >/dev/null
  cmake --build "$build" -j "$cores" --target bench_train >/dev/null
fi

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $cores cores;" \
     "load average $(cut -d' ' -f1 /proc/loadavg)" >&2
for t in "${threads[@]}"; do
  echo "threads=$t ..." >&2
  OMP_PROC_BIND="${OMP_PROC_BIND:-close}" "$build/bin/bench_train" dense --rows "$rows" --cols 100 \
    --models "$models" --epochs "$epochs" --reps "$reps" --threads "$t" --no-probe >>"$out"
done

"$py" - "$out" "$rows" <<'EOF'
import json, statistics, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
rows = int(sys.argv[2])
by = {}
for r in recs:
    if r["bench"] == "epoch" and r["epoch"] > 0:
        by.setdefault((r["models"], r["threads"]), []).append(r)
med = lambda xs: statistics.median(xs)
print(f"Training {rows:,} x 100 dense, per epoch (medians of warm epochs), speed-up over 1 thread:")
print()
print("| num_models | threads | training pass | speed-up | efficiency | with evaluation | speed-up | efficiency |")
print("|---|---|---|---|---|---|---|---|")
for m in sorted({k[0] for k in by}):
    base = by.get((m, 1))
    if not base:
        continue
    t1, w1 = med([r["train_s"] for r in base]), med([r["wall_s"] for r in base])
    for th in sorted(k[1] for k in by if k[0] == m):
        rs = by[(m, th)]
        t, w = med([r["train_s"] for r in rs]), med([r["wall_s"] for r in rs])
        print(f"| {m} | {th} | {t*1e3:.0f} ms | {t1/t:.2f}x | {100*t1/t/th:.0f}% | {w*1e3:.0f} ms | {w1/w:.2f}x | "
              f"{100*w1/w/th:.0f}% |")
top = max(k[1] for k in by)
if (32, top) in by and (32, 1) in by:
    eff = med([r["train_s"] for r in by[(32, 1)]]) / med([r["train_s"] for r in by[(32, top)]]) / top
    print()
    print(f"32 models at {top} threads: {100*eff:.0f}% efficiency (target: >= 60% at 16 threads) -> "
          f"{'met' if eff >= 0.6 else 'missed'}" + ("" if top >= 16 else f" [only {top} threads here]"))
EOF
