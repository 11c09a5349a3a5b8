-- expect: runtime
-- reason: attempt to modify a read-only table (key 'model')
-- tiergate.strongest hands out the read-only candidate, not a copy to edit
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local s = tiergate.strongest(ctx)
  s.model = "evil"
  return { model = s.model }
end }
