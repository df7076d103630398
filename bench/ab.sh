#!/usr/bin/env bash
# Same-hour A/B of two `verdict bench` variants: two builds, or one build under two environments.
# On a shared VM a figure moves by 15-25 % from one hour to the next, so a change is judged only
# against the code before it, measured in alternating rounds (A, B, A, B, ...) within minutes.
# Prints every round, then per figure the median of A, of B, B/A, and how many rounds B won.
#
#   bench/ab.sh MODEL_DIR A_BIN B_BIN                  # e.g. a build of main vs this branch
#   A_ENV="VERDICT_MATMUL_ONLY=1" bench/ab.sh MODEL_DIR BIN BIN   # one build, two settings
#
# ROUNDS (default 8); BENCH_ARGS (default: int8, batch-1 latency at 8 and 32 tokens, throughput on
# 256 mixed-length sequences); A_ENV / B_ENV: extra environment for each side ("K=V K2=V2").
set -euo pipefail
model="${1:?usage: bench/ab.sh MODEL_DIR A_BIN B_BIN}"
a_bin="${2:?usage: bench/ab.sh MODEL_DIR A_BIN B_BIN}"
b_bin="${3:?usage: bench/ab.sh MODEL_DIR A_BIN B_BIN}"
rounds="${ROUNDS:-8}"
bench_args="${BENCH_ARGS:---dtype int8 --lengths 8 32 --runs 50 --warmup 5 --mixed-sequences 256}"
command -v python3 >/dev/null || { echo "ab.sh: needs python3 (apt-get install python3)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run_side() {  # side bin env
  # shellcheck disable=SC2086  # env and bench_args are lists
  env ${3:-} "$2" bench --model "$model" $bench_args --json "$work/$1-$round.json" >/dev/null
}
for round in $(seq "$rounds"); do
  run_side A "$a_bin" "${A_ENV:-}"
  run_side B "$b_bin" "${B_ENV:-}"
  echo "round $round/$rounds done" >&2
done

python3 - "$work" "$rounds" <<'PY'
import json, os, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def figures(path):
    r = json.load(open(path))
    out = {f"{l['tokens']} tok median ms": l["median_ms"] for l in r["latency"]}
    out["mixed seq/s"] = r["throughput"]["sequences_per_second"]
    return out
a = [figures(os.path.join(work, f"A-{i}.json")) for i in range(1, rounds + 1)]
b = [figures(os.path.join(work, f"B-{i}.json")) for i in range(1, rounds + 1)]
for name in a[0]:
    print(f"{name}: A " + " ".join(f"{r[name]:.2f}" for r in a))
    print(f"{' ' * len(name)}  B " + " ".join(f"{r[name]:.2f}" for r in b))
print()
print(f"{'figure':<22} {'median A':>9} {'median B':>9} {'B/A':>6}  B better in")
for name in a[0]:
    higher_is_better = name.endswith("seq/s")
    ma, mb = statistics.median(r[name] for r in a), statistics.median(r[name] for r in b)
    wins = sum((y[name] > x[name]) == higher_is_better for x, y in zip(a, b))
    print(f"{name:<22} {ma:9.2f} {mb:9.2f} {mb / ma:6.3f}  {wins}/{rounds} rounds")
PY
