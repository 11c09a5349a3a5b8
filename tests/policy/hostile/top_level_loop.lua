-- expect: load
-- an infinite loop while loading hits the instruction limit
while true do end
return { decide = function(ctx) return { model = ctx.fallback } end }
