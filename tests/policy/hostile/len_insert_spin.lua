-- expect: runtime
-- reason: too long
-- table.insert into a table whose __len claims 1e12 elements would shift in C
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local t = setmetatable({}, { __len = function() return 1e12 end })
  table.insert(t, 1, "x")
  return { model = ctx.candidates[1].model }
end }
