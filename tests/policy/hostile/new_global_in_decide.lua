-- expect: runtime
-- reason: assignment to undeclared global 'leaked'
-- assigning a new global raises
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  leaked = ctx.tenant
  return { model = ctx.candidates[1].model }
end }
