-- expect: result
-- reason: refuse.status
-- a refusal with a 200 status
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return { refuse = { status = 200, type = "OK", message = "no" } }
end }
