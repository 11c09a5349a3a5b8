-- expect: instructions
-- reason: more than 200000 instructions
-- pcall cannot swallow the instruction limit once it fired
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  for i = 1, 100 do pcall(function() while true do end end) end
  return { model = ctx.candidates[1].model, reason = "survived" }
end }
