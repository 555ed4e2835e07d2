#!/bin/sh
# Compares Writ's validator with the reference engine (cedar-wasm, strict mode) on the cases of
# validation_cases.json, the handwritten conformance tests and the corpus (unpacked into
# WORK_DIR on first use): same verdict, same set of error codes, same list of warning codes.
# Usage: validation_conformance.sh PATH/TO/validation_conformance CONFORMANCE_DIR WORK_DIR
# Exits 77 (skipped) when Node.js or cedar-wasm is missing.
set -eu
prog=$1 conformance=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null 2>&1 || { echo "skipped: node is not installed"; exit 77; }
[ -d "$here/../node/node_modules/@cedar-policy/cedar-wasm" ] ||
  { echo "skipped: cedar-wasm is not installed under tests/node"; exit 77; }
mkdir -p "$work"
stamp="$work/.unpacked"
if [ ! -f "$stamp" ] || [ "$conformance/corpus-tests.tar.gz" -nt "$stamp" ]; then
  rm -rf "$work/corpus-tests"
  tar xzf "$conformance/corpus-tests.tar.gz" -C "$work"
  touch "$stamp"
fi
set --
for d in "$conformance"/tests/*/; do set -- "$@" "$conformance:$d"; done
node "$here/validation_oracle.js" "$here/validation_cases.json" "$@" "$work:$work/corpus-tests" \
  >"$work/validation_oracle.jsonl"
exec "$prog" "$work/validation_oracle.jsonl"
