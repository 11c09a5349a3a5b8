-- expect: instructions
-- ms: 50
-- a plausible rule on a 2 kB client-supplied requestMetadata value
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local a, b, c, n = ctx.metadata.note:match("^(.-)%-(.-)%-(.-)%-(%d+)$")
  return { model = ctx.fallback, reason = "split " .. tostring(n) }
end }
