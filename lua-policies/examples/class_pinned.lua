-- class_pinned.lua - a mandatory model per request class.
--
-- The request class comes from the x-tiergate-class header or the Converse
-- requestMetadata key "class".  A class listed in PINNED always goes to the
-- model named there: "strongest" means the router's most expensive
-- candidate; a model id is used when it is one of the router's candidates
-- (otherwise the Bedrock rule decides, so a typo cannot take traffic down).
-- Other classes get Bedrock's rule.

local PINNED = {
  legal = "strongest",
  medical = "strongest",
  chitchat = "anthropic.claude-3-haiku-20240307-v1:0",
}

local function decide(ctx)
  local pin = ctx.class and PINNED[ctx.class]
  if pin == "strongest" then
    return { model = tiergate.strongest(ctx).model,
             reason = "class " .. ctx.class .. " is pinned to the strongest model" }
  elseif pin and tiergate.candidate(ctx, pin) then
    return { model = pin, reason = "class " .. ctx.class .. " is pinned to " .. pin }
  end
  return tiergate.bedrock(ctx)
end

return { decide = decide }
