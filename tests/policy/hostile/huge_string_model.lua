-- expect: result
-- a megabyte model id
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return { model = string.rep("a", 1e6) }
end }
