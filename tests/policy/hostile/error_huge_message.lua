-- expect: runtime
-- reason: EEEE...
-- a megabyte error message is cut
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  error(string.rep("E", 1e6))
end }
