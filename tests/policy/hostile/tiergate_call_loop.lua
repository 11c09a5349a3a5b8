-- expect: instructions
-- helper calls count against the instruction limit like the policy's own code
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local d
  for _ = 1, 1e9 do d = tiergate.bedrock(ctx) end
  return d
end }
