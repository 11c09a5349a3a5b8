-- expect: runtime
-- reason: tiergate_garbage_ctx.lua:7: tiergate.bedrock: ctx: table expected (the one decide() received), got nil
-- a helper called with garbage fails at the caller's line with a clear
-- reason (in a tail call, `return tiergate.bedrock()`, Lua knows no line)
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local d = tiergate.bedrock()
  return d
end }
