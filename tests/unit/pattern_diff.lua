-- pattern_diff.lua - random cases for tests/unit/test_pattern.c.
--
-- Loaded into two Lua states, one with the stock string library and one
-- whose find/match/gmatch/gsub are tiergate's (gateway/policy_pattern.c),
-- with the same seed: case(i) draws a pattern from a small grammar that
-- also yields invalid patterns, a subject, arguments and a replacement,
-- runs all four functions under pcall, and returns the case and its
-- outcomes as one line.  The C side compares the two states' lines.
-- Everything random is drawn before anything runs, so that both states
-- draw the same sequence whatever the outcomes.
local seed = ...
math.randomseed(seed)
local R = math.random

local function pick(t) return t[R(#t)] end

local literals = { "a", "b", "a", "b", "c", " ", "1", "(", ")", "-", ".", "]", "^", "$", "\0" }
local classes = { "%a", "%d", "%l", "%s", "%u", "%w", "%x", "%p", "%c", "%g",
  "%A", "%D", "%S", "%W", "%%", "%.", "%(", "%]", "%-", "%z", "%Q", "." }
local set_items = { "a", "b", "a-c", "0-9", "%a", "%d", "%s", "%]", "%%", "-", "^", "(", "%w", "b-a", "." }
local invalid = { ")", "%", "[a", "[^", "%f", "%fa", "%b", "%ba", "%0", "%5", "(", "[%", "[]", "[^]" }
local quants = { "*", "+", "-", "?" }

local function set()
  local t = { "[" }
  if R(3) == 1 then t[#t + 1] = "^" end
  if R(6) == 1 then t[#t + 1] = "]" end
  for _ = 1, R(3) do t[#t + 1] = pick(set_items) end
  t[#t + 1] = "]"
  return table.concat(t)
end

local gen
local function item(depth)
  local r = R(100)
  if r <= 30 then return pick(literals)
  elseif r <= 50 then return pick(classes)
  elseif r <= 60 then return set()
  elseif r <= 68 and depth < 3 then return "(" .. gen(depth + 1, R(3)) .. ")"
  elseif r <= 71 then return "()"
  elseif r <= 75 then return "%" .. R(3)
  elseif r <= 79 then return pick({ "%b()", "%bab", "%baa", "%b" .. pick(literals) .. pick(literals) })
  elseif r <= 83 then return "%f" .. pick({ "[%w]", "[%W]", "[a]", "[^a]", "[%s]", set() })
  elseif r <= 86 then return pick(invalid)
  else return pick(literals) end
end

gen = function(depth, n)
  local t = {}
  for _ = 1, n do
    local it = item(depth)
    t[#t + 1] = it
    if R(3) == 1 then t[#t + 1] = pick(quants) end
  end
  return table.concat(t)
end

local function pattern()
  local p = gen(0, R(0, 6))
  if R(5) == 1 then p = "^" .. p end
  if R(5) == 1 then p = p .. "$" end
  return p
end

local subject_chars = { "a", "b", "a", "b", "c", " ", "1", "2", "(", ")", "-", ".", "A", "%", "\0", "\n", "]" }
local function subject()
  local t = {}
  for _ = 1, R(0, 16) do t[#t + 1] = pick(subject_chars) end
  return table.concat(t)
end

local repl_strings = { "x", "%0", "%1", "<%1|%2>", "%%", "%", "%a", "[%0]", "%3%2%1", "", "%9" }
local repl_table = { a = "A", b = false, ["("] = {}, [1] = "one", [2] = 22, c = 3.5 }
local function repl_function(...)
  local n = select("#", ...)
  local r = (#tostring((...)) + n) % 6 + 1
  if r == 1 then return nil end
  if r == 2 then return false end
  if r == 3 then return {} end
  local t = {}
  for i = 1, n do t[i] = tostring((select(i, ...))) end
  return "{" .. table.concat(t, ",") .. "}"
end

local function show(ok, ...)
  if not ok then return "E:" .. tostring((...)) end
  local t = {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    t[#t + 1] = (math.type(v) or type(v)) .. ":" .. string.format("%q", v)
  end
  return table.concat(t, ",")
end

local function gmatch_all(s, p, init)
  local out, it = {}, string.gmatch(s, p, init)
  for _ = 1, 40 do
    local t = table.pack(it())
    if t[1] == nil then break end
    out[#out + 1] = show(true, table.unpack(t, 1, t.n))
  end
  return table.concat(out, ";")
end

local inits = { nil, 1, 2, 0, -1, -3, -100, 5, 17, 100 }

function case(i)
  local p, s = pattern(), subject()
  local init = inits[R(#inits + 2)]	-- beyond #inits: nil
  local plain = R(5) == 1
  local repl
  local r = R(10)
  if r <= 5 then repl = pick(repl_strings)
  elseif r <= 7 then repl = repl_table
  elseif r <= 9 then repl = repl_function
  else repl = R(0, 9) end
  local nmax = ({ nil, nil, 0, 1, 2, -1 })[R(6)]
  return string.format("%d p=%q s=%q init=%s plain=%s repl=%s n=%s | find %s | match %s | gmatch %s | gsub %s",
    i, p, s, tostring(init), tostring(plain), type(repl) == "string" and string.format("%q", repl) or type(repl),
    tostring(nmax),
    show(pcall(string.find, s, p, init, plain)),
    show(pcall(string.match, s, p, init)),
    show(pcall(gmatch_all, s, p, init)),
    show(pcall(string.gsub, s, p, repl, nmax)))
end
