-- expect: runtime
-- reason: (error object is a table value)
-- an error object that is a table
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  error({ code = 1, message = "table error" })
end }
