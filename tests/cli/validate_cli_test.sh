#!/bin/sh
# End to end through the `writ` binary: `writ validate` exit codes (0 valid, 3 invalid, 1 bad
# input), the text and JSON reports, and --level. usage: validate_cli_test.sh WRIT_BINARY WORK_DIR
set -eu
writ="$1"
dir="$2/validate-cli"
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

fail() { echo "FAIL: $*" >&2; exit 1; }
run() {  # run CMD...: stdout to out.txt, exit status to $rc
  set +e
  "$@" > out.txt 2> err.txt
  rc=$?
  set -e
}

cat > schema.cedarschema <<'SCHEMA'
entity Group;
entity User in [Group] { age: Long, nick?: String };
action view appliesTo { principal: User, resource: User };
SCHEMA
cat > schema.json <<'SCHEMA'
{"": {"entityTypes": {"User": {}}, "actions": {"view": {"appliesTo": {"principalTypes": ["User"], "resourceTypes": ["User"]}}}}}
SCHEMA
cat > good.cedar <<'POLICY'
permit(principal, action, resource) when { principal has nick && principal.nick like "a*" };
permit(principal in Group::"g", action, resource);
permit(principal, action, resource) when { principal is Group };
POLICY
cat > bad.cedar <<'POLICY'
permit(principal, action, resource)
when { principal.nick == "x" || principal.agee > 1 };
POLICY
printf 'permit(principal, action, resource) when { resource.age > 1 };\n' > one.cedar

run "$writ" validate --schema schema.cedarschema --policies good.cedar
[ "$rc" = 0 ] || fail "valid policies: exit $rc, want 0"
grep -q '^policy2:3:1: warning\[impossible_policy\]' out.txt || fail "no impossible_policy warning"
tail -n 1 out.txt | grep -qx 'valid: 0 errors, 1 warning' || fail "summary: $(tail -n 1 out.txt)"

run "$writ" validate --schema schema.cedarschema --policies bad.cedar
[ "$rc" = 3 ] || fail "invalid policies: exit $rc, want 3"
grep -q '^policy0:2:8: error\[unsafe_optional_attribute_access\]' out.txt || fail "no optional error"
grep -q '^policy0:2:33: error\[attribute_not_found\]: attribute `agee`' out.txt ||
  fail "no attribute error"
tail -n 1 out.txt | grep -qx 'invalid: 2 errors, 0 warnings' || fail "summary: $(tail -n 1 out.txt)"

run "$writ" validate --schema schema.cedarschema --policies bad.cedar --json
[ "$rc" = 3 ] || fail "--json: exit $rc, want 3"
grep -q '^{"valid":false,"errors":\[{"policy":"policy0","code":"unsafe_optional_attribute_access"' out.txt ||
  fail "--json: $(cat out.txt)"
grep -q '"line":2,"column":33' out.txt || fail "--json position: $(cat out.txt)"

run "$writ" validate --schema schema.json --policies one.cedar
[ "$rc" = 3 ] || fail "JSON schema: exit $rc, want 3 (User has no attributes there)"

run "$writ" validate --schema schema.cedarschema --policies good.cedar --level 0
[ "$rc" = 3 ] || fail "--level 0: exit $rc, want 3"
grep -q '^policy0:1:44: error\[entity_deref_level\]' out.txt || fail "--level 0: $(cat out.txt)"
run "$writ" validate --schema schema.cedarschema --policies good.cedar --level 1
[ "$rc" = 0 ] || fail "--level 1: exit $rc, want 0"

printf 'permit(principal, action, resource) when {' > broken.cedar
run "$writ" validate --schema schema.cedarschema --policies broken.cedar
[ "$rc" = 1 ] || fail "unparsable policies: exit $rc, want 1"
run "$writ" validate --schema missing.cedarschema --policies good.cedar
[ "$rc" = 1 ] || fail "missing schema: exit $rc, want 1"
echo "validate CLI: ok"
