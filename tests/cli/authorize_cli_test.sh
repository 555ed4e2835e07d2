#!/bin/sh
# End to end through the `writ` binary: `writ authorize` with one request (exit codes 0 allow,
# 2 deny, 1 bad input) and with a JSON Lines file of requests (`--requests`): one decision a
# line in order, blank lines skipped, CRLF and a last line without newline accepted, a bad line
# answered with an error line (exit 1) without stopping the others, lines longer than the
# reader's buffer, stdin. usage: authorize_cli_test.sh WRIT_BINARY WORK_DIR
set -eu
writ="$1"
dir="$2/authorize-cli"
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

fail() { echo "FAIL: $*" >&2; exit 1; }

cat > policies.cedar <<'POLICY'
permit(principal == User::"alice", action == Action::"read", resource)
when { context.note like "*" };
forbid(principal, action, resource) when { context has blocked && context.blocked };
POLICY
alice='{"principal":{"type":"User","id":"alice"},"action":{"type":"Action","id":"read"},"resource":{"type":"Doc","id":"d"},"context":{"note":"hi"}}'
bob='{"principal":{"type":"User","id":"bob"},"action":{"type":"Action","id":"read"},"resource":{"type":"Doc","id":"d"},"context":{"note":"hi"}}'
blocked='{"principal":{"type":"User","id":"alice"},"action":{"type":"Action","id":"read"},"resource":{"type":"Doc","id":"d"},"context":{"note":"hi","blocked":true}}'
allow='{"decision":"allow","reasons":["policy0"],"errors":[]}'
deny='{"decision":"deny","reasons":[],"errors":[]}'
forbidden='{"decision":"deny","reasons":["policy1"],"errors":[]}'

# One request: the decision and its exit code.
echo "$alice" > alice.json
echo "$bob" > bob.json
out=$("$writ" authorize --policies policies.cedar --request alice.json) || fail "allow exited $?"
[ "$out" = "$allow" ] || fail "allow printed: $out"
rc=0
out=$("$writ" authorize --policies policies.cedar --request bob.json) || rc=$?
[ "$rc" = 2 ] || fail "deny exited $rc"
[ "$out" = "$deny" ] || fail "deny printed: $out"
echo '{"principal":' > broken.json
rc=0
"$writ" authorize --policies policies.cedar --request broken.json > /dev/null 2> err.txt || rc=$?
[ "$rc" = 1 ] || fail "a malformed request exited $rc"
grep -q 'broken.json' err.txt || fail "the error does not name the file: $(cat err.txt)"

# Batch: blank lines skipped, CRLF, a bad line in the middle, no newline after the last line.
printf '%s\n\n%s\r\n{"principal":\n%s\n%s' "$alice" "$bob" "$blocked" "$alice" > batch.jsonl
rc=0
"$writ" authorize --policies policies.cedar --requests batch.jsonl > out.jsonl || rc=$?
[ "$rc" = 1 ] || fail "a batch with a bad line exited $rc"
printf '%s\n%s\n%s\n%s\n%s\n' "$allow" "$deny" \
  '{"error":{"code":"json_error","message":"malformed JSON: incomplete JSON"}}' "$forbidden" \
  "$allow" > want.jsonl
cmp -s out.jsonl want.jsonl || { diff want.jsonl out.jsonl >&2; fail "batch output differs"; }

# Lines longer than the reader's 1 MiB buffer, between short ones; read from stdin.
long=$(head -c 3000000 /dev/zero | tr '\0' 'x')
printf '%s\n{"principal":{"type":"User","id":"alice"},"action":{"type":"Action","id":"read"},"resource":{"type":"Doc","id":"d"},"context":{"note":"%s"}}\n%s\n' \
  "$bob" "$long" "$alice" > long.jsonl
out=$("$writ" authorize --policies policies.cedar --requests - < long.jsonl) || fail "long lines exited $?"
[ "$out" = "$(printf '%s\n%s\n%s' "$deny" "$allow" "$allow")" ] || fail "long lines printed: $out"

# Many lines: every one answered, in order.
i=0
: > many.jsonl
: > many-want.jsonl
while [ $i -lt 3000 ]; do
  if [ $((i % 3)) = 0 ]; then
    echo "$bob" >> many.jsonl
    echo "$deny" >> many-want.jsonl
  else
    echo "$alice" >> many.jsonl
    echo "$allow" >> many-want.jsonl
  fi
  i=$((i + 1))
done
"$writ" authorize --policies policies.cedar --requests many.jsonl > many-out.jsonl ||
  fail "3,000 lines exited $?"
cmp -s many-out.jsonl many-want.jsonl || fail "3,000 lines: output differs"

# A file that cannot be read.
rc=0
"$writ" authorize --policies policies.cedar --requests missing.jsonl 2> err.txt || rc=$?
[ "$rc" = 1 ] || fail "a missing requests file exited $rc"
echo "authorize cli: all checks passed"
