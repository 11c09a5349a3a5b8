-- expect: runtime memory
-- the same through the string metatable
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local s = ("xy"):rep(1e9, ",")
  return { model = ctx.candidates[1].model, reason = #s }
end }
