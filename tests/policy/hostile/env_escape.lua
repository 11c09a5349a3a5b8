-- expect: runtime
-- reason: no escape
-- no way out of the private _ENV
return { decide = function(ctx)
  if ctx.router ~= "hostile" then return { model = ctx.fallback } end
  if _G or debug or package or getfenv or setfenv or module or os or io or loadstring or rawset or dofile then
    return { model = "escaped" }
  end
  error("no escape")
end }
