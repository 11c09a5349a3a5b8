-- expect: runtime
-- dofile is not in the sandbox
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  dofile("/etc/passwd")
end }
