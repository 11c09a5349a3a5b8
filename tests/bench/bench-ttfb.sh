#!/bin/bash
# Time to first byte of ConverseStream through tiergate (lighttpd +
# mod_fastcgi) against the Bedrock emulator's own, same run, 100 concurrent
# streams per round.  Not part of `make check`: run it by hand from a build
# tree, e.g.
#   top_srcdir=/path/to/src top_builddir=$PWD tests/bench/bench-ttfb.sh
# Environment: TTFB_CONCURRENCY (100), TTFB_ROUNDS (10), TG_THREADS (128).
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
tg_start_lighttpd
export TG_URL TG_KEY EMU_URL
cd "$top_srcdir/tests" || exit 1
"$NODE" --no-warnings bench/bench-ttfb.mjs
