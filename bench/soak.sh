#!/usr/bin/env bash
# Soak: a local `verdict serve` under wrk at saturation for a bounded time, in back-to-back slices
# of SLICE seconds. After each slice it records throughput, p50/p99, errors and the server's RSS,
# so a leak shows as RSS climbing slice after slice. Loopback only.
#   bench/soak.sh MODEL_DIR [minutes=10]
# Environment: CONCURRENCY (32), SLICE (10 s), SERVE_FLAGS (extra `verdict serve` flags),
# VERDICT_BIN, REVIEWS (the texts POSTed, one per line, text before a tab), OUT (CSV of the
# slices; default build/soak/<UTC time>.csv), RSS_SLACK_MB (8): allowed growth of RSS over the
# second half.
# Exit 1 when a request failed (status >= 400, socket error or timeout) or RSS grew by more than
# max(RSS_SLACK_MB, 5 %) over the second half of the run. The first half fills what grows to a
# high-water mark and stays: the result cache, allocator arenas, and the model's batch workspace,
# which grows to the largest batch seen (bounded by --max-batch-tokens) in steps whose timing is
# chance. A leak grows in every half.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:?usage: bench/soak.sh MODEL_DIR [minutes]}"
minutes="${2:-10}"
concurrency="${CONCURRENCY:-32}"
slice="${SLICE:-10}"
bin="${VERDICT_BIN:-build/release/src/verdict/cli/verdict}"
reviews="${REVIEWS:-../shared/data/reviews/yelp_labelled.txt}"
slack_mb="${RSS_SLACK_MB:-8}"
out="${OUT:-build/soak/$(date -u +%Y%m%dT%H%M%SZ).csv}"
command -v wrk >/dev/null || { echo "soak: install wrk (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "soak: no $bin (scripts/build release, or set VERDICT_BIN)" >&2; exit 1; }
total_seconds=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')
slices=$(( (total_seconds + slice - 1) / slice ))
(( slices >= 1 )) || { echo "soak: minutes must be > 0" >&2; exit 1; }

work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT
. bench/local_server.sh
# shellcheck disable=SC2086  # SERVE_FLAGS is a list of flags
start_local_server ${SERVE_FLAGS:-}

# The reviews, JSON-escaped; the Lua script cycles through them, half to /predict (TEI), half to
# / (Hugging Face), so both parsers and both response writers are soaked. Each text gets a
# unique suffix (UNIQUE=0: off), so every request runs the model and the result cache keeps
# evicting (its memory bound is part of what is soaked) instead of answering from memory.
awk -F'\t' 'NF >= 1 && $1 != "" { print $1 }' "$reviews" | head -n 5000 >"$work/texts.txt"
[ -s "$work/texts.txt" ] || { echo "soak: no texts in $reviews" >&2; exit 1; }
{
  echo "texts = {"
  while IFS= read -r t; do
    t=${t//\\/\\\\}; t=${t//\"/\\\"}; t=${t//$'\r'/}
    printf '  [==[%s]==],\n' "$t"
  done <"$work/texts.txt"
  echo "}"
} >"$work/texts.lua"
cat >"$work/soak.lua" <<LUA
dofile("$work/texts.lua")
local i, n = 0, 0
local unique = ${UNIQUE:-1} == 1
init = function(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
  prefix = tostring(math.random(1, 1000000000))
end
request = function()
  i = i % #texts + 1
  n = n + 1
  local text = unique and (texts[i] .. " #" .. prefix .. "-" .. n) or texts[i]
  local path = (i % 2 == 0) and "/predict" or "/"
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, '{"inputs": "' .. text .. '"}')
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %.1f %.3f %.3f %d\n", summary.requests,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.status + e.connect + e.read + e.write + e.timeout))
end
LUA

rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }
mkdir -p "$(dirname "$out")"
echo "slice,seconds,requests,req_per_s,p50_ms,p99_ms,errors,rss_mb" >"$out"
echo "soak: $model, $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), concurrency $concurrency," \
  "${minutes} min in ${slices} slices of ${slice} s; CSV: $out"
echo "       RSS after start-up: $(rss_mb) MB"
printf "%6s %8s %10s %9s %9s %9s %7s %9s\n" slice seconds requests "req/s" "p50 ms" "p99 ms" errors "RSS MB"
total=0 errors=0 elapsed=0
rss=()
for s in $(seq "$slices"); do
  d=$(( total_seconds - elapsed < slice ? total_seconds - elapsed : slice ))
  threads=$(( concurrency < 2 ? 1 : 2 ))
  line=$(wrk -t"$threads" -c"$concurrency" -d"${d}s" --timeout 10s --latency -s "$work/soak.lua" \
    "http://127.0.0.1:$port" | grep '^RESULT' || true)
  kill -0 "$pid" 2>/dev/null || { echo "soak: the server died:" >&2; tail -20 "$work/server.log" >&2; exit 1; }
  [ -n "$line" ] || { echo "soak: wrk reported nothing in slice $s" >&2; exit 1; }
  read -r _ n rate p50 p99 errs <<<"$line"
  elapsed=$(( elapsed + d ))
  r=$(rss_mb)
  rss+=("$r")
  total=$(( total + n ))
  errors=$(( errors + errs ))
  printf "%6s %8s %10s %9s %9s %9s %7s %9s\n" "$s" "$elapsed" "$n" "$rate" "$p50" "$p99" "$errs" "$r"
  echo "$s,$elapsed,$n,$rate,$p50,$p99,$errs,$r" >>"$out"
done

# Flat memory: compare the end with the middle of the run.
q=$(( (slices + 1) / 2 ))
base=${rss[$((q - 1))]}
last=${rss[$((slices - 1))]}
max=$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)
growth_ok=$(awk -v b="$base" -v l="$last" -v s="$slack_mb" 'BEGIN { lim = b * 0.05; if (lim < s) lim = s; print (l - b <= lim) ? 1 : 0 }')
echo "soak: ${elapsed} s, $total requests, $errors errors; RSS ${rss[0]} MB after slice 1," \
  "$base MB after slice $q, $last MB at the end, max $max MB"
status=0
if (( errors > 0 )); then echo "soak: FAIL: $errors requests failed" >&2; status=1; fi
if [ "$growth_ok" != 1 ]; then
  echo "soak: FAIL: RSS grew from $base MB to $last MB over the second half (allowed: max($slack_mb MB, 5 %))" >&2
  status=1
fi
# A clean exit is part of the soak: SIGTERM drains and exits 0.
kill -TERM "$pid"
if wait "$pid"; then echo "soak: SIGTERM: exit 0"; else echo "soak: FAIL: exit $? after SIGTERM" >&2; status=1; fi
pid=""
exit $status
