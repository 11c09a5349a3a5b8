#!/bin/bash
# The README's demo command stays true: packaging/demo.sh brings up
# tiergate behind lighttpd with the emulator, sends its sample traffic,
# and the stats endpoint counts every request; run again with --keep it
# keeps the admin token, the API keys and the stats of the first run.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_need jq lighttpd
tg_init demo
port=$(tg_port)
demo() {	# OUT ARGS...
	local out=$1; shift
	env -u AWS_ACCESS_KEY_ID -u AWS_BEARER_TOKEN_BEDROCK HOME="$TG_RUN" \
	    TG_DEMO_DIR="$TG_RUN/demo" TIERGATE="$TIERGATE" \
	    bash "$top_srcdir/packaging/demo.sh" --once --port "$port" --requests 24 "$@" >"$out" 2>&1 ||
	    { cat "$out"; tg_fail "the demo failed"; }
}
token() { sed -n 's/.*(admin token: \(.*\))$/\1/p' "$1"; }
apikey() { sed -n 's/^ *API key: *\([^ ]*\).*/\1/p' "$1"; }
demo "$TG_RUN/demo.out"
tg_expect 'grep -q "24 of 24 requests answered 200" "$TG_RUN/demo.out"' "demo traffic"
tg_expect 'grep -q "the stats endpoint counts 24 new requests (24 in all)" "$TG_RUN/demo.out"' "demo stats"
tg_expect '[ -n "$(token "$TG_RUN/demo.out")" ] && [ -n "$(apikey "$TG_RUN/demo.out")" ]' "no token or key printed"
tg_expect '[ "$(stat -c %a "$TG_RUN/demo/demo-secrets")" = 600 ]' "the demo's secrets file is not mode 600"
tg_ok
demo "$TG_RUN/keep.out" --keep
tg_expect 'grep -q "reusing $TG_RUN/demo" "$TG_RUN/keep.out"' "--keep did not say it reuses the directory"
tg_expect '[ "$(token "$TG_RUN/keep.out")" = "$(token "$TG_RUN/demo.out")" ]' "--keep changed the admin token"
tg_expect '[ "$(apikey "$TG_RUN/keep.out")" = "$(apikey "$TG_RUN/demo.out")" ]' "--keep changed the API key"
tg_expect 'grep -q "the stats endpoint counts 24 new requests (48 in all)" "$TG_RUN/keep.out"' \
    "--keep lost the stats: $(grep counts "$TG_RUN/keep.out")"
tg_ok
demo "$TG_RUN/fresh.out"
tg_expect '[ "$(token "$TG_RUN/fresh.out")" != "$(token "$TG_RUN/demo.out")" ]' "without --keep the token stayed"
tg_ok
echo "$TG_CHECKS passed, 0 failed"
