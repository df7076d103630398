#!/usr/bin/env bash
# Verdict against its peers in one run, on the same full-size random DistilBERT-SST2 model and the
# same inputs (bench/peers/workloads.py): `verdict bench` for each --dtype the binary offers, then
# PyTorch eager fp32, PyTorch int8 dynamic quantisation and ONNX Runtime, each at every thread count
# in THREADS (best one reported). The whole comparison is repeated REPEATS times; summarize.py prints
# medians and Verdict/peer ratios and writes result.json + result.md.
#   bench/compare.sh [MODEL_DIR]        (peers need bench/peers/install.sh first)
# Environment: VERDICT_BIN, REPEATS (3), THREADS ("1 2"), DTYPES (default: every --dtype choice of
# `verdict bench` this CPU runs, auto included, else fp32), PEERS ("pytorch-fp32 pytorch-int8 onnxruntime-fp32"),
# RUNS (200 per latency length), WARMUP (20), MIXED (512 sequences of 10-120 tokens),
# REVIEWS (512 real reviews), MAX_SECONDS (30: per latency length and per throughput set, after
# which a peer stops early with fewer runs, at least MIN_RUNS=20), OUT (result folder), NOTE (a remark
# recorded with the figures, e.g. "busy machine").
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${VERDICT_BIN:-build/release/src/verdict/cli/verdict}"
model="${1:-${MODEL:-../models/distilbert-sst2-random}}"
repeats="${REPEATS:-3}"
threads="${THREADS:-1 2}"
peers="${PEERS:-pytorch-fp32 pytorch-int8 onnxruntime-fp32}"
runs="${RUNS:-200}"
max_seconds="${MAX_SECONDS:-30}"
warmup="${WARMUP:-20}"
min_runs="${MIN_RUNS:-20}"
mixed="${MIXED:-512}"
reviews="${REVIEWS:-512}"
out="${OUT:-build/compare/$(date -u +%Y%m%dT%H%M%SZ)}"
py=/usr/bin/python3 # Debian's interpreter: the one that sees python3-torch
peers_dir=bench/peers

[ -x "$bin" ] || { echo "compare: no $bin (scripts/build release, or set VERDICT_BIN)" >&2; exit 1; }
$py -c 'import torch' 2>/dev/null || { echo "compare: $py has no torch; run bench/peers/install.sh" >&2; exit 1; }
[ -d "$peers_dir/node_modules/onnxruntime-node" ] || { echo "compare: run bench/peers/install.sh (onnxruntime-node)" >&2; exit 1; }

if [ ! -f "$model/model.safetensors" ]; then
  echo "compare: generating the full-size random model in $model"
  "$bin" dev random-model --config ../shared/testdata/models/distilbert-base-uncased-finetuned-sst-2-english-shapes/config.json \
    --out "$model" --seed 1
fi

if [ -z "${DTYPES:-}" ]; then
  choices=$("$bin" bench --help | grep -oE -- '--dtype[^{]*\{[^}]*\}' | grep -oE '\{[^}]*\}' | tr -d '{}' | tr ',' ' ' || true)
  DTYPES=$(echo "$choices" | xargs || true)
  # Only the precisions this CPU runs (bf16 needs AVX512-BF16/AMX).
  runnable=""
  for d in $DTYPES; do
    "$bin" info --model "$model" --dtype "$d" >/dev/null 2>&1 && runnable="$runnable $d"
  done
  DTYPES=$(echo $runnable)
  [ -n "$DTYPES" ] || DTYPES=fp32
fi
has_dtype() { "$bin" "$1" --help | grep -q -- '--dtype'; }

mkdir -p "$out"
echo "compare: results in $out"
$py "$peers_dir/workloads.py" --verdict "$bin" --model "$model" --mixed-sequences "$mixed" --reviews "$reviews" --out "$out/workload.json"
$py "$peers_dir/export_onnx.py" --model "$model" --out "$out/model.onnx"

# The machine and versions, recorded with the figures.
export COMPARE_DTYPES="$DTYPES" COMPARE_THREADS="$threads" COMPARE_MODEL="$model" COMPARE_BIN="$bin" COMPARE_REPEATS="$repeats"
$py - "$out/meta.json" <<'PY'
import json, os, subprocess, sys, datetime, platform
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"
lscpu = sh("lscpu")
field = lambda name: next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith(name + ":")), "?")
import torch
versions = {"verdict": (sh("git log -1 --format='%h %cd' --date=short") or "?") + " (" + os.environ["COMPARE_BIN"] + ")",
            "torch": torch.__version__,
            # Debian's torch says BLAS_INFO=generic: the libblas.so.3 alternative decides (OpenBLAS or reference).
            "libblas.so.3": os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3"),
            "python": platform.python_version(), "node": sh("node --version"),
            "onnxruntime-node": json.load(open("bench/peers/node_modules/onnxruntime-node/package.json"))["version"],
            "kernel": platform.release()}
meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": field("Model name"), "flags": field("Flags"), "cores": os.cpu_count(),
        "loadavg_start": open("/proc/loadavg").read().split()[0],
        "threads": os.environ["COMPARE_THREADS"], "dtypes": os.environ["COMPARE_DTYPES"],
        "repeats": int(os.environ["COMPARE_REPEATS"]),
        "model": os.environ["COMPARE_MODEL"], "batch_size": 32, "versions": versions,
        "notes": [os.environ["NOTE"]] if os.environ.get("NOTE") else []}
json.dump(meta, open(sys.argv[1], "w"), indent=2)
PY

for r in $(seq "$repeats"); do
  dir="$out/rep$r"
  mkdir -p "$dir"
  echo "== repeat $r/$repeats"
  for dtype in $DTYPES; do
    dt=(); has_dtype bench && dt=(--dtype "$dtype")
    echo "-- verdict bench ${dt[*]:-}"
    "$bin" bench --model "$model" --runs "$runs" --warmup "$warmup" --mixed-sequences "$mixed" "${dt[@]}" --json "$dir/verdict-$dtype.json"
    # The peers' mixed set must be the one verdict bench drew (workloads.py redraws it).
    $py - "$out/workload.json" "$dir/verdict-$dtype.json" <<'PY'
import json, sys
mine = sum(len(s) for s in json.load(open(sys.argv[1]))["mixed"])
theirs = json.load(open(sys.argv[2]))["throughput"]["total_tokens"]
if mine != theirs:
    sys.exit(f"compare: verdict bench drew {theirs} mixed tokens, workloads.py {mine}: update workloads.py to bench_command.cc")
PY
    if [ "$dtype" = fp32 ] || has_dtype classify; then
      cdt=(); has_dtype classify && cdt=(--dtype "$dtype")
      $py "$peers_dir/verdict_reviews.py" --verdict "$bin" --model "$model" --workload "$out/workload.json" \
        "${cdt[@]}" --json "$dir/verdict-reviews-$dtype.json"
      echo "   reviews: $(grep -o '"sequences_per_second": [0-9.]*' "$dir/verdict-reviews-$dtype.json" | cut -d' ' -f2) seq/s"
    fi
  done
  for peer in $peers; do
    for t in $threads; do
      common=(--threads "$t" --runs "$runs" --warmup "$warmup" --min-runs "$min_runs" --max-seconds "$max_seconds" --json "$dir/$peer-t$t.json")
      case "$peer" in
        pytorch-fp32|pytorch-int8)
          OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t $py "$peers_dir/run_torch.py" --model "$model" \
            --workload "$out/workload.json" --dtype "${peer#pytorch-}" "${common[@]}" ;;
        onnxruntime-fp32)
          node "$peers_dir/run_ort.js" --model "$out/model.onnx" --workload "$out/workload.json" "${common[@]}" ;;
        *) echo "compare: unknown peer $peer" >&2; exit 2 ;;
      esac
    done
  done
done

$py - "$out/meta.json" <<'PY'
import json, sys
meta = json.load(open(sys.argv[1]))
meta["loadavg_end"] = open("/proc/loadavg").read().split()[0]
json.dump(meta, open(sys.argv[1], "w"), indent=2)
PY
$py "$peers_dir/summarize.py" "$out"
