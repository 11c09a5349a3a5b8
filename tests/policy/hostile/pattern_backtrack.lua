-- expect: instructions
-- ms: 50
-- a backtracking pattern runs in C: the matcher charges the instruction limit
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local i = ("a"):rep(30000):find(".-.-.-.-b")
  return { model = ctx.fallback, reason = "found " .. tostring(i) }
end }
