#!/bin/bash
# The router's fallback serves every upstream failure of the chosen model
# (timeout, 408, 5xx, throttling, truncated, oversized or non-JSON bodies,
# connection resets), within the request's deadline, and the reason names
# the failure; the client's own errors (a 400 from Bedrock) do not fall
# back.  x-tiergate-model and the decision log name the model that
# answered, or none.  Attempts are real: what the emulator saw per model
# equals what the decision log says, and never exceeds retries + 1, even
# when libcurl would replay a request on a reset reused connection.
#
# Router "cheapfirst" always chooses amazon.nova-micro-v1:0 and falls back
# to amazon.nova-pro-v1:0; faults are queued per model on the emulator.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_need jq lighttpd
tg_init fallback
# oversized: just over the 4 MiB max_upstream_bytes, quick to build.
jq '.oversized_bytes = 5242880' "$top_srcdir/tests/bedrock-emulator/config.json" >"$TG_RUN/emu.json"
tg_start_emulator --config "$TG_RUN/emu.json"
MICRO=amazon.nova-micro-v1:0
PRO=amazon.nova-pro-v1:0
# One worker thread, so that a request reuses the previous one's connection.
TG_THREADS=1 TG_TIMEOUT_MS=1500 tg_write_config
jq '.upstream += {"retry_cap_ms": 100, "deadline_ms": 2200}' "$TG_RUN/tiergate.json" >"$TG_RUN/t.json" &&
    mv "$TG_RUN/t.json" "$TG_RUN/tiergate.json"
"$TIERGATE" check-config "$TG_RUN/tiergate.json" >/dev/null || tg_fail "config with deadline_ms"
tg_start_lighttpd

fault() {	# MODEL FAULT COUNT
	curl -sf -o /dev/null -X POST "$EMU_URL/_emulator/faults" \
	    -d "{\"model\":\"$1\",\"fault\":\"$2\",\"count\":$3}" || tg_fail "could not queue $2"
}
seen() {	# TAG MODEL: requests the emulator received for them
	curl -s "$EMU_URL/_emulator/log?tag=$1&model=$2" | jq length
}
decision() {	# REQUEST-ID: its decision log line
	local i
	for ((i = 0; i < 40; i++)); do
		grep -F "\"request_id\":\"$1\"" "$TG_RUN/decisions.jsonl" && return
		sleep 0.05
	done
	tg_fail "no decision logged for $1"
}
ask() {	# TAG [PATH]: converse on cheapfirst; sets TG_STATUS, D (decision), MS
	local t0=$(date +%s%N)
	tg_post "${2:-/model/cheapfirst/converse}" "$(tg_converse_body "question [[tag:$1]]")"
	MS=$((($(date +%s%N) - t0) / 1000000))
	D=$(decision "$(tg_header x-amzn-RequestId)")
}

# fallback_case FAULT COUNT REASON-PART UPSTREAM-ERROR: the fault on the
# chosen model, the fallback answers.
fallback_case() {
	local f=$1 why=$3 uerr=$4
	fault "$MICRO" "$1" "$2"
	ask "fb-$f"
	echo "$1: $TG_STATUS in $MS ms: $D"
	tg_expect '[ "$TG_STATUS" = 200 ]' "$1: the fallback answered"
	tg_expect '[ "$(tg_header x-tiergate-model)" = "$PRO" ]' "$1: x-tiergate-model names the fallback"
	tg_expect 'jq -e ".output.message.content[0].text | startswith(\"This is an emulated answer from $PRO\")" <<<"$TG_OUT" >/dev/null' \
	    "$1: the answer is the fallback's"
	tg_expect '[ "$(jq -r .trace.promptRouter.invokedModelId <<<"$TG_OUT")" = "$PRO" ]' "$1: trace names the fallback"
	tg_expect '[ "$(jq -r .model <<<"$D")" = "$PRO" ] && [ "$(jq -r .fallback <<<"$D")" = upstream ]' \
	    "$1: logged as answered by the fallback"
	tg_expect '[ "$(jq -r .upstream_error <<<"$D")" = "$uerr" ]' "$1: upstream_error $4"
	tg_expect 'jq -r .reason <<<"$D" | grep -qF "fallback: $MICRO $why"' "$1: the reason names the failure"
	tg_expect '[ "$(tg_header x-tiergate-reason)" = "$(jq -r .reason <<<"$D")" ]' "$1: same reason in the header"
	tg_expect '[ "$(jq -r .attempts <<<"$D")" = $(($(seen "fb-$f" "$MICRO") + $(seen "fb-$f" "$PRO"))) ]' \
	    "$1: attempts = requests the emulator saw"
	tg_expect '[ "$(seen "fb-$f" "$MICRO")" -le 3 ] && [ "$(seen "fb-$f" "$PRO")" = 1 ]' \
	    "$1: at most retries + 1 requests to the chosen model, one to the fallback"
	tg_ok
}

fallback_case 408 1 "timed out upstream (HTTP 408 ModelTimeoutException)" timeout
fallback_case 500 3 "failed upstream (HTTP 500 InternalServerException)" internal
fallback_case 503 3 "was unavailable upstream (HTTP 503" unavailable
fallback_case 429 3 "was throttled upstream (HTTP 429 ThrottlingException)" throttled
fallback_case truncated 1 "sent a truncated response" bad_response
fallback_case oversized 1 "sent more than max_upstream_bytes" bad_response
fallback_case not_json 1 "sent a response that is not JSON" bad_response
fallback_case reset 3 "could not be reached upstream" connect
fallback_case slow_headers 1 "timed out upstream" timeout
tg_expect '[ "$(seen fb-slow_headers "$MICRO")" = 1 ]' "timeout: not retried"
tg_expect '[ "$MS" -lt 2900 ]' "timeout: the fallback answered within the 2.2 s deadline ($MS ms)"
tg_ok

# Streams: failures before the first byte fall back the same way.
fault "$MICRO" not_json 1
ask fb-stream-html /model/cheapfirst/converse-stream
echo "stream not_json: $TG_STATUS: $D"
tg_expect '[ "$TG_STATUS" = 200 ] && [ "$(tg_header x-tiergate-model)" = "$PRO" ]' "stream not_json: the fallback streams"
tg_expect 'jq -r .reason <<<"$D" | grep -qF "fallback: $MICRO sent a response that is not an event stream"' \
    "stream not_json: the reason names the failure"
tg_expect '[ "$(jq -r .interrupted <<<"$D")" = false ] && [ "$(jq -r .output_tokens <<<"$D")" -gt 0 ]' \
    "stream not_json: the fallback's stream is whole"
tg_ok
fault "$MICRO" slow_headers 1
ask fb-stream-slow /model/cheapfirst/converse-stream
echo "stream slow_headers: $TG_STATUS in $MS ms: $D"
tg_expect '[ "$TG_STATUS" = 200 ] && [ "$(jq -r .model <<<"$D")" = "$PRO" ]' "stream stall before the first byte: fallback"
tg_expect 'jq -r .reason <<<"$D" | grep -qF "fallback: $MICRO timed out upstream"' "stream stall: reason"
tg_ok

# A stream that begins with a throttlingException frame: nothing reached
# the client, so it is retried and falls back like a 429; when every
# attempt of both models gets one, the client gets that frame.
fault "$MICRO" stream_throttled 3
ask fb-stream-throttled /model/cheapfirst/converse-stream
echo "stream throttled: $TG_STATUS: $(jq -c '{model, reason, attempts}' <<<"$D")"
tg_expect '[ "$TG_STATUS" = 200 ] && [ "$(jq -r .model <<<"$D")" = "$PRO" ]' "stream throttled: the fallback streams"
tg_expect 'jq -r .reason <<<"$D" | grep -qF "fallback: $MICRO was throttled upstream (throttlingException in the stream)"' \
    "stream throttled: the reason names the in-stream exception"
tg_expect '[ "$(seen fb-stream-throttled "$MICRO")" = 3 ] && [ "$(jq -r .attempts <<<"$D")" = 4 ]' \
    "stream throttled: retried like a 429, then the fallback"
tg_ok
fault "*" stream_throttled 6
out=$(cd "$top_srcdir/tests" && "$NODE" stream/frame-times.mjs -H "Authorization: Bearer $TG_KEY" \
    -H 'Content-Type: application/json' --data-binary "$(tg_converse_body "both [[tag:fb-st-both]]")" \
    "$TG_URL/model/cheapfirst/converse-stream") || tg_fail "stream throttled twice: not an event stream"
D=$(tail -n 1 "$TG_RUN/decisions.jsonl")
echo "stream throttled, both models: $(jq -c .kinds <<<"$out"): $(jq -c '{model, upstream_error, attempts}' <<<"$D")"
tg_expect '[ "$(jq -c .kinds <<<"$out")" = "[\"!throttlingException\"]" ]' \
    "stream throttled, both models: the exception frame is the stream"
tg_expect '[ "$(jq -r .upstream_error <<<"$D")" = throttled ] && [ "$(jq -r .attempts <<<"$D")" = 6 ]' \
    "stream throttled, both models: logged as throttled after 3 + 3 attempts"
tg_ok

# InvokeModel (native body) shares the path.
fault "$MICRO" truncated 1
tg_post /model/cheapfirst/invoke '{"messages":[{"role":"user","content":[{"text":"native [[tag:fb-invoke]]"}]}]}'
D=$(decision "$(tg_header x-amzn-RequestId)")
echo "invoke truncated: $TG_STATUS: $(jq -c '{model, reason}' <<<"$D")"
tg_expect '[ "$TG_STATUS" = 200 ] && [ "$(tg_header x-tiergate-model)" = "$PRO" ]' "invoke: the fallback answered"
tg_expect '[ "$(jq -r '"'"'."amazon-bedrock-trace".promptRouter.invokedModelId'"'"' <<<"$TG_OUT")" = "$PRO" ]' \
    "invoke: the native answer names the fallback"
tg_expect 'jq -r .reason <<<"$D" | grep -qF "fallback: $MICRO sent a truncated response"' "invoke: reason"
tg_ok

# The client's own error: no fallback, no model.
fault "$MICRO" 400 1
ask fb-400
echo "400: $TG_STATUS: $D"
tg_expect '[ "$TG_STATUS" = 400 ] && [ "$(tg_header x-amzn-ErrorType)" = ValidationException ]' "400: relayed"
tg_expect '[ -z "$(tg_header x-tiergate-model)" ] && [ "$(jq -r .model <<<"$D")" = null ]' "400: no model answered"
tg_expect '[ "$(seen fb-400 "$PRO")" = 0 ] && [ "$(jq -r .fallback <<<"$D")" = null ]' "400: the fallback was not called"
tg_ok

# Both fail: the error names no model, in Bedrock's shape.
fault "$MICRO" not_json 1
fault "$PRO" not_json 1
ask fb-both
echo "both not_json: $TG_STATUS: $D"
tg_expect '[ "$TG_STATUS" = 502 ] && jq -e .message <<<"$TG_OUT" >/dev/null' "both: 502 with a message"
tg_expect '[ -n "$(tg_header x-amzn-ErrorType)" ]' "both: x-amzn-ErrorType"
tg_expect '[ -z "$(tg_header x-tiergate-model)" ]' "both: no x-tiergate-model"
tg_expect '[ "$(jq -r .model <<<"$D")" = null ] && [ "$(jq -r .status <<<"$D")" = 502 ]' "both: logged with no model"
tg_expect '[ "$(jq -r .attempts <<<"$D")" = 2 ]' "both: two attempts"
tg_ok

# Both too slow: 504 at the deadline (2.2 s), not after two full timeouts
# plus retries.
fault "$MICRO" slow_headers 1
fault "$PRO" slow_headers 1
ask fb-deadline
echo "both slow: $TG_STATUS in $MS ms: $D"
tg_expect '[ "$TG_STATUS" = 504 ] && [ "$(tg_header x-amzn-ErrorType)" = ModelTimeoutException ]' "deadline: 504"
tg_expect '[ "$MS" -ge 2100 ] && [ "$MS" -lt 2900 ]' "deadline: given up at the 2.2 s deadline, not after two 1.5 s timeouts ($MS ms)"
tg_expect '[ "$(jq -r .model <<<"$D")" = null ]' "deadline: no model answered"
tg_ok

# libcurl's replays count.  A reset of the reused connection (the previous
# request left it open): libcurl sends the request again by itself.
P=/model/$MICRO/converse
ask warm "$P"
tg_expect '[ "$TG_STATUS" = 200 ]' "warm-up"
tg_post "$P" "$(tg_converse_body "replay [[fault:reset #rp1]] [[tag:rp1]]")"
D=$(decision "$(tg_header x-amzn-RequestId)")
echo "replay: $TG_STATUS: $D; emulator saw $(seen rp1 "$MICRO")"
tg_expect '[ "$TG_STATUS" = 200 ]' "replay: answered"
tg_expect '[ "$(seen rp1 "$MICRO")" = 2 ] && [ "$(jq -r .attempts <<<"$D")" = 2 ]' \
    "replay: the emulator saw 2 requests and the log says 2 attempts"
tg_ok
# Two 500s, then a reset of the reused connection: the third request is
# the last one retries: 2 allows; libcurl may not send a fourth.
tg_post "$P" "$(tg_converse_body "replay [[fault:500 x2 #rp2]] [[fault:reset #rp2b]] [[tag:rp2]]")"
D=$(decision "$(tg_header x-amzn-RequestId)")
echo "replay budget: $TG_STATUS: $D; emulator saw $(seen rp2 "$MICRO")"
tg_expect '[ "$(seen rp2 "$MICRO")" = 3 ]' "replay budget: 3 requests reached the emulator, not 4"
tg_expect '[ "$(jq -r .attempts <<<"$D")" = 3 ]' "replay budget: attempts 3"
tg_expect '[ "$TG_STATUS" = 502 ] && [ "$(jq -r .upstream_error <<<"$D")" = connect ]' "replay budget: the reset is the answer"
tg_ok
echo "$TG_CHECKS passed, 0 failed"
