-- strong_for_tools.lua - tool use and images need the strongest model.
--
-- Requests that carry tool definitions (toolConfig) or image blocks go to
-- the router's most expensive candidate: small models are weaker at both.
-- Documents are left to the Bedrock rule.

local function decide(ctx)
  if ctx.has_tools or ctx.has_images then
    return { model = tiergate.strongest(ctx).model,
      reason = ctx.has_tools and "tools present: strongest model"
                             or "images present: strongest model" }
  end
  return tiergate.bedrock(ctx)
end

return { decide = decide }
