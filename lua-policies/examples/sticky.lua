-- sticky.lua - keep a conversation on one model.
--
-- Follow-up turns (ctx.turns > 1) of a conversation stay on the model that
-- served it before (ctx.previous_model), as long as that model is still one
-- of the router's candidates, so the tone and format of the answers do not
-- change mid-conversation.  First turns get Bedrock's rule (tiergate.bedrock).

local function decide(ctx)
  local prev = ctx.previous_model
  if prev and ctx.turns > 1 and tiergate.candidate(ctx, prev) then
    return { model = prev, reason = "sticky: conversation stays on " .. prev }
  end
  return tiergate.bedrock(ctx)
end

return { decide = decide }
