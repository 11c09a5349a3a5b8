-- expect: runtime
-- reason: (error object is a table value)
-- an error object whose __tostring never returns is not called
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  error(setmetatable({}, { __tostring = function() while true do end end }))
end }
