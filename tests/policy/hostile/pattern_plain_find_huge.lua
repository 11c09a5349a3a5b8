-- expect: instructions
-- ms: 50
-- plain find on 400 kB with a needle that fails at its end, repeated:
-- charged per byte scanned and compared
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local s, needle = ("a"):rep(400000), ("a"):rep(200) .. "b"
  local hits = 0
  for _ = 1, 1000 do
    if s:find(needle, 1, true) then hits = hits + 1 end
  end
  return { model = ctx.fallback, reason = "hits " .. hits }
end }
