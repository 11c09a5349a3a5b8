-- expect: runtime
-- reason: attempt to index a boolean value
-- getmetatable(ctx) hands out nothing usable
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  getmetatable(ctx).__index = { candidates = { { model = "evil" } } }
  return { model = "evil" }
end }
