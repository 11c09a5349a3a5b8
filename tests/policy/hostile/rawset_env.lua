-- expect: runtime
-- reason: global 'rawset'
-- rawset is not in the sandbox (it would bypass read-only tables)
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  rawset(_ENV, "x", 1)
  return { model = ctx.candidates[1].model }
end }
