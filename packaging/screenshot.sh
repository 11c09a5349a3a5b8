#!/bin/bash
# packaging/screenshot.sh - regenerate the README's screenshot
# (docs/console.png) from the demo's own console: packaging/demo.sh with
# the Bedrock emulator and its sample traffic spread over a few minutes,
# then the console's browser tests against it (tests/console/run.sh),
# whose 1366 px check writes the screenshot.  Needs chromium and
# tests/node_modules.  Takes --minutes (default 4) plus a little.
#
#   bash packaging/screenshot.sh [--minutes M] [--out FILE]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
minutes=4 out=$top/docs/console.png
while [ $# -gt 0 ]; do
	case $1 in
	--minutes) minutes=$2; shift ;;
	--out) out=$2; shift ;;
	*) echo "usage: $0 [--minutes M] [--out FILE]" >&2; exit 2 ;;
	esac
	shift
done
run=$(mktemp -d /tmp/tiergate-shot.XXXXXX)
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
demo=""
cleanup() { [ -n "$demo" ] && kill "$demo" 2>/dev/null; wait 2>/dev/null; rm -rf "$run"; }
trap cleanup EXIT
env -u AWS_ACCESS_KEY_ID -u AWS_BEARER_TOKEN_BEDROCK HOME="$run" TG_DEMO_DIR="$run/demo" \
    bash "$top/packaging/demo.sh" --port "$port" --requests $((minutes * 40)) --minutes "$minutes" \
    >"$run/demo.out" 2>&1 &
demo=$!
for _ in $(seq 300); do grep -q "serving until Ctrl-C" "$run/demo.out" && break; sleep 0.1; done
grep -q "serving until Ctrl-C" "$run/demo.out" || { cat "$run/demo.out"; exit 1; }
echo "==> the demo sends its sample traffic over $minutes minutes; waiting for it"
for _ in $(seq $((minutes * 60 + 120))); do [ -s "$run/demo/traffic.log" ] && break; sleep 1; done
admin=$(sed -n 's/^admin=//p' "$run/demo/demo-secrets")
CONSOLE_URL=http://127.0.0.1:$port/admin/ ADMIN_TOKEN=$admin \
    STATS_URL=http://127.0.0.1:$port/admin/api/stats CONSOLE_SCREENSHOT=$out \
    TEST_OUTPUT_DIR=$run/console bash "$top/tests/console/run.sh"
echo "==> wrote $out"
