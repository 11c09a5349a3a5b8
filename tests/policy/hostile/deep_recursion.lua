-- expect: runtime memory
-- unbounded recursion: stack overflow or heap cap
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local function f(n) return 1 + f(n + 1) end
  return { model = f(1) }
end }
