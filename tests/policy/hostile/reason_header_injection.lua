-- expect: ok
-- reason: ok  X-Evil: 1 tail
-- control characters in the reason are made header-safe
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return { model = ctx.candidates[1].model, reason = "ok\r\nX-Evil: 1\0tail" }
end }
