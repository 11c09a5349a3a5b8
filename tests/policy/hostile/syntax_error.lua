-- expect: load
-- a syntax error is rejected with file:line
return { decide = function(ctx)
  return { model = ctx.fallback
end }
