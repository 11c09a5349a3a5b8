-- expect: result
-- reason: not a candidate
-- a model that is not a candidate
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  return { model = "anthropic.claude-3-opus-20240229-v1:0", reason = "opus please" }
end }
