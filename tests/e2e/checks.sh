# tests/e2e/checks.sh - the end-to-end checks shared by every web server
# front (lighttpd FastCGI, Apache FastCGI, Apache CGI).  Source after
# lib.sh with the stack started; each function fails the test on error.

# Bedrock's shape, through a router given by id.
tg_check_router_converse() {
	local out model
	tg_post /model/support/converse "$(tg_converse_body 'Summarise the plot of Hamlet in two sentences.')"; out=$TG_OUT
	tg_expect '[ "$TG_STATUS" = 200 ]' "router converse: HTTP $TG_STATUS: $out"
	model=$(printf %s "$out" | jq -r '.trace.promptRouter.invokedModelId')
	tg_expect 'case $model in anthropic.claude-3-haiku-20240307-v1:0|anthropic.claude-3-5-sonnet-20240620-v1:0) true;; *) false;; esac' \
	    "invokedModelId is not one of the router's models: $model"
	tg_expect '[ "$(printf %s "$out" | jq -r .output.message.role)" = assistant ]' "no assistant message"
	tg_expect '[ "$(printf %s "$out" | jq -r ".usage.inputTokens > 0")" = true ]' "no usage"
	tg_expect '[ "$(tg_header x-tiergate-router)" = support ]' "x-tiergate-router"
	tg_expect '[ "$(tg_header x-tiergate-model)" = "$model" ]' "x-tiergate-model differs from the trace"
	tg_expect '[ -n "$(tg_header x-tiergate-reason)" ]' "no x-tiergate-reason"
	tg_expect '[ "$(tg_header x-tiergate-overhead-us)" -ge 0 ]' "no x-tiergate-overhead-us"
	tg_expect '[ -n "$(tg_header x-amzn-RequestId)" ]' "no x-amzn-RequestId"
	tg_ok
}

# A router ARN, percent-encoded as one path segment (':' and '/').
tg_check_router_arn() {
	local arn="arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aprompt-router%2Fnova" out
	tg_post "/model/$arn/converse" "$(tg_converse_body 'What is 2+2?')"; out=$TG_OUT
	tg_expect '[ "$TG_STATUS" = 200 ]' "router ARN converse: HTTP $TG_STATUS: $out"
	tg_expect 'printf %s "$out" | jq -e ".trace.promptRouter.invokedModelId | startswith(\"amazon.nova-\")" >/dev/null' \
	    "router ARN did not route to a nova model: $out"
	tg_ok
}

# A plain model id passes through untouched: no trace added.
tg_check_passthrough() {
	local out
	tg_post /model/anthropic.claude-3-haiku-20240307-v1%3A0/converse "$(tg_converse_body hello)"; out=$TG_OUT
	tg_expect '[ "$TG_STATUS" = 200 ]' "passthrough: HTTP $TG_STATUS: $out"
	tg_expect '[ "$(printf %s "$out" | jq -r ".trace.promptRouter // empty")" = "" ]' "passthrough got a router trace"
	tg_expect '[ "$(printf %s "$out" | jq -r .stopReason)" = end_turn ]' "no stopReason"
	tg_ok
}

tg_check_auth() {
	local out st
	st=$(curl -s -o "$TG_RUN/a.body" -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data-binary "$(tg_converse_body hi)" "$TG_URL/model/support/converse")
	tg_expect '[ "$st" = 401 ]' "no credentials: HTTP $st"
	tg_expect 'jq -e .message "$TG_RUN/a.body" >/dev/null' "401 body not in Bedrock's shape"
	TG_AUTHZ="Bearer tg-wrong" tg_post /model/support/converse "$(tg_converse_body hi)"; out=$TG_OUT
	tg_expect '[ "$TG_STATUS" = 403 ]' "wrong key: HTTP $TG_STATUS"
	tg_expect '[ "$(tg_header x-amzn-ErrorType)" = AccessDeniedException ]' "wrong key error type"
	st=$(curl -s -o /dev/null -w '%{http_code}' -H "x-api-key: $TG_KEY2" \
	    -H 'Content-Type: application/json' --data-binary "$(tg_converse_body hi)" \
	    "$TG_URL/model/support/converse")
	tg_expect '[ "$st" = 200 ]' "x-api-key: HTTP $st"
	tg_ok
}

# tg_bad STATUS TYPE-SUBSTRING DESCRIPTION curl-args...
tg_bad() {
	local want=$1 type=$2 what=$3 st; shift 3
	st=$(curl -s -o "$TG_RUN/bad.body" -D "$TG_RUN/bad.h" -w '%{http_code}' \
	    -H "Authorization: Bearer $TG_KEY" "$@")
	tg_expect '[ "$st" = "$want" ]' "$what: want HTTP $want, got $st: $(head -c 300 "$TG_RUN/bad.body")"
	tg_expect 'jq -e ".message | length > 0" "$TG_RUN/bad.body" >/dev/null' "$what: no Bedrock-shaped message"
	tg_expect 'grep -qi "^x-amzn-ErrorType: .*$type" "$TG_RUN/bad.h"' "$what: x-amzn-ErrorType is not $type"
	tg_ok
}

# tg_oa_bad STATUS TYPE DESCRIPTION curl-args...: an OpenAI-shaped error
# ({"error": {"message", "type": TYPE, "param", "code"}}, no x-amzn-ErrorType).
tg_oa_bad() {
	local want=$1 type=$2 what=$3 st; shift 3
	st=$(curl -s -o "$TG_RUN/bad.body" -D "$TG_RUN/bad.h" -w '%{http_code}' \
	    -H "Authorization: Bearer $TG_KEY" "$@")
	tg_expect '[ "$st" = "$want" ]' "$what: want HTTP $want, got $st: $(head -c 300 "$TG_RUN/bad.body")"
	tg_expect 'jq -e --arg t "$type" ".error.type == \$t and (.error.message | length > 0) and
	    (.error | has(\"param\") and has(\"code\"))" "$TG_RUN/bad.body" >/dev/null' \
	    "$what: not OpenAI's error of type $type: $(head -c 300 "$TG_RUN/bad.body")"
	tg_expect '! grep -qi "^x-amzn-ErrorType:" "$TG_RUN/bad.h"' "$what: x-amzn-ErrorType on an OpenAI error"
	tg_ok
}

tg_check_bad_input() {
	local u="$TG_URL/model/support/converse" ct='Content-Type: application/json'
	local deep big hdrs=() i
	tg_bad 405 Validation "GET on converse" "$u"
	tg_bad 404 UnknownOperation "unknown path" -X POST -H "$ct" --data '{}' "$TG_URL/nope"
	tg_bad 404 UnknownOperation "unknown operation" -H "$ct" --data '{}' "$TG_URL/model/support/frobnicate"
	tg_bad 400 Validation "invalid JSON" -H "$ct" --data '{"messages": [' "$u"
	tg_bad 400 Validation "empty body" -H "$ct" --data '' "$u"
	deep=$(printf '%.0s[' {1..100}; printf '%.0s]' {1..100})
	tg_bad 400 Validation "JSON too deep" -H "$ct" --data "{\"messages\":$deep}" "$u"
	tg_bad 400 Validation "missing messages" -H "$ct" --data '{"system":[]}' "$u"
	tg_bad 400 Validation "empty messages" -H "$ct" --data '{"messages":[]}' "$u"
	tg_bad 400 Validation "messages of the wrong type" -H "$ct" --data '{"messages":"hi"}' "$u"
	tg_bad 400 Validation "role of the wrong type" -H "$ct" \
	    --data '{"messages":[{"role":7,"content":[{"text":"x"}]}]}' "$u"
	tg_bad 400 Validation "text of the wrong type" -H "$ct" \
	    --data '{"messages":[{"role":"user","content":[{"text":1}]}]}' "$u"
	tg_bad 400 Validation "maxTokens of the wrong type" -H "$ct" \
	    --data '{"messages":[{"role":"user","content":[{"text":"x"}]}],"inferenceConfig":{"maxTokens":"9"}}' "$u"
	printf '{"messages":[{"role":"user","content":[{"text":"\xff\xfe bad"}]}]}' >"$TG_RUN/badutf8.json"
	tg_bad 400 Validation "invalid UTF-8" -H "$ct" --data-binary @"$TG_RUN/badutf8.json" "$u"
	head -c 1200000 /dev/zero | tr '\0' 'a' >"$TG_RUN/big.json"
	tg_bad 413 Validation "body over the cap" -H "$ct" --data-binary @"$TG_RUN/big.json" "$u"
	for ((i = 0; i < 80; i++)); do hdrs+=(-H "X-Flood-$i: $i"); done
	tg_bad 431 Validation "header flood" -H "$ct" "${hdrs[@]}" --data "$(tg_converse_body hi)" "$u"
	tg_bad 404 ResourceNotFound "unknown router ARN" -H "$ct" --data "$(tg_converse_body hi)" \
	    "$TG_URL/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aprompt-router%2Fnope/converse"
	tg_check_model_ids
	# The worker keeps serving after all of that.
	tg_check_passthrough
}

# Model ids: Bedrock's grammar first, router ARNs of the configured account
# only, passthrough "known" (the e2e default); none of them leaves tiergate.
tg_check_model_ids() {
	local ct='Content-Type: application/json' body before id
	body=$(tg_converse_body hi)
	before=$(tg_emu_requests)
	# (CR, LF and NUL in the path are refused by the web server itself.)
	for id in '..%2F..%2Fetc%2Fpasswd' 'http%3A%2F%2F169.254.169.254%2Flatest' 'a%20b' \
	    'caf%C3%A9' 'a%7Cb'; do
		tg_bad 400 Validation "model id $id" -H "$ct" --data "$body" "$TG_URL/model/$id/converse"
	done
	tg_bad 400 Validation "unknown model id (passthrough known)" -H "$ct" --data "$body" \
	    "$TG_URL/model/no.such-model-v1/converse"
	tg_expect 'grep -q "The provided model identifier is invalid" "$TG_RUN/bad.body"' \
	    "unknown model: not Bedrock's message: $(cat "$TG_RUN/bad.body")"
	tg_bad 403 AccessDenied "router ARN of another account" -H "$ct" --data "$body" \
	    "$TG_URL/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A999999999999%3Aprompt-router%2Fsupport/converse"
	tg_bad 400 Validation "foundation-model ARN of an unknown model" -H "$ct" --data "$body" \
	    "$TG_URL/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fno.such-model-v1/converse"
	tg_expect '[ "$(tg_emu_requests)" = "$before" ]' "a refused model id reached the upstream"
	# known: the price table's models pass, also as a foundation-model ARN
	tg_post /model/amazon.titan-text-express-v1/converse "$body"
	tg_expect '[ "$TG_STATUS" = 200 ]' "price-table model: HTTP $TG_STATUS: $TG_OUT"
	tg_post "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Famazon.nova-micro-v1%3A0/converse" "$body"
	tg_expect '[ "$TG_STATUS" = 200 ]' "foundation-model ARN of a known model: HTTP $TG_STATUS: $TG_OUT"
	tg_ok
}

tg_emu_requests() {
	curl -s "$EMU_URL/_emulator/stats" | jq -r .requests
}

# tg_fault_case FAULT COUNT WANT-STATUS WANT-UPSTREAM-REQUESTS DESCRIPTION
tg_fault_case() {
	local fault=$1 n=$2 want=$3 calls=$4 what=$5 before after out tag
	tag="t$RANDOM$RANDOM"
	before=$(tg_emu_requests)
	tg_post /model/anthropic.claude-3-haiku-20240307-v1%3A0/converse \
	    "$(tg_converse_body "hello [[fault:$fault x$n #$tag]]")"; out=$TG_OUT
	after=$(tg_emu_requests)
	tg_expect '[ "$TG_STATUS" = "$want" ]' "$what: want HTTP $want, got $TG_STATUS: $(printf %s "$out" | head -c 300)"
	tg_expect '[ $((after - before)) = "$calls" ]' "$what: want $calls upstream requests, saw $((after - before))"
	tg_expect 'printf %s "$out" | jq -e . >/dev/null' "$what: body is not JSON"
	tg_ok
}

tg_check_upstream_faults() {
	tg_fault_case 429 2 200 3 "two throttles then success (retried with backoff)"
	tg_fault_case 503 1 200 2 "503 then success"
	tg_fault_case model_not_ready 1 200 2 "ModelNotReady then success"
	tg_fault_case reset 1 200 2 "connection reset then success"
	tg_fault_case 500 9 500 3 "500 on every attempt: the client sees 500 after 3 attempts"
	tg_fault_case 408 1 408 1 "ModelTimeout is not retried"
	tg_fault_case 400 1 400 1 "a validation error is passed through, not retried"
	tg_fault_case oversized 1 502 1 "an answer over the upstream cap is a 502"
	tg_fault_case truncated 1 502 1 "a truncated answer is a 502"
	tg_fault_case not_json 1 502 1 "a non-JSON answer is a 502"
	tg_expect '[ "$(tg_header x-amzn-ErrorType)" = ServiceUnavailableException ]' "502 error type"
}

# The router's fallback serves when its choice is throttled past retries.
tg_check_router_fallback() {
	local out
	tg_post /model/cheapfirst/converse \
	    "$(tg_converse_body "Write a haiku. [[fault:429 x3 #fb$RANDOM$RANDOM]]")"; out=$TG_OUT
	tg_expect '[ "$TG_STATUS" = 200 ]' "fallback: HTTP $TG_STATUS: $out"
	tg_expect '[ "$(printf %s "$out" | jq -r .trace.promptRouter.invokedModelId)" = amazon.nova-pro-v1:0 ]' \
	    "the fallback model did not answer: $out"
	tg_expect 'tg_header x-tiergate-reason | grep -q "fallback: amazon.nova-micro-v1:0 was throttled"' \
	    "reason does not say why: $(tg_header x-tiergate-reason)"
	tg_ok
}

tg_check_prompt_routers() {
	local out
	out=$(curl -s -H "Authorization: Bearer $TG_KEY" "$TG_URL/prompt-routers")
	tg_expect '[ "$(printf %s "$out" | jq ".promptRouterSummaries | length")" = 4 ]' "ListPromptRouters: $out"
	tg_expect 'printf %s "$out" | jq -e ".promptRouterSummaries[0].promptRouterArn == \"arn:aws:bedrock:us-east-1:123456789012:prompt-router/support\"" >/dev/null' "router ARN"
	out=$(curl -s -H "Authorization: Bearer $TG_KEY" \
	    "$TG_URL/prompt-routers/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aprompt-router%2Fsupport")
	tg_expect 'printf %s "$out" | jq -e ".routingCriteria.responseQualityDifference == 20 and (.models | length) == 2 and .fallbackModel.modelArn == \"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0\"" >/dev/null' \
	    "GetPromptRouter: $out"
	tg_ok
}

# No secret in any log, decision log line or error body of this run.
tg_check_no_secrets() {
	local s f
	for s in "$TG_KEY" "$TG_KEY2" "$TG_SECRET" "$TG_UP_SECRET" "$TG_ADMIN_TOKEN"; do
		for f in "$TG_RUN"/*.log "$TG_RUN"/*.jsonl "$TG_RUN"/*.body; do
			[ -f "$f" ] || continue
			tg_expect '! grep -qF -- "$s" "$f"' "a secret appears in $(basename "$f")"
		done
	done
	tg_ok
}

# The keys file is reloaded when it changes: a new key works within about
# a second; a broken file is rejected and the previous keys keep serving.
tg_check_keys_reload() {
	local new=tg-e2eReloadedKey0000000000000000000000000 n
	cp "$TG_RUN/keys" "$TG_RUN/keys.new"
	printf 'apikey reloaded sha256:%s\n' "$(tg_sha256 "$new")" >>"$TG_RUN/keys.new"
	mv "$TG_RUN/keys.new" "$TG_RUN/keys"
	sleep 1.2
	TG_AUTHZ="Bearer $new" tg_post /model/support/converse "$(tg_converse_body hi)"
	tg_expect '[ "$TG_STATUS" = 200 ]' "a key added to the keys file was refused: HTTP $TG_STATUS"
	n=$(grep -c '^apikey\|^sigv4' "$TG_RUN/keys")
	tg_expect 'grep -q "api keys: reloaded $TG_RUN/keys ($n keys)" "$TG_RUN/tiergate.log"' \
	    "the reload was not logged with the number of keys ($n)"
	tg_expect 'grep -q "api keys: $((n - 1)) keys from $TG_RUN/keys" "$TG_RUN/tiergate.log"' \
	    "the keys loaded at start were not logged with their number"
	printf 'apikey broken not-a-hash\n' >"$TG_RUN/keys.new"
	mv "$TG_RUN/keys.new" "$TG_RUN/keys"
	sleep 1.2
	TG_AUTHZ="Bearer $new" tg_post /model/support/converse "$(tg_converse_body hi)"
	tg_expect '[ "$TG_STATUS" = 200 ]' "a broken keys file replaced the serving keys: HTTP $TG_STATUS"
	tg_expect 'grep -q "previous keys keep serving" "$TG_RUN/tiergate.log"' "the rejected keys file was not logged"
	# A file any local user can write is refused even when it parses: the
	# key appended to it does not authenticate, the previous keys serve.
	local intruder=tg-e2eIntruderKey0000000000000000000000000
	tg_write_keys
	printf 'apikey intruder sha256:%s\n' "$(tg_sha256 "$intruder")" >>"$TG_RUN/keys"
	chmod 666 "$TG_RUN/keys"
	sleep 1.2
	TG_AUTHZ="Bearer $intruder" tg_post /model/support/converse "$(tg_converse_body hi)"
	tg_expect '[ "$TG_STATUS" = 403 ] || [ "$TG_STATUS" = 401 ]' "a key in a mode-0666 keys file was accepted: HTTP $TG_STATUS"
	TG_AUTHZ="Bearer $new" tg_post /model/support/converse "$(tg_converse_body hi)"
	tg_expect '[ "$TG_STATUS" = 200 ]' "the previous keys stopped serving: HTTP $TG_STATUS"
	tg_expect 'grep -q "keys: refused: mode 0666 lets other users change it; run chmod 600" "$TG_RUN/tiergate.log"' \
	    "the mode-0666 keys file was not logged with the fix"
	chmod 600 "$TG_RUN/keys"
	tg_ok
}
