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

local function decide(ctx)
  local budget = ctx.tenant and BUDGETS[ctx.tenant]
  local spent = ctx.spend.tenant_today
  if budget and spent >= budget then
    return { refuse = { status = 429, type = "ThrottlingException",
      message = string.format("daily budget of $%.2f for tenant %s is exhausted",
        budget, ctx.tenant) },
      reason = string.format("tenant %s spent $%.2f of $%.2f", ctx.tenant, spent, budget) }
  elseif budget and spent >= DOWN_AT * budget then
    return { model = tiergate.cheapest(ctx).model, reason = string.format(
      "tenant %s at %.0f%% of its budget: cheapest model", ctx.tenant, 100 * spent / budget) }
  end
  return tiergate.bedrock(ctx)
end

return { decide = decide }
