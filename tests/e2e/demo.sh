#!/bin/bash
# The README's demo command stays true: packaging/demo.sh brings up
# tiergate behind lighttpd with the emulator, sends its sample traffic,
# and the stats endpoint counts every request.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_need jq lighttpd
tg_init demo
port=$(tg_port)
env -u AWS_ACCESS_KEY_ID -u AWS_BEARER_TOKEN_BEDROCK HOME="$TG_RUN" \
    TG_DEMO_DIR="$TG_RUN/demo" TIERGATE="$TIERGATE" \
    bash "$top_srcdir/packaging/demo.sh" --once --port "$port" --requests 24 >"$TG_RUN/demo.out" 2>&1 ||
    { cat "$TG_RUN/demo.out"; tg_fail "the demo failed"; }
tg_expect 'grep -q "24 of 24 requests answered 200" "$TG_RUN/demo.out"' "demo traffic"
tg_expect 'grep -q "the stats endpoint counts 24 requests" "$TG_RUN/demo.out"' "demo stats"
tg_ok
echo "$TG_CHECKS passed, 0 failed"
