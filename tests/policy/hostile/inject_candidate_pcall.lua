-- expect: result
-- reason: 'evil.model', which is not a candidate
-- even when the write is caught, C validates the model against its own list
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  pcall(function() ctx.candidates[1] = { model = "evil.model" } end)
  pcall(function() ctx.candidates[1].model = "evil.model" end)
  return { model = "evil.model" }
end }
