-- expect: ok
-- reason: short names bounded
-- instructions: 30000000
-- ms: 2000
-- tiergate.short memoizes at most 256 names of at most 256 bytes: 1100
-- distinct 4 KiB ids (4.4 MiB if kept) and 600 short ones fit in the 4 MiB
-- the tests allow, in this call and the next.  Scanning 4.4 MiB costs the
-- pattern matcher ~20 million steps, hence its own instruction limit.
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local long = string.rep("x", 4096)
  for i = 1, 1100 do assert(tiergate.short(long .. i) == long .. i) end
  for i = 1, 600 do assert(tiergate.short("p.m" .. i .. "-v1:0") == "m" .. i) end
  return { model = ctx.fallback, reason = "short names bounded" }
end }
