-- expect: result
-- model is a number
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return { model = 42 }
end }
