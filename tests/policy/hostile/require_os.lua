-- expect: runtime
-- reason: global 'require'
-- require is not in the sandbox
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local os = require("os")
  return { model = os.getenv("HOME") }
end }
