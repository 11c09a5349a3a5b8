-- expect: instructions
-- ms: 50
-- gmatch over a backtracking pattern, through the string metatable
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local n = 0
  for _ in (("a"):rep(30000)):gmatch("(.-)(.-)(.-)b") do n = n + 1 end
  return { model = ctx.fallback, reason = "matches " .. n }
end }
