#!/bin/sh
# The demo end to end, as scripts/demo.sh runs it: `writ demo setup`, the real `writ serve` on a
# loopback port with the example bundle, `writ demo` against it (every step must give its
# expected verdict), a second run on the same data (agents already registered), then a clean
# stop and `writ ledger verify` of what the demo recorded.
# usage: demo_cli_test.sh WRIT_BINARY EXAMPLE_BUNDLE WORK_DIR
set -eu
writ="$1"
bundle="$2"
dir="$3/demo-cli"
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

fail() {
  echo "FAIL: $*" >&2
  [ -f serve.err ] && sed 's/^/serve: /' serve.err >&2
  exit 1
}
server=""
cleanup() { [ -n "$server" ] && kill -KILL "$server" 2>/dev/null || true; }
trap cleanup EXIT

"$writ" demo setup demo --bundle "$bundle" > setup.txt || fail "demo setup"
for f in writ.toml master.key evidence.key idp.json idp-jwks.json admin.key; do
  [ -f "demo/$f" ] || fail "demo setup wrote no $f"
done
[ "$(stat -c %a demo/admin.key)" = 600 ] || fail "admin.key is not 0600"
cp demo/admin.key admin.key.before
"$writ" demo setup demo --bundle "$bundle" > /dev/null || fail "demo setup again"
cmp -s demo/admin.key admin.key.before || fail "a second setup replaced admin.key"

# The files exist before the server starts: the background job opens them only once it runs,
# and the loop below may read serve.out first.
: > serve.out
: > serve.err
"$writ" serve --config demo/writ.toml --listen 127.0.0.1:0 > serve.out 2> serve.err &
server=$!
port=""
i=0
while [ $i -lt 600 ]; do
  port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' serve.out)
  [ -n "$port" ] && break
  kill -0 "$server" 2>/dev/null || fail "writ serve exited"
  sleep 0.1
  i=$((i + 1))
done
[ -n "$port" ] || fail "writ serve did not say where it listens"

"$writ" demo --url "http://127.0.0.1:$port" --dir demo > run1.txt 2>&1 || {
  cat run1.txt >&2
  fail "writ demo (first run)"
}
for want in "allow by small-refunds" "deny by restricted-data" "approval_required" \
  "narrowed: limit 500 -> 100" "revoked in cascade" "refused: task_revoked" "every step gave the expected answer" \
  "restricted datasets are never read by agents"; do
  grep -qF "$want" run1.txt || { cat run1.txt >&2; fail "no \"$want\" in the demo's output"; }
done
if grep -q UNEXPECTED run1.txt; then cat run1.txt >&2; fail "an unexpected step"; fi

# Again on the same data: the agents are registered already, with the demo's keys.
"$writ" demo --url "http://127.0.0.1:$port" --dir demo > run2.txt 2>&1 || {
  cat run2.txt >&2
  fail "writ demo (second run)"
}
grep -q "already registered with this demo's key" run2.txt || fail "second run re-registered"

# Unexpected answers make it fail: an API key the service does not know.
echo "wk_not-a-key" > bad.key
if "$writ" demo --url "http://127.0.0.1:$port" --dir demo --api-key-file bad.key > run3.txt 2>&1; then
  fail "writ demo succeeded with a wrong API key"
fi
# And no service at all.
if "$writ" demo --url "http://127.0.0.1:1" --dir demo --wait 0 > run4.txt 2>&1; then
  fail "writ demo succeeded without a service"
fi

kill -TERM "$server"
wait "$server" || fail "writ serve did not stop cleanly"
server=""
"$writ" ledger verify --data demo/data > verify.txt 2>&1 || {
  cat verify.txt >&2
  fail "ledger verify"
}
echo "demo end to end: ok"
