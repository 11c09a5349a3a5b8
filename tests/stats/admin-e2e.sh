#!/bin/bash
# The admin API and /metrics end to end, through real lighttpd
# (mod_fastcgi spawning tiergate) fed with traffic to the Bedrock emulator:
# token required and never echoed, documents match the traffic sent and the
# decision log, pages, what-if, windows, promtool, rebuild from the log.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_need jq
tg_init admin
tg_start_emulator
# a router whose policy is not the threshold rule: class "legal" is pinned
# to the strongest model (the what-if must replay that, not the rule)
TG_ROUTERS_EXTRA=',{ "id": "pinned", "models": ["anthropic.claude-3-haiku-20240307-v1:0",
  "anthropic.claude-3-5-sonnet-20240620-v1:0"], "response_quality_difference": 100,
  "policy": "'"$top_srcdir"'/lua-policies/examples/class_pinned.lua" }' tg_write_config
tg_start_lighttpd

# admin GET: admin_get PATH [curl args]; body in $A_OUT, status in $A_STATUS
admin_get() {
	local path=$1; shift
	A_STATUS=$(curl -s -o "$TG_RUN/admin.body" -D "$TG_RUN/admin.h" -w '%{http_code}' \
	    "$@" "$TG_URL$path")
	A_OUT=$(cat "$TG_RUN/admin.body")
	cat "$TG_RUN/admin.h" "$TG_RUN/admin.body" >>"$TG_RUN/admin-all.txt"
}
auth=(-H "Authorization: Bearer $TG_ADMIN_TOKEN")
N=12

# --- traffic ----------------------------------------------------------------
for i in $(seq 1 $N); do
	tg_post /model/support/converse "$(tg_converse_body "Question $i: explain recursion to a child, step $i.")"
	tg_expect '[ "$TG_STATUS" = 200 ]' "converse $i: HTTP $TG_STATUS: $TG_OUT"
done
tg_post /model/nova/converse "$(tg_converse_body 'What is 2+2?')"
tg_expect '[ "$TG_STATUS" = 200 ]' "nova converse: HTTP $TG_STATUS"
tg_ok
P=3
for i in $(seq 1 $P); do
	tg_post /model/pinned/converse "$(tg_converse_body "Clause $i: may the tenant sublet?")" -H 'x-tiergate-class: legal'
	tg_expect '[ "$TG_STATUS" = 200 ] && [ "$(tg_header x-tiergate-model)" = anthropic.claude-3-5-sonnet-20240620-v1:0 ]' \
	    "pinned legal $i: HTTP $TG_STATUS, model $(tg_header x-tiergate-model)"
done
tg_ok

# --- refused before any model was called: counted apart -------------------------
# 2 invalid bodies on support (tenant acme), 1 unknown router, 1 wrong key.
R=4
tg_post /model/support/converse '{"messages": 7}'
tg_expect '[ "$TG_STATUS" = 400 ]' "invalid body: HTTP $TG_STATUS"
tg_post /model/support/converse 'not json'
tg_expect '[ "$TG_STATUS" = 400 ]' "not JSON: HTTP $TG_STATUS"
tg_post /model/no-such-router/converse "$(tg_converse_body hi)"
tg_expect '[ "$TG_STATUS" = 400 ]' "unknown router: HTTP $TG_STATUS"
TG_AUTHZ="Bearer tg-wrong-key" tg_post /model/support/converse "$(tg_converse_body hi)"
tg_expect '[ "$TG_STATUS" = 401 ] || [ "$TG_STATUS" = 403 ]' "wrong key: HTTP $TG_STATUS"
WRONG_KEY_STATUS=$TG_STATUS
tg_ok

# --- authentication ------------------------------------------------------------
admin_get /admin/api/stats
tg_expect '[ "$A_STATUS" = 401 ]' "no token: HTTP $A_STATUS"
tg_expect 'grep -qi "^x-amzn-ErrorType: *UnauthorizedException" "$TG_RUN/admin.h"' "no Bedrock error type"
tg_expect '[ "$(printf %s "$A_OUT" | jq -r .message)" = "admin token required" ]' "401 body: $A_OUT"
admin_get /admin/api/stats -H "Authorization: Bearer wrong-$TG_ADMIN_TOKEN"
tg_expect '[ "$A_STATUS" = 401 ]' "wrong token: HTTP $A_STATUS"
admin_get /metrics -H "x-tiergate-admin-token: nope"
tg_expect '[ "$A_STATUS" = 401 ]' "/metrics with a wrong token: HTTP $A_STATUS"
admin_get /admin/api/stats -H "Authorization: Bearer $TG_KEY"
tg_expect '[ "$A_STATUS" = 401 ]' "a client API key opened the admin API: HTTP $A_STATUS"
admin_get /admin/api/stats -H "x-tiergate-admin-token: $TG_ADMIN_TOKEN"
tg_expect '[ "$A_STATUS" = 200 ]' "x-tiergate-admin-token: HTTP $A_STATUS"
admin_get /admin/api/stats "${auth[@]}" --data ""
tg_expect '[ "$A_STATUS" = 405 ]' "POST: HTTP $A_STATUS"
admin_get /admin/api/nothing "${auth[@]}"
tg_expect '[ "$A_STATUS" = 404 ]' "unknown endpoint: HTTP $A_STATUS"
tg_ok

# --- stats -----------------------------------------------------------------------
admin_get "/admin/api/stats?window=1h" "${auth[@]}"
tg_expect '[ "$A_STATUS" = 200 ]' "stats: HTTP $A_STATUS: $A_OUT"
tg_expect 'grep -qi "^Cache-Control: *no-store" "$TG_RUN/admin.h"' "no Cache-Control: no-store"
j() { printf %s "$A_OUT" | jq -r "$1"; }
tg_expect '[ "$(j .schema_version)" = 1 ]' "schema_version"
tg_expect '[ "$(j .totals.requests)" = $((N + 1 + P)) ]' "totals.requests $(j .totals.requests) != $((N + 1 + P))"
tg_expect '[ "$(j .lifetime.requests)" = $((N + 1 + P)) ]' "lifetime.requests"
tg_expect '[ "$(j ".routers[] | select(.router == \"support\") | .requests")" = $N ]' "support router requests"
tg_expect '[ "$(j "[.routers[] | select(.router == \"support\") | .models[].requests] | add")" = $N ]' \
    "per-model requests do not add up"
tg_expect '[ "$(j "[.series.points[].requests] | add")" = $((N + 1 + P)) ]' "series does not add up"
tg_expect '[ "$(j ".series.points | length")" = 60 ]' "1h: 60 points"
tg_expect '[ "$(j ".totals.cost_usd > 0 and .totals.cf_cost_usd >= .totals.cost_usd")" = true ]' "costs"
tg_expect '[ "$(j ".latency.upstream_ms.count")" = $((N + 1 + P)) ]' "latency count"
tg_expect '[ "$(j ".latency.overhead_us.p50 != null")" = true ]' "overhead p50"
tg_expect '[ "$(j ".by_tenant.tenants[0].tenant")" = acme ]' "tenant acme"
tg_expect '[ "$(j .totals.answered)" = $((N + 1 + P)) ] && [ "$(j .totals.failed)" = 0 ]' "answered/failed"
tg_expect '[ "$(j .totals.rejected)" = $R ] && [ "$(j .rejected.requests)" = $R ]' "rejected: $(j -c .rejected)"
tg_expect '[ "$(j .totals.unpriced_requests)" = 0 ]' "a refusal counted as unpriced"
tg_expect '[ "$(j ".rejected.by_status[\"400\"]")" = 3 ]' \
    "rejected by status: $(j -c .rejected.by_status)"
tg_expect '[ "$(j ".rejected.by_status[\"$WRONG_KEY_STATUS\"]")" = 1 ]' "rejected wrong key"
tg_expect '[ "$(j ".rejected.by_reason.validation")" = 2 ] && [ "$(j ".rejected.by_reason.unknown_model")" = 1 ] &&
    [ "$(j ".rejected.by_reason.auth")" = 1 ]' "rejected by reason: $(j -c .rejected.by_reason)"
tg_expect '[ "$(j ".rejected.rows[] | select(.router == \"support\" and .tenant == \"acme\" and .reason == \"validation\") | .requests")" = 2 ]' \
    "rejected per router and tenant: $(j -c .rejected.rows)"
tg_expect '[ "$(j ".rejected.rows[] | select(.reason == \"auth\") | .router + \"/\" + .tenant")" = support/ ]' \
    "a refused key is counted under the router it named, with no tenant"
tg_expect '[ "$(j "[.routers[].models[] | select(.model == \"\")] | length")" = 0 ]' "a refusal appeared as a model"
tg_expect '[ "$(j "[.series.points[].rejected] | add")" = $R ]' "series rejected does not add up"
tg_expect '[ "$(j .lifetime.rejected)" = $R ]' "lifetime.rejected"
for w in 24h:96 7d:168 30d:30; do
	admin_get "/admin/api/stats?window=${w%:*}" "${auth[@]}"
	tg_expect '[ "$A_STATUS" = 200 ] && [ "$(j ".series.points | length")" = ${w#*:} ]' "window ${w%:*}"
	tg_expect '[ "$(j .totals.requests)" = $((N + 1 + P)) ]' "window ${w%:*} totals"
done
admin_get "/admin/api/stats?window=2h" "${auth[@]}"
tg_expect '[ "$A_STATUS" = 400 ]' "bad window: HTTP $A_STATUS"
tg_ok

# --- decisions, paged -----------------------------------------------------------
admin_get "/admin/api/decisions?limit=5" "${auth[@]}"
tg_expect '[ "$A_STATUS" = 200 ] && [ "$(j ".decisions | length")" = 5 ]' "decisions page 1: $A_OUT"
first=$(j '[.decisions[].request_id] | join(" ")')
before=$(j .next_before)
tg_expect '[ "$(j .decisions[0].rejected)" = auth ] && [ "$(j .decisions[$R].router)" = pinned ]' "newest first"
tg_expect '[ "$(j ".decisions[0] | has(\"prompt\")")" = false ]' "prompt leaked"
all=$first
while [ "$before" != null ]; do
	admin_get "/admin/api/decisions?limit=5&before=$before" "${auth[@]}"
	tg_expect '[ "$A_STATUS" = 200 ]' "decisions page: HTTP $A_STATUS"
	all="$all $(j '[.decisions[].request_id] | join(" ")')"
	before=$(j .next_before)
done
tg_expect '[ "$(printf "%s\n" $all | sort -u | wc -l)" = $((N + 1 + P + R)) ]' "pages did not cover every decision once"
tg_expect '[ "$(wc -l <"$TG_RUN/decisions.jsonl")" = $((N + 1 + P + R)) ]' "decision log lines"
admin_get "/admin/api/decisions?limit=0" "${auth[@]}"
tg_expect '[ "$A_STATUS" = 400 ]' "limit=0: HTTP $A_STATUS"
admin_get "/admin/api/decisions?before=abc" "${auth[@]}"
tg_expect '[ "$A_STATUS" = 400 ]' "before=abc: HTTP $A_STATUS"
tg_ok

# --- what-if, routers --------------------------------------------------------------
admin_get "/admin/api/whatif?router=support" "${auth[@]}"
tg_expect '[ "$A_STATUS" = 200 ]' "whatif: HTTP $A_STATUS: $A_OUT"
tg_expect '[ "$(j .decisions)" = $N ] && [ "$(j ".points | length")" = 101 ]' "whatif size"
tg_expect '[ "$(j ".points[] | select(.current) | .threshold")" = 20 ]' "current threshold"
tg_expect '[ "$(j ".points[0].strong_share >= .points[100].strong_share")" = true ]' "monotone ends"
# the router's own policy, replayed: for the default policy it is the
# threshold rule at every threshold; for class_pinned.lua the pinned class
# stays on the strongest model where the rule alone would move it
tg_expect '[ "$(j ".policy_points | length")" = 101 ] && [ "$(j .policy_version)" != null ]' "policy points"
tg_expect '[ "$(j "[range(101) as \$t | (.points[\$t].cost_usd - .policy_points[\$t].cost_usd | fabs) < 1e-12
    and .points[\$t].strong_share == .policy_points[\$t].strong_share] | all")" = true ]' \
    "the default policy's replay differs from the threshold rule"
admin_get "/admin/api/whatif?router=pinned" "${auth[@]}"
tg_expect '[ "$A_STATUS" = 200 ] && [ "$(j .decisions)" = $P ]' "whatif pinned: $A_OUT"
tg_expect '[ "$(j .points[100].strong_share)" = 0 ] && [ "$(j .policy_points[100].strong_share)" = 1 ]' \
    "pinned: rule $(j .points[100].strong_share), policy $(j .policy_points[100].strong_share) at 100"
tg_expect '[ "$(j ".policy_points[100].cost_usd > .points[100].cost_usd")" = true ]' "pinned: policy cost"
admin_get "/admin/api/whatif?router=nope" "${auth[@]}"
tg_expect '[ "$A_STATUS" = 404 ]' "whatif unknown router: HTTP $A_STATUS"
admin_get /admin/api/routers "${auth[@]}"
tg_expect '[ "$(j ".routers[] | select(.id == \"support\") | .strong_model")" = anthropic.claude-3-5-sonnet-20240620-v1:0 ]' \
    "routers: strong model"
tg_ok

# --- /metrics ------------------------------------------------------------------------
admin_get /metrics "${auth[@]}"
tg_expect '[ "$A_STATUS" = 200 ]' "/metrics: HTTP $A_STATUS"
tg_expect 'grep -qi "^Content-Type: *text/plain; version=0.0.4" "$TG_RUN/admin.h"' "metrics content type"
sum=$(printf %s "$A_OUT" | awk '/^tiergate_requests_total\{/ { s += $NF } END { print s }')
tg_expect '[ "$sum" = $((N + 1 + P)) ]' "tiergate_requests_total sums to $sum"
sum=$(printf %s "$A_OUT" | awk '/^tiergate_rejected_requests_total\{/ { s += $NF } END { print s }')
tg_expect '[ "$sum" = $R ]' "tiergate_rejected_requests_total sums to $sum"
tg_expect 'printf %s "$A_OUT" | grep -qF "tiergate_rejected_requests_total{router=\"support\",tenant=\"acme\",status=\"400\",reason=\"validation\"} 2"' \
    "rejected series by router, tenant, status, reason"
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
if [ -n "$PROMTOOL" ] && [ -x "$PROMTOOL" ]; then
	printf '%s\n' "$A_OUT" | "$PROMTOOL" check metrics || tg_fail "promtool check metrics"
fi
tg_ok

# --- no secrets in anything the admin API returned ------------------------------------
for s in "$TG_ADMIN_TOKEN" "$(tg_sha256 "$TG_ADMIN_TOKEN")" "$TG_KEY" "$TG_UP_SECRET" "$TG_SECRET"; do
	tg_expect '! grep -qF -- "$s" "$TG_RUN/admin-all.txt"' "a secret appeared in an admin response"
done
tg_ok

# --- the stats file equals a rebuild from the decision log ------------------------------
# `tiergate stats`, or the test driver's copy of the same command
STATS=("$TIERGATE" stats)
"${STATS[@]}" show --stats "$TG_RUN/stats.bin" >/dev/null 2>&1 ||
    STATS=("$top_builddir/tests/stats/stats-driver" stats)
"${STATS[@]}" rebuild --stats "$TG_RUN/rebuilt.bin" "$TG_RUN/decisions.jsonl" >/dev/null ||
    tg_fail "stats rebuild"
now=$(date +%s)
for w in 1h 30d; do
	a=$("${STATS[@]}" show --stats "$TG_RUN/stats.bin" --window $w --at $now | jq -c 'del(.stats_since)')
	b=$("${STATS[@]}" show --stats "$TG_RUN/rebuilt.bin" --window $w --at $now | jq -c 'del(.stats_since)')
	tg_expect '[ -n "$a" ] && [ "$a" = "$b" ]' "rebuilt stats ($w) differ from the live file"
	tg_expect '[ "$(printf %s "$b" | jq .rejected.requests)" = $R ]' "rebuilt stats ($w) lost the refusals"
done
tg_ok
echo "$TG_CHECKS passed, 0 failed"
