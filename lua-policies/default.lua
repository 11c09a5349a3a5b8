-- default.lua - Amazon Bedrock's prompt-routing semantics.
--
-- Candidates arrive sorted by ascending estimated cost (unpriced last).
-- Let best be the highest predicted quality.  A candidate c is acceptable
-- when no candidate is predicted to be better than c by more than
-- `threshold` percent of c's quality:
--
--     best <= quality(c) * (1 + threshold / 100)
--
-- and the cheapest acceptable candidate serves.  With two models this is
-- Bedrock's rule read literally: stay on the cheaper model unless the
-- pricier one's predicted quality is better by more than the response
-- quality difference (in percent).  With more models it is "the cheapest
-- model within the threshold of the best predicted quality".  Candidates
-- without a prediction are skipped; if none has one, the fallback serves.

-- Short model names for reasons, memoized (model ids come from the config,
-- so the cache stays small; it is capped anyway).
local shorts, nshorts = {}, 0
local function short(model)
  local s = shorts[model]
  if s then return s end
  s = model:match("([^.]+)$") or model          -- drop provider / region
  s = s:gsub("%-%d%d%d%d%d%d%d%d.*$", "")       -- drop -20240307-v1:0
  s = s:gsub("%-v%d+:%d+$", "")                  -- drop -v1:0
  if nshorts < 256 then shorts[model], nshorts = s, nshorts + 1 end
  return s
end

local function fallback(ctx, why)
  return { model = ctx.fallback, reason = why .. ": fallback " .. short(ctx.fallback) }
end

local function decide(ctx)
  if not ctx.predictor_ok then
    return fallback(ctx, "no prediction")
  end
  local best, cheapest
  for _, c in ipairs(ctx.candidates) do
    if c.quality ~= nil then
      if best == nil or c.quality > best.quality then best = c end
      if cheapest == nil then cheapest = c end
    end
  end
  if best == nil then
    return fallback(ctx, "no candidate has a predicted quality")
  end
  local factor = 1 + ctx.threshold / 100
  for _, c in ipairs(ctx.candidates) do
    if c.quality ~= nil and best.quality <= c.quality * factor then
      local reason
      if c == best and c == cheapest then
        reason = string.format("%s %.2f is the cheapest and best predicted",
          short(c.model), c.quality)
      elseif c == best then
        reason = string.format("%s %.2f beats %s %.2f by more than %g%%",
          short(c.model), c.quality, short(cheapest.model), cheapest.quality,
          ctx.threshold)
      else
        reason = string.format("%s %.2f within %g%% of best %.2f (%s)",
          short(c.model), c.quality, ctx.threshold, best.quality,
          short(best.model))
      end
      return { model = c.model, reason = reason }
    end
  end
  return { model = best.model, reason = "best predicted quality" }
end

return { decide = decide }
