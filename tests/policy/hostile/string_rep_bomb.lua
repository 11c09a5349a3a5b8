-- expect: runtime memory
-- reason: larger than the policy memory limit
-- string.rep of a gigabyte is refused before it allocates
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local s = string.rep("x", 1e9)
  return { model = ctx.candidates[1].model, reason = #s }
end }
