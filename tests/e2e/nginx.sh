#!/bin/bash
# End to end through real nginx (fastcgi_pass to `tiergate --listen`) with
# the shipped packaging/nginx configuration: routing, Bedrock's shapes, auth,
# every bad-input case, upstream faults, fallback; ConverseStream frames not
# buffered (fastcgi_buffering off); HTTP/2; the console at /admin/; nginx's
# own errors (body over its cap, tiergate down) in Bedrock's shape; the AWS
# SDK for JavaScript over HTTP/2.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/checks.sh"
tg_need jq nginx
tg_init nginx
GAP_MS=60
# The router's models stream one frame every 60 ms (as tests/stream/no-buffer.sh).
"$NODE" -e '
const [src, dst, gap] = process.argv.slice(1);
const c = JSON.parse(require("fs").readFileSync(src, "utf8"));
for (const m of ["anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0"])
  c.models[m] = { ...c.models[m], latency_ms: 20, answer_words: 48, chunk_words: 4, chunk_delay_ms: Number(gap) };
require("fs").writeFileSync(dst, JSON.stringify(c));
' "$top_srcdir/tests/bedrock-emulator/config.json" "$TG_RUN/emulator.json" "$GAP_MS"
tg_start_emulator --config "$TG_RUN/emulator.json"
TG_THREADS=32 tg_write_config
tg_start_nginx
tg_check_router_converse
tg_check_router_arn
tg_check_passthrough
tg_check_auth
tg_check_bad_input
tg_check_upstream_faults
tg_check_router_fallback
tg_check_prompt_routers

# ConverseStream through nginx: frames spread over time, not buffered.
out=$(cd "$top_srcdir/tests" && "$NODE" stream/frame-times.mjs \
    -H "Authorization: Bearer $TG_KEY" -H 'Content-Type: application/json' \
    --data-binary "$(tg_converse_body "Stream through nginx, please.")" \
    "$TG_URL/model/support/converse-stream") || tg_fail "nginx: the stream did not decode"
echo "nginx stream: $out"
tg_expect '[ "$(jq -r .frames <<<"$out")" -ge 14 ]' "stream: not a whole answer"
tg_expect '[ "$(jq -r ".kinds[-1]" <<<"$out")" = metadata ]' "stream: last frame"
tg_expect 'jq -e "(.last_byte_ms - .first_frame_ms) >= 8 * $GAP_MS" <<<"$out" >/dev/null' \
    "stream: buffered by nginx"
tg_expect '[ "$(jq -r .chunks <<<"$out")" -ge 8 ]' "stream: frames arrived in few reads"
tg_ok

# HTTP/2 (prior knowledge on the h2 port), as the AWS SDK for JavaScript speaks it.
st=$(curl -s --http2-prior-knowledge -o "$TG_RUN/h2.body" -w '%{http_version} %{http_code}' \
    -H "Authorization: Bearer $TG_KEY" -H 'Content-Type: application/json' \
    --data-binary "$(tg_converse_body 'Hello over HTTP/2')" "$TG_H2_URL/model/support/converse")
tg_expect '[ "$st" = "2 200" ]' "HTTP/2 converse: $st $(head -c 200 "$TG_RUN/h2.body")"
tg_ok

# The console's static files at /admin/, its API to tiergate.
st=$(curl -s -o "$TG_RUN/console.html" -w '%{http_code} %{content_type}' "$TG_URL/admin/")
tg_expect '[ "${st%% *}" = 200 ] && grep -qi "<html" "$TG_RUN/console.html"' "console /admin/: $st"
st=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$TG_URL/admin/js/format.js")
tg_expect 'case $st in "200 text/javascript"*) true ;; *) false ;; esac' "console js: $st"
st=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TG_ADMIN_TOKEN" \
    "$TG_URL/admin/api/stats?window=1h")
tg_expect '[ "$st" = 200 ]' "admin API through nginx: $st"
st=$(curl -s -o /dev/null -w '%{http_code}' "$TG_URL/admin/api/stats")
tg_expect '[ "$st" = 401 ] || [ "$st" = 403 ]' "admin API without a token: $st"
tg_ok

# nginx's own errors, in Bedrock's shape.
tg_bad 404 ResourceNotFound "a console file that does not exist" "$TG_URL/admin/nope.js"
head -c 34000000 /dev/zero | tr '\0' 'a' >"$TG_RUN/huge.json"
tg_bad 413 Validation "body over nginx's cap" -H 'Content-Type: application/json' \
    --data-binary @"$TG_RUN/huge.json" "$TG_URL/model/support/converse"
# ... and under /v1/ in OpenAI's shape (errors raised before nginx has a
# URI, like a header over its buffers, stay Bedrock-shaped: see below)
tg_oa_bad 413 invalid_request_error "/v1/: body over nginx's cap" -H 'Content-Type: application/json' \
    --data-binary @"$TG_RUN/huge.json" "$TG_URL/v1/chat/completions"
rm -f "$TG_RUN/huge.json"
tg_bad 431 Validation "a header over nginx's buffers" -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' b)" \
    "$TG_URL/model/support/converse"

# The AWS SDK for JavaScript through nginx (HTTP/1.1, and its HTTP/2 test on the h2 port).
# Its tests pass example model ids through (as tests/sdk/run.sh does), so
# tiergate is restarted on the same port with passthrough "any".
if [ -d "$top_srcdir/tests/node_modules/@aws-sdk/client-bedrock-runtime" ]; then
	kill "$TG_TIERGATE_PID"; wait "$TG_TIERGATE_PID" 2>/dev/null
	jq '.server.passthrough = "any"' "$TG_RUN/tiergate.json" >"$TG_RUN/t.json" &&
	    mv "$TG_RUN/t.json" "$TG_RUN/tiergate.json"
	TIERGATE_CONFIG="$TG_RUN/tiergate.json" "$TIERGATE" serve \
	    --listen "127.0.0.1:$TG_FCGI_PORT" $TG_TIERGATE_ARGS >>"$TG_RUN/tiergate-stdout.log" 2>&1 &
	TG_PIDS+=($!)
	TG_TIERGATE_PID=$!
	for _ in $(seq 50); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$TG_URL/healthz")" = 200 ] && break
		sleep 0.1
	done
	(export TG_URL TG_H2_URL EMU_URL TG_KEY TG_AKID TG_SECRET TG_RUN TG_ACCOUNT_ID=123456789012
	 cd "$top_srcdir/tests" && "$NODE" --no-warnings --test --test-concurrency=1 sdk/*.test.mjs) \
	    >"$TG_RUN/sdk.log" 2>&1 || { tail -40 "$TG_RUN/sdk.log"; tg_fail "the AWS SDK tests failed through nginx"; }
	grep -E '^# (pass|fail)' "$TG_RUN/sdk.log"
	tg_ok
else
	tg_fail "@aws-sdk/client-bedrock-runtime missing (cd tests && npm ci)"
fi

# tiergate down: nginx answers 503 in Bedrock's shape.
kill "$TG_TIERGATE_PID"; wait "$TG_TIERGATE_PID" 2>/dev/null
tg_bad 503 ServiceUnavailable "tiergate not running" -H 'Content-Type: application/json' \
    --data "$(tg_converse_body hi)" "$TG_URL/model/support/converse"
tg_oa_bad 503 server_error "/v1/: tiergate not running" -H 'Content-Type: application/json' \
    --data '{"model":"support","messages":[{"role":"user","content":"hi"}]}' "$TG_URL/v1/chat/completions"
tg_oa_bad 503 server_error "/v1/models: tiergate not running" "$TG_URL/v1/models"
tg_check_no_secrets
echo "$TG_CHECKS passed, 0 failed"
