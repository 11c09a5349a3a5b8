-- expect: instructions
-- a to-be-closed variable whose __close loops
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local x <close> = setmetatable({}, { __close = function() while true do end end })
  return { model = ctx.candidates[1].model }
end }
