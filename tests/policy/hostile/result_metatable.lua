-- expect: result
-- a result table whose __index would run forever: C reads raw fields only
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return setmetatable({}, { __index = function() while true do end end })
end }
