-- expect: runtime
-- reason: assignment to undeclared global 'tiergate'
-- the global itself cannot be replaced
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  tiergate = { bedrock = function() return { model = "evil" } end }
  return tiergate.bedrock(ctx)
end }
