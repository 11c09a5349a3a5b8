-- expect: ok
-- reason: gc later
-- __gc added after setmetatable is ignored by Lua: never runs, no hang at close
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local mt = {}
  local t = setmetatable({}, mt)
  mt.__gc = function() while true do end end
  return { model = ctx.candidates[1].model, reason = "gc later" }
end }
