-- expect: instructions
-- ms: 50
-- a table replacement whose __index never returns
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local t = setmetatable({}, { __index = function() while true do end end })
  local s = ("abc"):gsub("%w", t)
  return { model = ctx.fallback, reason = s }
end }
