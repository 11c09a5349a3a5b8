#!/bin/bash
# bench-gateway.sh - throughput and latency of lighttpd -> tiergate ->
# Bedrock emulator against wrk straight to the same emulator, in one run.
# Not part of `make check`: run it by hand from a build tree, e.g.
#   top_srcdir=/path/to/src top_builddir=$PWD tests/bench/bench-gateway.sh
# (or TIERGATE=/path/to/tiergate).  Everything listens on 127.0.0.1 and is
# stopped on exit (tests/e2e/lib.sh).  Exit 77 when node, its modules,
# lighttpd or wrk are missing, 1 when the stack does not come up or a run
# has errors.
#
# Per upstream authentication mode (BENCH_AUTH, default "sigv4 bearer"):
#   sigv4   tiergate signs every upstream call with SigV4 (the production
#           path); the direct run sends a request pre-signed with AWS's
#           JavaScript signer, so the emulator verifies a SigV4 signature
#           (~1 ms of its CPU) on both paths;
#   bearer  tiergate and the direct run both use the emulator's Bedrock API
#           key (Authorization: Bearer), the cheapest check for the emulator.
# and per load (a loaded run, BENCH_CONNS connections for BENCH_DURATION s,
# and a light run, 1 connection for BENCH_LIGHT_DURATION s; BENCH_ROUNDS
# rounds of each, the targets' order rotated every round) three targets:
#   direct       POST /model/<haiku>/converse at the emulator
#   router       POST /model/support/converse through lighttpd + tiergate
#                (predictor + Lua policy; the prompt is routed to haiku)
#   passthrough  POST /model/<haiku>/converse through lighttpd + tiergate
#   chat         POST /v1/chat/completions through lighttpd + tiergate, the
#                same request in OpenAI's shape, model "support": the
#                router path plus the Chat Completions translation
# The light runs give the latency tiergate adds (p50 difference); the
# loaded runs the throughput ratio.  Every answer's x-tiergate-overhead-us
# header is collected by the wrk script (tests/bench/wrk/converse.lua).
#
# Figures are the median over the rounds (counts are summed).
#
# Environment: BENCH_DURATION (5), BENCH_LIGHT_DURATION (3), BENCH_ROUNDS
# (3), BENCH_CONNS (64), BENCH_WRK_THREADS (2), BENCH_AUTH ("sigv4 bearer"),
# TG_THREADS (64), BENCH_PERF (1: profile one more loaded router run with
# perf when perf works; 0: do not), BENCH_OUT_DIR (keep the key=value
# results of every run there).  About 3½ minutes with the defaults.
#
# The machine's cores are shared by wrk, lighttpd, tiergate and node: the
# absolute numbers depend on the machine and its load; compare ratios.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
tg_need node lighttpd wrk
tg_init bench-gateway

: "${BENCH_DURATION:=5}" "${BENCH_CONNS:=64}" "${BENCH_WRK_THREADS:=2}"
: "${BENCH_LIGHT_DURATION:=3}" "${BENCH_AUTH:=sigv4 bearer}" "${BENCH_ROUNDS:=3}"
export TG_THREADS=${TG_THREADS:-64}
LUA=$top_srcdir/tests/bench/wrk/converse.lua
HAIKU=anthropic.claude-3-haiku-20240307-v1:0
HAIKU_PATH=/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse
BEARER=ABSKtiergate-test-bearer-token
# A short factual question: the default policy keeps it on haiku, the
# cheaper candidate, so all three targets get the same upstream answer.
BODY=$(tg_converse_body "What is the capital of France? Answer in one word.")
CHAT_BODY='{"model":"support","messages":[{"role":"user","content":"What is the capital of France? Answer in one word."}]}'
HZ=$(getconf CLK_TCK)
FAILS=()

[ -f "$LUA" ] || tg_fail "missing $LUA"

# ---- helpers -------------------------------------------------------------

kv() { sed -n "s/^$1=//p" "$2" | head -1; }	# KEY FILE

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Whole machine: busy and total jiffies.
sys_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }

req_file() {	# FILE PATH HEADER... : a BENCH_REQ file with $BODY
	local f=$1 path=$2 h; shift 2
	{
		echo "$path"
		for h in "$@"; do echo "$h"; done
		echo
		printf %s "$BODY"
	} >"$f"
}

# A Converse request to the emulator signed with @smithy/signature-v4 as the
# AWS SDK signs it (x-amz-date now; the emulator allows 5 minutes of skew,
# so sign right before the run).
presign() {	# FILE
	local kit="$top_srcdir/tests/bedrock-emulator/testkit.mjs"
	(cd "$top_srcdir/tests" && BODY="$BODY" "$NODE" --no-warnings --input-type=module -e "
import { signed } from '$kit';
const s = await signed($EMU_PORT, '$HAIKU', 'converse', process.env.BODY);
const lines = [s.path];
for (const [k, v] of Object.entries(s.headers)) lines.push(k + ': ' + v);
process.stdout.write(lines.join('\n') + '\n\n' + s.body);
") >"$1" || tg_fail "could not pre-sign the direct request"
}

upstream_mode() {	# sigv4|bearer: tiergate's upstream credentials
	if [ "$1" = bearer ]; then
		tg_upstream_env() {
			export AWS_BEARER_TOKEN_BEDROCK=$BEARER
			unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
		}
		sed -i 's/"source": "[a-z]*"/"source": "bearer"/' "$TG_RUN/tiergate.json"
	else
		tg_upstream_env() {
			export AWS_ACCESS_KEY_ID=$TG_UP_AKID AWS_SECRET_ACCESS_KEY=$TG_UP_SECRET
			unset AWS_SESSION_TOKEN AWS_BEARER_TOKEN_BEDROCK AWS_PROFILE
		}
		sed -i 's/"source": "[a-z]*"/"source": "env"/' "$TG_RUN/tiergate.json"
	fi
}

stop_lighttpd() {
	local pid
	pid=$(cat "$TG_RUN/lighttpd.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ -z "$TG_TIERGATE_PID" ] || while kill -0 "$TG_TIERGATE_PID" 2>/dev/null; do sleep 0.05; done
	rm -f "$TG_RUN/lighttpd.pid"
}

start_gateway() {	# MODE
	stop_lighttpd
	upstream_mode "$1"
	tg_start_lighttpd
	LIGHTTPD_PID=$(cat "$TG_RUN/lighttpd.pid")
	TG_TIERGATE_PID=$(pgrep -f "^$TIERGATE" -P "$LIGHTTPD_PID" | head -1)
	[ -n "$TG_TIERGATE_PID" ] || tg_fail "no tiergate process under lighttpd"
	# Warm up and check both gateway targets once.
	tg_post /model/support/converse "$BODY"
	[ "$TG_STATUS" = 200 ] || tg_fail "router request: HTTP $TG_STATUS: $TG_OUT"
	[ "$(tg_header x-tiergate-model)" = "$HAIKU" ] ||
	    tg_fail "the router chose $(tg_header x-tiergate-model), not haiku"
	[ -n "$(tg_header x-tiergate-overhead-us)" ] || tg_fail "no x-tiergate-overhead-us header"
	tg_post "$HAIKU_PATH" "$BODY"
	[ "$TG_STATUS" = 200 ] || tg_fail "passthrough request: HTTP $TG_STATUS: $TG_OUT"
	tg_post /v1/chat/completions "$CHAT_BODY"
	[ "$TG_STATUS" = 200 ] || tg_fail "chat completions request: HTTP $TG_STATUS: $TG_OUT"
	[ "$(tg_header x-tiergate-model)" = "$HAIKU" ] ||
	    tg_fail "the router chose $(tg_header x-tiergate-model) for chat, not haiku"
}

# run_wrk NAME URL REQFILE CONNS SECONDS: results in $TG_RUN/NAME.out, plus
# the CPU time of each server per request and the machine's busy share.
run_wrk() {
	local name=$1 url=$2 req=$3 conns=$4 secs=$5 out="$TG_RUN/$1.out"
	local e0 l0 t0 s0 e1 l1 t1 s1 n threads=$BENCH_WRK_THREADS
	[ "$conns" -lt "$threads" ] && threads=$conns
	e0=$(cpu_ticks "$EMU_PID"); l0=$(cpu_ticks "$LIGHTTPD_PID")
	t0=$(cpu_ticks "$TG_TIERGATE_PID"); s0=$(sys_ticks)
	BENCH_REQ=$req BENCH_OUT=$out wrk -t "$threads" -c "$conns" -d "${secs}s" \
	    --timeout 10s -s "$LUA" "$url" >"$TG_RUN/$name.wrk.log" 2>&1 ||
	    tg_fail "wrk failed for $name: $(tail -3 "$TG_RUN/$name.wrk.log")"
	e1=$(cpu_ticks "$EMU_PID"); l1=$(cpu_ticks "$LIGHTTPD_PID")
	t1=$(cpu_ticks "$TG_TIERGATE_PID"); s1=$(sys_ticks)
	[ -s "$out" ] || tg_fail "wrk wrote no results for $name"
	n=$(kv requests "$out")
	[ "${n:-0}" -gt 0 ] || tg_fail "no request completed in $name"
	awk -v n="$n" -v hz="$HZ" -v e="$((e1 - e0))" -v l="$((l1 - l0))" \
	    -v t="$((t1 - t0))" -v sb="${s1% *} ${s0% *}" -v st="${s1#* } ${s0#* }" 'BEGIN {
		split(sb, b, " "); split(st, a, " ")
		f = 1e6 / hz / n
		printf "cpu_emu_us=%.0f\ncpu_lighttpd_us=%.0f\ncpu_tiergate_us=%.0f\n", e * f, l * f, t * f
		printf "busy_pct=%.0f\n", 100 * (b[1] - b[2]) / (a[1] - a[2])
	}' >>"$out"
	local errs=$(( $(kv err_connect "$out") + $(kv err_read "$out") + $(kv err_write "$out") + $(kv err_timeout "$out") ))
	[ "$(kv non2xx "$out")" = 0 ] && [ "$errs" = 0 ] ||
	    FAILS+=("$name: $(kv non2xx "$out") non-2xx answers ($(grep '^status_' "$out" | tr '\n' ' ')), $errs socket errors")
}

# aggregate NAME: NAME.out from NAME.r1.out ... : counts summed, every
# other figure the median over the rounds.
aggregate() {
	awk -F= '
	/^(requests|duration_us|err_|status_|non2xx|ov_n|model_)/ { sum[$1] += $2; next }
	{ v[$1, ++n[$1]] = $2 }
	END {
		for (k in sum) print k "=" sum[k]
		for (k in n) {
			m = n[k]
			for (i = 1; i <= m; i++) a[i] = v[k, i] + 0
			for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x }
			print k "=" (m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2)
		}
	}' "$TG_RUN/$1".r*.out >"$TG_RUN/$1.out"
}

ms() { awk -v u="$1" 'BEGIN { if (u == "") print "-"; else printf "%.2f", u / 1000 }'; }

row() {	# NAME LABEL
	local f="$TG_RUN/$1.out" errs
	errs=$(( $(kv err_connect "$f") + $(kv err_read "$f") + $(kv err_write "$f") + $(kv err_timeout "$f") ))
	printf '%-36s %5s %9s %8s %8s %6s %6s %9s %8s %8s %5s\n' "$2" \
	    "$(kv conns "$f")" "$(kv rps "$f")" "$(ms "$(kv lat_p50_us "$f")")" \
	    "$(ms "$(kv lat_p99_us "$f")")" "$(kv non2xx "$f")" "$errs" \
	    "$(kv cpu_tiergate_us "$f")" "$(kv cpu_lighttpd_us "$f")" \
	    "$(kv cpu_emu_us "$f")" "$(kv busy_pct "$f")%"
}

# ---- the stack -------------------------------------------------------------

tg_start_emulator
EMU_PID=${TG_PIDS[0]}
tg_write_config
# The decision log and stats file stay on (they are part of every request);
# at warning level the text log does not grow by a line per request.
sed -i 's/"level": "info"/"level": "warning"/' "$TG_RUN/tiergate.json"

echo "bench-gateway: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk, lighttpd, tiergate ($TG_THREADS threads) and the emulator (node) share these CPUs: compare ratios, not absolute numbers."
echo "loaded runs: $BENCH_CONNS connections, $BENCH_WRK_THREADS wrk threads, ${BENCH_DURATION} s; light runs: 1 connection, ${BENCH_LIGHT_DURATION} s; $BENCH_ROUNDS rounds of each, figures are medians over the rounds"
echo

for mode in $BENCH_AUTH; do
	case $mode in sigv4|bearer) ;; *) tg_fail "BENCH_AUTH: unknown mode $mode" ;; esac
	start_gateway "$mode"
	req_file "$TG_RUN/router.req" /model/support/converse \
	    "Authorization: Bearer $TG_KEY" "Content-Type: application/json"
	req_file "$TG_RUN/pass.req" "$HAIKU_PATH" \
	    "Authorization: Bearer $TG_KEY" "Content-Type: application/json"
	BODY=$CHAT_BODY req_file "$TG_RUN/chat.req" /v1/chat/completions \
	    "Authorization: Bearer $TG_KEY" "Content-Type: application/json"
	for load in light loaded; do
		if [ $load = light ]; then c=1 d=$BENCH_LIGHT_DURATION; else c=$BENCH_CONNS d=$BENCH_DURATION; fi
		if [ "$mode" = sigv4 ]; then
			presign "$TG_RUN/direct.req"
		else
			req_file "$TG_RUN/direct.req" "$HAIKU_PATH" \
			    "Authorization: Bearer $BEARER" "Content-Type: application/json"
		fi
		# BENCH_ROUNDS rounds, the order of the targets rotated each round,
		# so that a change in the machine's load hits all targets alike.
		order="direct router pass chat"
		for ((r = 1; r <= BENCH_ROUNDS; r++)); do
			for t in $order; do
				run_wrk "$mode-$load-$t.r$r" "$([ $t = direct ] && echo "$EMU_URL" || echo "$TG_URL")" \
				    "$TG_RUN/$t.req" "$c" "$d"
			done
			order="${order#* } ${order%% *}"
		done
		for t in direct router pass chat; do
			aggregate "$mode-$load-$t"
			echo "conns=$c" >>"$TG_RUN/$mode-$load-$t.out"
		done
	done
	# Every routed answer came from haiku, as the warm-up said.
	for run in light-router loaded-router light-chat loaded-chat; do
		f="$TG_RUN/$mode-$run.out"
		[ "$(kv "model_$HAIKU" "$f")" = "$(kv requests "$f")" ] ||
		    tg_fail "run $mode-$run: not every answer came from haiku: $(grep '^model_' "$f" | tr '\n' ' ')"
	done
done

# In-situ profile (BENCH_PERF=1, the default when perf(1) works): one more
# loaded router run of the last mode under `perf record` (dwarf call
# graphs, 999 Hz, tiergate only), not counted above.  A function's
# inclusive share of tiergate's samples times tiergate's CPU per request
# (from the loaded router rounds, without perf) gives its CPU cost per
# request as the gateway runs it: caches as they are between requests.
PERF_FNS="FCGX_Accept_r FCGX_Finish_r gw_authenticate req_parse_converse
    route_predict route_decide policy_decide route_answer sigv4_sign
    curl_easy_perform http_send_json stats_record declog_write"
if [ "${BENCH_PERF:-1}" = 1 ] && command -v perf >/dev/null &&
    perf record -o /dev/null -- true >/dev/null 2>&1; then
	perf record -F 999 --call-graph dwarf,16384 -p "$TG_TIERGATE_PID" \
	    -o "$TG_RUN/perf.data" -- sleep "$BENCH_DURATION" >"$TG_RUN/perf.log" 2>&1 &
	perf_pid=$!
	sleep 0.3
	run_wrk "$mode-perf-router" "$TG_URL" "$TG_RUN/router.req" "$BENCH_CONNS" "$BENCH_DURATION"
	wait "$perf_pid"
	perf report -i "$TG_RUN/perf.data" --children --sort symbol -g none \
	    >"$TG_RUN/perf.txt" 2>/dev/null
	PERF_MODE=$mode
fi
stop_lighttpd

# ---- report ----------------------------------------------------------------

printf '%-36s %5s %9s %8s %8s %6s %6s %9s %8s %8s %5s\n' run conns req/s p50-ms p99-ms non2xx sockerr \
    "tg-cpu/r" "lt-cpu/r" "emu-cpu/r" busy
for mode in $BENCH_AUTH; do
	for load in light loaded; do
		row "$mode-$load-direct" "$mode $load direct"
		row "$mode-$load-router" "$mode $load via tiergate (router)"
		row "$mode-$load-pass" "$mode $load via tiergate (passthru)"
		row "$mode-$load-chat" "$mode $load via tiergate (chat)"
	done
done
echo "(cpu/r: CPU microseconds per request used by tiergate, lighttpd and the emulator; busy: the whole machine)"
echo

for mode in $BENCH_AUTH; do
	for t in router pass chat; do
		L="$TG_RUN/$mode-light"; H="$TG_RUN/$mode-loaded"
		awk -v mode="$mode" -v t="$t" \
		    -v dl="$(kv lat_p50_us "$L-direct.out")" -v gl="$(kv lat_p50_us "$L-$t.out")" \
		    -v dr="$(kv rps "$H-direct.out")" -v gr="$(kv rps "$H-$t.out")" \
		    -v dh="$(kv lat_p50_us "$H-direct.out")" -v gh="$(kv lat_p50_us "$H-$t.out")" 'BEGIN {
			printf "%-6s %-6s: latency added (p50, 1 connection) %+.2f ms; loaded: p50 %+.2f ms, throughput ratio gateway/direct %.2f\n",
			    mode, t == "pass" ? "passthru" : t, (gl - dl) / 1000, (gh - dh) / 1000, gr / dr
		}'
	done
	# The translation's cost: chat against router, the same request and
	# routing in the same rounds.
	L="$TG_RUN/$mode-light"; H="$TG_RUN/$mode-loaded"
	awk -v mode="$mode" \
	    -v ol="$(kv ov_p50_us "$L-router.out")" -v cl="$(kv ov_p50_us "$L-chat.out")" \
	    -v oh="$(kv ov_p50_us "$H-router.out")" -v ch="$(kv ov_p50_us "$H-chat.out")" \
	    -v ll="$(kv lat_p50_us "$L-router.out")" -v lc="$(kv lat_p50_us "$L-chat.out")" \
	    -v rr="$(kv rps "$H-router.out")" -v rc="$(kv rps "$H-chat.out")" \
	    -v pr="$(kv cpu_tiergate_us "$H-router.out")" -v pc="$(kv cpu_tiergate_us "$H-chat.out")" 'BEGIN {
		printf "%-6s chat vs router: in-process median %+d us (light) / %+d us (loaded); p50 latency %+.2f ms (light); throughput ratio %.2f; tiergate CPU per request %+d us (loaded)\n",
		    mode, cl - ol, ch - oh, (lc - ll) / 1000, rc / rr, pc - pr
	}'
done
echo
echo "x-tiergate-overhead-us (tiergate's in-process time per request: read, auth, parse, predict, policy, answer rewrite; not signing nor the upstream call):"
for mode in $BENCH_AUTH; do
	for load in light loaded; do
		for t in router pass chat; do
			f="$TG_RUN/$mode-$load-$t.out"
			printf '  %-6s %-6s %-8s median %4s us   p90 %4s us   p99 %5s us   (%s answers)\n' \
			    "$mode" "$load" "$([ $t = pass ] && echo passthru || echo $t)" \
			    "$(kv ov_p50_us "$f")" "$(kv ov_p90_us "$f")" "$(kv ov_p99_us "$f")" "$(kv ov_n "$f")"
			[ "$(kv ov_n "$f")" = "$(kv requests "$f")" ] ||
			    tg_fail "$mode-$load-$t: $(kv ov_n "$f") overhead headers for $(kv requests "$f") answers"
		done
	done
done

# Components measured in isolation by the C benchmarks (built by `make`
# and `make check` in the build tree), against the runs' medians.
echo
bdir=$(dirname "$TIERGATE")/tests/bench
first=$(set -- $BENCH_AUTH; echo "$1")
ovl=$(kv ov_p50_us "$TG_RUN/$first-light-router.out")
ovlp=$(kv ov_p50_us "$TG_RUN/$first-light-pass.out")
ovh=$(kv ov_p50_us "$TG_RUN/$first-loaded-router.out")
ovhp=$(kv ov_p50_us "$TG_RUN/$first-loaded-pass.out")
echo "Against the in-process medians of the $first runs (router light $ovl us / loaded $ovh us; passthrough light $ovlp us / loaded $ovhp us):"
if [ -x "$bdir/bench_stats" ]; then
	"$bdir/bench_stats" 100000 "$TG_RUN" >"$TG_RUN/bench_stats.txt" 2>&1 ||
	    tg_fail "bench_stats failed: $(cat "$TG_RUN/bench_stats.txt")"
	sr=$(awk '/^stats_record/ { print $3 }' "$TG_RUN/bench_stats.txt")
	dw=$(awk '/^declog_write/ { print $3 }' "$TG_RUN/bench_stats.txt")
	awk -v sr="$sr" -v dw="$dw" -v l="$ovl" -v h="$ovh" 'BEGIN {
		s = (sr + dw) / 1000
		printf "  stats + log: stats_record %.2f us + declog_write %.2f us = %.2f us (bench_stats medians),\n", sr / 1000, dw / 1000, s
		printf "    %.0f%% (light) / %.0f%% (loaded) of the router'"'"'s in-process time including them;\n", 100 * s / (l + s), 100 * s / (h + s)
		printf "    they run after the header is stamped (route_done), so the header does not count them\n"
	}'
else
	echo "  (bench_stats not built in $bdir: make tests/bench/bench_stats)"
fi
if [ -x "$bdir/bench_policy" ]; then
	"$bdir/bench_policy" "$top_srcdir/lua-policies/default.lua" 100000 >"$TG_RUN/bench_policy.txt" 2>&1 ||
	    tg_fail "bench_policy failed: $(cat "$TG_RUN/bench_policy.txt")"
	pol=$(awk '/^2 candidates/ { for (i = 1; i <= NF; i++) if ($i == "median") print $(i + 1) }' "$TG_RUN/bench_policy.txt")
	awk -v p="$pol" -v l="$ovl" -v h="$ovh" -v lp="$ovlp" -v hp="$ovhp" 'BEGIN {
		printf "  policy: policy_decide (default.lua, 2 candidates) %.2f us (bench_policy median, hot caches): %.0f%% (light) / %.0f%% (loaded) of the router median;\n", p / 1000, 100 * p / 1000 / l, 100 * p / 1000 / h
		printf "    router minus passthrough (predictor + policy + spend look-ups, as the gateway runs them): %d us (light) / %d us (loaded)\n", l - lp, h - hp
	}'
else
	echo "  (bench_policy not built in $bdir: make tests/bench/bench_policy)"
fi

if [ -s "$TG_RUN/perf.txt" ]; then
	cpu=$(kv cpu_tiergate_us "$TG_RUN/$PERF_MODE-loaded-router.out")
	echo
	echo "In situ ($PERF_MODE, loaded router run under perf; $cpu us of tiergate CPU per request, inclusive shares):"
	for fn in $PERF_FNS; do
		awk -v fn="$fn" -v cpu="$cpu" '
		$3 == "[.]" && $4 == fn { v = $1 + 0; if (v > best) best = v }
		END { printf "  %-24s %5.1f%%  %6.1f us/request\n", fn, best, best * cpu / 100 }' "$TG_RUN/perf.txt"
	done
	echo "  (stats_record and declog_write together are the stats + log cost; policy_decide the policy's;"
	echo "   route_predict: features + trees + candidates; route_decide: policy_decide + the spend look-ups;"
	echo "   perf samples at 999 Hz: shares under 1% are a few samples)"
fi

if [ -n "${BENCH_OUT_DIR:-}" ]; then
	mkdir -p "$BENCH_OUT_DIR" && cp "$TG_RUN"/*.out "$BENCH_OUT_DIR"/
fi
if [ ${#FAILS[@]} -gt 0 ]; then
	printf 'FAIL: %s\n' "${FAILS[@]}" >&2
	exit 1
fi
exit 0
