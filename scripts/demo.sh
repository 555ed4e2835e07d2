#!/usr/bin/env bash
# Installs what is missing, builds, and runs an example authorization from examples/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/writ authorize --policies examples/policies.cedar --entities examples/entities.json \
  --schema examples/schema.cedarschema --request examples/request.json
