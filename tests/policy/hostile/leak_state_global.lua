-- expect: runtime
-- reason: assignment to undeclared global 'counter'
-- a global set on the first call to leak state to later calls
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  counter = (counter or 0) + 1
  return { model = ctx.candidates[1].model, reason = tostring(counter) }
end }
