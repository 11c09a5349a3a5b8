#!/bin/bash
# replay.sh - `tiergate replay` over small hand-made decision logs whose
# results were worked out by hand (see the comments below).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/policy/lib.sh"
command -v jq >/dev/null || { echo "jq not found"; exit 77; }
D="$top_srcdir/tests/policy"

# decisions.jsonl: 7 lines = 5 routed decisions, 1 passthrough (skipped),
# 1 malformed.  1000 in + 1000 out tokens each: haiku $0.0015, sonnet
# $0.018.  Qualities (haiku, sonnet): .80/.90, .50/.90, .85/.86, none,
# .70/.80 (router "other").  At the logged 20%: haiku, sonnet, haiku,
# fallback sonnet, haiku → $0.0405 vs $0.09 all-sonnet, 55% saved.
# At 5%: only .85/.86 stays on haiku → $0.0735, 18.33%, 2 changed.
check() { # DESCRIPTION JQ-EXPRESSION (must be true) ARGS...
	what=$1; expr=$2; shift 2
	out=$("$POLICY_TOOL" replay --json "$@" 2>&1)
	if echo "$out" | jq -e "$expr" >/dev/null 2>&1; then pass "$what"; else fail "$what"; echo "$out"; fi
}
close() { echo "(. - $1 | fabs) < 1e-9"; }
check "as logged" \
  ".decisions == 5 and .skipped == 1 and .malformed == 1 and .changed == 0 and
   (.cost | $(close 0.0405)) and (.counterfactual_cost | $(close 0.09)) and
   (.savings_pct | $(close 55)) and
   ([.models[] | select(.model | test(\"haiku\")) | .count] == [3])" \
  --policy "$P/default.lua" "$D/decisions.jsonl"
check "what-if threshold 5" \
  ".threshold == 5 and .changed == 2 and (.cost | $(close 0.0735)) and
   (.savings | $(close 0.0165)) and (.logged_cost | $(close 0.0405)) and
   ([.models[] | select(.model | test(\"sonnet\")) | .share] == [80])" \
  --policy "$P/default.lua" --threshold 5 "$D/decisions.jsonl"
check "router filter" ".decisions == 1 and .skipped == 5 and .malformed == 1" \
  --policy "$P/default.lua" --router other "$D/decisions.jsonl"
# budget.jsonl: tenant "trial" ($1/day), each request $1.80 on sonnet;
# day 1: served, refused, refused; day 2: served again.
check "budget guard replays spend per UTC day" \
  ".decisions == 4 and .refused == 2 and (.cost | $(close 3.6)) and .models[0].count == 2" \
  --policy "$P/examples/budget_guard.lua" "$D/budget.jsonl"
out=$("$POLICY_TOOL" replay --policy "$P/default.lua" "$D/decisions.jsonl" 2>&1)
echo "$out" | grep -q 'savings *\$0.049500 (55.0%)' && pass "text report" || { fail "text report"; echo "$out"; }
# --config needs the config module, i.e. the tiergate binary: the router's
# fallback (haiku here) then serves the unscored line 4; router "support"
# only: haiku, sonnet, haiku, haiku = 3 × $0.0015 + $0.018 = $0.0225.
if [ -x "${TIERGATE:-}" ] && "$TIERGATE" replay --policy "$P/default.lua" "$D/decisions.jsonl" >/dev/null 2>&1; then
	tmp=$(mktemp -d)
	cat >"$tmp/tiergate.json" <<CONF
{ "region": "us-east-1",
  "models": {
    "anthropic.claude-3-haiku-20240307-v1:0": { "input": 0.25, "output": 1.25 },
    "anthropic.claude-3-5-sonnet-20240620-v1:0": { "input": 3, "output": 15 } },
  "routers": [ { "id": "support", "name": "Support",
    "models": ["anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0"],
    "fallback": "anthropic.claude-3-haiku-20240307-v1:0", "response_quality_difference": 20 } ] }
CONF
	if "$TIERGATE" check-config "$tmp/tiergate.json" >/dev/null 2>&1; then
		out=$("$TIERGATE" replay --json --config "$tmp/tiergate.json" --router support \
		    --policy "$P/default.lua" "$D/decisions.jsonl" 2>&1)
		echo "$out" | jq -e ".decisions == 4 and (.cost | $(close 0.0225))" >/dev/null &&
		    pass "replay --config uses the router's fallback" ||
		    { fail "replay --config"; echo "$out"; }
	else
		echo "skip: replay --config (minimal config rejected: $("$TIERGATE" check-config "$tmp/tiergate.json" 2>&1))"
	fi
	rm -rf "$tmp"
fi
expect_rc 2 "usage: no policy" "$POLICY_TOOL" replay "$D/decisions.jsonl"
expect_rc 2 "usage: bad threshold" "$POLICY_TOOL" replay --policy "$P/default.lua" --threshold 101 "$D/decisions.jsonl"
expect_rc 1 "missing log" "$POLICY_TOOL" replay --policy "$P/default.lua" /nonexistent.jsonl
finish
