-- expect: instructions
-- ms: 50
-- gsub tries the backtracking pattern at every position
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local s, n = string.gsub(("a"):rep(30000), ".-.-.-b", "x")
  return { model = ctx.fallback, reason = "replaced " .. n }
end }
