-- expect: ok
-- reason: k=v;x=1 2026 THE_FOX
-- the bounded matcher answers as Lua does on ordinary patterns
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  local kv = {}
  for k, v in ("k=v, x=1"):gmatch("(%w+)=(%w+)") do kv[#kv + 1] = k .. "=" .. v end
  local year = ("released 2026-05"):match("(%d+)%-")
  local up = ("the fox"):gsub("%a+", string.upper):gsub(" ", "_")
  return { model = ctx.candidates[1].model,
    reason = table.concat(kv, ";") .. " " .. year .. " " .. up }
end }
