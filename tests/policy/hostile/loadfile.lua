-- expect: runtime
-- loadfile is not in the sandbox
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local f = loadfile("/etc/passwd")
  return { model = f() }
end }
