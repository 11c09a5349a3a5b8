#!/bin/bash
# bench-concurrency.sh - 500 concurrent clients against a Bedrock emulator
# that answers in 1 s, through lighttpd -> tiergate (one FastCGI process,
# TG_THREADS worker threads) and straight to the same emulator, in one run.
# Not part of `make check`: run it by hand from a build tree, e.g.
#   top_srcdir=/path/to/src top_builddir=$PWD tests/bench/bench-concurrency.sh
# Everything listens on 127.0.0.1 and is stopped on exit
# (tests/e2e/lib.sh).  Exit 77 when node, its modules, lighttpd or wrk are
# missing; 1 when the stack does not come up, or a run has errors (non-2xx
# answers or socket errors) or falls below CONC_MIN_RATIO of the ideal
# throughput (clients / 1 s).
#
# What it reports, for the direct run and the gateway run: requests/s
# against the ideal (CONC_CLIENTS per second), p50/p99/max latency, non-2xx
# and socket errors, the emulator's peak in-flight count, and for tiergate
# its resident memory (VmRSS) just after start, when idle after a warm-up
# round that used every thread, and during the load (sampled every 0.5 s),
# with the difference per in-flight request.
#
# Environment: CONC_CLIENTS (500), CONC_DURATION (15), CONC_LATENCY_MS
# (1000), CONC_WRK_THREADS (2), TG_THREADS (512), CONC_MODEL (support: the
# router; or a model id for passthrough), CONC_AUTH (sigv4: tiergate signs
# upstream and the direct run sends a pre-signed SigV4 request; bearer:
# both use the emulator's Bedrock API key), CONC_MIN_RATIO (0.9).
#
# The machine's cores are shared by wrk, lighttpd, tiergate and node.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
tg_need node lighttpd wrk
tg_init bench-concurrency

: "${CONC_CLIENTS:=500}" "${CONC_DURATION:=15}" "${CONC_LATENCY_MS:=1000}"
: "${CONC_WRK_THREADS:=2}" "${CONC_MODEL:=support}" "${CONC_AUTH:=sigv4}"
: "${CONC_MIN_RATIO:=0.9}"
export TG_THREADS=${TG_THREADS:-512}
LUA=$top_srcdir/tests/bench/wrk/converse.lua
HAIKU=anthropic.claude-3-haiku-20240307-v1:0
BEARER=ABSKtiergate-test-bearer-token
BODY=$(tg_converse_body "What is the capital of France? Answer in one word. [[latency:$CONC_LATENCY_MS]]")
FAILS=()

[ -f "$LUA" ] || tg_fail "missing $LUA"
case $CONC_AUTH in sigv4|bearer) ;; *) tg_fail "CONC_AUTH: sigv4 or bearer" ;; esac
model_path() { printf '/model/%s/converse' "$(printf %s "$1" | sed 's/:/%3A/g; s|/|%2F|g')"; }

kv() { sed -n "s/^$1=//p" "$2" | head -1; }	# KEY FILE
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
nthreads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

req_file() {	# FILE PATH HEADER...
	local f=$1 path=$2 h; shift 2
	{ echo "$path"; for h in "$@"; do echo "$h"; done; echo; printf %s "$BODY"; } >"$f"
}

# A Converse request to the emulator signed with @smithy/signature-v4, as
# the AWS SDK signs it (valid for the emulator's 5 minutes of clock skew).
presign() {	# FILE MODEL
	local kit="$top_srcdir/tests/bedrock-emulator/testkit.mjs"
	(cd "$top_srcdir/tests" && BODY="$BODY" "$NODE" --no-warnings --input-type=module -e "
import { signed } from '$kit';
const s = await signed($EMU_PORT, '$2', 'converse', process.env.BODY);
const lines = [s.path];
for (const [k, v] of Object.entries(s.headers)) lines.push(k + ': ' + v);
process.stdout.write(lines.join('\n') + '\n\n' + s.body);
") >"$1" || tg_fail "could not pre-sign the direct request"
}

emu_stat() { curl -s "$EMU_URL/_emulator/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

# run_wrk NAME URL REQFILE [PID]: wrk with CONC_CLIENTS connections; while it
# runs, samples PID's VmRSS every 0.5 s into $TG_RUN/NAME.rss.
run_wrk() {
	local name=$1 url=$2 req=$3 pid=${4:-} wpid
	curl -s -X POST "$EMU_URL/_emulator/reset" >/dev/null
	BENCH_REQ=$req BENCH_OUT="$TG_RUN/$name.out" wrk -t "$CONC_WRK_THREADS" \
	    -c "$CONC_CLIENTS" -d "${CONC_DURATION}s" --timeout 10s -s "$LUA" "$url" \
	    >"$TG_RUN/$name.wrk.log" 2>&1 &
	wpid=$!
	: >"$TG_RUN/$name.rss"
	while kill -0 "$wpid" 2>/dev/null; do
		[ -n "$pid" ] && echo "$(rss_kb "$pid") $(nthreads "$pid")" >>"$TG_RUN/$name.rss"
		sleep 0.5
	done
	wait "$wpid" || tg_fail "wrk failed for $name: $(tail -3 "$TG_RUN/$name.wrk.log")"
	[ -s "$TG_RUN/$name.out" ] || tg_fail "wrk wrote no results for $name"
	curl -s "$EMU_URL/_emulator/stats" >"$TG_RUN/$name.emustats"
	echo "max_in_flight=$(emu_stat max_in_flight)" >>"$TG_RUN/$name.out"
	echo "emu_requests=$(emu_stat requests)" >>"$TG_RUN/$name.out"
	local f="$TG_RUN/$name.out" errs
	errs=$(( $(kv err_connect "$f") + $(kv err_read "$f") + $(kv err_write "$f") + $(kv err_timeout "$f") ))
	echo "sockerr=$errs" >>"$f"
	[ "$(kv non2xx "$f")" = 0 ] && [ "$errs" = 0 ] ||
	    FAILS+=("$name: $(kv non2xx "$f") non-2xx answers ($(grep '^status_' "$f" | tr '\n' ' ')), $errs socket errors ($(grep '^err_' "$f" | tr '\n' ' '))")
	# Closed loop: every client sends its next request when the last one
	# is answered, so the rate the stack sustains is clients / mean
	# latency (Little's law).  wrk's own figure, answers completed within
	# the window / window, is quantised here: the clients move in rounds
	# of CONC_LATENCY_MS, and the round still in flight when wrk stops is
	# not counted (up to one round in CONC_DURATION).
	awk -v c="$CONC_CLIENTS" -v m="$(kv lat_mean_us "$f")" 'BEGIN { printf "sustained=%.1f\n", c / m * 1e6 }' >>"$f"
	awk -v r="$(kv sustained "$f")" -v c="$CONC_CLIENTS" -v l="$CONC_LATENCY_MS" -v m="$CONC_MIN_RATIO" \
	    'BEGIN { exit !(r >= m * c * 1000 / l) }' ||
	    FAILS+=("$name: sustains $(kv sustained "$f") requests/s, under $CONC_MIN_RATIO of the ideal")
	# Let the emulator finish the requests wrk abandoned when it stopped.
	sleep $((CONC_LATENCY_MS / 1000 + 2))
}

# A warm-up round: CONC_CLIENTS requests at once, so that every worker
# thread has served one (curl handle connected, Lua states used).
warmup() {	# URL PATH AUTH
	local i pids=()
	for ((i = 0; i < CONC_CLIENTS; i++)); do
		curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: $3" \
		    -H 'Content-Type: application/json' --data-binary "$BODY" "$1$2" \
		    >>"$TG_RUN/warmup.codes" &
		pids+=($!)
	done
	wait "${pids[@]}"
	[ "$(grep -c '^200$' "$TG_RUN/warmup.codes")" = "$CONC_CLIENTS" ] ||
	    tg_fail "warm-up: $(sort "$TG_RUN/warmup.codes" | uniq -c | tr '\n' ' ')"
}

ms() { awk -v u="$1" 'BEGIN { printf "%.0f", u / 1000 }'; }

# ---- the stack -------------------------------------------------------------

tg_start_emulator
EMU_PID=${TG_PIDS[0]}
tg_write_config
sed -i 's/"level": "info"/"level": "warning"/' "$TG_RUN/tiergate.json"
if [ "$CONC_AUTH" = bearer ]; then
	tg_upstream_env() {
		export AWS_BEARER_TOKEN_BEDROCK=$BEARER
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
	}
	sed -i 's/"source": "env"/"source": "bearer"/' "$TG_RUN/tiergate.json"
fi
tg_start_lighttpd
LIGHTTPD_PID=$(cat "$TG_RUN/lighttpd.pid")
TG_PID=$(pgrep -f "^$TIERGATE" -P "$LIGHTTPD_PID" | head -1)
[ -n "$TG_PID" ] || tg_fail "no tiergate process under lighttpd"

gw_path=$(model_path "$CONC_MODEL")
direct_model=$CONC_MODEL
[ "$CONC_MODEL" = support ] && direct_model=$HAIKU
direct_path=$(model_path "$direct_model")

echo "bench-concurrency: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$CONC_CLIENTS clients (wrk -c $CONC_CLIENTS -t $CONC_WRK_THREADS, ${CONC_DURATION} s), emulator latency $CONC_LATENCY_MS ms, tiergate $TG_THREADS threads, model $CONC_MODEL, upstream auth $CONC_AUTH"
echo "wrk, lighttpd, tiergate and the emulator (node) share these CPUs."
echo

tg_post "$gw_path" "$BODY"
[ "$TG_STATUS" = 200 ] || tg_fail "gateway request: HTTP $TG_STATUS: $TG_OUT"
rss_start=$(rss_kb "$TG_PID")
warmup "$TG_URL" "$gw_path" "Bearer $TG_KEY"
sleep 1
rss_idle=$(rss_kb "$TG_PID")

# ---- the runs --------------------------------------------------------------

if [ "$CONC_AUTH" = sigv4 ]; then
	presign "$TG_RUN/direct.req" "$direct_model"
else
	req_file "$TG_RUN/direct.req" "$direct_path" "Authorization: Bearer $BEARER" \
	    "Content-Type: application/json"
fi
run_wrk direct "$EMU_URL" "$TG_RUN/direct.req" "$EMU_PID"
req_file "$TG_RUN/gw.req" "$gw_path" "Authorization: Bearer $TG_KEY" "Content-Type: application/json"
run_wrk gateway "$TG_URL" "$TG_RUN/gw.req" "$TG_PID"
sleep 1
rss_after=$(rss_kb "$TG_PID")

# ---- report ----------------------------------------------------------------

printf '%-22s %9s %7s %8s %8s %8s %8s %7s %7s %8s\n' run sustained "ideal%" wrk-req/s p50-ms p99-ms max-ms non2xx sockerr emu-peak
for r in direct gateway; do
	f="$TG_RUN/$r.out"
	printf '%-22s %9s %6s%% %9s %8s %8s %8s %7s %7s %8s\n' \
	    "$([ $r = direct ] && echo "direct to emulator" || echo "via lighttpd+tiergate")" \
	    "$(kv sustained "$f")" "$(awk -v r="$(kv sustained "$f")" -v c="$CONC_CLIENTS" -v l="$CONC_LATENCY_MS" 'BEGIN { printf "%.1f", 100 * r / (c * 1000 / l) }')" \
	    "$(kv rps "$f")" "$(ms "$(kv lat_p50_us "$f")")" "$(ms "$(kv lat_p99_us "$f")")" "$(ms "$(kv lat_max_us "$f")")" \
	    "$(kv non2xx "$f")" "$(kv sockerr "$f")" "$(kv max_in_flight "$f")"
done
echo "(sustained: requests/s = clients / mean latency; ideal: $CONC_CLIENTS clients / $CONC_LATENCY_MS ms;"
echo " wrk-req/s: answers completed within the ${CONC_DURATION} s window / window, which leaves out the last round;"
echo " emu-peak: the emulator's peak in-flight requests)"
awk -v d="$(kv sustained "$TG_RUN/direct.out")" -v g="$(kv sustained "$TG_RUN/gateway.out")" \
    -v dl="$(kv lat_p50_us "$TG_RUN/direct.out")" -v gl="$(kv lat_p50_us "$TG_RUN/gateway.out")" \
    'BEGIN { printf "throughput ratio gateway/direct %.3f; p50 latency added %+.1f ms\n", g / d, (gl - dl) / 1000 }'
echo "x-tiergate-overhead-us under this load: median $(kv ov_p50_us "$TG_RUN/gateway.out") us, p99 $(kv ov_p99_us "$TG_RUN/gateway.out") us"
echo

# Resident memory: the steady part of the load (samples after the first
# two seconds, when every client has a request in flight), median and peak.
rss_load() {	# FILE -> "median peak threads"
	awk 'NR > 4 { print }' "$1" | sort -n | awk '{ v[NR] = $1; t = $2 } END {
		if (NR == 0) { print "0 0 0"; exit }
		print v[int((NR + 1) / 2)], v[NR], t }'
}
read -r g_med g_peak g_thr <<<"$(rss_load "$TG_RUN/gateway.rss")"
read -r e_med e_peak _ <<<"$(rss_load "$TG_RUN/direct.rss")"
echo "tiergate VmRSS ($g_thr threads): just started $((rss_start / 1024)) MiB, idle after a $CONC_CLIENTS-request warm-up $((rss_idle / 1024)) MiB, under load median $((g_med / 1024)) MiB / peak $((g_peak / 1024)) MiB, after the run $((rss_after / 1024)) MiB"
awk -v s="$rss_start" -v i="$rss_idle" -v m="$g_med" -v p="$g_peak" -v c="$CONC_CLIENTS" -v t="$TG_THREADS" 'BEGIN {
	printf "  per in-flight request: (load median - warm idle) / %d = %.1f KiB (peak: %.1f KiB); (load median - just started) / %d = %.1f KiB\n", c, (m - i) / c, (p - i) / c, c, (m - s) / c
	printf "  per worker thread, whole process at rest after warm-up / %d threads = %.1f KiB\n", t, i / t
}'
echo "emulator (node) VmRSS under the direct load: median $((e_med / 1024)) MiB, peak $((e_peak / 1024)) MiB"

if [ ${#FAILS[@]} -gt 0 ]; then
	printf 'FAIL: %s\n' "${FAILS[@]}" >&2
	exit 1
fi
exit 0
