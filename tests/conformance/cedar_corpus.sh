#!/bin/sh
# Runs Cedar's official integration tests through `writ test-cedar`: the handwritten tests, or
# the generated corpus (unpacked from corpus-tests.tar.gz into WORK_DIR on first use).
# Usage: cedar_corpus.sh WRIT CONFORMANCE_DIR handwritten|corpus WORK_DIR [extra test-cedar flags]
set -eu
writ=$1 conformance=$2 which=$3 work=$4
shift 4
if [ ! -d "$conformance" ]; then
  echo "no conformance suite at $conformance" >&2
  exit 1
fi
case "$which" in
  handwritten)
    exec "$writ" test-cedar "$@" --root "$conformance" "$conformance"/tests/*/
    ;;
  corpus)
    mkdir -p "$work"
    stamp="$work/.unpacked"
    if [ ! -f "$stamp" ] || [ "$conformance/corpus-tests.tar.gz" -nt "$stamp" ]; then
      rm -rf "$work/corpus-tests"
      tar xzf "$conformance/corpus-tests.tar.gz" -C "$work"
      touch "$stamp"
    fi
    exec "$writ" test-cedar "$@" --root "$work" "$work/corpus-tests"
    ;;
esac
echo "unknown test set $which" >&2
exit 2
