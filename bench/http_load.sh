#!/usr/bin/env bash
# HTTP load on a local `verdict serve`: wrk at several concurrencies for a bounded time,
# POSTing real reviews (../shared/data/reviews) to /predict. Reports throughput, p50/p99,
# errors and the server's RSS. Loopback only. The result cache is off (CACHE_SIZE=0) unless
# CACHE_SIZE is set: the 1000 reviews repeat, and from the cache they would measure a map look-up.
# SERVE_FLAGS: extra `verdict serve` flags, e.g. "--dtype int8". REVIEWS: text<TAB>label files
# (space-separated; default the 1000 Yelp reviews).
# TOKENS=MIN-MAX: only the reviews of that many tokens, [CLS] and [SEP] included (the model's
# tokenizer counts; e.g. TOKENS=29-35 for "a 32-token review", 221 of the 3000).
#   bench/http_load.sh MODEL_DIR [seconds per level=10] [levels="1 8 32 64"]
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:?usage: bench/http_load.sh MODEL_DIR [seconds] [levels]}"
secs="${2:-10}"
levels="${3:-1 8 32 64}"
bin="${VERDICT_BIN:-build/release/src/verdict/cli/verdict}"
reviews="${REVIEWS:-../shared/data/reviews/yelp_labelled.txt}"
command -v wrk >/dev/null || { echo "http_load: install wrk (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT
. bench/local_server.sh
# shellcheck disable=SC2086  # SERVE_FLAGS is a list of flags
start_local_server --cache-size "${CACHE_SIZE:-0}" ${SERVE_FLAGS:-}

# One JSON body per review, cycled through by the Lua script.
python3 - "$reviews" "$work/bodies.lua" "${TOKENS:-}" "$bin" "$model" <<'PY'
import json, subprocess, sys
# split("\n"), not line iteration: some reviews hold characters Python also takes for line ends.
texts = [l.split("\t")[0] for name in sys.argv[1].split() for l in open(name, encoding="utf-8").read().split("\n")
         if "\t" in l]
if sys.argv[3]:
    lo, hi = (int(x) for x in sys.argv[3].split("-"))
    out = subprocess.run([sys.argv[4], "tokenize", "--model", sys.argv[5], "--jsonl"], check=True,
                         capture_output=True, text=True,
                         input="".join(json.dumps(t) + "\n" for t in texts)).stdout.splitlines()
    assert len(out) == len(texts), "tokenize gave %d lines for %d texts" % (len(out), len(texts))
    texts = [t for t, o in zip(texts, out) if lo <= len(json.loads(o)["input_ids"]) <= hi]
    print("%d reviews of %s tokens" % (len(texts), sys.argv[3]), file=sys.stderr)
with open(sys.argv[2], "w") as f:
    f.write("bodies = {\n")
    for t in texts:
        f.write("  %s,\n" % json.dumps(json.dumps({"inputs": t})))
    f.write("}\n")
PY
cat > "$work/post.lua" <<LUA
dofile("$work/bodies.lua")
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/predict", {["Content-Type"] = "application/json"}, bodies[i])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.1f %.3f %.3f %.3f %d %d\n", summary.requests,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout))
end
LUA

# The server's own account (/metrics), so that HTTP time can be told from model time: sums of
# inference, queue and tokenising seconds, their request count, and inputs rechecked in fp32.
server_totals() {
  python3 - "http://127.0.0.1:$port/metrics" <<'PY'
import sys, urllib.request
want = {"verdict_inference_duration_seconds_sum": 0, "verdict_inference_duration_seconds_count": 0,
        "verdict_queue_duration_seconds_sum": 0, "verdict_tokenization_duration_seconds_sum": 0,
        "verdict_rechecked_inputs_total": 0}
for line in urllib.request.urlopen(sys.argv[1], timeout=10).read().decode().splitlines():
    name, _, value = line.partition(" ")
    if name in want:
        want[name] = float(value)
print(" ".join(str(v) for v in want.values()))
PY
}

echo "model $model, $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), ${secs}s per level"
echo "server ms: mean inference / queue + tokenising per request, from /metrics; rechecked: % of inputs recomputed in fp32"
printf "%11s %10s %10s %9s %9s %9s %7s %9s %10s %10s %9s\n" concurrency requests "req/s" "p50 ms" "p90 ms" "p99 ms" errors "RSS MB" \
  "infer ms" "other ms" rechecked
for c in $levels; do
  threads=$(( c < 2 ? 1 : 2 ))
  read -r inf0 count0 queue0 tok0 rechecked0 <<<"$(server_totals)"
  line=$(wrk -t"$threads" -c"$c" -d"${secs}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port" | grep '^RESULT')
  rss=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
  read -r inf1 count1 queue1 tok1 rechecked1 <<<"$(server_totals)"
  read -r _ n rate p50 p90 p99 errs timeouts <<<"$line"
  server=$(python3 -c "
n = max($count1 - $count0, 1)
print('%.3f %.3f %.1f%%' % (($inf1 - $inf0) * 1e3 / n, ($queue1 - $queue0 + $tok1 - $tok0) * 1e3 / n,
                          100 * ($rechecked1 - $rechecked0) / n))")
  read -r infer other rechecked <<<"$server"
  printf "%11s %10s %10s %9s %9s %9s %7s %9s %10s %10s %9s\n" "$c" "$n" "$rate" "$p50" "$p90" "$p99" "$((errs + timeouts))" "$rss" \
    "$infer" "$other" "$rechecked"
done
