-- expect: load
-- a policy that fails on every request is rejected by the dry run
return { decide = function(ctx) error("broken") end }
