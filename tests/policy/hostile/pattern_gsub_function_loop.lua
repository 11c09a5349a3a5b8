-- expect: instructions
-- ms: 50
-- a replacement function that never returns
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local s = ("abc"):gsub("%w", function(c) while true do end end)
  return { model = ctx.fallback, reason = s }
end }
