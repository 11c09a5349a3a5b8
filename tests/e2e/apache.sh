#!/bin/bash
# End to end through real Apache (mod_proxy_fcgi to `tiergate --listen`).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/checks.sh"
tg_need jq
tg_init apache
tg_start_emulator
tg_write_config
tg_start_apache
tg_check_router_converse
tg_check_router_arn
tg_check_passthrough
tg_check_auth
tg_check_bad_input
tg_check_upstream_faults
tg_check_prompt_routers
tg_check_no_secrets
echo "$TG_CHECKS passed, 0 failed"
