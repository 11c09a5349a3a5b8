-- budget_guard.lua - a daily spend limit per tenant.
--
-- ctx.spend.tenant_today is what the tenant has spent today (UTC) on this
-- host, in US dollars, from tiergate's shared counters.  Below DOWN_AT of
-- its budget a tenant gets Bedrock's rule; from DOWN_AT on, the cheapest
-- candidate; past the budget the request is refused with Bedrock's 429
-- ThrottlingException, so SDK clients back off as they would on Bedrock.
-- Tenants without a budget are never limited.

local BUDGETS = {          -- US dollars per UTC day
  ["acme"] = 50.00,
  ["trial"] = 1.00,
}
local DOWN_AT = 0.80       -- route down at 80% of the budget

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
  local budget = ctx.tenant and BUDGETS[ctx.tenant]
  local spent = ctx.spend.tenant_today
  if budget and spent >= budget then
    return { refuse = { status = 429, type = "ThrottlingException",
      message = string.format("daily budget of $%.2f for tenant %s is exhausted",
        budget, ctx.tenant) },
      reason = string.format("tenant %s spent $%.2f of $%.2f", ctx.tenant, spent, budget) }
  elseif budget and spent >= DOWN_AT * budget then
    return { model = ctx.candidates[1].model, reason = string.format(
      "tenant %s at %.0f%% of its budget: cheapest model", ctx.tenant, 100 * spent / budget) }
  end
  return bedrock(ctx, ctx.threshold)
end

return { decide = decide }
