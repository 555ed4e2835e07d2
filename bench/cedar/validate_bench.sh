#!/usr/bin/env bash
# The Cedar validation benchmark: Writ's validator beside the reference engine
# (@cedar-policy/cedar-wasm 4.13.0 in Node), strict mode, on the same inputs in the same run.
#
#   bench/cedar/validate_bench.sh [BUILD_DIR] [RUNS]     (defaults: build/, 5)
#
# Inputs: every test of the Cedar conformance corpus (7,809 schema and policy files, from
# $WRIT_CEDAR_CONFORMANCE, default /work/shared/cedar-conformance), and the 10,000-policy set of
# the agent scenario (generate.js) with its schema (agents.cedarschema). Both engines read the
# inputs into memory first; each figure is the best of RUNS passes. cedar-wasm's validate()
# parses the schema and the policies from text, so Writ's comparable figure includes parsing
# too; Writ's validation alone (already parsed inputs) is shown beside it. Both engines must
# find the same number of inputs valid. Prints a Markdown table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
runs=${2:-5}
bench=$build/bench/cedar_validate_bench
suite=${WRIT_CEDAR_CONFORMANCE:-/work/shared/cedar-conformance}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tar xzf "$suite/corpus-tests.tar.gz" -C "$work"
node "$here/generate.js" "$work" 10000 2>/dev/null

field() { node -e "console.log(JSON.parse(process.argv[1])[process.argv[2]])" "$1" "$2"; }

echo "| input | policies | Writ parse + validate ms | Writ validate ms | cedar-wasm validate ms | cedar-wasm / Writ |"
echo "|---|---:|---:|---:|---:|---:|"
row() {  # name, writ mode args..., then the same for the peer
  local name=$1 mode=$2 a=$3 b=$4
  local writ wasm
  writ=$("$bench" "$mode" "$a" "$b" "$runs")
  wasm=$(node "$here/cedar_wasm_validate_bench.js" "$mode" "$a" "$b" "$runs")
  if [[ $(field "$writ" valid) != $(field "$wasm" valid) ]]; then
    echo "verdicts differ on $name: writ $writ, cedar-wasm $wasm" >&2
    exit 1
  fi
  local full alone peer
  full=$(field "$writ" parse_validate_ms)
  alone=$(field "$writ" validate_ms)
  peer=$(field "$wasm" ms)
  printf "| %s | %s | %.1f | %.1f | %.1f | %.0f× |\n" "$name" "$(field "$writ" policies)" \
    "$full" "$alone" "$peer" "$(echo "$peer / $full" | bc -l)"
}
row "conformance corpus ($(ls "$work"/corpus-tests/*.cedar | wc -l) tests)" corpus "$work" "$work/corpus-tests"
row "agent scenario" set "$here/agents.cedarschema" "$work/policies-10000.cedar"
