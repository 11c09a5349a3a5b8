-- expect: runtime
-- reason: too long
-- table.remove likewise
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local t = setmetatable({}, { __len = function() return 1e12 end })
  table.remove(t, 1)
  return { model = ctx.candidates[1].model }
end }
