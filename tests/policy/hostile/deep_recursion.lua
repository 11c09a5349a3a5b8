-- expect: runtime memory instructions
-- unbounded recursion: stack overflow, heap cap, or the instructions its
-- stack growth costs (allocation is charged to the instruction limit)
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local function f(n) return 1 + f(n + 1) end
  return { model = f(1) }
end }
