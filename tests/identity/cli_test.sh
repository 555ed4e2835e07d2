#!/bin/sh
# End to end through the `writ` binary: keys, agents, a task token, a delegation, verification,
# the task's end, and the ledger that recorded it all. usage: cli_test.sh WRIT_BINARY WORK_DIR
set -eu
writ="$1"
dir="$2/identity-cli"
rm -rf "$dir"
mkdir -p "$dir"
data="$dir/data"
key="$dir/master.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$key"
chmod 600 "$key"
common="--data $data --master-key-file $key"

fail() { echo "FAIL: $*" >&2; exit 1; }

"$writ" keys rotate $common --json | grep -q '"signing":true' || fail "keys rotate"
"$writ" keys rotate $common --alg ES256 --json | grep -q '"alg":"ES256"' || fail "second rotation"
[ "$("$writ" keys list --data "$data" --json | grep -o '"kid"' | wc -l)" -eq 2 ] || fail "keys list"
"$writ" keys jwks --data "$data" | grep -q '"keys"' || fail "jwks"
"$writ" agent register planner --owner alice --team platform --data "$data" >/dev/null
"$writ" agent register coder --owner alice --team platform --data "$data" >/dev/null
if "$writ" agent register 'bad/name' --owner a --team b --data "$data" 2>/dev/null; then
  fail "a bad agent name was accepted"
fi
"$writ" agent show planner --data "$data" --json | grep -q 'spiffe://writ.local/agent/planner' \
  || fail "agent show"

token=$("$writ" token issue $common --agent planner --user alice@example.com --task task-cli \
  --scope read --scope write)
"$writ" token verify --data "$data" "$token" | grep -q 'valid task token' || fail "verify"
child=$(printf '%s\n' "$token" | "$writ" token exchange $common --token - --actor coder --scope read)
"$writ" token verify --data "$data" --json "$child" | grep -q '"depth":1' || fail "child verify"
"$writ" token inspect "$child" --json | grep -q '"verified":false' || fail "inspect"

# Widening is refused with exit code 2 and its code.
set +e
out=$("$writ" token exchange $common --token "$child" --actor planner --scope admin 2>&1)
rc=$?
set -e
[ $rc -eq 2 ] || fail "widening exit code $rc"
echo "$out" | grep -q scope_widening || fail "widening code"

# Signing without the master key is refused; verifying does not need it.
if "$writ" token issue --data "$data" --agent planner --user bob 2>/dev/null; then
  fail "issued without a master key"
fi

"$writ" revoke --task task-cli --data "$data" --json | grep -q '"newly_revoked":true' \
  || fail "revoke"
set +e
out=$("$writ" token verify --data "$data" "$child" 2>&1)
rc=$?
set -e
[ $rc -eq 2 ] || fail "revoked child verified (exit $rc)"
echo "$out" | grep -q task_revoked || fail "task_revoked code"

# The ledger recorded issues, the delegation, refusals and revocations, and verifies.
"$writ" ledger verify --data "$data" --origin writ-cli | grep -q intact || fail "ledger verify"
for kind in credential_issue delegation credential_revoke decision key_rotation; do
  "$writ" ledger query --data "$data" --origin writ-cli --kind "$kind" --json | grep -q "\"$kind\"" \
    || fail "no $kind record"
done
# No token is in the ledger.
sig=${child##*.}
if "$writ" ledger query --data "$data" --origin writ-cli --json --limit 1000 | grep -q -- "$sig"; then
  fail "a token signature is in the ledger"
fi
echo "identity cli: 1 passed, 0 failed"
