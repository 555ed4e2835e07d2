#!/bin/sh
# End to end through the `writ` binary: `writ format` (in place, --check, stdin, options, parse
# errors) and `writ policy convert` both ways. usage: policy_cli_test.sh WRIT_BINARY WORK_DIR
set -eu
writ="$1"
dir="$2/policy-cli"
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

fail() { echo "FAIL: $*" >&2; exit 1; }

cat > messy.cedar <<'POLICY'
// owners read
permit(principal, action == Action::"read", resource) when { resource.owner == principal };
forbid(principal,action,resource) when { context.risk > 007 && !context.mfa };  // risky
POLICY
cat > want.cedar <<'POLICY'
// owners read
permit (
  principal,
  action == Action::"read",
  resource
)
when { resource.owner == principal };

forbid (principal, action, resource)
when { context.risk > 7 && !context.mfa }; // risky
POLICY
printf 'permit (principal, action, resource);\n' > tidy.cedar
chmod 640 messy.cedar
cp messy.cedar messy.orig

# --check changes nothing, lists what would change, exits 1.
out=$("$writ" format --check messy.cedar tidy.cedar) && fail "--check passed an unformatted file"
[ "$out" = "messy.cedar" ] || fail "--check listed: $out"
cmp -s messy.cedar messy.orig || fail "--check changed the file"
"$writ" format --check tidy.cedar || fail "--check failed a formatted file"

# In place: the expected text, the file's mode kept, no temporary file left behind.
"$writ" format messy.cedar tidy.cedar || fail "format"
cmp -s messy.cedar want.cedar || fail "formatted text differs: $(diff messy.cedar want.cedar)"
[ "$(stat -c %a messy.cedar)" = "640" ] || fail "mode not kept"
[ "$(ls -A | wc -l)" -eq 4 ] || fail "files left behind: $(ls -A)"
"$writ" format --check messy.cedar || fail "formatted file does not pass --check"

# stdin to stdout, and the options.
"$writ" format < messy.orig | cmp -s - want.cedar || fail "stdin to stdout"
printf 'permit(principal in Group::"g", action, resource);' | "$writ" format --indent 4 \
  | grep -q '^    principal in Group::"g",$' || fail "--indent"
printf 'permit(principal,action,resource);' | "$writ" format --line-width 20 \
  | head -1 | grep -qx 'permit' || fail "--line-width"

# A parse error names the file, line and column, and leaves the file alone.
printf 'permit(principal, action, resource)\nwhen { 1 + };\n' > bad.cedar
cp bad.cedar bad.orig
err=$("$writ" format bad.cedar 2>&1) && fail "a parse error passed"
echo "$err" | grep -q 'bad.cedar:2:' || fail "error without position: $err"
cmp -s bad.cedar bad.orig || fail "a file that does not parse was changed"

# policy convert: text -> JSON -> text -> JSON gives the same JSON.
"$writ" policy convert --to json want.cedar > set.json || fail "to json"
grep -q '"staticPolicies"' set.json || fail "two policies are not a policy set"
"$writ" policy convert --to cedar set.json > back.cedar || fail "to cedar"
"$writ" policy convert --to json back.cedar | cmp -s - set.json || fail "round trip"
"$writ" format --check back.cedar || fail "converted text is not formatted"
printf 'permit(principal == ?principal, action, resource);' > one.cedar
"$writ" policy convert --to json one.cedar | grep -q '"slot": "?principal"' || fail "one template"
links='{"templates": {"t": {"effect": "permit", "principal": {"op": "==", "slot": "?principal"},
  "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}},
  "templateLinks": [{"templateId": "t", "newId": "l", "values": {"?principal": {"type": "U", "id": "a"}}}]}'
echo "$links" | "$writ" policy convert --to cedar >/dev/null 2>&1 && fail "links were dropped silently"
echo "ok"
