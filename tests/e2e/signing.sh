#!/bin/bash
# The emulator checks every upstream signature with AWS's own signer: with
# a wrong secret key tiergate's call is refused (403), with the right one
# it passes, and with a Bedrock API key (bearer) it passes too.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/checks.sh"
tg_need jq
tg_init signing
tg_start_emulator
tg_write_config
TG_UP_SECRET=wrong-secret-key-000000000000000000000000 tg_start_lighttpd
tg_post /model/anthropic.claude-3-haiku-20240307-v1%3A0/converse "$(tg_converse_body hi)"; out=$TG_OUT
tg_expect '[ "$TG_STATUS" = 403 ]' "a wrong upstream secret was not refused: HTTP $TG_STATUS $out"
tg_expect '[ "$(tg_header x-amzn-ErrorType)" = InvalidSignatureException ]' \
    "want the emulator's InvalidSignatureException, got $(tg_header x-amzn-ErrorType)"
tg_ok
kill "$(cat "$TG_RUN/lighttpd.pid")"; sleep 0.5
# Bedrock API key instead of SigV4.
AWS_BEARER_TOKEN_BEDROCK=ABSKtiergate-test-bearer-token
sed -i 's/"source": "env"/"source": "bearer"/' "$TG_RUN/tiergate.json"
tg_upstream_env() { export AWS_BEARER_TOKEN_BEDROCK; unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; }
tg_start_lighttpd
tg_post /model/anthropic.claude-3-haiku-20240307-v1%3A0/converse "$(tg_converse_body hi)"; out=$TG_OUT
tg_expect '[ "$TG_STATUS" = 200 ]' "bearer upstream auth: HTTP $TG_STATUS $out"
tg_expect 'curl -s "$EMU_URL/_emulator/log" | jq -e "map(select(.auth_kind == \"bearer\")) | length >= 1" >/dev/null' \
    "the emulator saw no bearer-authenticated call"
tg_ok
tg_check_no_secrets
echo "$TG_CHECKS passed, 0 failed"
