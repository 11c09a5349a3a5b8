/*
 * test_pattern.c - tiergate's bounded Lua pattern matching
 * (gateway/policy_pattern.c) against the stock Lua 5.4 string library:
 * the same results and the same error messages on random cases
 * (tests/unit/pattern_diff.lua), a few cases the grammar rarely reaches
 * (nesting depth, capture count), and the step budget: the worst cases
 * known to hang the stock library stop within a bounded time.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "policy_pattern.h"

#define DIFF_CASES	120000

/* The time bounds are for a normal build; ASan slows the matcher down
 * three to five times, so under it they scale. */
#ifdef __SANITIZE_ADDRESS__
#define TIME_SCALE	5
#else
#define TIME_SCALE	1
#endif
#define DIFF_SEED	20260514

static struct pat_meter	 meter;

static void
meter_exhausted(lua_State *L, struct pat_meter *m)
{
	(void)m;
	luaL_error(L, "step budget exhausted");
}

/* A state with the standard libraries; with ours = 1, string.find,
 * match, gmatch, gsub (and the string metatable's, the same table) are
 * tiergate's. */
static lua_State *
state_new(int ours)
{
	lua_State	*L = luaL_newstate();

	if (L == NULL)
		return NULL;
	luaL_openlibs(L);
	if (ours) {
		lua_getglobal(L, "string");
		pat_install(L, -1, &meter);
		lua_pop(L, 1);
	}
	return L;
}

/* Load the harness with `seed` into L; 0 on success. */
static int
harness_load(lua_State *L, unsigned seed)
{
	char	 path[1200];

	snprintf(path, sizeof(path), "%s/tests/unit/pattern_diff.lua", TG_TOP_SRCDIR);
	if (luaL_loadfile(L, path) != LUA_OK) {
		fprintf(stderr, "%s\n", lua_tostring(L, -1));
		return -1;
	}
	lua_pushinteger(L, seed);
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		fprintf(stderr, "%s\n", lua_tostring(L, -1));
		return -1;
	}
	return 0;
}

/* case(i) in L: the line describing it, on L's stack (NULL on error). */
static const char *
harness_case(lua_State *L, int i)
{
	lua_settop(L, 0);
	lua_getglobal(L, "case");
	lua_pushinteger(L, i);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK)
		return NULL;
	return lua_tostring(L, -1);
}

static void
test_differential(void)
{
	lua_State	*std = state_new(0), *ours = state_new(1);
	const char	*a, *b;
	int		 i, bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(std);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ours);
	CU_ASSERT_FATAL(harness_load(std, DIFF_SEED) == 0);
	CU_ASSERT_FATAL(harness_load(ours, DIFF_SEED) == 0);
	for (i = 1; i <= DIFF_CASES; i++) {
		meter.left = 1LL << 40;
		a = harness_case(std, i);
		b = harness_case(ours, i);
		if (a == NULL || b == NULL || strcmp(a, b) != 0) {
			if (bad++ < 10)
				fprintf(stderr, "\n  stock: %s\n  ours:  %s\n",
				    a != NULL ? a : lua_tostring(std, -1),
				    b != NULL ? b : lua_tostring(ours, -1));
		}
	}
	printf("\n  %d random cases, %d differ\n", DIFF_CASES, bad);
	CU_ASSERT_EQUAL(bad, 0);
	lua_close(std);
	lua_close(ours);
}

/* Run `chunk` in L; the outcome as "ok: RESULTS" or "error: MESSAGE". */
static void
run(lua_State *L, const char *chunk, char *out, size_t len)
{
	int	 i, n;

	lua_settop(L, 0);
	if (luaL_loadstring(L, chunk) != LUA_OK ||
	    lua_pcall(L, 0, LUA_MULTRET, 0) != LUA_OK) {
		snprintf(out, len, "error: %s", lua_tostring(L, -1));
		return;
	}
	snprintf(out, len, "ok:");
	n = lua_gettop(L);
	for (i = 1; i <= n; i++) {
		size_t	 used = strlen(out);

		snprintf(out + used, len - used, " %s", luaL_tolstring(L, i, NULL));
		lua_pop(L, 1);
	}
}

/* Cases the random grammar does not reach, compared with stock Lua. */
static void
test_edges(void)
{
	static const char *const chunks[] = {
		"return (('a'):rep(300)):find(('a?'):rep(300))",
		"return (('a'):rep(300)):find(('(a)'):rep(40))",
		"return (('a'):rep(300)):find(('a*'):rep(250))",
		"return (('ab'):rep(150)):find(('%w-'):rep(210) .. '$')",
		"return (('x'):rep(10)):match(('()'):rep(32))",
		"return (('x'):rep(10)):match(('()'):rep(33))",
		"return ('hello world from lua'):gsub('(%w+)', '<%1>', 2)",
		"return ('abc'):gsub('', '-')",
		"return ('abc'):gsub('%w', '%0%0')",
		"return ('THE (quick) fox'):find('%f[%a]%a+%f[%A]', 5)",
		"return ('x = 1, y = 2'):gsub('(%w+) = (%w+)', '%2 = %1')",
		"return string.gsub('abc', 'b', 7)",
		"return ('abc'):find('b', -1), ('abc'):find('b', -2), ('abc'):find('', 10)",
		"return ('a.b'):find('.', 1, true), ('a+b'):find('+', 1)",
		"local t = {} for k, v in ('a=1, b=2'):gmatch('(%w+)=(%w+)') do t[#t + 1] = k .. v end return table.concat(t, ' ')",
		"local t = {} for w in ('one two three'):gmatch('%a+', 5) do t[#t + 1] = w end return table.concat(t, ' ')",
		"return ('abc'):gsub('.', { a = 1, b = true })",
		"return string.find('abc', 'b', 'x')",
		"return string.gsub('abc', 'b', 'x', 'y')",
		"return string.gmatch('abc')",
		"return ('abc'):find({})",
		"return string.rep('%', 3):gsub('%%', '%%%%')",
	};
	lua_State	*std = state_new(0), *ours = state_new(1);
	char		 a[2048], b[2048];
	size_t		 i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(std);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ours);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		meter.left = 1LL << 40;
		run(std, chunks[i], a, sizeof(a));
		run(ours, chunks[i], b, sizeof(b));
		if (strcmp(a, b) != 0)
			fprintf(stderr, "\n  %s\n  stock: %s\n  ours:  %s\n",
			    chunks[i], a, b);
		CU_ASSERT_STRING_EQUAL(a, b);
	}
	lua_close(std);
	lua_close(ours);
}

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The cases that hang or crawl in stock Lua stop at the budget (a
 * policy's default instruction limit) within 50 ms (TIME_SCALE). */
static void
test_budget(void)
{
	static const char *const chunks[] = {
		"return (('a'):rep(30000)):find('.-.-.-.-b')",
		"return (('a-'):rep(1000)):match('^(.-)%-(.-)%-(.-)%-(%d+)$')",
		"local s = ('a'):rep(400000) for i = 1, 100 do s:find(('a'):rep(50) .. 'b', 1, true) end",
		"return (('a'):rep(30000)):gsub('.-.-.-b', 'x')",
		"for w in (('a'):rep(30000)):gmatch('.-.-.-b') do end",
		"return (('('):rep(20000)):find('%b()')",
		"return (('a'):rep(5000)):find('(a*)%1b')",
	};
	lua_State	*L = state_new(1);
	char		 out[512];
	double		 t0, ms;
	size_t		 i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(L);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		meter.left = 1000000;
		t0 = now_ms();
		run(L, chunks[i], out, sizeof(out));
		ms = now_ms() - t0;
		if (strstr(out, "step budget exhausted") == NULL || ms >= 50 * TIME_SCALE)
			fprintf(stderr, "\n  %s: %s in %.1f ms\n", chunks[i], out, ms);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "step budget exhausted"));
		CU_ASSERT(ms < 50 * TIME_SCALE);
	}
	/* a plain match within the budget is not charged out of it */
	meter.left = 1000000;
	run(L, "return ('key-value-7'):match('^(.-)%-(.-)%-(%d+)$')", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "ok: key value 7");
	CU_ASSERT(meter.left > 1000000 - 200);
	lua_close(L);
}

int
main(void)
{
	CU_pSuite	 s;
	int		 failed;

	meter.exhausted = meter_exhausted;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("pattern", NULL, NULL);
	CU_add_test(s, "same as stock Lua on random cases", test_differential);
	CU_add_test(s, "same as stock Lua on edge cases", test_edges);
	CU_add_test(s, "worst cases stop at the budget", test_budget);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = (int)CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
