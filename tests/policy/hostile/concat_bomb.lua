-- expect: memory
-- doubling a string until the heap cap
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local s = "x"
  while true do s = s .. s end
end }
