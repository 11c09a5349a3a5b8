-- expect: result
-- decide returns a string
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return ctx.candidates[1].model
end }
