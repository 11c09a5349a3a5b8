-- expect: runtime
-- reason: global 'rawset'
-- rawset (which would bypass the read-only proxy) is not in the sandbox
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  rawset(tiergate, "bedrock", function() return { model = "evil" } end)
  return tiergate.bedrock(ctx)
end }
