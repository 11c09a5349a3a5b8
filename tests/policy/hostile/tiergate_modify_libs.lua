-- expect: ok
-- reason: within 20% of best
-- the helpers captured string.format & co when they loaded; the libraries
-- are read-only anyway, and a policy's local shadows change nothing
local string, ipairs, type = { format = function() return "evil" end },
  function() error("evil ipairs") end, function() return "evil" end
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  assert(not pcall(function() _ENV.string.format = string.format end))
  for k in pairs(tiergate) do assert(type(k) == "evil") end
  return tiergate.bedrock(ctx)
end }
