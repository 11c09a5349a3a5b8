#!/bin/bash
# End to end through real lighttpd (mod_fastcgi spawning tiergate) to the
# Bedrock emulator: routing, Bedrock's shapes, auth, every bad-input case,
# retries and upstream faults, prompt-router discovery, no leaked secrets.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/checks.sh"
tg_need jq
tg_init lighttpd
tg_start_emulator
tg_write_config
tg_start_lighttpd
tg_check_router_converse
tg_check_router_arn
tg_check_passthrough
tg_check_auth
tg_check_bad_input
tg_check_upstream_faults
tg_check_router_fallback
tg_check_prompt_routers
tg_check_keys_reload
tg_check_no_secrets
echo "$TG_CHECKS passed, 0 failed"
