#!/bin/sh
# Checks `writ format` and the policy conversions on every policy file of the Cedar conformance
# corpus, of format_cases/ and of examples/: format_oracle.js asks the reference formatter
# (cedar-wasm) for its output, format_conformance compares and checks (see the top of
# format_conformance.cc).
#
# Usage: format_conformance.sh PATH/TO/format_conformance WORK_DIR
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
# The corpus, hand-written cases with comments and annotations, and the examples.
set -- "$work/corpus-tests" "$here/format_cases"
examples="$here/../../examples"
if [ -d "$examples" ]; then
  set -- "$@" "$examples"
fi
rm -rf "$work/oracle"
node "$here/format_oracle.js" "$work/oracle" "$@"
exec "$prog" "$work/oracle" "$@"
