-- expect: ok
-- reason: rrr...
-- a megabyte reason is cut to 255 bytes
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return { model = ctx.candidates[1].model, reason = string.rep("r", 1e6) }
end }
