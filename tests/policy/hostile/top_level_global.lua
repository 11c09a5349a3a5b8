-- expect: load
-- defining decide as a global is refused: return a table instead
function decide(ctx) return { model = ctx.fallback } end
