#!/bin/bash
# /metrics text passes `promtool check metrics` (Debian's prometheus).
. "$(dirname "$0")/common.sh"
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
if [ -z "$PROMTOOL" ] || [ ! -x "$PROMTOOL" ]; then
	echo "promtool not found: skipping" >&2
	exit 77
fi
"$DRIVER" load "$T/s.stats" "$T/d.log" 2 4 500 0 >/dev/null
"$DRIVER" metrics "$T/s.stats" >"$T/metrics.txt"
grep -q '^tiergate_requests_total{router="support",' "$T/metrics.txt"
grep -q '^tiergate_upstream_latency_seconds_bucket{.*le="+Inf"}' "$T/metrics.txt"
"$PROMTOOL" check metrics <"$T/metrics.txt"
# an empty file is valid too
"$DRIVER" metrics "$T/empty.stats" | "$PROMTOOL" check metrics
echo "promtool: ok ($(grep -vc '^#' "$T/metrics.txt") samples)"
