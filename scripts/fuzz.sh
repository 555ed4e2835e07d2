#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer and UndefinedBehaviorSanitizer on)
# and runs each for a bounded time, seeded with the Cedar conformance corpus.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${FUZZ_BUILD_DIR:-build-fuzz}
conformance=${WRIT_CEDAR_CONFORMANCE:-$(pwd)/../shared/cedar-conformance}
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWRIT_FUZZ=ON -DWRIT_TESTS=OFF -DWRIT_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target policy_parser_fuzz entities_json_fuzz

seeds=$build/fuzz-seeds
if [[ ! -d "$seeds/policies" ]]; then
  mkdir -p "$seeds/policies" "$seeds/json" "$seeds/unpacked"
  tar xzf "$conformance/corpus-tests.tar.gz" -C "$seeds/unpacked"
  # A sample of the corpus is enough to start from; libFuzzer mutates it. (awk reads all of
  # find's output: `head` would end the pipe early, and pipefail would fail on find's SIGPIPE.)
  find "$seeds/unpacked" -name '*.cedar' | sort | awk 'NR <= 500' | xargs -I{} cp {} "$seeds/policies/"
  find "$seeds/unpacked" -name '*.entities.json' | sort | awk 'NR <= 300' |
    xargs -I{} cp {} "$seeds/json/"
  cp examples/bundle/*.cedar "$seeds/policies/"
  cp examples/bundle/entities.json "$seeds/json/"
  rm -rf "$seeds/unpacked"
fi
for target in policy_parser_fuzz:policies entities_json_fuzz:json; do
  name=${target%%:*}
  corpus=${target##*:}
  work=$build/fuzz-work/$name
  mkdir -p "$work"
  echo "fuzzing $name for ${seconds}s"
  # -rss_limit_mb guards against runaway memory; any crash, leak or sanitizer report fails.
  "$build/fuzz/$name" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 "$work" "$seeds/$corpus" 2>&1 | tail -n 12
done
