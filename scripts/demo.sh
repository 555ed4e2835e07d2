#!/usr/bin/env bash
# The README's first command: installs what is missing, builds build/writ, prepares a demo
# deployment in .demo-data/ (`writ demo setup`: writ.toml, master and evidence keys, a local
# stand-in for the users' OpenID Connect provider, an admin API key), starts `writ serve` on the
# embedded store with the example bundle (examples/bundle), runs the scripted scenario
# (`writ demo`) against it, then keeps the service running in the foreground until Ctrl-C.
#
# Environment: WRIT_DEMO_DIR (default .demo-data), WRIT_DEMO_LISTEN (default 127.0.0.1:8080;
# used when the directory is first set up), SKIP_DEPS=1 and SKIP_BUILD=1 to skip those steps.
# The data stays in the directory between runs; remove it to start over.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO_DIR=${WRIT_DEMO_DIR:-.demo-data}
LISTEN=${WRIT_DEMO_LISTEN:-127.0.0.1:8080}

[[ "${SKIP_DEPS:-0}" == 1 ]] || scripts/install-deps.sh
[[ "${SKIP_BUILD:-0}" == 1 ]] || scripts/build.sh

build/writ demo setup "$DEMO_DIR" --bundle examples/bundle --listen "$LISTEN" >/dev/null
# The address the directory's writ.toml names (it may predate WRIT_DEMO_LISTEN).
LISTEN=$(sed -n '/^listen = "/{s/^listen = "\(.*\)"$/\1/p;q;}' "$DEMO_DIR/writ.toml")
URL="http://$LISTEN"
if curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null; then
  echo "demo: something already answers at $URL; stop it or set WRIT_DEMO_LISTEN" >&2
  exit 1
fi

build/writ serve --config "$DEMO_DIR/writ.toml" &
SERVER=$!
trap 'kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 300); do
  if curl -fsS -o /dev/null "$URL/readyz" 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER" 2>/dev/null; then
    echo "demo: writ serve exited; see its messages above" >&2
    exit 1
  fi
  sleep 0.1
done
curl -fsS -o /dev/null "$URL/readyz" || { echo "demo: $URL/readyz is not ready" >&2; exit 1; }

echo
build/writ demo --url "$URL" --dir "$DEMO_DIR"

cat <<EOF

Writ is running at $URL (data in $DEMO_DIR/data, configuration $DEMO_DIR/writ.toml).
  API:        $URL/v1/...  (OpenAPI document at $URL/openapi.json)
  admin key:  $DEMO_DIR/admin.key
              curl -H "Authorization: Bearer \$(cat $DEMO_DIR/admin.key)" $URL/v1/decisions
              curl -H "Authorization: Bearer \$(cat $DEMO_DIR/admin.key)" $URL/metrics
  console:    not in this build yet (web/console/ is planned); the API above is what it will use
  offline:    build/writ explain <id> --data $DEMO_DIR/data    build/writ ledger verify --data $DEMO_DIR/data
Press Ctrl-C to stop it.
EOF
wait "$SERVER"
