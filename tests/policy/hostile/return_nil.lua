-- expect: result
-- reason: policy returned nil, not a table
-- decide returns nothing
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return nil
end }
