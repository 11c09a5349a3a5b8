#!/bin/bash
# Mid-stream failures the Bedrock emulator cannot produce, against a broken
# upstream (bad-upstream.mjs) through lighttpd: a frame with a bad CRC, an
# upstream exception frame, and a stream cut by the upstream timeout.  The
# client must get every good frame, then one exception frame as Bedrock
# sends them, CRC-valid; the decision log must say what happened.  A stream
# that lasts longer than the upstream timeout but keeps sending is relayed
# to its end: the timeout applies to a stall, not to the stream's length.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_need jq lighttpd
tg_init upstream-errors
"$NODE" "$top_srcdir/tests/stream/bad-upstream.mjs" >"$TG_RUN/bad-upstream.log" 2>&1 &
TG_PIDS+=($!)
for ((i = 0; i < 100; i++)); do
	EMU_PORT=$(sed -n 's/^bad-upstream listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$TG_RUN/bad-upstream.log")
	[ -n "$EMU_PORT" ] && break
	sleep 0.05
done
[ -n "$EMU_PORT" ] || tg_fail "bad-upstream did not start"
EMU_URL=http://127.0.0.1:$EMU_PORT
TG_TIMEOUT_MS=1500 tg_write_config
tg_start_lighttpd

# stream MODE: the frames a client receives, as frame-times.mjs reports them.
stream() {
	(cd "$top_srcdir/tests" && "$NODE" stream/frame-times.mjs \
	    -H "Authorization: Bearer $TG_KEY" -H 'Content-Type: application/json' \
	    --data-binary "$(tg_converse_body "$1 please")" \
	    "$TG_URL/model/support/converse-stream")
}

# decision: the last decision log line (written when the stream ended).
decision() { sleep 0.3; tail -n 1 "$TG_RUN/decisions.jsonl"; }

out=$(stream crc) || tg_fail "crc: the client stream did not decode (CRCs checked)"
echo "crc: $out"
tg_expect '[ "$(jq -c .kinds <<<"$out")" = "[\"messageStart\",\"!internalServerException\"]" ]' \
    "crc: the good frame, then internalServerException, nothing after the bad frame"
tg_expect '[ "$(decision | jq -r .upstream_error)" = bad_response ]' "crc: recorded"
tg_expect 'grep -q "could not be decoded: .*CRC" "$TG_RUN/tiergate.log"' "crc: logged"
tg_ok

out=$(stream exception) || tg_fail "exception: the client stream did not decode"
echo "exception: $out"
tg_expect '[ "$(jq -c .kinds <<<"$out")" = "[\"!throttlingException\"]" ]' \
    "exception: the upstream exception frame relayed as is"
tg_expect '[ "$(decision | jq -r .upstream_error)" = throttled ]' "exception: recorded as throttled"
tg_ok

out=$(stream slow) || tg_fail "slow: the client stream did not decode"
echo "slow: $out"
tg_expect '[ "$(jq -r .frames <<<"$out")" = 21 ]' "slow: 6 s of frames 300 ms apart relayed to the end"
tg_expect '[ "$(jq -r ".kinds[-1]" <<<"$out")" = contentBlockDelta ]' "slow: no exception"
tg_ok

out=$(stream stall) || tg_fail "stall: the client stream did not decode"
echo "stall: $out"
tg_expect '[ "$(jq -r ".kinds[-1]" <<<"$out")" = "!modelStreamErrorException" ]' \
    "stall: cut after 1.5 s of silence with modelStreamErrorException"
tg_expect '[ "$(jq -r .frames <<<"$out")" -ge 5 ]' "stall: the frames before the stall were relayed"
tg_expect '[ "$(jq -r .last_byte_ms <<<"$out" | cut -d. -f1)" -lt 5000 ]' "stall: cut before the upstream resumed"
tg_expect '[ "$(decision | jq -r .upstream_error)" = timeout ]' "stall: recorded as timeout"
tg_ok
echo "$TG_CHECKS passed, 0 failed"
