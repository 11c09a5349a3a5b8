-- expect: load
-- reason: bytes of memory while loading
-- an __index that allocates without end, under the memory limit
return setmetatable({}, { __index = function()
  local t = {}
  while true do t[#t + 1] = ("x"):rep(1000) .. #t end
end })
