#!/usr/bin/env bash
# Builds a ledger with real appends, then lets the independent Node.js verifier check the proofs
# that `writ ledger proof` prints.
# usage: node_verifier_test.sh WRITER WRIT VERIFY_PROOFS_MJS
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# 7,000 records: checkpoints every 2,000 give at least three, however fast the appends are.
"$1" "$dir" 4 0 7000 >/dev/null
node "$3" "$2" "$dir"
