#!/bin/bash
# Streams are bounded like answers: max_upstream_bytes counts streamed
# bytes, upstream.stream_max_seconds bounds a stream's length, a stall of
# timeout_ms cuts it; each fires on time (the measured lateness is
# printed; the product aims at a few ms, the assertions allow a loaded
# machine 400 ms) and ends the client's stream with an exception frame.
# A stream cut short is logged as interrupted, with the tokens relayed so
# far (estimated from the text relayed when the usage frame never came);
# a whole stream is not.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_need jq lighttpd
tg_init stream-limits
# slow_ms: the stall of stream_stall, longer than timeout_ms; an oversized
# answer of 8 MiB.
jq '.slow_ms = 8000 | .oversized_bytes = 8388608' "$top_srcdir/tests/bedrock-emulator/config.json" >"$TG_RUN/emu.json"
tg_start_emulator --config "$TG_RUN/emu.json"
TG_TIMEOUT_MS=2500 tg_write_config
jq '.upstream += {"stream_max_seconds": 4}' "$TG_RUN/tiergate.json" >"$TG_RUN/t.json" &&
    mv "$TG_RUN/t.json" "$TG_RUN/tiergate.json"
"$TIERGATE" check-config "$TG_RUN/tiergate.json" >/dev/null || tg_fail "config with stream_max_seconds"
tg_start_lighttpd
MICRO=amazon.nova-micro-v1:0
CAP=$(jq .limits.max_upstream_bytes "$TG_RUN/tiergate.json")

stream() {	# TEXT [API]: frames the client received (frame-times.mjs)
	local api=${2:-converse-stream} body
	body=$(tg_converse_body "$1")
	(cd "$top_srcdir/tests" && "$NODE" stream/frame-times.mjs \
	    -H "Authorization: Bearer $TG_KEY" -H 'Content-Type: application/json' \
	    --data-binary "$body" "$TG_URL/model/$MICRO/$api")
}
decision() {	# the decision line of the last stream (the log's line EXPECT_LINES)
	local i
	for ((i = 0; i < 60; i++)); do
		[ "$(wc -l <"$TG_RUN/decisions.jsonl")" -ge "$EXPECT_LINES" ] && break
		sleep 0.05
	done
	sed -n "${EXPECT_LINES}p" "$TG_RUN/decisions.jsonl"
}
EXPECT_LINES=0
next() { EXPECT_LINES=$((EXPECT_LINES + 1)); }

# A whole stream: not interrupted, the usage frame's tokens.
next
out=$(stream "whole [[tag:lim-whole]]") || tg_fail "whole: the stream did not decode"
D=$(decision)
echo "whole: $(jq -c '{frames, last: .kinds[-1]}' <<<"$out"); $(jq -c '{interrupted, output_tokens, upstream_error}' <<<"$D")"
tg_expect '[ "$(jq -r ".kinds[-1]" <<<"$out")" = metadata ]' "whole: ends with metadata"
tg_expect '[ "$(jq -r .interrupted <<<"$D")" = false ] && [ "$(jq -r .upstream_error <<<"$D")" = null ]' "whole: not interrupted"
tg_expect '[ "$(jq -r .output_tokens <<<"$D")" -gt 0 ]' "whole: usage logged"
tg_ok

# 8 MiB streamed under a 4 MiB cap: cut at the cap.
next
out=$(stream "big [[fault:oversized #lim-big]]") || tg_fail "oversized: the stream did not decode"
D=$(decision)
echo "oversized: $(jq -c '{frames, bytes, last: .kinds[-1]}' <<<"$out"); $(jq -c '{interrupted, output_tokens, upstream_error}' <<<"$D")"
tg_expect '[ "$(jq -r .bytes <<<"$out")" -le "$CAP" ]' "oversized: no more than max_upstream_bytes relayed"
tg_expect '[ "$(jq -r .bytes <<<"$out")" -gt $((CAP / 2)) ]' "oversized: relayed up to the cap"
tg_expect '[ "$(jq -r ".kinds[-1]" <<<"$out")" = "!modelStreamErrorException" ]' "oversized: ends with an exception frame"
tg_expect '[ "$(jq -r .interrupted <<<"$D")" = true ] && [ "$(jq -r .upstream_error <<<"$D")" = bad_response ]' \
    "oversized: logged as interrupted, bad_response"
# The text relayed is nearly all of the bytes; 4 characters a token.
tg_expect '[ "$(jq -r .output_tokens <<<"$D")" -gt $(($(jq -r .bytes <<<"$out") / 4 * 9 / 10)) ] &&
    [ "$(jq -r .output_tokens <<<"$D")" -le $(($(jq -r .bytes <<<"$out") / 4)) ]' \
    "oversized: output tokens estimated from the text relayed"
tg_expect 'grep -q "exceeded the gateway limit of $CAP bytes" "$TG_RUN/tiergate.log"' "oversized: logged"
tg_ok

# A stream longer than stream_max_seconds (4 s): cut at 4 s.
next
out=$(stream "long [[words:20000]] [[tag:lim-long]]") || tg_fail "long: the stream did not decode"
D=$(decision)
late=$(jq -r '.last_byte_ms - 4000 | floor' <<<"$out")
echo "long: $(jq -c '{frames, last: .kinds[-1], last_byte_ms}' <<<"$out") (${late} ms after the deadline); $(jq -c '{interrupted, output_tokens, upstream_error}' <<<"$D")"
tg_expect '[ "$(jq -r ".kinds[-1]" <<<"$out")" = "!modelStreamErrorException" ]' "long: ends with an exception frame"
tg_expect '[ "$late" -ge -20 ] && [ "$late" -lt 400 ]' "long: cut at the deadline (${late} ms late)"
tg_expect '[ "$(jq -r .interrupted <<<"$D")" = true ] && [ "$(jq -r .upstream_error <<<"$D")" = timeout ]' \
    "long: logged as interrupted, timeout"
tg_expect '[ "$(jq -r .output_tokens <<<"$D")" -gt 100 ]' "long: the tokens relayed are logged"
tg_ok

# A stall of more than timeout_ms (2.5 s) in the middle: cut 2.5 s after
# the last frame.  Measured at the client, between the last frame and the
# exception: a loaded machine can deliver the last frame late, which
# shortens the gap, hence the wide lower bound.
next
out=$(stream "stall [[fault:stream_stall #lim-stall]]") || tg_fail "stall: the stream did not decode"
D=$(decision)
late=$(jq -r '.frame_ms[-1] - .frame_ms[-2] - 2500' <<<"$out")
echo "stall: $(jq -c '{frames, last: .kinds[-1], frame_ms: .frame_ms[-3:]}' <<<"$out") (${late} ms late); $(jq -c '{interrupted, output_tokens, upstream_error}' <<<"$D")"
tg_expect '[ "$(jq -r ".kinds[-1]" <<<"$out")" = "!modelStreamErrorException" ]' "stall: ends with an exception frame"
tg_expect '[ "$late" -ge -500 ] && [ "$late" -lt 400 ]' "stall: cut timeout_ms after the last frame (${late} ms late)"
tg_expect '[ "$(jq -r .interrupted <<<"$D")" = true ] && [ "$(jq -r .output_tokens <<<"$D")" -gt 0 ]' \
    "stall: interrupted, the tokens relayed logged"
tg_ok

# InvokeModel stream cut by a reset: tokens from the native chunks relayed.
next
body='{"messages":[{"role":"user","content":[{"text":"native [[fault:stream_reset #lim-inv]]"}]}]}'
out=$(cd "$top_srcdir/tests" && "$NODE" stream/frame-times.mjs -H "Authorization: Bearer $TG_KEY" \
    -H 'Content-Type: application/json' --data-binary "$body" \
    "$TG_URL/model/$MICRO/invoke-with-response-stream") || tg_fail "invoke: the stream did not decode"
D=$(decision)
echo "invoke reset: $(jq -c '{frames, last: .kinds[-1]}' <<<"$out"); $(jq -c '{interrupted, output_tokens, upstream_error}' <<<"$D")"
tg_expect '[ "$(jq -r ".kinds[-1]" <<<"$out")" = "!serviceUnavailableException" ] ||
    [ "$(jq -r ".kinds[-1]" <<<"$out")" = "!modelStreamErrorException" ]' "invoke: ends with an exception frame"
tg_expect '[ "$(jq -r .interrupted <<<"$D")" = true ] && [ "$(jq -r .output_tokens <<<"$D")" -gt 0 ]' \
    "invoke: interrupted, the tokens of the chunks relayed logged"
tg_ok
echo "$TG_CHECKS passed, 0 failed"
