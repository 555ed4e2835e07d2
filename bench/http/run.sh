#!/usr/bin/env bash
# Writ's HTTP server beside nginx, in the same run with the same load. Two modes:
#
# MODE=healthz (default): a trivial route of `writ serve` (GET /healthz, a small JSON answer) and
# nginx answering a static 200 from a minimal configuration, both loaded by wrk with the same
# threads, connections and duration, both with the same number of workers.
#
# MODE=authorize: the decision service. `writ serve` runs on a fresh data directory with the
# example bundle (examples/bundle), a master key, an evidence key and a stand-in OpenID Connect
# provider (authorize_world.py prepare); agents are registered, two tasks opened for a user and
# delegated to sub-agents through the API (authorize_world.py tokens), and wrk POSTs realistic
# /v1/authorize bodies with those agents' bearer tokens (authorize.lua: 14 requests in rotation,
# 9 allowed and 5 denied by the example policies, each verdict checked once before the load).
# nginx answers the same POSTs with a static 200, with the same wrk script and settings. Then
#   - half rate: both targets offered about half of nginx's median requests/s (wrk has no rate
#     limit: each connection pauses WRIT_BENCH_DELAY_MS before each request, and the number of
#     connections is calibrated by a short trial run); the achieved rate is what is reported;
#   - evidence: one more full-load run against writ that collects the ledger_seq of every 200
#     answer; then writ is stopped (SIGTERM: in-flight requests finish, the ledger is flushed),
#     the decision records in the store are counted and compared with the 2xx answers wrk
#     counted over every run against writ (warm-up and calibration included), every collected
#     ledger_seq is looked up, and `writ ledger verify` checks the ledger.
#
# Prints requests/s and the p50 and p99 latencies of each, with the machine's load average (the
# figures depend on what else runs); in MODE=authorize also the resident memory of `writ serve`
# (VmRSS and its peak, VmHWM) with the number of decisions made so far, after the full-load rounds
# and at the end. The two targets are measured in alternation for ROUNDS
# rounds and the medians reported, so that a burst of other work on the machine does not land on
# one target only.
#
# Usage: [MODE=authorize] bench/http/run.sh [path/to/writ]        (default: build/writ)
# Environment: WORKERS (2), THREADS (2), CONNECTIONS (64), DURATION (10s), WARMUP (2s),
#              ROUNDS (3); MODE=authorize also HALF_DELAY_MS (2), HALF_DURATION (DURATION).
set -euo pipefail
cd "$(dirname "$0")/../.."

WRIT=${1:-build/writ}
MODE=${MODE:-healthz}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-3}
HALF_DELAY_MS=${HALF_DELAY_MS:-2}
HALF_DURATION=${HALF_DURATION:-$DURATION}
for tool in wrk nginx python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench/http: $tool is needed" >&2; exit 77; }
done
[[ -x "$WRIT" ]] || { echo "bench/http: no writ binary at $WRIT" >&2; exit 77; }
case "$MODE" in
  healthz) ;;
  authorize)
    command -v sqlite3 >/dev/null || { echo "bench/http: sqlite3 is needed" >&2; exit 77; }
    python3 -c 'import cryptography' 2>/dev/null ||
      { echo "bench/http: python3-cryptography is needed" >&2; exit 77; } ;;
  *) echo "bench/http: MODE is healthz or authorize" >&2; exit 2 ;;
esac

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

# nginx: the smallest configuration that answers 200 on a loopback port (to any method: the
# body of a POST is read and discarded).
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

# writ serve on a fresh data directory (with the decision service in MODE=authorize).
world=$tmp/world
if [[ "$MODE" == authorize ]]; then
  python3 bench/http/authorize_world.py prepare "$world" examples/bundle
  admin_key=$("$WRIT" apikey create --data "$world/data" --name bench-admin --role admin --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')
  "$WRIT" serve --config "$world/writ.toml" --listen 127.0.0.1:0 --workers "$WORKERS" \
    >"$tmp/writ.out" 2>"$tmp/writ.err" &
else
  "$WRIT" serve --listen 127.0.0.1:0 --data "$tmp/writ-data" --workers "$WORKERS" \
    >"$tmp/writ.out" 2>"$tmp/writ.err" &
fi
writ_pid=$!
for _ in $(seq 300); do
  grep -q "listening on" "$tmp/writ.out" 2>/dev/null && break
  sleep 0.1
done
writ_port=$(sed -n 's/.*listening on http:\/\/.*:\([0-9]*\)$/\1/p' "$tmp/writ.out")
[[ -n "$writ_port" ]] || { echo "bench/http: writ serve did not start" >&2; cat "$tmp/writ.err" >&2; exit 1; }
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$nginx_port/" >/dev/null 2>&1 && break
  sleep 0.1
done

wrk_args=()
if [[ "$MODE" == authorize ]]; then
  for _ in $(seq 300); do
    curl -fs "http://127.0.0.1:$writ_port/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "requests in rotation (each asked once through the API, verdict checked):"
  python3 bench/http/authorize_world.py tokens "$world" "http://127.0.0.1:$writ_port" "$admin_key"
  echo
  wrk_args=(-s "$world/authorize.lua")
  writ_url="http://127.0.0.1:$writ_port/v1/authorize"
  writ_label="writ POST /v1/authorize"
  nginx_url="http://127.0.0.1:$nginx_port/v1/authorize"
  nginx_label="nginx static 200"
else
  writ_url="http://127.0.0.1:$writ_port/healthz"
  writ_label="writ GET /healthz"
  nginx_url="http://127.0.0.1:$nginx_port/"
  nginx_label="nginx static 200"
fi
# Every wrk output against writ is kept (writ-runs/): the evidence check counts their 2xx answers.
mkdir -p "$tmp/writ-runs"
runs=0

wrk_to() {  # id output wrk-arguments...: one wrk run, its output kept
  local id=$1 out=$2
  shift 2
  wrk "$@" >"$out"
  if [[ "$id" == writ ]]; then
    runs=$((runs + 1))
    cp "$out" "$tmp/writ-runs/$runs.wrk"
  fi
}

report() {  # file label prefix results-file
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$1")
  p50=$(awk '/^ +50%/ {print $2}' "$1")
  p99=$(awk '/^ +99%/ {print $2}' "$1")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$1" | tr '\n' ' ')
  printf '%-8s %-24s %12s %10s %10s  %s\n' "$3" "$2" "$rps" "$p50" "$p99" "$errors"
  [[ -n "$4" ]] && echo "$rps $p50 $p99" >>"$4"
  return 0
}

run() {  # id label url round
  if [[ "$4" == 1 ]]; then
    wrk_to "$1" "$tmp/$1.warmup.wrk" "${wrk_args[@]}" -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$3"
  fi
  wrk_to "$1" "$tmp/$1.$4.wrk" "${wrk_args[@]}" -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" \
    --latency "$3"
  report "$tmp/$1.$4.wrk" "$2" "round $4" "$tmp/$1.results"
}

writ_memory() {  # when: writ serve's resident memory beside the decisions it made so far
  local rss hwm decided
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$writ_pid/status")
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$writ_pid/status")
  decided=$(curl -fsS -H "Authorization: Bearer $admin_key" "http://127.0.0.1:$writ_port/metrics" |
    awk '/^writ_decisions_total\{/ {s += $NF} END {printf "%d", s}')
  echo "writ serve memory $1: RSS $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB) after $decided decisions"
}

medians() {  # prints the median rps of nginx last (for the half-rate run)
  python3 - "$tmp/nginx.results" "$tmp/writ.results" "$nginx_label" "$writ_label" <<'PY'
import statistics, sys

def ms(text):  # wrk prints 512.00us, 1.20ms, 2.00s
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)

medians = {}
for name, path in ((sys.argv[3], sys.argv[1]), (sys.argv[4], sys.argv[2])):
    rows = [line.split() for line in open(path) if line.strip()]
    rps = statistics.median(float(r[0]) for r in rows)
    p50 = statistics.median(ms(r[1]) for r in rows)
    p99 = statistics.median(ms(r[2]) for r in rows)
    medians[name] = rps
    print(f"median   {name:<24} {rps:12.0f} {p50:8.3f}ms {p99:8.3f}ms")
print(f"writ / nginx (median requests/s): {medians[sys.argv[4]] / medians[sys.argv[3]]:.2f}")
print(f"{medians[sys.argv[3]]:.0f}")
PY
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency ${wrk_args[*]}; $WORKERS workers each;" \
  "$(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-24s %12s %10s %10s\n' "" "target" "requests/s" "p50" "p99"
for round in $(seq "$ROUNDS"); do
  run nginx "$nginx_label" "$nginx_url" "$round"
  run writ "$writ_label" "$writ_url" "$round"
done
medians >"$tmp/medians"
head -n -1 "$tmp/medians"
nginx_median=$(tail -n 1 "$tmp/medians")
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
[[ "$MODE" == authorize ]] || exit 0
writ_memory "after the full-load rounds"

# Paced runs: each connection waits HALF_DELAY_MS before each request, and a 3 s trial at an
# estimate of the connections needed calibrates their number against the calibration target
# (nginx for half of nginx's rate, which writ cannot reach; writ itself for half of writ's own).
# Both targets then get the same settings; the achieved rates are what is reported.
paced() {  # title target calibration-id calibration-url
  local target=$2 conns trial
  conns=$(( (target * HALF_DELAY_MS + 999) / 1000 ))
  ((conns < THREADS)) && conns=$THREADS
  export WRIT_BENCH_DELAY_MS=$HALF_DELAY_MS
  wrk_to "$3" "$tmp/trial.wrk" "${wrk_args[@]}" -t"$THREADS" -c"$conns" -d3s "$4"
  trial=$(awk '/^Requests\/sec:/ {print int($2)}' "$tmp/trial.wrk")
  local estimate=$conns
  conns=$(python3 -c "print(max($THREADS, min(2000, round($conns * $target / max(1, $trial)))))")
  echo
  echo "$1: offered about $target requests/s: wrk -t$THREADS -c$conns -d$HALF_DURATION --latency" \
    "with a $HALF_DELAY_MS ms pause before each request on a connection (calibrated on $3: a 3 s" \
    "trial with $estimate connections gave $trial/s); load average before:" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-8s %-24s %12s %10s %10s\n' "" "target" "requests/s" "p50" "p99"
  wrk_to nginx "$tmp/nginx.paced.wrk" "${wrk_args[@]}" -t"$THREADS" -c"$conns" \
    -d"$HALF_DURATION" --latency "$nginx_url"
  report "$tmp/nginx.paced.wrk" "$nginx_label" "paced" ""
  wrk_to writ "$tmp/writ.paced.wrk" "${wrk_args[@]}" -t"$THREADS" -c"$conns" \
    -d"$HALF_DURATION" --latency "$writ_url"
  report "$tmp/writ.paced.wrk" "$writ_label" "paced" ""
  unset WRIT_BENCH_DELAY_MS
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}
writ_median=$(awk '{print $1}' "$tmp/writ.results" | sort -n | awk '{a[NR]=$1} END {print int(a[int((NR+1)/2)])}')
paced "half of nginx's median ($nginx_median/s)" $((nginx_median / 2)) nginx "$nginx_url"
paced "half of writ's own median ($writ_median/s)" $((writ_median / 2)) writ "$writ_url"

# Evidence: one more full-load run collecting every acknowledged ledger_seq, then stop writ and
# count what its ledger holds.
echo
export WRIT_BENCH_SEQS=$tmp/acked-seqs
wrk_to writ "$tmp/writ.evidence.wrk" "${wrk_args[@]}" -t"$THREADS" -c"$CONNECTIONS" \
  -d"$DURATION" --latency "$writ_url"
unset WRIT_BENCH_SEQS
printf '%-8s %-24s %12s %10s %10s\n' "" "target" "requests/s" "p50" "p99"
report "$tmp/writ.evidence.wrk" "$writ_label" "evidence" ""
echo "(the evidence run parses every answer in wrk's Lua, which costs wrk time)"
curl -fsS -H "Authorization: Bearer $admin_key" "http://127.0.0.1:$writ_port/metrics" \
  >"$tmp/metrics"
writ_memory "at the end"
kill -TERM "$writ_pid"
wait "$writ_pid" || { echo "bench/http: writ serve exited with $?" >&2; cat "$tmp/writ.err" >&2; }
writ_pid=""
python3 - "$tmp/writ-runs" "$world/checked" "$world/data/writ.db" "$tmp/acked-seqs" \
  "$tmp/metrics" <<'PY'
import glob, re, sqlite3, sys

runs_dir, checked_file, db, seqs_file, metrics_file = sys.argv[1:6]
checked = int(open(checked_file).read())
acked, runs, in_flight = checked, 0, 0
for path in sorted(glob.glob(runs_dir + "/*.wrk")):
    text = open(path).read()
    total = int(re.search(r"(\d+) requests in", text).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    acked += total - (int(m.group(1)) if m else 0)
    in_flight += int(re.search(r"(\d+) connections", text).group(1))
    runs += 1
decided, failures = 0, 0
for line in open(metrics_file):
    if line.startswith("writ_decisions_total{") and 'source="authorize"' in line:
        decided += int(float(line.split()[-1]))
    if line.startswith("writ_ledger_append_failures_total"):
        failures += int(float(line.split()[-1]))
con = sqlite3.connect(db)
by_verdict = dict(con.execute(
    "SELECT verdict, count(*) FROM ledger_records WHERE kind = 'decision' "
    "AND json_extract(CAST(body AS TEXT), '$.body.request.action') "
    "NOT IN ('Action::\"task/start\"', 'Action::\"delegate\"') "
    "GROUP BY verdict").fetchall())
recorded = sum(by_verdict.values())
kinds = dict(con.execute("SELECT kind, count(*) FROM ledger_records GROUP BY kind").fetchall())
print(f"ledger records by kind: {kinds}")
print(f"authorize decision records in the ledger: {recorded} {by_verdict}")
print(f"authorize decisions the server counted (writ_decisions_total, source authorize): "
      f"{decided}; ledger append failures: {failures}")
print(f"2xx authorize answers wrk counted over {runs} runs against writ, plus the {checked} "
      f"checks: {acked}; recorded - counted = {recorded - acked} (requests in flight when a wrk "
      f"run stops are answered and recorded but not counted by wrk: at most the runs' "
      f"connections, {in_flight})")
seqs = [s.strip() for s in open(seqs_file) if s.strip()]
present = set(r[0] for r in con.execute(
    "SELECT seq FROM ledger_records WHERE kind = 'decision'"))
missing = [s for s in seqs if s == "none" or int(s) not in present]
print(f"evidence run: {len(seqs)} acknowledged decisions (200 answers), their ledger_seq looked "
      f"up: {len(seqs) - len(missing)} found, {len(missing)} missing")
lost = len(missing) + max(0, acked - recorded) + abs(decided - recorded)
print(f"lost records: {lost}" + ("" if recorded - acked <= in_flight else
                                  " (but more records than answers plus requests in flight)"))
PY
"$WRIT" ledger verify --data "$world/data" | tail -n 3
