-- expect: instructions
-- reason: more than 200000 instructions
-- a __tostring that never returns, called through string.format
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local t = setmetatable({}, { __tostring = function() while true do end end })
  return { model = string.format("%s", t) }
end }
