-- expect: instructions
-- reason: more than 200000 instructions
-- an infinite loop is stopped by the instruction limit
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  while true do end
end }
