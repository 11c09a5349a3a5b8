-- expect: memory
-- reason: bytes of memory
-- a table of many distinct strings
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local t = {}
  for i = 1, 1e7 do t[i] = string.rep("x", 1000) .. i end
  return { model = ctx.candidates[1].model }
end }
