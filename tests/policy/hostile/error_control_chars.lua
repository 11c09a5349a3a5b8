-- expect: runtime
-- reason: bad  X-Evil: 1
-- an error message with a carriage return must not reach a header as one
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  error("bad\r\tX-Evil: 1", 0)
end }
