#!/bin/sh
# Runs validation_exceptions.js over the handwritten tests and the corpus (unpacked into
# WORK_DIR on first use).
# Usage: validation_exceptions.sh CONFORMANCE_DIR WORK_DIR LIST
# Exits 77 (skipped) when Node.js or cedar-wasm is missing.
set -eu
conformance=$1 work=$2 list=$3
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
exec node "$here/validation_exceptions.js" "$list" "$@" "$work:$work/corpus-tests"
