/*
 * policy_lib.c - `tiergate`, the helper library every policy finds in its
 * sandbox: Bedrock's rule (tiergate.bedrock) and the small lookups the
 * example policies all need, so that operators call them instead of
 * copying them.  Contract: lua-policies/README.md and tiergate-policy(7),
 * "Helper functions".
 *
 * The library is Lua source, compiled once per state while the state is
 * set up (inside ps_setup's protected call) with the policy's own _ENV:
 * it sees only the allow-listed globals, captures what it uses as locals
 * when it loads, and its functions run inside decide() under the same
 * instruction and memory limits as the policy's own code.  policy.c hands
 * the table to policies read-only.  Argument errors are raised at the
 * policy's calling line as "tiergate.FN: WHAT: TYPE expected, got TYPE".
 */
#include "autoconf.h"

#include <float.h>
#include <math.h>
#include <stdio.h>

#include <lua.h>
#include <lauxlib.h>

#include "policy_lib.h"

/* Decimal digits of n into the end of buf (which ends at `end`); returns
 * the first digit. */
static char *
lib_digits(char *end, unsigned long long n)
{
	do
		*--end = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	return end;
}

/*
 * num2(x) is string.format('%.2f', x) byte for byte, and numg(x) is
 * string.format('%g', x), for the numbers a reason shows (qualities,
 * thresholds).  They exist for speed: the C library's floating-point
 * printer is the largest cold-cache cost of a whole decision (≈ 5 µs of
 * a 10 µs call in the gateway, where other work evicts it between two
 * requests).  For finite |x| < 1e15, x * 100 is exact in a long double
 * with a 64-bit significand (x has 53 bits, 100 needs 7), so rounding it
 * half to even is exactly printf's rounding in the default mode.  Other
 * values, and builds whose long double is narrower, use snprintf as
 * string.format does.
 */
static int
lib_num2(lua_State *L)
{
	lua_Number		 x = luaL_checknumber(L, 1);
	char			 buf[DBL_MAX_10_EXP + 64], *p = buf + sizeof(buf);
	long double		 y, f;
	unsigned long long	 n;

	if (LDBL_MANT_DIG < 60 || !isfinite(x) || fabs(x) >= 1e15) {
		snprintf(buf, sizeof(buf), "%.2f", (double)x);
		lua_pushstring(L, buf);
		return 1;
	}
	y = fabsl((long double)x) * 100;
	f = floorl(y);
	n = (unsigned long long)f;
	if (y - f > 0.5L || (y - f == 0.5L && n % 2 == 1))
		n++;
	*--p = (char)('0' + n % 10);
	*--p = (char)('0' + n / 10 % 10);
	*--p = '.';
	p = lib_digits(p, n / 100);
	if (signbit(x))
		*--p = '-';
	lua_pushlstring(L, p, (size_t)(buf + sizeof(buf) - p));
	return 1;
}

/* numg: integers below 1e6 in magnitude print as integers (what %g
 * does with 6 significant digits); the rest goes through snprintf. */
static int
lib_numg(lua_State *L)
{
	lua_Number	 x = luaL_checknumber(L, 1);
	char		 buf[64], *p = buf + sizeof(buf);

	if (!isfinite(x) || fabs(x) >= 1e6 || x != floor(x)) {
		snprintf(buf, sizeof(buf), "%g", (double)x);
		lua_pushstring(L, buf);
		return 1;
	}
	p = lib_digits(p, (unsigned long long)fabs(x));
	if (signbit(x))
		*--p = '-';
	lua_pushlstring(L, p, (size_t)(buf + sizeof(buf) - p));
	return 1;
}

static const char policy_lib_src[] =
	"local num2, numg = ...   -- string.format '%.2f' and '%g' (see lib_num2)\n"
	"local error, ipairs, type = error, ipairs, type\n"
	"local format, match, gsub = string.format, string.match, string.gsub\n"
	"\n"
	"-- Raise 'tiergate.FN: ...' at the line of the policy that called FN;\n"
	"-- call it only from the exported functions themselves.\n"
	"local function fail(fn, msg, ...)\n"
	"  error('tiergate.' .. fn .. ': ' .. format(msg, ...), 3)\n"
	"end\n"
	"\n"
	"-- ctx.candidates, or nil and why ctx is not a decide() context.\n"
	"local function cands_of(ctx)\n"
	"  if type(ctx) ~= 'table' then\n"
	"    return nil, 'ctx: table expected (the one decide() received), got ' .. type(ctx)\n"
	"  end\n"
	"  local cands = ctx.candidates\n"
	"  if type(cands) ~= 'table' then\n"
	"    return nil, 'ctx.candidates: table expected, got ' .. type(cands)\n"
	"  end\n"
	"  return cands\n"
	"end\n"
	"\n"
	"-- Short model names for reasons, memoized per state (model ids come\n"
	"-- from the config; the cache is capped and keeps only short ids).\n"
	"local shorts, nshorts = {}, 0\n"
	"local function short(model)\n"
	"  local s = shorts[model]\n"
	"  if s then return s end\n"
	"  s = match(model, '([^.]+)$') or model         -- drop provider / region\n"
	"  s = gsub(s, '%-%d%d%d%d%d%d%d%d.*$', '')      -- drop -20240307-v1:0\n"
	"  s = gsub(s, '%-v%d+:%d+$', '')                -- drop -v1:0\n"
	"  if nshorts < 256 and #model <= 256 then\n"
	"    shorts[model], nshorts = s, nshorts + 1\n"
	"  end\n"
	"  return s\n"
	"end\n"
	"\n"
	"local function fallback_of(ctx, why)\n"
	"  local fb = ctx.fallback\n"
	"  if type(fb) ~= 'string' then return nil end\n"
	"  if why == nil then return { model = fb, reason = 'fallback ' .. short(fb) } end\n"
	"  return { model = fb, reason = why .. ': fallback ' .. short(fb) }\n"
	"end\n"
	"\n"
	"local lib = {}\n"
	"\n"
	"function lib.short(model)\n"
	"  if type(model) ~= 'string' then\n"
	"    fail('short', 'model: string expected, got %s', type(model))\n"
	"  end\n"
	"  return short(model)\n"
	"end\n"
	"\n"
	"function lib.fallback(ctx, why)\n"
	"  if type(ctx) ~= 'table' then\n"
	"    fail('fallback', 'ctx: table expected (the one decide() received), got %s', type(ctx))\n"
	"  elseif why ~= nil and type(why) ~= 'string' then\n"
	"    fail('fallback', 'why: string expected, got %s', type(why))\n"
	"  end\n"
	"  return fallback_of(ctx, why) or\n"
	"    fail('fallback', 'ctx.fallback: string expected, got %s', type(ctx.fallback))\n"
	"end\n"
	"\n"
	"function lib.candidate(ctx, model)\n"
	"  local cands, err = cands_of(ctx)\n"
	"  if not cands then fail('candidate', '%s', err) end\n"
	"  if model == nil then return nil end\n"
	"  if type(model) ~= 'string' then\n"
	"    fail('candidate', 'model: string expected, got %s', type(model))\n"
	"  end\n"
	"  for i, c in ipairs(cands) do\n"
	"    if type(c) ~= 'table' then\n"
	"      fail('candidate', 'ctx.candidates[%d]: table expected, got %s', i, type(c))\n"
	"    end\n"
	"    if c.model == model then return c end\n"
	"  end\n"
	"  return nil\n"
	"end\n"
	"\n"
	"function lib.cheapest(ctx)\n"
	"  local cands, err = cands_of(ctx)\n"
	"  if not cands then fail('cheapest', '%s', err) end\n"
	"  return cands[1]\n"
	"end\n"
	"\n"
	"function lib.strongest(ctx)\n"
	"  local cands, err = cands_of(ctx)\n"
	"  if not cands then fail('strongest', '%s', err) end\n"
	"  local s = cands[#cands]\n"
	"  for i, c in ipairs(cands) do\n"
	"    if type(c) ~= 'table' then\n"
	"      fail('strongest', 'ctx.candidates[%d]: table expected, got %s', i, type(c))\n"
	"    end\n"
	"    if c.priced then s = c end\n"
	"  end\n"
	"  return s\n"
	"end\n"
	"\n"
	"-- Reason for choosing c (quality q) given the best and the cheapest\n"
	"-- predicted candidates.\n"
	"local function why(c, q, best, bq, cheap, cq, threshold)\n"
	"  if c == best and c == cheap then\n"
	"    return short(c.model) .. ' ' .. num2(q) .. ' is the cheapest and best predicted'\n"
	"  elseif c == best then\n"
	"    return short(c.model) .. ' ' .. num2(q) .. ' beats ' .. short(cheap.model) ..\n"
	"      ' ' .. num2(cq) .. ' by more than ' .. numg(threshold) .. '%'\n"
	"  end\n"
	"  return short(c.model) .. ' ' .. num2(q) .. ' within ' .. numg(threshold) ..\n"
	"    '% of best ' .. num2(bq) .. ' (' .. short(best.model) .. ')'\n"
	"end\n"
	"\n"
	"function lib.bedrock(ctx, threshold)\n"
	"  local cands, err = cands_of(ctx)\n"
	"  if not cands then fail('bedrock', '%s', err) end\n"
	"  if threshold == nil then threshold = ctx.threshold end\n"
	"  if type(threshold) ~= 'number' then\n"
	"    fail('bedrock', 'threshold: number expected, got %s', type(threshold))\n"
	"  end\n"
	"  if not ctx.predictor_ok then\n"
	"    return fallback_of(ctx, 'no prediction') or\n"
	"      fail('bedrock', 'ctx.fallback: string expected, got %s', type(ctx.fallback))\n"
	"  end\n"
	"  local best, bq, cheap, cq\n"
	"  for i, c in ipairs(cands) do\n"
	"    if type(c) ~= 'table' then\n"
	"      fail('bedrock', 'ctx.candidates[%d]: table expected, got %s', i, type(c))\n"
	"    end\n"
	"    local q, m = c.quality, c.model\n"
	"    if type(m) ~= 'string' then\n"
	"      fail('bedrock', 'ctx.candidates[%d].model: string expected, got %s', i, type(m))\n"
	"    elseif q ~= nil then\n"
	"      if type(q) ~= 'number' then\n"
	"        fail('bedrock', 'ctx.candidates[%d].quality: number expected, got %s', i, type(q))\n"
	"      end\n"
	"      if best == nil or q > bq then best, bq = c, q end\n"
	"      if cheap == nil then cheap, cq = c, q end\n"
	"    end\n"
	"  end\n"
	"  if best == nil then\n"
	"    return fallback_of(ctx, 'no candidate has a predicted quality') or\n"
	"      fail('bedrock', 'ctx.fallback: string expected, got %s', type(ctx.fallback))\n"
	"  end\n"
	"  local factor = 1 + threshold / 100\n"
	"  for _, c in ipairs(cands) do\n"
	"    local q = c.quality\n"
	"    if type(q) == 'number' and bq <= q * factor then\n"
	"      return { model = c.model, reason = why(c, q, best, bq, cheap, cq, threshold) }\n"
	"    end\n"
	"  end\n"
	"  return { model = best.model, reason = 'best predicted quality' }\n"
	"end\n"
	"\n"
	"return lib\n";

/*
 * Compile and run the library with _ENV = the table at index `env` and
 * push the table of functions it returns (a plain table: the caller makes
 * it read-only).  Raises a Lua error on failure (out of memory): call it
 * only inside a protected call.
 */
void
policy_lib_push(lua_State *L, int env)
{
	env = lua_absindex(L, env);
	if (luaL_loadbufferx(L, policy_lib_src, sizeof(policy_lib_src) - 1,
	    "=tiergate", "t") != LUA_OK)
		lua_error(L);
	lua_pushvalue(L, env);
	lua_setupvalue(L, -2, 1);
	lua_pushcfunction(L, lib_num2);
	lua_pushcfunction(L, lib_numg);
	lua_call(L, 2, 1);
	if (!lua_istable(L, -1))
		luaL_error(L, "tiergate library did not return a table");
}
