-- expect: instructions
-- a forged ctx whose candidates never end: the helper's loop runs under
-- the policy's instruction limit
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local c = { model = "m", quality = 0.5 }
  local cands = setmetatable({}, { __index = function() return c end })
  return tiergate.bedrock({ predictor_ok = true, threshold = 20, candidates = cands })
end }
