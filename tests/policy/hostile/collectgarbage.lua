-- expect: runtime
-- reason: global 'collectgarbage'
-- collectgarbage is not in the sandbox
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  collectgarbage("stop")
  return { model = ctx.candidates[1].model }
end }
