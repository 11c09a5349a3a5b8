-- expect: runtime
-- reason: read-only
-- sorting ctx.candidates in place is refused
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  table.sort(ctx.candidates, function(a, b) return a.model < b.model end)
  return { model = ctx.candidates[1].model }
end }
