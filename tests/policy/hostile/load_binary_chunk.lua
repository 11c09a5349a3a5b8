-- expect: runtime
-- reason: attempt to load a binary chunk
-- a hand-made binary chunk header (string.dump is absent) is refused by load
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local chunk = "\27LuaT\0\25\147\r\n\26\n\4\8\8\120\86\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\40\119\64\1"
  local f, err = load(chunk)
  if f then return { model = "escaped" } end
  error("refused: " .. tostring(err))
end }
