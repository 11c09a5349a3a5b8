-- expect: instructions
-- ms: 250
-- making and dropping a 500 kB string at every turn never reaches the heap
-- cap; the allocations are charged to the instruction limit
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local s = ("x"):rep(500000)
  for _ = 1, 1000000 do local t = s:upper() end
  return { model = ctx.candidates[1].model, reason = "churned" }
end }
