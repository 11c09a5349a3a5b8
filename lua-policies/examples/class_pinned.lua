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

-- Bedrock rule (as default.lua): cheapest candidate c with
-- best <= quality(c) * (1 + threshold / 100); fallback without predictions.
local function bedrock(ctx, threshold)
  local best
  for _, c in ipairs(ctx.candidates) do
    if c.quality ~= nil and (best == nil or c.quality > best.quality) then best = c end
  end
  if not ctx.predictor_ok or best == nil then
    return { model = ctx.fallback, reason = "no prediction: fallback" }
  end
  for _, c in ipairs(ctx.candidates) do
    if c.quality ~= nil and best.quality <= c.quality * (1 + threshold / 100) then
      return { model = c.model, reason = string.format(
        "%.2f within %g%% of best %.2f", c.quality, threshold, best.quality) }
    end
  end
end

-- The strongest candidate: the most expensive priced one (candidates are
-- sorted by price, unpriced last), or the last one if none is priced.
local function strongest(ctx)
  local s = ctx.candidates[#ctx.candidates]
  for _, c in ipairs(ctx.candidates) do
    if c.priced then s = c end
  end
  return s
end

local function candidate(ctx, model)
  for _, c in ipairs(ctx.candidates) do
    if c.model == model then return c end
  end
end

local function decide(ctx)
  local pin = ctx.class and PINNED[ctx.class]
  if pin == "strongest" then
    return { model = strongest(ctx).model,
             reason = "class " .. ctx.class .. " is pinned to the strongest model" }
  elseif pin and candidate(ctx, pin) then
    return { model = pin, reason = "class " .. ctx.class .. " is pinned to " .. pin }
  end
  return bedrock(ctx, ctx.threshold)
end

return { decide = decide }
