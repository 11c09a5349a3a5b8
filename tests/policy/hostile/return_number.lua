-- expect: result
-- decide returns a number
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return 42
end }
