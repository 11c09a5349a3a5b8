-- expect: runtime
-- reason: too many elements
-- table.move over 1e12 indexes must not spin in C
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  table.move({}, 1, 1e12, 1)
  return { model = ctx.candidates[1].model }
end }
