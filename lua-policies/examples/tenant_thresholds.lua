-- tenant_thresholds.lua - a response quality difference per tenant.
--
-- The tenant is the one of the client's API key.  Tenants listed in
-- THRESHOLDS use their own threshold (percent); everyone else uses the
-- router's response_quality_difference.

local THRESHOLDS = {
  ["acme"] = 5,        -- quality first: escalate on small predicted gains
  ["startup-co"] = 40, -- cost first
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

local function decide(ctx)
  local t = ctx.tenant and THRESHOLDS[ctx.tenant]
  local d = bedrock(ctx, t or ctx.threshold)
  if t then d.reason = "tenant " .. ctx.tenant .. ": " .. d.reason end
  return d
end

return { decide = decide }
