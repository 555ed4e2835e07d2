#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. the whole project built with AddressSanitizer and UndefinedBehaviorSanitizer, and the
#      whole test suite run on that build (unit tests, Cedar conformance, end-to-end tests with
#      the real binary, real PostgreSQL, real MCP SDK client and servers, real browser);
#   2. the libFuzzer targets, built with clang, each run for a bounded time.
# Usage: scripts/test.sh [ctest arguments]   e.g. scripts/test.sh -R cedar
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export BUILD_DIR=${BUILD_DIR:-build-test}
# -O1 keeps the sanitizers' reports exact and the build quicker; -g1 is enough for stacks.
BUILD_TYPE=Debug scripts/build.sh -DWRIT_SANITIZE=ON -DWRIT_BENCH=OFF \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
(cd "$BUILD_DIR" && ctest --output-on-failure -j "$(nproc)" --timeout 900 "$@")
if [[ $# -eq 0 ]]; then
  scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
fi
echo "all tests passed"
