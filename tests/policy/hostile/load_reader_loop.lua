-- expect: instructions
-- reason: more than 200000 instructions
-- load with a reader function that never ends: the reader is Lua, counted
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local f = load(function() return "-- more\n" end)
  return { model = ctx.candidates[1].model }
end }
