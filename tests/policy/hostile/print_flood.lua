-- expect: ok
-- print goes to the debug log, capped; 10 MB of strings cost 160 000
-- instructions (one per 64 bytes allocated): the default limit
-- instructions: 1000000
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  for i = 1, 1000 do print(string.rep("p", 10000)) end
  return { model = ctx.candidates[1].model }
end }
