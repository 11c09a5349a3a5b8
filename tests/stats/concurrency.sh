#!/bin/bash
# 8 processes x 16 threads record into one stats file and one decision log:
# the totals and the log must be exact, and so must the rings.
#
# The rings are put under the conditions that once lost counts: all threads
# share one injected clock that crosses a minute every 256 decisions and
# jumps a whole ring lap ahead and back, so every minute bucket is first
# claimed and then reclaimed by a newer lap while writers of the older one
# are in the middle of their updates; and, in the second round, busy loops
# compete for the CPUs, so writers are descheduled for tens of ms at any
# instruction.  Layout 2 of the stats file failed this in 13 of 13 runs
# (stale adds landing in the newer lap, and whole blocks wiped).
. "$(dirname "$0")/common.sh"

HOGS=()
stop_hogs() {
	local pid
	for pid in "${HOGS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${HOGS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	HOGS=()
}
trap 'stop_hogs; rm -rf "$T"' EXIT

ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
"$DRIVER" load "$T/s.stats" "$T/d.log" 8 16 2000 0 shared

# Bounded in time on their own too (timeout), should this script be killed.
for _ in $(seq "$ncpu"); do
	timeout 60 bash -c 'while :; do :; done' &
	HOGS+=($!)
done
rm -f "$T/s.stats" "$T/d.log"
"$DRIVER" load "$T/s.stats" "$T/d.log" 8 16 1000 0 shared
stop_hogs
