-- expect: ok
-- reason: malformed pattern (missing ']') / invalid capture index %2
-- pattern errors are ordinary Lua errors, with Lua's messages
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local _, e1 = pcall(string.find, "x", "[a")
  local _, e2 = pcall(string.gsub, "x", "x", "%2")
  return { model = ctx.candidates[1].model, reason = e1 .. " / " .. e2 }
end }
