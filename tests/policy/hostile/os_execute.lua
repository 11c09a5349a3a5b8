-- expect: runtime
-- reason: global 'os'
-- os is not in the sandbox
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  os.execute("touch /tmp/tiergate-hostile-pwned")
  return { model = ctx.candidates[1].model }
end }
