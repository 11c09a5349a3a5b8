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
 * instruction and memory limits as the policy's own code (one exception,
 * for speed: bedrock() on the ctx of the call in progress is computed in
 * C from the request's facts, lib_bedrock_fast, with the same results).
 * policy.c hands the table to policies read-only.  Argument errors are
 * raised at the policy's calling line as "tiergate.FN: WHAT: TYPE
 * expected, got TYPE".
 */
#include "autoconf.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

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
 * printer is the largest cold-cache cost of a whole decision (≈ 5 µs
 * when other work evicts it between two requests, as in the gateway).
 * For finite |x| < 1e15, x * 100 is exact in a long double with a 64-bit
 * significand (x has 53 bits, 100 needs 7), so rounding it half to even
 * is exactly printf's rounding in the default mode.  Other values, and
 * builds whose long double is narrower, use snprintf as string.format
 * does.  Both write into buf (NUM_MAX bytes) and return the text.
 */
#define NUM_MAX	(DBL_MAX_10_EXP + 64)

static const char *
num2(char *buf, double x)
{
	char			*p = buf + NUM_MAX - 1;
	long double		 y, f;
	unsigned long long	 n;

	if (LDBL_MANT_DIG < 60 || !isfinite(x) || fabs(x) >= 1e15) {
		snprintf(buf, NUM_MAX, "%.2f", x);
		return buf;
	}
	y = fabsl((long double)x) * 100;
	f = floorl(y);
	n = (unsigned long long)f;
	if (y - f > 0.5L || (y - f == 0.5L && n % 2 == 1))
		n++;
	*p = '\0';
	*--p = (char)('0' + n % 10);
	*--p = (char)('0' + n / 10 % 10);
	*--p = '.';
	p = lib_digits(p, n / 100);
	if (signbit(x))
		*--p = '-';
	return p;
}

/* Integers below 1e6 in magnitude print as integers (what %g does with 6
 * significant digits); the rest goes through snprintf. */
static const char *
numg(char *buf, double x)
{
	char	*p = buf + NUM_MAX - 1;

	if (!isfinite(x) || fabs(x) >= 1e6 || x != floor(x)) {
		snprintf(buf, NUM_MAX, "%g", x);
		return buf;
	}
	*p = '\0';
	p = lib_digits(p, (unsigned long long)fabs(x));
	if (signbit(x))
		*--p = '-';
	return p;
}

static int
lib_num2(lua_State *L)
{
	char	 buf[NUM_MAX];

	lua_pushstring(L, num2(buf, (double)luaL_checknumber(L, 1)));
	return 1;
}

static int
lib_numg(lua_State *L)
{
	char	 buf[NUM_MAX];

	lua_pushstring(L, numg(buf, (double)luaL_checknumber(L, 1)));
	return 1;
}

/* short(model) of the Lua library, for ids without NUL bytes: the part
 * after the last '.' (all of it when none, or when it ends with '.'),
 * cut at the first '-' followed by 8 digits, then without a trailing
 * "-v<digits>:<digits>".  *len gets its length. */
static const char *
short_name(const char *m, size_t *len)
{
	const char	*dot = strrchr(m, '.'), *s = m;
	size_t		 n, i, j, k;

	if (dot != NULL && dot[1] != '\0')
		s = dot + 1;
	n = strlen(s);
	for (i = 0; i + 9 <= n; i++)
		if (s[i] == '-' && strspn(s + i + 1, "0123456789") >= 8) {
			n = i;
			break;
		}
	for (j = n; j > 0 && isdigit((unsigned char)s[j - 1]); j--)
		;
	if (j < n && j > 0 && s[j - 1] == ':') {
		for (k = j - 1; k > 0 && isdigit((unsigned char)s[k - 1]); k--)
			;
		if (k < j - 1 && k >= 2 && s[k - 1] == 'v' && s[k - 2] == '-')
			n = k - 2;
	}
	*len = n;
	return s;
}

static void
add_short(luaL_Buffer *b, const char *model)
{
	size_t		 n;
	const char	*s = short_name(model, &n);

	luaL_addlstring(b, s, n);
}

/* why() of the Lua library, for candidates c (quality q), best and
 * cheap, onto b. */
static void
add_why(luaL_Buffer *b, const struct tg_candidate *c,
    const struct tg_candidate *best, const struct tg_candidate *cheap,
    double th)
{
	char	 buf[NUM_MAX];

	add_short(b, c->model);
	luaL_addchar(b, ' ');
	luaL_addstring(b, num2(buf, c->quality));
	if (c == best && c == cheap) {
		luaL_addstring(b, " is the cheapest and best predicted");
		return;
	}
	if (c == best) {
		luaL_addstring(b, " beats ");
		add_short(b, cheap->model);
		luaL_addchar(b, ' ');
		luaL_addstring(b, num2(buf, cheap->quality));
		luaL_addstring(b, " by more than ");
		luaL_addstring(b, numg(buf, th));
		luaL_addchar(b, '%');
		return;
	}
	luaL_addstring(b, " within ");
	luaL_addstring(b, numg(buf, th));
	luaL_addstring(b, "% of best ");
	luaL_addstring(b, num2(buf, best->quality));
	luaL_addstring(b, " (");
	add_short(b, best->model);
	luaL_addchar(b, ')');
}

/*
 * fast(ctx [, threshold]): tiergate.bedrock's common path in C, for the
 * ctx of the call in progress, read from the facts C built it from
 * instead of through its read-only proxies.  Returns the decision, or
 * nothing when the Lua version must run: ctx is any other table, the
 * threshold is not a number, the predictor failed, the confidence is
 * below min_confidence, a candidate has no model, or no candidate has a
 * quality (the paths that raise an error or name the fallback).
 * test_policy compares both on random requests.
 */
static int
lib_bedrock_fast(lua_State *L)
{
	const struct policy_facts	*f;
	const struct tg_candidate	*c, *best = NULL, *cheap = NULL, *pick = NULL;
	const size_t			*order;
	luaL_Buffer			 b;
	double				 th, factor;
	size_t				 i;

	if ((f = policy_ctx_facts(L, 1, &order)) == NULL || !f->predictor_ok ||
	    (f->has_confidence && f->confidence < f->min_confidence))
		return 0;
	if (lua_isnoneornil(L, 2))
		th = f->threshold;
	else if (lua_type(L, 2) == LUA_TNUMBER)
		th = (double)lua_tonumber(L, 2);
	else
		return 0;
	for (i = 0; i < f->ncand; i++) {
		c = &f->cand[order[i]];
		if (c->model == NULL || *c->model == '\0')
			return 0;
		if (!c->has_quality)
			continue;
		if (best == NULL || c->quality > best->quality)
			best = c;
		if (cheap == NULL)
			cheap = c;
	}
	if (best == NULL)
		return 0;
	factor = 1 + th / 100;
	for (i = 0; i < f->ncand && pick == NULL; i++) {
		c = &f->cand[order[i]];
		if (c->has_quality && best->quality <= c->quality * factor)
			pick = c;
	}
	lua_createtable(L, 0, 2);
	lua_pushstring(L, pick != NULL ? pick->model : best->model);
	lua_setfield(L, -2, "model");
	luaL_buffinit(L, &b);
	if (pick != NULL)
		add_why(&b, pick, best, cheap, th);
	else
		luaL_addstring(&b, "best predicted quality");
	luaL_pushresult(&b);
	lua_setfield(L, -2, "reason");
	return 1;
}
static const char policy_lib_src[] =
	"local num2, numg, fast = ...   -- see num2() and lib_bedrock_fast()\n"
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
	"  local r = fast(ctx, threshold)\n"
	"  if r then return r end\n"
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
	"  local conf, minc = ctx.confidence, ctx.min_confidence\n"
	"  if type(conf) == 'number' and type(minc) == 'number' and conf < minc then\n"
	"    local fb = fallback_of(ctx) or\n"
	"      fail('bedrock', 'ctx.fallback: string expected, got %s', type(ctx.fallback))\n"
	"    fb.reason = 'fallback: low confidence ' .. num2(conf) .. ' < ' .. num2(minc)\n"
	"    return fb\n"
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
	lua_pushcfunction(L, lib_bedrock_fast);
	lua_call(L, 3, 1);
	if (!lua_istable(L, -1))
		luaL_error(L, "tiergate library did not return a table");
}
