#!/bin/bash
# tiergate as plain CGI under Apache mod_cgid: one process per request.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/checks.sh"
tg_need jq
tg_init cgi
tg_start_emulator
tg_copy_for_web_user
tg_write_config
tg_start_apache_cgi
tg_check_router_converse
tg_check_router_arn
tg_check_passthrough
tg_check_auth
tg_bad 400 Validation "invalid JSON over CGI" -H 'Content-Type: application/json' \
    --data '{"messages": [' "$TG_URL/model/support/converse"
# Each CGI run appended to the shared decision log.
tg_expect '[ "$(wc -l <"$TG_RUN/decisions.jsonl")" -ge 4 ]' "CGI runs did not log decisions"
tg_ok
tg_check_no_secrets
echo "$TG_CHECKS passed, 0 failed"
