#!/usr/bin/env bash
# Builds a ledger with real appends, then lets the independent Node.js verifier check the proofs
# that `writ ledger proof` prints.
# usage: node_verifier_test.sh WRITER WRIT VERIFY_PROOFS_MJS
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$1" "$dir" 4 0 4000 >/dev/null
node "$3" "$2" "$dir"
