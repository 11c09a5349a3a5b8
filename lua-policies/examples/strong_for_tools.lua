-- strong_for_tools.lua - tool use and images need the strongest model.
--
-- Requests that carry tool definitions (toolConfig) or image blocks go to
-- the router's most expensive candidate: small models are weaker at both.
-- Documents are left to the Bedrock rule.

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
  if ctx.has_tools or ctx.has_images then
    return { model = strongest(ctx).model,
      reason = ctx.has_tools and "tools present: strongest model"
                             or "images present: strongest model" }
  end
  return bedrock(ctx, ctx.threshold)
end

return { decide = decide }
