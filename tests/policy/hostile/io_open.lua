-- expect: runtime
-- reason: global 'io'
-- io is not in the sandbox
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local f = io.open("/etc/passwd")
  return { model = f:read("l") }
end }
