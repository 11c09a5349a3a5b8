-- expect: memory
-- reason: bytes of memory
-- a memory error caught by pcall still fails the call
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  pcall(function() local s = "x" while true do s = s .. s end end)
  return { model = ctx.candidates[1].model, reason = "caught it" }
end }
