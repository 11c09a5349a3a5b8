-- expect: runtime
-- reason: tiergate.bedrock: threshold: number expected, got string
-- every helper checks its arguments; the last failure is the reason
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local calls = {
    function() return tiergate.strongest(42) end,
    function() return tiergate.cheapest({ candidates = "nope" }) end,
    function() return tiergate.candidate(ctx, {}) end,
    function() return tiergate.candidate({ candidates = { 1 } }, "m") end,
    function() return tiergate.fallback(ctx, 42) end,
    function() return tiergate.fallback({ fallback = {} }) end,
    function() return tiergate.short(nil) end,
    function() return tiergate.bedrock({ candidates = {}, threshold = 1, predictor_ok = false }) end,
    function() return tiergate.bedrock({ candidates = { { model = 1, quality = 1 } }, threshold = 1, predictor_ok = true }) end,
  }
  for i, f in ipairs(calls) do
    local ok, err = pcall(f)
    assert(not ok and err:find("tiergate%.%a+: "), "call " .. i .. ": " .. tostring(err))
  end
  return tiergate.bedrock(ctx, "lots")
end }
