-- expect: memory instructions
-- an array that grows without end
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local t = {}
  local i = 0
  while true do i = i + 1; t[i] = i end
end }
