#!/bin/bash
# "stream": true on /v1/chat/completions gets the limits of every relayed
# stream (tests/stream/limits.sh, tests/e2e/fallback.sh): an exception
# frame before the first chunk is the call's failure, so the router's
# fallback serves; max_upstream_bytes counts streamed bytes and
# upstream.stream_max_seconds bounds the stream, each ending the client's
# stream with an error event (no [DONE]); a stream cut short is logged as
# interrupted with the tokens relayed so far.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_need jq lighttpd curl
tg_init openai-stream-limits
jq '.oversized_bytes = 8388608' "$top_srcdir/tests/bedrock-emulator/config.json" >"$TG_RUN/emu.json"
tg_start_emulator --config "$TG_RUN/emu.json"
TG_TIMEOUT_MS=2500 tg_write_config
jq '.upstream += {"stream_max_seconds": 4}' "$TG_RUN/tiergate.json" >"$TG_RUN/t.json" &&
    mv "$TG_RUN/t.json" "$TG_RUN/tiergate.json"
tg_start_lighttpd
MICRO=amazon.nova-micro-v1:0
PRO=amazon.nova-pro-v1:0

fault() {	# MODEL FAULT COUNT
	curl -sf -o /dev/null -X POST "$EMU_URL/_emulator/faults" \
	    -d "{\"model\":\"$1\",\"fault\":\"$2\",\"count\":$3}" || tg_fail "could not queue $2"
}
chat() {	# MODEL TEXT: the SSE body in $OUT, the decision line in $D, $MS
	local t0=$(date +%s%N) body id
	body=$(jq -nc --arg m "$1" --arg t "$2" \
	    '{model: $m, stream: true, messages: [{role: "user", content: $t}]}')
	curl -sN -D "$TG_RUN/h" -o "$TG_RUN/sse" -H "Authorization: Bearer $TG_KEY" \
	    -H 'Content-Type: application/json' --data-binary "$body" \
	    "$TG_URL/v1/chat/completions"
	MS=$((($(date +%s%N) - t0) / 1000000))
	OUT=$(cat "$TG_RUN/sse")
	id=$(tr -d '\r' <"$TG_RUN/h" | sed -n 's/^x-amzn-RequestId: //Ip')
	for ((i = 0; i < 60; i++)); do
		D=$(grep -F "\"request_id\":\"$id\"" "$TG_RUN/decisions.jsonl") && return
		sleep 0.05
	done
	tg_fail "no decision logged for $id"
}
last_event() { grep '^data: ' <<<"$OUT" | tail -n 1 | sed 's/^data: //'; }

# An exception frame first: retried, then the fallback streams.
fault "$MICRO" stream_throttled 3
chat cheapfirst "question [[tag:oa-st-throttled]]"
echo "throttled: $(jq -c '{model, reason, attempts}' <<<"$D")"
tg_expect '[ "$(last_event)" = "[DONE]" ] && [ "$(jq -r .model <<<"$D")" = "$PRO" ]' \
    "throttled: the fallback streams to the end"
tg_expect 'jq -r .reason <<<"$D" | grep -qF "fallback: $MICRO was throttled upstream (throttlingException in the stream)"' \
    "throttled: the reason names the in-stream exception"
tg_expect '[ "$(jq -r .attempts <<<"$D")" = 4 ]' "throttled: 3 attempts, then the fallback"
tg_ok

# 8 MiB streamed under the 4 MiB cap: cut, an error event, interrupted.
chat "$MICRO" "big [[fault:oversized #oa-big]]"
echo "oversized: $(wc -c <"$TG_RUN/sse") bytes; $(jq -c '{interrupted, output_tokens, upstream_error}' <<<"$D")"
tg_expect 'last_event | jq -e .error.code >/dev/null' "oversized: ends with an error event"
tg_expect '[ "$(jq -r .interrupted <<<"$D")" = true ] && [ "$(jq -r .upstream_error <<<"$D")" = bad_response ]' \
    "oversized: logged as interrupted, bad_response"
tg_expect '[ "$(jq -r .output_tokens <<<"$D")" -gt 100000 ]' "oversized: the tokens relayed are logged"
tg_ok

# Longer than stream_max_seconds (4 s): cut at 4 s.
chat "$MICRO" "long [[words:20000]] [[tag:oa-long]]"
echo "long: ${MS} ms; $(jq -c '{interrupted, output_tokens, upstream_error}' <<<"$D")"
tg_expect 'last_event | jq -e .error.code >/dev/null' "long: ends with an error event"
tg_expect '[ "$MS" -ge 3980 ] && [ "$MS" -lt 5000 ]' "long: cut at the deadline (${MS} ms)"
tg_expect '[ "$(jq -r .interrupted <<<"$D")" = true ] && [ "$(jq -r .upstream_error <<<"$D")" = timeout ]' \
    "long: logged as interrupted, timeout"
tg_expect '[ "$(jq -r .output_tokens <<<"$D")" -gt 100 ]' "long: the tokens relayed are logged"
tg_ok
echo "$TG_CHECKS passed, 0 failed"
