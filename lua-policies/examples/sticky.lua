-- sticky.lua - keep a conversation on one model.
--
-- Follow-up turns (ctx.turns > 1) of a conversation stay on the model that
-- served it before (ctx.previous_model), as long as that model is still one
-- of the router's candidates, so the tone and format of the answers do not
-- change mid-conversation.  First turns get Bedrock's rule.

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

local function decide(ctx)
  local prev = ctx.previous_model
  if prev and ctx.turns > 1 then
    for _, c in ipairs(ctx.candidates) do
      if c.model == prev then
        return { model = prev, reason = "sticky: conversation stays on " .. prev }
      end
    end
  end
  return bedrock(ctx, ctx.threshold)
end

return { decide = decide }
