#!/usr/bin/env bash
# Smoke test of the built image: runs it with a golden model mounted, checks /health and that
# /predict gives every expected.jsonl answer (label, score within 1e-4) on 127.0.0.1, that the
# image runs as the non-root user and has no shell, then stops it (SIGTERM drain, exit 0).
#   deploy/image-test.sh [IMAGE] [MODEL_DIR] [--baked]   (--baked: MODEL_DIR's model is in the
#                                                        image; nothing is mounted, MODEL_DIR only
#                                                        gives expected.jsonl)
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^project(verdict VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
image="${1:-localhost/verdict:$version}"
model="$(realpath "${2:-${VERDICT_TESTDATA:-../shared/testdata}/models/distilbert-sst2-tiny}")"
mount=(-v "$model:/model:ro")
[ "${3:-}" = --baked ] && mount=()
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/deploy/containers.conf}"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
net_args() {
  if [ "${VERDICT_IMAGE_NET:-publish}" = host ]; then echo "--network=host -e PORT=$port -e VERDICT_HOST=127.0.0.1"
  else echo "-p 127.0.0.1:$port:8080"; fi
}
name="verdict-image-test-$$"
fail() { echo "image-test: FAIL: $*" >&2; podman logs "$name" 2>&1 | tail -20 >&2 || true; exit 1; }
cleanup() { podman rm -f -t 0 "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

[ "$(podman image inspect --format '{{.Config.User}}' "$image")" = "10001:10001" ] || fail "image does not run as 10001"
if podman run --rm --entrypoint /bin/sh "$image" -c true >/dev/null 2>&1; then fail "image has a shell"; fi

# Published on 127.0.0.1 only; VERDICT_IMAGE_NET=host where port publishing fails (README).
podman run -d --name "$name" $(net_args) "${mount[@]}" "$image" >/dev/null
for ((i = 0; i < 600; i++)); do
  curl -sf -o /dev/null "$url/health" && break
  [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] || fail "container exited"
  sleep 0.1
done
curl -sf "$url/health" | grep -q '"ok"' || fail "/health did not answer ok"

python3 - "$url" "$model/expected.jsonl" <<'PY' || fail "/predict answers differ from expected.jsonl"
import json, sys, urllib.request
url, expected = sys.argv[1], sys.argv[2]
n = 0
for line in open(expected):
    want = json.loads(line)
    inputs = [want["text"], want["text_pair"]] if "text_pair" in want else want["text"]  # TEI: a pair
    req = urllib.request.Request(url + "/predict", json.dumps({"inputs": inputs}).encode(),
                                 {"Content-Type": "application/json"})
    got = json.load(urllib.request.urlopen(req, timeout=30))[0]
    if got["label"] != want["label"] or abs(got["score"] - want["score"]) > 1e-4:
        sys.exit(f"{want['text']!r}: got {got}, want {want['label']} {want['score']}")
    n += 1
print(f"image-test: {n} /predict answers match expected.jsonl")
PY

podman stop -t 15 "$name" >/dev/null
code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || fail "exit code $code after SIGTERM"
echo "image-test: OK ($image)"
