-- expect: runtime
-- reason: attempt to index a boolean value
-- getmetatable(tiergate) hands out false, not the table behind the proxy
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  getmetatable(tiergate).__index.bedrock = function() return { model = "evil" } end
  return tiergate.bedrock(ctx)
end }
