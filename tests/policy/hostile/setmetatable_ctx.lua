-- expect: runtime
-- reason: cannot change a protected metatable
-- ctx has a protected metatable
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  setmetatable(ctx, { __index = function() return "evil" end })
  return { model = ctx.model }
end }
