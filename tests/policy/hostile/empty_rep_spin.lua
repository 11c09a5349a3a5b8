-- expect: ok
-- string.rep of the empty string 1e15 times must not spin in C
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local s = string.rep("", 1e15) .. string.rep("", 1e15, "")
  return { model = ctx.candidates[1].model, reason = "len " .. #s }
end }
