-- expect: instructions
-- ms: 50
-- the limit fired inside the matcher cannot be caught by pcall
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  for _ = 1, 100 do
    pcall(string.find, ("a"):rep(30000), ".-.-.-.-b")
  end
  return { model = ctx.candidates[1].model, reason = "escaped the limit" }
end }
