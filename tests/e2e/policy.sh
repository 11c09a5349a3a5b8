#!/bin/bash
# Policies through the running gateway (behind lighttpd): a mandatory model
# per request class, a budget refusal in Bedrock's 429 shape, runtime errors
# and runaway loops served by the fallback with the reason, and hot reload
# of a policy file (a good new version is picked up, a broken one rejected
# while the old one keeps serving).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_need jq
tg_init policy
tg_start_emulator
HAIKU=anthropic.claude-3-haiku-20240307-v1:0
SONNET=anthropic.claude-3-5-sonnet-20240620-v1:0
cat >"$TG_RUN/live.lua" <<'LUA'
return { decide = function(ctx)
  return { model = ctx.candidates[1].model, reason = "live v1" }
end }
LUA
cat >"$TG_RUN/guard.lua" <<'LUA'
-- Refuses globex once it has spent anything today; errors and loops on demand.
return { decide = function(ctx)
  if ctx.class == "boom" then error("boom on purpose") end
  if ctx.class == "loop" then while true do end end
  if ctx.tenant == "globex" and ctx.spend.tenant_today > 0 then
    return { refuse = { status = 429, type = "ThrottlingException",
                        message = "globex is over its daily budget" } }
  end
  return { model = ctx.candidates[1].model, reason = "under budget" }
end }
LUA
TG_ROUTERS_EXTRA=",
    { \"id\": \"pinned\", \"models\": [\"$HAIKU\", \"$SONNET\"], \"fallback\": \"$HAIKU\",
      \"response_quality_difference\": 100,
      \"policy\": \"$top_srcdir/lua-policies/examples/class_pinned.lua\" },
    { \"id\": \"live\", \"models\": [\"$HAIKU\", \"$SONNET\"], \"fallback\": \"$SONNET\",
      \"policy\": \"$TG_RUN/live.lua\" },
    { \"id\": \"guard\", \"models\": [\"$HAIKU\", \"$SONNET\"], \"fallback\": \"$SONNET\",
      \"policy\": \"$TG_RUN/guard.lua\" }" tg_write_config
tg_start_lighttpd
body=$(tg_converse_body "Review this contract clause.")

# A mandatory model per class: legal goes to the strongest, by header or
# by requestMetadata; other classes follow Bedrock's rule (threshold 100:
# the cheaper model).
tg_post /model/pinned/converse "$body" -H 'x-tiergate-class: legal'
tg_expect '[ "$TG_STATUS" = 200 ] && [ "$(tg_header x-tiergate-model)" = "$SONNET" ]' \
    "class legal (header) was not pinned to the strongest: $TG_STATUS $(tg_header x-tiergate-model)"
tg_expect 'tg_header x-tiergate-reason | grep -q "class legal is pinned"' "pinned reason"
tg_post /model/pinned/converse \
    '{"messages":[{"role":"user","content":[{"text":"x"}]}],"requestMetadata":{"class":"legal"}}'
tg_expect '[ "$(tg_header x-tiergate-model)" = "$SONNET" ]' "class legal (requestMetadata) not pinned"
tg_post /model/pinned/converse "$body" -H 'x-tiergate-class: general'
tg_expect '[ "$(tg_header x-tiergate-model)" = "$HAIKU" ]' "class general: want the cheaper model"
tg_ok

# Budget: globex's first request is served and costs something; the next
# is refused with Bedrock's 429; another tenant is not affected.
TG_AUTHZ="Bearer $TG_KEY2" tg_post /model/guard/converse "$body"
tg_expect '[ "$TG_STATUS" = 200 ]' "guard: first request HTTP $TG_STATUS"
TG_AUTHZ="Bearer $TG_KEY2" tg_post /model/guard/converse "$body"
tg_expect '[ "$TG_STATUS" = 429 ] && [ "$(tg_header x-amzn-ErrorType)" = ThrottlingException ]' \
    "guard: want 429 ThrottlingException, got $TG_STATUS $(tg_header x-amzn-ErrorType)"
tg_expect '[ "$(jq -r .message <<<"$TG_OUT")" = "globex is over its daily budget" ]' "guard: message"
tg_post /model/guard/converse "$body"
tg_expect '[ "$TG_STATUS" = 200 ]' "guard: another tenant was refused"
tg_ok

# A policy error or a runaway loop: the fallback serves, the reason says
# why, the decision log records it, and the worker keeps serving.
tg_post /model/guard/converse "$body" -H 'x-tiergate-class: boom'
tg_expect '[ "$TG_STATUS" = 200 ] && [ "$(tg_header x-tiergate-model)" = "$SONNET" ]' "boom: fallback did not serve"
tg_expect 'tg_header x-tiergate-reason | grep -q "boom on purpose"' "boom: reason $(tg_header x-tiergate-reason)"
tg_expect '[ "$(tail -n1 "$TG_RUN/decisions.jsonl" | jq -r .fallback)" = policy_error ]' "boom: decision log"
tg_post /model/guard/converse "$body" -H 'x-tiergate-class: loop'
tg_expect '[ "$TG_STATUS" = 200 ] && [ "$(tg_header x-tiergate-model)" = "$SONNET" ]' "loop: fallback did not serve"
tg_expect '[ "$(tail -n1 "$TG_RUN/decisions.jsonl" | jq -r .fallback)" = policy_limit ]' "loop: decision log"
tg_post /model/guard/converse "$body"
tg_expect '[ "$TG_STATUS" = 200 ] && tg_header x-tiergate-reason | grep -q "under budget"' \
    "the policy does not serve normally after the loop"
tg_ok

# Hot reload: every worker thread picks up a good new file within about a
# second; a broken file is rejected and the previous version keeps serving.
tg_post /model/live/converse "$body"
tg_expect '[ "$(tg_header x-tiergate-reason)" = "live v1" ]' "live v1: $(tg_header x-tiergate-reason)"
sed 's/live v1/live v2/; s/candidates\[1\]/candidates[#ctx.candidates]/' "$TG_RUN/live.lua" >"$TG_RUN/live.lua.new"
mv "$TG_RUN/live.lua.new" "$TG_RUN/live.lua"
sleep 1.2
for i in 1 2 3 4 5 6 7 8 9 10; do
	tg_post /model/live/converse "$body"
	tg_expect '[ "$(tg_header x-tiergate-reason)" = "live v2" ] && [ "$(tg_header x-tiergate-model)" = "$SONNET" ]' \
	    "after reload, request $i: $(tg_header x-tiergate-reason)"
done
printf 'return { decide = function(ctx) return { model = \n' >"$TG_RUN/live.lua.new"
mv "$TG_RUN/live.lua.new" "$TG_RUN/live.lua"
sleep 1.2
for i in 1 2 3 4 5 6 7 8 9 10; do
	tg_post /model/live/converse "$body"
	tg_expect '[ "$TG_STATUS" = 200 ] && [ "$(tg_header x-tiergate-reason)" = "live v2" ]' \
	    "a broken file replaced the serving policy, request $i: $(tg_header x-tiergate-reason)"
done
tg_expect 'grep -q "live.lua" "$TG_RUN/tiergate.log"' "the rejected reload was not logged"
tg_ok
echo "$TG_CHECKS passed, 0 failed"
