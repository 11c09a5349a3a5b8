-- expect: load
-- a memory bomb while loading hits the heap cap
local s = "x"
while true do s = s .. s end
