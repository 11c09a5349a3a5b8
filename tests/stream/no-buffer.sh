#!/bin/bash
# ConverseStream frames reach the client while the model is still writing,
# through Apache (mod_proxy_fcgi, flushpackets=on) and lighttpd
# (mod_fastcgi, server.stream-response-body = 2), with the shipped configs
# of packaging/.  The emulator paces the router's models at one frame every
# 60 ms; frame-times.mjs runs `curl --no-buffer` and timestamps each frame.  A
# buffering hop anywhere would deliver every frame at the end at once.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_need jq
tg_init stream
GAP_MS=60

"$NODE" -e '
const [src, dst, gap] = process.argv.slice(1);
const c = JSON.parse(require("fs").readFileSync(src, "utf8"));
for (const m of ["anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0"])
  c.models[m] = { latency_ms: 20, answer_words: 48, chunk_words: 4, chunk_delay_ms: Number(gap) };
require("fs").writeFileSync(dst, JSON.stringify(c));
' "$top_srcdir/tests/bedrock-emulator/config.json" "$TG_RUN/emulator.json" "$GAP_MS"
tg_start_emulator --config "$TG_RUN/emulator.json"
tg_write_config

# check_stream NAME: one ConverseStream through $TG_URL with curl --no-buffer.
check_stream() {
	local name=$1 out first last frames chunks
	out=$(cd "$top_srcdir/tests" && "$NODE" stream/frame-times.mjs \
	    -H "Authorization: Bearer $TG_KEY" -H 'Content-Type: application/json' \
	    --data-binary "$(tg_converse_body "Stream through $name, please.")" \
	    "$TG_URL/model/support/converse-stream") ||
	    tg_fail "$name: the stream did not decode"
	echo "$name: $out"
	first=$(jq -r '.first_frame_ms' <<<"$out")
	last=$(jq -r '.last_byte_ms' <<<"$out")
	frames=$(jq -r '.frames' <<<"$out")
	chunks=$(jq -r '.chunks' <<<"$out")
	tg_expect '[ "$frames" -ge 14 ]' "$name: a whole answer (messageStart, 12 deltas, stop, metadata)"
	tg_expect '[ "$(jq -r ".kinds[0]" <<<"$out")" = messageStart ]' "$name: first frame"
	tg_expect '[ "$(jq -r ".kinds[-1]" <<<"$out")" = metadata ]' "$name: last frame"
	tg_expect 'jq -e ".invoked | startswith(\"anthropic.claude-3\")" <<<"$out" >/dev/null' \
	    "$name: invokedModelId in the metadata event"
	# 12 deltas 60 ms apart: the first frame comes ~660 ms before the end.
	tg_expect 'jq -e "(.last_byte_ms - .first_frame_ms) >= 8 * $GAP_MS" <<<"$out" >/dev/null' \
	    "$name: first frame at ${first} ms, last byte at ${last} ms: buffered"
	tg_expect '[ "$chunks" -ge 8 ]' "$name: frames arrived in $chunks reads, not spread over time"
	tg_ok
}

tg_start_apache
check_stream apache
tg_start_lighttpd
check_stream lighttpd
echo "$TG_CHECKS passed, 0 failed"
