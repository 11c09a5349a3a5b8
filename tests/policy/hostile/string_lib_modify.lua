-- expect: runtime
-- reason: read-only
-- library tables are read-only
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  string.format = function() return "evil" end
  return { model = ctx.candidates[1].model }
end }
