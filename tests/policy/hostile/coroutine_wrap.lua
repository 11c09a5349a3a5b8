-- expect: runtime
-- reason: global 'coroutine'
-- coroutine is not in the sandbox
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local co = coroutine.wrap(function() while true do coroutine.yield() end end)
  co()
  return { model = ctx.candidates[1].model }
end }
