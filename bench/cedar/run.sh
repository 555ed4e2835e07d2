#!/usr/bin/env bash
# The Cedar benchmark: Writ's engine beside the reference engine (@cedar-policy/cedar-wasm
# 4.13.0 in Node) on the same policies, entities and requests, in the same run.
#
#   bench/cedar/run.sh [BUILD_DIR]        (default build/)
#
# 1. Generates the agent scenario (generate.js): 200, 1,000 and 10,000 policies, 1,000 requests.
# 2. Per request, from a JSON request line to a decision line: `writ authorize --requests` on
#    100,000 lines (the 1,000 requests 100 times) minus its start-up time (the same command on
#    an empty file), best of 3; cedar-wasm on its fastest correct path (cedar_wasm_bench.js),
#    best of 5 rounds of the 1,000 requests. Both engines' decisions (decision, reasons,
#    erroring policies) are checked equal on every request.
# 3. Authorization alone on already-built requests (cedar_authorize_bench): median and p99 at
#    each size.
# Prints a Markdown table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
writ=$build/writ
authz_bench=$build/bench/cedar_authorize_bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

node "$here/generate.js" "$work" 200 1000 10000 2>/dev/null
for _ in $(seq 100); do cat "$work/requests.jsonl"; done > "$work/requests-100k.jsonl"
: > "$work/empty.jsonl"

best_seconds() {  # best wall time of 3 runs of the command
  local best=
  for _ in 1 2 3; do
    local s e
    s=$(date +%s.%N)
    "$@" > /dev/null
    e=$(date +%s.%N)
    local t
    t=$(echo "$e - $s" | bc -l)
    if [[ -z "$best" ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  done
  echo "$best"
}

echo "| policies | writ µs/request (JSON line → decision line) | cedar-wasm µs/request | ratio | writ authorize alone: median ns | p99 ns |"
echo "|---:|---:|---:|---:|---:|---:|"
for n in 200 1000 10000; do
  policies=$work/policies-$n.cedar
  wasm_json=$(node "$here/cedar_wasm_bench.js" "$policies" "$work/entities.json" "$work/requests.jsonl" "$work/wasm-$n.jsonl" 5)
  wasm_us=$(node -e "console.log(JSON.parse(process.argv[1]).us_per_request.toFixed(1))" "$wasm_json")
  "$writ" authorize --policies "$policies" --entities "$work/entities.json" --requests "$work/requests.jsonl" > "$work/writ-$n.jsonl" || true
  node "$here/compare_decisions.js" "$work/wasm-$n.jsonl" "$work/writ-$n.jsonl"
  total=$(best_seconds "$writ" authorize --policies "$policies" --entities "$work/entities.json" --requests "$work/requests-100k.jsonl")
  startup=$(best_seconds "$writ" authorize --policies "$policies" --entities "$work/entities.json" --requests "$work/empty.jsonl")
  writ_us=$(echo "($total - $startup) * 1000000 / 100000" | bc -l)
  ratio=$(echo "$wasm_us / $writ_us" | bc -l)
  alone=$("$authz_bench" "$policies" "$work/entities.json" "$work/requests.jsonl")
  median=$(node -e "console.log(JSON.parse(process.argv[1]).median_ns.toFixed(0))" "$alone")
  p99=$(node -e "console.log(JSON.parse(process.argv[1]).p99_ns.toFixed(0))" "$alone")
  printf "| %s | %.2f | %s | %.0f× | %s | %s |\n" "$n" "$writ_us" "$wasm_us" "$ratio" "$median" "$p99"
done
