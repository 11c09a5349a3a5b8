-- expect: runtime
-- reason: field 'dump'
-- string.dump is removed
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local s = string.dump(function() return 1 end)
  return { model = load(s)() }
end }
