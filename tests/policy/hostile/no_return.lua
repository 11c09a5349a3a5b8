-- expect: load
-- a policy that returns nothing
local function decide(ctx) return { model = ctx.fallback } end
