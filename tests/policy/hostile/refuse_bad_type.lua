-- expect: result
-- a refusal whose type would break the error shape
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return { refuse = { status = 429, type = "Throttling\r\nX-Evil: 1" } }
end }
