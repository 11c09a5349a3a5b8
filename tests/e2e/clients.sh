#!/bin/bash
# The README's client snippets (AWS SDK, Vercel AI SDK, LangChain), run as
# printed there against the demo stack (packaging/demo.sh with the Bedrock
# emulator): each must get an answer routed by the demo's "claude" router.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_need jq lighttpd node
for m in @aws-sdk/client-bedrock-runtime ai @ai-sdk/amazon-bedrock @langchain/aws; do
	[ -d "$top_srcdir/tests/node_modules/$m" ] || tg_skip "$m missing (cd tests && npm ci)"
done
tg_init clients
port=$(tg_port)
env -u AWS_ACCESS_KEY_ID -u AWS_BEARER_TOKEN_BEDROCK HOME="$TG_RUN" \
    TG_DEMO_DIR="$TG_RUN/demo" TIERGATE="$TIERGATE" \
    bash "$top_srcdir/packaging/demo.sh" --port "$port" --requests 6 --minutes 0.05 \
    >"$TG_RUN/demo.out" 2>&1 &
TG_PIDS+=($!)
for ((i = 0; i < 300; i++)); do
	grep -q "serving until Ctrl-C" "$TG_RUN/demo.out" && break
	sleep 0.1
done
grep -q "serving until Ctrl-C" "$TG_RUN/demo.out" || { cat "$TG_RUN/demo.out"; tg_fail "the demo did not come up"; }

# A tenant key pair for the SDKs, added to the demo's keys file as the
# README says (keygen's line appended; reloaded within a second).
"$TIERGATE" keygen acme --sigv4 >"$TG_RUN/sigv4.key"
TIERGATE_AKID=$(sed -n 's/^# access key id: //p' "$TG_RUN/sigv4.key")
TIERGATE_SECRET=$(sed -n 's/^# secret access key: //p' "$TG_RUN/sigv4.key")
grep '^sigv4 ' "$TG_RUN/sigv4.key" >>"$TG_RUN/demo/keys"
sleep 1.2
export TIERGATE_URL="http://127.0.0.1:$port" TIERGATE_AKID TIERGATE_SECRET

# The snippets resolve their packages from tests/node_modules.
mkdir -p "$TG_RUN/snippets"
ln -s "$top_srcdir/tests/node_modules" "$TG_RUN/snippets/node_modules"
for name in aws-sdk vercel-ai langchain; do
	awk -v m="<!-- snippet: $name -->" '$0 == m { on = 1; next }
	    on == 1 && /^```js$/ { on = 2; next } on == 2 && /^```$/ { exit } on == 2 { print }' \
	    "$top_srcdir/README.md" >"$TG_RUN/snippets/$name.mjs"
	tg_expect '[ -s "$TG_RUN/snippets/$name.mjs" ]' "README.md has no snippet $name"
	out=$(cd "$TG_RUN/snippets" && timeout 60 "$NODE" --no-warnings "$name.mjs" 2>&1)
	rc=$?
	echo "$name: $out"
	tg_expect '[ $rc = 0 ]' "the $name snippet failed: $out"
	tg_expect 'printf %s "$out" | grep -Eq "^anthropic\.claude-[^ ]+ \| This is an emulated answer from anthropic\."' \
	    "the $name snippet did not get the claude router's answer: $out"
	tg_ok
done
tg_expect '[ "$(grep -c "\"router\":\"claude\",\"tenant\":\"acme\"" "$TG_RUN/demo/decisions.jsonl")" -ge 3 ]' \
    "the snippets' requests are not in the demo's decision log as router claude, tenant acme"
tg_ok
echo "$TG_CHECKS passed, 0 failed"
