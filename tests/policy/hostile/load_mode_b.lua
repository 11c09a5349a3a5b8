-- expect: runtime
-- reason: binary chunks are not allowed
-- load with mode b or bt is refused
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local f, err = load("return 1", "x", "b")
  if f then return { model = "escaped" } end
  local g, err2 = load("return 1", "x", "bt")
  if g then return { model = "escaped" } end
  error("refused: " .. tostring(err) .. " / " .. tostring(err2))
end }
