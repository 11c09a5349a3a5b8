-- expect: runtime
-- reason: cannot change a protected metatable
-- the helper table's metatable is protected
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  setmetatable(tiergate, { __index = function() return function() return { model = "evil" } end end })
  return tiergate.bedrock(ctx)
end }
