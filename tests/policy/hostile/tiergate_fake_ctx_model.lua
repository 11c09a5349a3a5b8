-- expect: result
-- reason: not a candidate
-- a forged ctx makes the helper answer a made-up model; C still checks it
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return tiergate.bedrock({ predictor_ok = true, threshold = 20,
    candidates = { { model = "evil.model", quality = 1 } } })
end }
