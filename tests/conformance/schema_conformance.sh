#!/bin/sh
# Compares Writ's Cedar schema parsing and resolution with the reference engine on every schema
# of the Cedar conformance suite and on the cases in schema_cases.cedarschema and
# schema_cases.json: schema_oracle.js asks cedar-wasm, schema_conformance checks Writ against
# its answers (and the round trips between the two formats). A second pass gives the engine
# the schemas as Writ's writers write them, in both formats.
#
# Usage: schema_conformance.sh PATH/TO/schema_conformance WORK_DIR
# The suite is taken from $WRIT_CEDAR_CONFORMANCE (default /work/shared/cedar-conformance).
# Exits 77 (skipped) when Node.js, cedar-wasm or the suite is missing.
set -e
prog=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
suite=${WRIT_CEDAR_CONFORMANCE:-/work/shared/cedar-conformance}

skip() {
  echo "skipped: $1"
  exit 77
}
command -v node >/dev/null 2>&1 || skip "node is not installed"
[ -d "$here/../node/node_modules/@cedar-policy/cedar-wasm" ] || skip "cedar-wasm is not installed under tests/node"
[ -f "$suite/corpus-tests.tar.gz" ] || skip "no conformance suite at $suite"

mkdir -p "$work"
if [ ! -d "$work/corpus-tests" ]; then
  tar xzf "$suite/corpus-tests.tar.gz" -C "$work"
fi
node "$here/schema_oracle.js" --cases "$here/schema_cases.cedarschema" \
  --json-cases "$here/schema_cases.json" "$work/corpus-tests" "$suite/sample-data/sandbox_a" \
  "$suite/sample-data/sandbox_b" >"$work/oracle.jsonl"
rm -rf "$work/written"
mkdir -p "$work/written"
echo "== the suite and the cases, read by Writ and by the engine"
status=0
"$prog" --emit "$work/written" "$work/oracle.jsonl" || status=1
# Second pass: the engine reads what Writ's writers wrote. Writ already checked that the
# written schemas mean what the originals mean; here the engine must agree with Writ on them.
echo "== the same schemas as written by Writ, read by Writ and by the engine"
node "$here/schema_oracle.js" --json-cases "$work/written/written.json" "$work/written" \
  >"$work/oracle_written.jsonl"
"$prog" "$work/oracle_written.jsonl" || status=1
exit $status
