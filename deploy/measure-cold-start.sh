#!/usr/bin/env bash
# Cold start of Verdict, exec -> first successful POST /predict, for the bare binary and for
# `podman run` of the image, plus RSS after a warm-up. Prints one line per run and the medians.
#   deploy/measure-cold-start.sh MODEL_DIR [RUNS=5] [IMAGE=localhost/verdict:<version>]
# GOMP_SPINCOUNT (default 1000, as the image sets it) and OMP_WAIT_POLICY (if set) are passed
# to both, and the result cache is off. VERDICT_BIN: the bare binary (default build/release's).
# Run deploy/build-image.sh first. The machine's load matters: take the medians, report the load.
set -euo pipefail
cd "$(dirname "$0")/.."
model="$(realpath "$1")"; runs="${2:-5}"
version=$(sed -n 's/^project(verdict VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
image="${3:-localhost/verdict:$version}"
bin="${VERDICT_BIN:-$PWD/build/release/src/verdict/cli/verdict}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/deploy/containers.conf}"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
net_args() {
  if [ "${VERDICT_IMAGE_NET:-publish}" = host ]; then echo "--network=host -e PORT=$port -e VERDICT_HOST=127.0.0.1"
  else echo "-p 127.0.0.1:$port:8080"; fi
}
body='{"inputs": "The battery died after two days."}'

now() { date +%s%N; }
# Polls /predict every 5 ms until it answers 200; prints the milliseconds since $1.
wait_predict() {
  local t0="$1" i
  for ((i = 0; i < 12000; i++)); do
    if curl -sf -o /dev/null --max-time 2 -H 'Content-Type: application/json' -d "$body" "$url/predict"; then
      echo $(( ($(now) - t0) / 1000000 )); return 0
    fi
    sleep 0.005
  done
  echo "measure-cold-start: no answer on $url/predict within 60 s" >&2; return 1
}
warm_up() { for ((i = 0; i < 50; i++)); do curl -sf -o /dev/null -d "$body" "$url/predict"; done; }
# Median time of 21 sequential requests after the warm-up, in milliseconds.
warm_latency() {
  for ((i = 0; i < 21; i++)); do
    curl -sf -o /dev/null -w '%{time_total}\n' -d "$body" "$url/predict"
  done | awk '{ print $1 * 1000 }' | median
}
rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

bare=(); ctr=(); bare_rss=(); ctr_rss=(); bare_lat=(); ctr_lat=()
export GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-1000}"
# The result cache off, so that the warm latency is the model's and not a cache hit's.
export VERDICT_CACHE_SIZE=0
omp=(-e "GOMP_SPINCOUNT=$GOMP_SPINCOUNT" -e VERDICT_CACHE_SIZE=0)
[ -n "${OMP_WAIT_POLICY:-}" ] && omp+=(-e "OMP_WAIT_POLICY=$OMP_WAIT_POLICY")
for ((r = 1; r <= runs; r++)); do
  # Bare binary (the page cache is warm after the first run, as on a host that restarts it).
  t0=$(now)
  "$bin" serve --model "$model" --host 127.0.0.1 --port "$port" --log-format text >/dev/null 2>&1 &
  pid=$!
  ms=$(wait_predict "$t0"); warm_up; rss=$(rss_mb "$pid"); lat=$(warm_latency)
  kill -TERM "$pid"; wait "$pid" || true
  bare+=("$ms"); bare_rss+=("$rss"); bare_lat+=("$lat")

  # The image: podman run (runc), the model mounted read-only, the port published on 127.0.0.1.
  name="verdict-cold-$$-$r"
  t0=$(now)
  podman run -d --rm --name "$name" $(net_args) "${omp[@]}" \
    -v "$model:/model:ro" "$image" >/dev/null
  ms2=$(wait_predict "$t0"); warm_up
  cpid=$(podman inspect --format '{{.State.Pid}}' "$name"); rss2=$(rss_mb "$cpid"); lat2=$(warm_latency)
  podman stop -t 10 "$name" >/dev/null
  ctr+=("$ms2"); ctr_rss+=("$rss2"); ctr_lat+=("$lat2")
  echo "run $r: bare ${ms} ms (RSS ${rss} MB, warm ${lat} ms), podman run ${ms2} ms (RSS ${rss2} MB," \
       "warm ${lat2} ms), load $(cut -d' ' -f1 /proc/loadavg)"
done
m() { printf '%s\n' "$@" | median; }
echo "median over $runs runs, model $(basename "$model"), GOMP_SPINCOUNT=$GOMP_SPINCOUNT OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-default}:" \
     "bare $(m "${bare[@]}") ms to first /predict, RSS $(m "${bare_rss[@]}") MB, warm $(m "${bare_lat[@]}") ms;" \
     "podman run $(m "${ctr[@]}") ms, RSS $(m "${ctr_rss[@]}") MB, warm $(m "${ctr_lat[@]}") ms"
