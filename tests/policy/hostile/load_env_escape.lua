-- expect: runtime
-- reason: assignment to undeclared global 'x'
-- load defaults to the policy _ENV, not the real globals
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local f = load("return _G or os or io or debug")
  if f() then return { model = "escaped" } end
  load("x = 1")()
end }
