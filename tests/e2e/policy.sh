#!/bin/bash
# Policies through the running gateway (behind lighttpd): a mandatory model
# per request class, a budget refusal in Bedrock's 429 shape, runtime errors
# and runaway loops served by the fallback with the reason, and hot reload
# of a policy file (a good new version is picked up, a broken one or one
# whose returned table has a looping __index rejected while the old one
# keeps serving), caps on requestMetadata and the class header, and a
# backtracking pattern on client metadata bounded by the instruction limit.
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
cat >"$TG_RUN/split.lua" <<'LUA'
-- An operator's rule that backtracks on a client-supplied value.
return { decide = function(ctx)
  local note = ctx.metadata.note
  if note then
    local a, b, c, n = note:match("^(.-)%-(.-)%-(.-)%-(%d+)$")
    return { model = ctx.candidates[1].model, reason = "split " .. tostring(n) }
  end
  return { model = ctx.candidates[1].model, reason = "no note" }
end }
LUA
TG_ROUTERS_EXTRA=",
    { \"id\": \"split\", \"models\": [\"$HAIKU\", \"$SONNET\"], \"fallback\": \"$SONNET\",
      \"policy\": \"$TG_RUN/split.lua\" },
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

# Caps: requestMetadata of 17 entries, a 257-byte value, a 257-byte class
# header: 400 ValidationException naming the cap, the values not echoed.
meta17=$(jq -cn '[range(17)] | map({key: "k\(.)", value: "v"}) | from_entries')
tg_post /model/split/converse "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],\"requestMetadata\":$meta17}"
tg_expect '[ "$TG_STATUS" = 400 ] && [ "$(tg_header x-amzn-ErrorType)" = ValidationException ]' \
    "17 metadata entries: $TG_STATUS $(tg_header x-amzn-ErrorType)"
tg_expect 'jq -r .message <<<"$TG_OUT" | grep -q "must have at most 16 entries"' "17 entries: message $TG_OUT"
long=$(printf 'v%.0s' $(seq 257))
tg_post /model/split/converse "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],\"requestMetadata\":{\"note\":\"$long\"}}"
tg_expect '[ "$TG_STATUS" = 400 ] && jq -r .message <<<"$TG_OUT" | grep -q "values of at most 256 bytes"' \
    "257-byte value: $TG_STATUS $TG_OUT"
tg_expect '! grep -q vvvvvvvv <<<"$TG_OUT"' "the value was echoed"
tg_post /model/split/converse "$body" -H "x-tiergate-class: $long"
tg_expect '[ "$TG_STATUS" = 400 ] && jq -r .message <<<"$TG_OUT" | grep -q "x-tiergate-class.*at most 256 bytes"' \
    "257-byte class header: $TG_STATUS $TG_OUT"
tg_ok

# At the cap, the backtracking rule is stopped by the instruction limit
# (or finishes): answered at once, and the next request routes normally.
note=$(printf 'a-%.0s' $(seq 128))
start=$(date +%s%N)
tg_post /model/split/converse "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],\"requestMetadata\":{\"note\":\"$note\"}}"
ms=$((($(date +%s%N) - start) / 1000000))
tg_expect '[ "$TG_STATUS" = 200 ] && [ "$ms" -lt 2000 ]' "backtracking note: $TG_STATUS after $ms ms"
tg_post /model/split/converse "$body"
tg_expect '[ "$TG_STATUS" = 200 ] && [ "$(tg_header x-tiergate-reason)" = "no note" ]' \
    "after the backtracking note: $TG_STATUS $(tg_header x-tiergate-reason)"
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
printf 'return setmetatable({}, { __index = function() while true do end end })\n' >"$TG_RUN/live.lua.new"
mv "$TG_RUN/live.lua.new" "$TG_RUN/live.lua"
sleep 1.2
for i in 1 2 3; do
	tg_post /model/live/converse "$body"
	tg_expect '[ "$TG_STATUS" = 200 ] && [ "$(tg_header x-tiergate-reason)" = "live v2" ]' \
	    "a looping __index replaced the serving policy, request $i: $(tg_header x-tiergate-reason)"
done
tg_expect 'grep -q "live.lua: policy limit: more than [0-9]* instructions while loading" "$TG_RUN/tiergate.log"' \
    "the hostile __index reload was not logged as a limit"
tg_ok
echo "$TG_CHECKS passed, 0 failed"
