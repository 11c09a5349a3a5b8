#!/bin/bash
# The stats file equals the sums over the decision log: rebuild a second
# file from the log with `tiergate stats rebuild` and compare every window.
. "$(dirname "$0")/common.sh"
"$DRIVER" load "$T/live.stats" "$T/d.log" 4 8 3000 0
# split the log in two "rotated" files, oldest first
split -n l/2 -d "$T/d.log" "$T/part."
"$DRIVER" rebuild --stats "$T/rebuilt.stats" "$T/part.00" "$T/part.01"
"$DRIVER" same "$T/live.stats" "$T/rebuilt.stats"
# a rebuild replaces an existing file
"$DRIVER" rebuild --stats "$T/rebuilt.stats" "$T/d.log"
"$DRIVER" same "$T/live.stats" "$T/rebuilt.stats"
# and the comparison does see a difference: half the log is not the same
"$DRIVER" rebuild --stats "$T/half.stats" "$T/part.00"
if "$DRIVER" same "$T/live.stats" "$T/half.stats" 2>/dev/null; then
	echo "FAIL: a rebuild from half the log compared equal" >&2
	exit 1
fi
