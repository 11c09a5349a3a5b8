-- expect: runtime
-- reason: attempt to index a boolean value
-- the shared string metatable is protected
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  getmetatable("").__index = function() return "pwned" end
  return { model = ("x").anything }
end }
