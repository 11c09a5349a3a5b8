-- expect: runtime
-- reason: read-only
-- ctx.candidates is read-only
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  table.insert(ctx.candidates, { model = "evil.model" })
  return { model = "evil.model" }
end }
