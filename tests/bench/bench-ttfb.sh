#!/bin/bash
# Time to first byte of ConverseStream through tiergate (lighttpd +
# mod_fastcgi) against the Bedrock emulator's own, same run, 100 concurrent
# streams per round.  Not part of `make check`: run it by hand from a build
# tree, e.g.
#   top_srcdir=/path/to/src top_builddir=$PWD tests/bench/bench-ttfb.sh
# Environment: TTFB_CONCURRENCY (100), TTFB_ROUNDS (10), TG_THREADS (128),
# TTFB_UPSTREAM_AUTH (sigv4 or bearer).
# Exit status 77 when node, its modules or lighttpd are missing.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
tg_need node lighttpd
tg_init bench-ttfb
tg_start_emulator
# One worker thread per concurrent stream: a stream holds its thread until
# the last frame, so fewer threads would queue requests and time the queue.
TG_THREADS=${TG_THREADS:-128} tg_write_config
# The decision log and per-request info lines are part of the real path;
# keep them, but at warning level the log does not grow with the run.
sed -i 's/"level": "info"/"level": "warning"/' "$TG_RUN/tiergate.json"
# TTFB_UPSTREAM_AUTH=bearer: tiergate (and the direct leg) authenticate to
# the emulator with a Bedrock API key instead of SigV4, which takes the
# emulator's JavaScript SigV4 check (~1 ms of CPU per request) out of a
# small machine's CPU budget.
if [ "${TTFB_UPSTREAM_AUTH:-sigv4}" = bearer ]; then
	tg_upstream_env() {
		export AWS_BEARER_TOKEN_BEDROCK=ABSKtiergate-test-bearer-token
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
	}
	sed -i 's/"source": "env"/"source": "bearer"/' "$TG_RUN/tiergate.json"
fi
tg_start_lighttpd
export TG_URL TG_KEY EMU_URL TTFB_UPSTREAM_AUTH
cd "$top_srcdir/tests" || exit 1
"$NODE" --no-warnings bench/bench-ttfb.mjs || exit 1

# CPU time each server used over the whole run (all targets, warm-up
# included): on a small machine the gateway path's extra CPU competes with
# the emulator, which is what shows as TTFB under load.
cpu_s() {	# PID: user+system CPU seconds
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}
tg_pid=$(pgrep -f "^$TIERGATE" -P "$(cat "$TG_RUN/lighttpd.pid")" | head -1)
echo "CPU seconds over the run: emulator $(cpu_s "${TG_PIDS[0]}")," \
    "lighttpd $(cpu_s "$(cat "$TG_RUN/lighttpd.pid")"), tiergate $(cpu_s "$tg_pid");" \
    "$(wc -l <"$TG_RUN/decisions.jsonl") requests through tiergate"
