-- expect: runtime
-- reason: tiergate.bedrock: ctx.candidates[2].quality: number expected, got string
-- a forged ctx with a bad candidate: named precisely, nothing chosen
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return tiergate.bedrock({ predictor_ok = true, threshold = 20, fallback = "x",
    candidates = { { model = "a", quality = 0.5 }, { model = "b", quality = "0.9" } } })
end }
