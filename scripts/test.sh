#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit tests, the Cedar conformance
# corpus, end-to-end tests, and the sanitizer and fuzzing passes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
(cd build && ctest --output-on-failure -j "$(nproc)" --timeout 900)
