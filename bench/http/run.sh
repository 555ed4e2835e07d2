#!/usr/bin/env bash
# Writ's HTTP server beside nginx, in the same run with the same load: a trivial route of
# `writ serve` (GET /healthz, a small JSON answer) and nginx answering a static 200 from a
# minimal configuration, both loaded by wrk with the same threads, connections and duration,
# both with the same number of workers. Prints requests/s and the p50 and p99 latencies of each,
# with the machine's load average (the figures depend on what else runs). The two targets are
# measured in alternation for ROUNDS rounds and the medians reported, so that a burst of other
# work on the machine does not land on one target only.
#
# Usage: bench/http/run.sh [path/to/writ]        (default: build/writ)
# Environment: WORKERS (2), THREADS (2), CONNECTIONS (64), DURATION (10s), WARMUP (2s),
#              ROUNDS (3).
set -euo pipefail
cd "$(dirname "$0")/../.."

WRIT=${1:-build/writ}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-3}
for tool in wrk nginx python3; do
  command -v "$tool" >/dev/null || { echo "bench/http: $tool is needed" >&2; exit 77; }
done
[[ -x "$WRIT" ]] || { echo "bench/http: no writ binary at $WRIT" >&2; exit 77; }

tmp=$(mktemp -d)
writ_pid=""
nginx_pid=""
cleanup() {
  [[ -n "$writ_pid" ]] && kill "$writ_pid" 2>/dev/null && wait "$writ_pid" 2>/dev/null
  [[ -n "$nginx_pid" ]] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# nginx: the smallest configuration that answers 200 on a loopback port.
nginx_port=$(free_port)
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes $WORKERS;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      default_type application/json;
      return 200 '{"status":"ok"}';
    }
  }
}
CONF
nginx -e "$tmp/nginx/error.log" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!

# writ serve on a fresh data directory.
"$WRIT" serve --listen 127.0.0.1:0 --data "$tmp/writ-data" --workers "$WORKERS" \
  >"$tmp/writ.out" 2>"$tmp/writ.err" &
writ_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$tmp/writ.out" 2>/dev/null && break
  sleep 0.1
done
writ_port=$(sed -n 's/.*listening on http:\/\/.*:\([0-9]*\)$/\1/p' "$tmp/writ.out")
[[ -n "$writ_port" ]] || { echo "bench/http: writ serve did not start" >&2; cat "$tmp/writ.err" >&2; exit 1; }
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$nginx_port/" >/dev/null 2>&1 && break
  sleep 0.1
done

run() {  # id label url round
  [[ "$4" == 1 ]] && wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$3" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$3" >"$tmp/$1.$4.wrk"
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/$1.$4.wrk")
  p50=$(awk '/^ +50%/ {print $2}' "$tmp/$1.$4.wrk")
  p99=$(awk '/^ +99%/ {print $2}' "$tmp/$1.$4.wrk")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$tmp/$1.$4.wrk" | tr '\n' ' ')
  printf '%-8s %-20s %12s %10s %10s  %s\n' "round $4" "$2" "$rps" "$p50" "$p99" "$errors"
  echo "$rps $p50 $p99" >>"$tmp/$1.results"
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency; $WORKERS workers each; $(nproc) cores;" \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-20s %12s %10s %10s\n' "" "target" "requests/s" "p50" "p99"
for round in $(seq "$ROUNDS"); do
  run nginx "nginx static 200" "http://127.0.0.1:$nginx_port/" "$round"
  run writ "writ GET /healthz" "http://127.0.0.1:$writ_port/healthz" "$round"
done
python3 - "$tmp/nginx.results" "$tmp/writ.results" <<'PY'
import statistics, sys

def ms(text):  # wrk prints 512.00us, 1.20ms, 2.00s
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)

medians = {}
for name, path in (("nginx static 200", sys.argv[1]), ("writ GET /healthz", sys.argv[2])):
    rows = [line.split() for line in open(path) if line.strip()]
    rps = statistics.median(float(r[0]) for r in rows)
    p50 = statistics.median(ms(r[1]) for r in rows)
    p99 = statistics.median(ms(r[2]) for r in rows)
    medians[name] = rps
    print(f"median   {name:<20} {rps:12.0f} {p50:8.3f}ms {p99:8.3f}ms")
print(f"writ / nginx (median requests/s): {medians['writ GET /healthz'] / medians['nginx static 200']:.2f}")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
