-- expect: runtime
-- reason: too many results to unpack
-- table.unpack of 1e8 values is refused by Lua itself
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return { model = select("#", table.unpack({}, 1, 1e8)) }
end }
