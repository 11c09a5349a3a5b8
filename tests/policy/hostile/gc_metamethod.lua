-- expect: runtime
-- reason: __gc metamethods are not allowed
-- a __gc finalizer would run with hooks off: refused
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  setmetatable({}, { __gc = function() while true do end end })
  return { model = ctx.candidates[1].model }
end }
