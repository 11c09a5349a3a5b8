-- expect: runtime
-- reason: read-only
-- the state pairs() returns for ctx is the read-only proxy, not the data
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local f, s = pairs(ctx)
  s.router = "evil"
  return { model = "evil" }
end }
