-- expect: runtime
-- reason: attempt to modify a read-only table (key 'bedrock')
-- the helper library is read-only: its functions cannot be replaced
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  tiergate.bedrock = function() return { model = "evil" } end
  return tiergate.bedrock(ctx)
end }
