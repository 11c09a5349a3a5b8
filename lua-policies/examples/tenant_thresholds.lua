-- tenant_thresholds.lua - a response quality difference per tenant.
--
-- The tenant is the one of the client's API key.  Tenants listed in
-- THRESHOLDS use their own threshold (percent); everyone else uses the
-- router's response_quality_difference.

local THRESHOLDS = {
  ["acme"] = 5,        -- quality first: escalate on small predicted gains
  ["startup-co"] = 40, -- cost first
}

local function decide(ctx)
  local t = ctx.tenant and THRESHOLDS[ctx.tenant]
  local d = tiergate.bedrock(ctx, t)
  if t then d.reason = "tenant " .. ctx.tenant .. ": " .. d.reason end
  return d
end

return { decide = decide }
