# Sourced by bench/http_load.sh and bench/soak.sh: starts `verdict serve` on 127.0.0.1 on a free
# port, logging to $work/server.log, and sets $pid and $port (exits 1 with the log if it never
# listens). Needs $bin, $model and $work; extra arguments go to `verdict serve`.
start_local_server() {
  "$bin" serve --model "$model" --host 127.0.0.1 --port 0 --log-format text "$@" >"$work/server.log" 2>&1 &
  pid=$!
  port=""
  for _ in $(seq 600); do
    port=$(grep -oE 'on 127\.0\.0\.1:[0-9]+ ' "$work/server.log" | grep -oE '[0-9]+ $' | tr -d ' ' || true)
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the server did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
}
