#!/bin/bash
# Exact accounting under SIGKILL, end to end: clients send Converse and
# ConverseStream requests concurrently through lighttpd while the tiergate
# process is SIGKILLed again and again (lighttpd respawns it; each new
# process finishes its dead predecessors' journals before serving).  Every
# answer a client received from tiergate (its x-amzn-RequestId arrived:
# the first byte left) must be in the decision log and in the counters,
# and nothing else: the sets of request ids are equal, and the lifetime
# request counter equals their number.  Streams cut by a kill are logged
# as interrupted.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_need jq lighttpd
tg_init kill-lighttpd
tg_start_emulator
TG_THREADS=8 tg_write_config
tg_start_lighttpd
CLIENTS=6
SECONDS_OF_LOAD=${TG_KILL_SECONDS:-8}

# client N: requests until $TG_RUN/stop exists; one line per answer
# received ("converse ID" or "stream ID rc"), in $TG_RUN/got.N.
client() {
	local n=$1 i=0 api id rc
	while [ ! -e "$TG_RUN/stop" ]; do
		i=$((i + 1))
		if ((i % 2)); then api=converse; else api=converse-stream; fi
		rc=0
		curl -s -o /dev/null -D "$TG_RUN/h.$n" --max-time 20 \
		    -H "Authorization: Bearer $TG_KEY" -H 'Content-Type: application/json' \
		    --data-binary "$(tg_converse_body "client $n request $i [[words:300]]")" \
		    "$TG_URL/model/support/$api" || rc=$?
		id=$(tr -d '\r' <"$TG_RUN/h.$n" | sed -n 's/^x-amzn-RequestId: //Ip' | head -1)
		[ -n "$id" ] && echo "$api $id $rc" >>"$TG_RUN/got.$n"
	done
}

tiergate_pids() {	# the tiergate processes lighttpd spawned
	pgrep -P "$(cat "$TG_RUN/lighttpd.pid")" -x tiergate || true
}

CLIENT_PIDS=()
for ((c = 0; c < CLIENTS; c++)); do
	client "$c" &
	CLIENT_PIDS+=($!)
	TG_PIDS+=($!)
done
kills=0
end=$((SECONDS + SECONDS_OF_LOAD))
while [ $SECONDS -lt $end ]; do
	sleep "0.$((RANDOM % 5 + 2))"
	for p in $(tiergate_pids); do
		kill -9 "$p" 2>/dev/null && kills=$((kills + 1))
	done
done
touch "$TG_RUN/stop"
wait "${CLIENT_PIDS[@]}"
# A process started after the last kill has recovered every journal once
# it answers.
for ((i = 0; i < 100; i++)); do
	tg_post /model/support/converse "$(tg_converse_body 'after the kills')"
	[ "$TG_STATUS" = 200 ] && break
	sleep 0.1
done
tg_expect '[ "$TG_STATUS" = 200 ]' "tiergate serves again after the kills"
echo "converse $(tg_header x-amzn-RequestId) 0" >>"$TG_RUN/got.final"

cat "$TG_RUN"/got.* >"$TG_RUN/got"
cut -d' ' -f2 "$TG_RUN/got" | sort >"$TG_RUN/got.ids"
jq -r .request_id "$TG_RUN/decisions.jsonl" | sort >"$TG_RUN/log.ids"
counted=$("$TIERGATE" stats show --stats "$TG_RUN/stats.bin" --metrics |
    awk '/^tiergate_requests_total[{ ]/ { n += $NF } END { printf "%d", n }')
received=$(wc -l <"$TG_RUN/got.ids")
cut=$(awk '$1 == "converse-stream" && $3 != 0' "$TG_RUN/got" | wc -l)
interrupted=$(jq -c 'select(.interrupted)' "$TG_RUN/decisions.jsonl" | wc -l)
recovered=$(grep -h "from their journals" "$TG_RUN/tiergate.log" |
    sed -n 's/.*recorded \([0-9]*\) answer.*/\1/p' | awk '{ n += $1 } END { printf "%d", n }')
echo "$kills kills; $received answers received ($cut streams cut), $(wc -l <"$TG_RUN/log.ids") logged" \
    "($interrupted interrupted), $counted counted; $recovered recorded from journals"
tg_expect '[ "$kills" -ge 5 ]' "the workers were killed ($kills times)"
tg_expect '[ "$received" -ge 20 ]' "answers were received under the kills ($received)"
tg_expect '[ -z "$(sort "$TG_RUN/got.ids" | uniq -d)" ]' "request ids are unique"
tg_expect 'diff "$TG_RUN/got.ids" "$TG_RUN/log.ids" || { grep -h -f <(diff "$TG_RUN/got.ids" \
    "$TG_RUN/log.ids" | sed -n "s/^[<>] //p") "$TG_RUN"/got.*; false; }' \
    "the decision log holds exactly the answers received (< received only, > logged only)"
tg_expect '[ "$counted" = "$received" ]' "the counters count exactly the answers received ($counted, $received)"
tg_expect '[ "$cut" -eq 0 ] || [ "$interrupted" -ge 1 ]' "streams cut by a kill are logged as interrupted"
tg_expect '[ "$interrupted" -eq 0 ] ||
    [ "$(jq -c "select(.interrupted and .output_tokens > 0)" "$TG_RUN/decisions.jsonl" | wc -l)" -ge 1 ]' \
    "interrupted streams are logged with the tokens relayed before the kill"
tg_expect '[ "$recovered" -ge 1 ]' "answers in flight at a kill were recorded from the journals"
tg_expect '[ "$(ls "$TG_RUN" | grep -c "^stats.bin.journal.[0-9]*$")" = 1 ]' \
    "dead journals are removed: only the live process's is left"
tg_ok
echo "$TG_CHECKS passed, 0 failed"
