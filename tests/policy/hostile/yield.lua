-- expect: runtime
-- a policy that yields: there is nothing to yield with
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  coroutine.yield(ctx.candidates[1].model)
end }
