-- expect: ok
-- reason: within 20% of best
-- a failed overwrite caught by pcall leaves the real helper in place,
-- in this call and the next (the runner decides twice)
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local ok = pcall(function()
    tiergate.bedrock = function() return { model = "evil", reason = "pwned" } end
  end)
  assert(not ok, "overwrite succeeded")
  assert(pcall(function() tiergate.extra = 1 end) == false, "new key accepted")
  assert(tiergate.extra == nil and rawget(tiergate, "bedrock") == nil)
  return tiergate.bedrock(ctx)
end }
