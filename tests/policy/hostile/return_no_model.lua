-- expect: result
-- reason: model is nil, not a string
-- a table without model
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return { reason = "forgot the model" }
end }
