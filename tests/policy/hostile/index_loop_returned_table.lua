-- expect: load
-- reason: instructions while loading
-- a looping __index on the returned table: the contract check reads
-- 'decide' under the instruction limit
return setmetatable({}, { __index = function() while true do end end })
