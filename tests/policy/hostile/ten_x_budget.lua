-- expect: instructions
-- a finite loop that needs about 10x the instruction budget
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local s = 0
  for i = 1, 10 * 200000 do s = s + i % 7 end
  return { model = ctx.candidates[1].model, reason = tostring(s) }
end }
