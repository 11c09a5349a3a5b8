/*
 * test_policy.c - the Lua policy host: contract, sandbox, limits, hot
 * reload.  Every policy in tests/policy/hostile/ names its expected outcome
 * on its first line ("-- expect: runtime memory"): "load" means policy_new
 * must reject it, "ok" that policy_decide succeeds, anything else the set
 * of acceptable policy_decide errors.  After each hostile call the same
 * thread must still run a good policy.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "log.h"
#include "policy.h"

static char	 srcdir[1024];
static char	 tmpdir[] = "/tmp/test_policy.XXXXXX";

static int	file_contains(const char *, const char *);

static const struct policy_limits lim = { 4u << 20, 200000 };

static const struct tg_candidate two[] = {
	{ "anthropic.claude-3-5-sonnet-20240620-v1:0", 0.90, 1, 1, 3.0, 15.0, 0.0036 },
	{ "anthropic.claude-3-haiku-20240307-v1:0", 0.80, 1, 1, 0.25, 1.25, 0.0003 },
};

static void
facts_init(struct policy_facts *f, const char *router)
{
	memset(f, 0, sizeof(*f));
	f->router = router;
	f->request_class = f->tenant = f->conversation_id = f->previous_model = "";
	f->api = "converse";
	f->prompt_chars = 800;
	f->est_input_tokens = 200;
	f->turns = 1;
	f->cand = two;
	f->ncand = 2;
	f->threshold = 20;
	f->fallback = two[0].model;
	f->predictor_ok = 1;
}

static void
path_of(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", srcdir, rel);
}

static struct policy *
load_rel(const char *rel)
{
	char		 path[1200], err[512];
	struct policy	*p;

	path_of(path, sizeof(path), rel);
	p = policy_new(path, &lim, err, sizeof(err));
	if (p == NULL)
		fprintf(stderr, "%s: %s\n", rel, err);
	return p;
}

/* The default policy decides a plain request: the cheap model. */
static void
assert_good_policy_works(void)
{
	struct policy		*p = load_rel("lua-policies/default.lua");
	struct policy_facts	 f;
	struct policy_decision	 d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	facts_init(&f, "good");
	CU_ASSERT_EQUAL(policy_decide(p, &f, &d), POLICY_OK);
	CU_ASSERT_STRING_EQUAL(d.model, two[1].model);
	policy_free(p);
}

static const char *const codes[] = {
	"ok", "load", "contract", "runtime", "instructions", "memory", "result", "nomem",
};

/* Does `want` (space-separated names) include error `e`? */
static int
expected(const char *want, enum policy_err e)
{
	char	 buf[128], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", want);
	for (tok = strtok_r(buf, " \t\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t\n", &save))
		if ((unsigned)e < sizeof(codes) / sizeof(codes[0]) &&
		    strcmp(tok, codes[e]) == 0)
			return 1;
	return 0;
}

/* The "-- expect: ..." line and the optional "-- reason: ..." line. */
static int
read_expect(const char *path, char *want, size_t len, char *reason, size_t rlen)
{
	FILE	*fp = fopen(path, "r");
	char	 line[256];
	int	 ok = 0;

	reason[0] = '\0';
	if (fp != NULL && fgets(line, sizeof(line), fp) != NULL &&
	    strncmp(line, "-- expect: ", 11) == 0) {
		snprintf(want, len, "%s", line + 11);
		want[strcspn(want, "\n")] = '\0';
		ok = 1;
		if (fgets(line, sizeof(line), fp) != NULL &&
		    strncmp(line, "-- reason: ", 11) == 0) {
			snprintf(reason, rlen, "%s", line + 11);
			reason[strcspn(reason, "\n")] = '\0';
		}
	}
	if (fp != NULL)
		fclose(fp);
	return ok;
}

static int
header_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Run one hostile policy; returns 1 when it behaved as expected. */
static int
run_hostile(const char *name)
{
	char			 rel[512], path[1200], want[128], err[512], why[256];
	struct policy		*p;
	struct policy_facts	 f;
	struct policy_decision	 d;
	enum policy_err		 e;
	int			 i, ok = 1;

	snprintf(rel, sizeof(rel), "tests/policy/hostile/%s", name);
	path_of(path, sizeof(path), rel);
	if (!read_expect(path, want, sizeof(want), why, sizeof(why))) {
		fprintf(stderr, "%s: no '-- expect:' line\n", name);
		return 0;
	}
	p = policy_new(path, &lim, err, sizeof(err));
	if (strcmp(want, "load") == 0) {
		if (p != NULL || err[0] == '\0')
			fprintf(stderr, "%s: loaded, expected a rejection\n", name);
		policy_free(p);
		return p == NULL && err[0] != '\0';
	}
	if (p == NULL) {
		fprintf(stderr, "%s: rejected at load: %s\n", name, err);
		return 0;
	}
	facts_init(&f, "hostile");
	for (i = 0; i < 2 && ok; i++) {
		e = policy_decide(p, &f, &d);
		ok = expected(want, e) && d.reason[0] != '\0' &&
		    strlen(d.reason) < sizeof(d.reason) && header_safe(d.reason) &&
		    (e == POLICY_OK || strcmp(d.model, f.fallback) == 0) &&
		    strstr(d.reason, why) != NULL;
		if (!ok)
			fprintf(stderr, "%s: got %s (%s), expected %s (%s)\n",
			    name, codes[e], d.reason, want, why);
	}
	policy_free(p);
	return ok;
}

static int
is_lua(const struct dirent *de)
{
	size_t	 n = strlen(de->d_name);

	return n > 4 && strcmp(de->d_name + n - 4, ".lua") == 0;
}

static void
test_hostile(void)
{
	struct dirent	**list = NULL;
	char		  dir[1200];
	int		  i, n, good = 0;

	path_of(dir, sizeof(dir), "tests/policy/hostile");
	n = scandir(dir, &list, is_lua, alphasort);
	CU_ASSERT_FATAL(n >= 30);
	for (i = 0; i < n; i++) {
		if (run_hostile(list[i]->d_name))
			good++;
		else
			CU_FAIL(list[i]->d_name);
		assert_good_policy_works();
		free(list[i]);
	}
	free(list);
	printf("\n  %d/%d hostile policies contained\n", good, n);
	CU_ASSERT_EQUAL(good, n);
	CU_ASSERT_EQUAL(access("/tmp/tiergate-hostile-pwned", F_OK), -1);
}

/* ---- the contract ----------------------------------------------------- */

static struct policy *
load_text(const char *name, const char *text)
{
	char		 path[256], err[512];
	FILE		*fp;
	struct policy	*p;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputs(text, fp);
	fclose(fp);
	p = policy_new(path, &lim, err, sizeof(err));
	if (p == NULL)
		fprintf(stderr, "%s: %s\n", name, err);
	return p;
}

/* A policy that reports what it sees in its reason. */
static void
test_ctx_fields(void)
{
	static const struct tg_candidate c3[] = {
		{ "m.unpriced", 0.5, 1, 0, 0, 0, 0 },
		{ "m.big", 0.0, 0, 1, 3.0, 15.0, 0.01 },
		{ "m.small", 0.7, 1, 1, 0.25, 1.25, 0.001 },
	};
	static const char *const mk[] = { "class", "team" };
	static const char *const mv[] = { "legal", "blue" };
	struct policy		*p;
	struct policy_facts	 f;
	struct policy_decision	 d;

	p = load_text("fields.lua",
	    "return { decide = function(ctx)\n"
	    "  if ctx.router ~= 'fields' then return { model = ctx.fallback } end\n"
	    "  local c = ctx.candidates\n"
	    "  local keys = {}\n"
	    "  for k, v in pairs(ctx.metadata) do keys[#keys + 1] = k .. '=' .. v end\n"
	    "  table.sort(keys)\n"
	    "  assert(next(ctx.metadata) ~= nil and next(ctx) ~= nil and next({}) == nil)\n"
	    "  assert(#ctx.candidates == 3 and select('#', table.unpack(ctx.candidates)) == 3)\n"
	    "  return { model = c[1].model, reason = table.concat({ ctx.router,\n"
	    "    tostring(ctx.class), tostring(ctx.tenant), ctx.api, ctx.prompt.chars,\n"
	    "    ctx.prompt.tokens, ctx.turns, tostring(ctx.has_tools), tostring(ctx.has_images),\n"
	    "    tostring(ctx.has_documents), tostring(ctx.conversation), tostring(ctx.previous_model),\n"
	    "    #c, c[1].model, c[2].model, c[3].model, tostring(c[2].quality),\n"
	    "    tostring(c[3].est_cost), tostring(c[3].priced), c[1].price_in,\n"
	    "    ctx.threshold, ctx.fallback, tostring(ctx.predictor_ok),\n"
	    "    ctx.spend.tenant_today, ctx.spend.router_today, table.concat(keys, ',') }, '|') }\n"
	    "end }\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	facts_init(&f, "fields");
	f.tenant = "acme";
	f.conversation_id = "conv-1";
	f.turns = 3;
	f.has_images = 1;
	f.cand = c3;
	f.ncand = 3;
	f.threshold = 12.5;
	f.fallback = "m.big";
	f.tenant_spend_today = 1.5;
	f.router_spend_today = 2.25;
	f.metadata_keys = mk;
	f.metadata_values = mv;
	f.nmetadata = 2;
	CU_ASSERT_EQUAL_FATAL(policy_decide(p, &f, &d), POLICY_OK);
	CU_ASSERT_STRING_EQUAL(d.model, "m.small");
	CU_ASSERT_STRING_EQUAL(d.reason, "fields|nil|acme|converse|800|200|3|false|true|"
	    "false|conv-1|nil|3|m.small|m.big|m.unpriced|nil|nil|false|0.25|12.5|m.big|"
	    "true|1.5|2.25|class=legal,team=blue");
	policy_free(p);
}

/* ctx is reused between calls: a policy that keeps ctx (and tables in
 * it) from the first call reads the second request there, and nothing of
 * the first: fields present then absent read nil, the dropped candidate
 * is empty, the metadata is gone. */
static void
test_ctx_reuse(void)
{
	static const struct tg_candidate c3[] = {
		{ "m.a", 0.5, 1, 1, 1.0, 2.0, 0.01 },
		{ "m.b", 0.6, 1, 1, 2.0, 4.0, 0.02 },
		{ "m.c", 0.7, 1, 1, 3.0, 6.0, 0.03 },
	};
	static const struct tg_candidate c2[] = {
		{ "m.x", 0.0, 0, 0, 0, 0, 0 },
		{ "m.y", 0.8, 1, 1, 0.5, 0.5, 0.005 },
	};
	static const char *const mk[] = { "team" };
	static const char *const mv[] = { "blue" };
	struct policy		*p;
	struct policy_facts	 f;
	struct policy_decision	 d;

	p = load_text("stash.lua",
	    "local kept, c1, c3, meta, prompt, it\n"
	    "local function s(v) return tostring(v) end\n"
	    "return { decide = function(ctx)\n"
	    "  if ctx.router ~= 'stash' then return { model = ctx.fallback } end\n"
	    "  if kept == nil then\n"
	    "    kept, c1, c3, meta, prompt = ctx, ctx.candidates[1], ctx.candidates[3], ctx.metadata, ctx.prompt\n"
	    "    it = pairs(ctx.metadata)\n"
	    "    return { model = ctx.candidates[1].model, reason = 'first' }\n"
	    "  end\n"
	    "  local n = 0\n"
	    "  for _ in pairs(meta) do n = n + 1 end\n"
	    "  return { model = kept.candidates[1].model, reason = table.concat({\n"
	    "    s(kept.class), s(kept.tenant), s(kept.conversation), s(kept.previous_model),\n"
	    "    s(kept.has_tools), s(kept.turns), s(kept.threshold), kept.fallback,\n"
	    "    s(#kept.candidates), s(kept.candidates[3]), c1.model, s(c1.quality),\n"
	    "    s(c1.priced), s(c1.price_in), s(c1.est_cost), s(c3.model), s(c3.quality),\n"
	    "    s(c3.priced), s(c3.price_out), s(next(c3)), s(meta.team), s(n), s(next(meta)),\n"
	    "    s(it(meta)), s(prompt.chars), s(rawequal(kept, ctx)) }, '|') }\n"
	    "end }\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	facts_init(&f, "stash");
	f.request_class = "legal";
	f.tenant = "acme";
	f.conversation_id = "conv-1";
	f.previous_model = "m.b";
	f.has_tools = 1;
	f.turns = 4;
	f.cand = c3;
	f.ncand = 3;
	f.fallback = "m.c";
	f.metadata_keys = mk;
	f.metadata_values = mv;
	f.nmetadata = 1;
	CU_ASSERT_EQUAL_FATAL(policy_decide(p, &f, &d), POLICY_OK);
	CU_ASSERT_STRING_EQUAL(d.reason, "first");
	facts_init(&f, "stash");
	f.cand = c2;
	f.ncand = 2;
	f.prompt_chars = 9;
	f.threshold = 7;
	f.fallback = "m.y";
	CU_ASSERT_EQUAL_FATAL(policy_decide(p, &f, &d), POLICY_OK);
	CU_ASSERT_STRING_EQUAL(d.model, "m.y");
	CU_ASSERT_STRING_EQUAL(d.reason, "nil|nil|nil|nil|false|1|7.0|m.y|2|nil|"
	    "m.y|0.8|true|0.5|0.005|nil|nil|nil|nil|nil|nil|0|nil|nil|9|true");
	policy_free(p);
}

/* Random facts from small pools, so that fields repeat, change, vanish
 * and come back: strings that are prefixes of each other, "" and NULL,
 * 0.0 and -0.0, NaN, 0..5 candidates with and without prices. */
static unsigned
rnd(unsigned *seed, unsigned n)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 8) % n;
}

static void
random_facts(struct policy_facts *f, struct tg_candidate *c, unsigned *seed)
{
	static const char *const str[] = { NULL, "", "a", "ab", "b", "a.very-long-model-id-beyond-lua-short-strings-v1:0" };
	static const double num[] = { 0.0, -0.0, 0.5, 1e300, -2.0 };
	static const char *const mk[] = { "class", "team" };
	static const char *const mv[] = { "legal", "blue" };
	size_t	 i;

	facts_init(f, str[2 + rnd(seed, 4)]);
	f->request_class = str[rnd(seed, 6)];
	f->tenant = str[rnd(seed, 6)];
	f->api = str[rnd(seed, 6)];
	f->conversation_id = str[rnd(seed, 6)];
	f->previous_model = str[rnd(seed, 6)];
	f->fallback = str[rnd(seed, 6)];
	f->turns = (int)rnd(seed, 3);
	f->prompt_chars = rnd(seed, 3);
	f->est_input_tokens = rnd(seed, 3);
	f->has_tools = (int)rnd(seed, 2);
	f->has_images = (int)rnd(seed, 3);
	f->has_documents = (int)rnd(seed, 2);
	f->predictor_ok = (int)rnd(seed, 2);
	f->threshold = rnd(seed, 8) == 0 ? NAN : num[rnd(seed, 5)];
	f->tenant_spend_today = num[rnd(seed, 5)];
	f->router_spend_today = num[rnd(seed, 5)];
	f->nmetadata = rnd(seed, 3);
	f->metadata_keys = mk;
	f->metadata_values = mv;
	f->ncand = rnd(seed, 6);
	f->cand = c;
	for (i = 0; i < f->ncand; i++) {
		c[i].model = str[rnd(seed, 6)];
		c[i].quality = num[rnd(seed, 5)];
		c[i].has_quality = (int)rnd(seed, 2);
		c[i].priced = (int)rnd(seed, 2);
		c[i].price_in = num[rnd(seed, 5)];
		c[i].price_out = num[rnd(seed, 5)];
		c[i].est_cost = (double)i;
	}
}

/* A policy that answers a hash of everything ctx holds (in a refusal,
 * which is valid whatever the candidates). */
static const char ctx_hash_src[] =
    "local format, mtype, sort, concat = string.format, math.type, table.sort, table.concat\n"
    "local function ser(v, out)\n"
    "  local t = type(v)\n"
    "  if t == 'number' then out[#out + 1] = mtype(v) .. ':' .. (v ~= v and 'nan' or format('%a', v))\n"
    "  elseif t ~= 'table' then out[#out + 1] = t .. ':' .. tostring(v)\n"
    "  else\n"
    "    local keys = {}\n"
    "    for k in pairs(v) do keys[#keys + 1] = tostring(k) end\n"
    "    sort(keys)\n"
    "    out[#out + 1] = '{#' .. #v\n"
    "    for _, k in ipairs(keys) do\n"
    "      out[#out + 1] = k .. '='\n"
    "      ser(v[k] == nil and v[tonumber(k)] or v[k], out)\n"
    "    end\n"
    "    out[#out + 1] = '}'\n"
    "  end\n"
    "end\n"
    "return { decide = function(ctx)\n"
    "  local out = {}\n"
    "  ser(ctx, out)\n"
    "  local s, h = concat(out, ' '), 0\n"
    "  for i = 1, #s do h = (h * 31 + s:byte(i)) & 0xffffffffffff end\n"
    "  return { refuse = {}, reason = format('%d:%x', #s, h) }\n"
    "end }\n";

/* ctx is reused and only changed fields are stored (policy.c, struct
 * shadow): after any sequence of requests, the state must show a policy
 * exactly what a new state shows for the same request. */
static void
test_ctx_reuse_random(void)
{
	struct tg_candidate	 c[5];
	struct policy		*p, *fresh;
	struct policy_facts	 f;
	struct policy_decision	 d1, d2;
	unsigned		 seed = 4242, i, same = 0, changed = 0;
	char			 last[256] = "";

	p = load_text("hash.lua", ctx_hash_src);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (i = 0; i < 300; i++) {
		random_facts(&f, c, &seed);
		fresh = load_text("hash.lua", ctx_hash_src);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fresh);
		policy_decide(p, &f, &d1);
		policy_decide(fresh, &f, &d2);
		changed += strcmp(last, d1.reason) != 0 && d1.refuse;
		snprintf(last, sizeof(last), "%s", d1.reason);
		if (strcmp(d1.reason, d2.reason) == 0)
			same++;
		else if (i - same < 5)
			fprintf(stderr, "step %u: reused %s, new %s\n", i, d1.reason, d2.reason);
		policy_free(fresh);
	}
	CU_ASSERT_EQUAL(same, 300);
	CU_ASSERT(changed > 250);	/* the hash sees the changes */
	policy_free(p);
}

static void
test_refusal(void)
{
	struct policy		*p;
	struct policy_facts	 f;
	struct policy_decision	 d;

	p = load_text("refuse.lua",
	    "return { decide = function(ctx)\n"
	    "  if ctx.tenant == 'x' then return { refuse = { status = 403,\n"
	    "    type = 'AccessDeniedException', message = 'no\\nway' } } end\n"
	    "  if ctx.tenant == 'y' then return { refuse = {} } end\n"
	    "  return { model = ctx.candidates[1].model }\n"
	    "end }\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	facts_init(&f, "r");
	f.tenant = "x";
	CU_ASSERT_EQUAL(policy_decide(p, &f, &d), POLICY_OK);
	CU_ASSERT_EQUAL(d.refuse, 1);
	CU_ASSERT_EQUAL(d.refuse_status, 403);
	CU_ASSERT_STRING_EQUAL(d.refuse_type, "AccessDeniedException");
	CU_ASSERT_STRING_EQUAL(d.refuse_message, "no way");
	f.tenant = "y";
	CU_ASSERT_EQUAL(policy_decide(p, &f, &d), POLICY_OK);
	CU_ASSERT_EQUAL(d.refuse_status, 429);
	CU_ASSERT_STRING_EQUAL(d.refuse_type, "ThrottlingException");
	f.tenant = "";
	CU_ASSERT_EQUAL(policy_decide(p, &f, &d), POLICY_OK);
	CU_ASSERT_EQUAL(d.refuse, 0);
	CU_ASSERT_STRING_EQUAL(d.model, two[1].model);
	CU_ASSERT_STRING_EQUAL(d.reason, "policy chose anthropic.claude-3-haiku-20240307-v1:0");
	policy_free(p);
}

/* An error names file and line; the fallback serves. */
static void
test_error_reason(void)
{
	struct policy		*p;
	struct policy_facts	 f;
	struct policy_decision	 d;

	p = load_text("err.lua",
	    "return { decide = function(ctx)\n"
	    "  if ctx.router == 'boom' then\n"
	    "    return ctx.nothing.here\n"
	    "  end\n"
	    "  return { model = ctx.fallback }\n"
	    "end }\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	facts_init(&f, "boom");
	CU_ASSERT_EQUAL(policy_decide(p, &f, &d), POLICY_E_RUNTIME);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.reason, "policy error: err.lua:3: attempt to index a nil value"));
	CU_ASSERT_STRING_EQUAL(d.model, f.fallback);
	CU_ASSERT_PTR_NOT_NULL(strstr(policy_last_traceback(p), "stack traceback"));
	policy_free(p);
}

static void
test_load_errors(void)
{
	char	 err[512];

	CU_ASSERT_PTR_NULL(policy_new("/nonexistent/x.lua", &lim, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file"));
	CU_ASSERT_PTR_NULL(load_text("syn.lua", "return { decide = function(ctx)\n\n  return {\nend }\n"));
	CU_ASSERT_PTR_NULL(load_text("empty.lua", ""));
	CU_ASSERT_STRING_EQUAL(policy_strerror(POLICY_E_INSTRUCTIONS),
	    "policy instruction limit exceeded");
	CU_ASSERT_STRING_EQUAL(policy_strerror((enum policy_err)99), "unknown policy error");
}

/* Many calls do not grow the heap: the per-call tables are collected. */
static void
test_no_leak(void)
{
	struct policy		*p = load_rel("lua-policies/default.lua");
	struct policy_facts	 f;
	struct policy_decision	 d;
	int			 i, ok = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	facts_init(&f, "leak");
	for (i = 0; i < 200000 && ok; i++)
		ok = policy_decide(p, &f, &d) == POLICY_OK;
	CU_ASSERT(ok);
	policy_free(p);
}

/* Garbage left by earlier calls must not fail a later one: near the cap,
 * Lua's emergency collection frees it and the allocation is retried.  Each
 * call here needs that emergency collection, which finalizes nothing: the
 * dead string.rep buffer boxes (48 bytes each) used to pile up until call
 * ~2100 failed; the host now finalizes them after such a call. */
static void
test_garbage_near_cap(void)
{
	static const struct policy_limits tight = { 300u << 10, 200000 };
	char			 path[256], err[512];
	FILE			*fp;
	struct policy		*p;
	struct policy_facts	 f;
	struct policy_decision	 d;
	int			 i, ok = 1;

	snprintf(path, sizeof(path), "%s/garbage.lua", tmpdir);
	fp = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputs("return { decide = function(ctx)\n"
	    "  local s = string.rep('x', 100000)\n"
	    "  return { model = ctx.candidates[1].model, reason = tostring(#s) }\n"
	    "end }\n", fp);
	fclose(fp);
	p = policy_new(path, &tight, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	facts_init(&f, "g");
	for (i = 0; i < 5000 && ok; i++) {
		f.router = i % 2 ? "g" : "h";	/* a new string every call */
		ok = policy_decide(p, &f, &d) == POLICY_OK;
	}
	if (!ok)
		fprintf(stderr, "call %d: %s\n", i, d.reason);
	CU_ASSERT(ok);
	policy_free(p);
}

/* ---- the helper library (tiergate.*) ----------------------------------- */

/* Decide with `src` on candidates c[0..n-1]; the reason, or "(error) ..." */
static const char *
helper_reason(const char *src, const struct tg_candidate *c, size_t n,
    int predictor_ok)
{
	static struct policy_decision	 d;
	static char			 buf[300];
	struct policy			*p = load_text("helpers.lua", src);
	struct policy_facts		 f;
	enum policy_err			 e;

	if (p == NULL)
		return "(load error)";
	facts_init(&f, "helpers");
	f.cand = c;
	f.ncand = n;
	f.fallback = c[n - 1].model;
	f.predictor_ok = predictor_ok;
	e = policy_decide(p, &f, &d);
	policy_free(p);
	if (e != POLICY_OK) {
		snprintf(buf, sizeof(buf), "(error) %s", d.reason);
		return buf;
	}
	return d.reason;
}

/* The library's surface: exactly these names, all functions. */
static void
test_helpers_surface(void)
{
	CU_ASSERT_STRING_EQUAL(helper_reason(
	    "return { decide = function(ctx)\n"
	    "  local names = {}\n"
	    "  for k, v in pairs(tiergate) do\n"
	    "    assert(type(v) == 'function', k)\n"
	    "    names[#names + 1] = k\n"
	    "  end\n"
	    "  table.sort(names)\n"
	    "  return { model = ctx.fallback, reason = table.concat(names, ' ') }\n"
	    "end }\n", two, 2, 1),
	    "bedrock candidate cheapest fallback short strongest");
}

/* Each helper on the real ctx, reported in the reason. */
static void
test_helpers_lookups(void)
{
	static const struct tg_candidate c3[] = {
		{ "custom.unpriced", 0.95, 1, 0, 0, 0, 0 },
		{ "anthropic.claude-3-5-sonnet-20240620-v1:0", 0.90, 1, 1, 3.0, 15.0, 0.0036 },
		{ "us.anthropic.claude-3-haiku-20240307-v1:0", 0.80, 1, 1, 0.25, 1.25, 0.0003 },
	};
	const char	*src =
	    "return { decide = function(ctx)\n"
	    "  local t = tiergate\n"
	    "  return { model = ctx.fallback, reason = table.concat({\n"
	    "    t.strongest(ctx).model, t.cheapest(ctx).model,\n"
	    "    tostring(t.candidate(ctx, 'custom.unpriced') == ctx.candidates[3]),\n"
	    "    tostring(t.candidate(ctx, 'no.such')), tostring(t.candidate(ctx, nil)),\n"
	    "    t.fallback(ctx, 'why').reason, t.fallback(ctx).reason,\n"
	    "    t.short('us.anthropic.claude-3-haiku-20240307-v1:0'), t.short('plain'),\n"
	    "    tostring(t.strongest({ candidates = {} })),\n"
	    "    t.strongest({ candidates = { { model = 'a' }, { model = 'b' } } }).model,\n"
	    "  }, '|') }\n"
	    "end }\n";

	CU_ASSERT_STRING_EQUAL(helper_reason(src, c3, 3, 1),
	    "anthropic.claude-3-5-sonnet-20240620-v1:0|"
	    "us.anthropic.claude-3-haiku-20240307-v1:0|true|nil|nil|"
	    "why: fallback claude-3-haiku|fallback claude-3-haiku|"
	    "claude-3-haiku|plain|nil|b");
}

/* tiergate.bedrock prints qualities and thresholds without
 * string.format (policy_lib.c, lib_num2): its reasons must equal
 * string.format's '%.2f' and '%g' byte for byte, ties, signs, huge and
 * non-finite values included.  The policy rebuilds each reason with
 * string.format and answers "same" or both versions. */
static void
test_helpers_numbers(void)
{
	static const double	 q[] = { 0.125, 0.375, 0.005, 0.015, 1.005, 2.675,
	    0.8, 0.9, 0.0, -0.0, -0.001, -0.125, -2.5, 0.994999, 0.995, 99.995,
	    123456.785, 1e14 + 0.125, 1e15, 1e300, -1e300, 5e-324, 1.0 / 3,
	    INFINITY, -INFINITY, NAN };
	static const double	 th[] = { 20, 0, -0.0, 12.5, 999999, 1e6, 1e-7,
	    -3, 100, 0.1 };
	struct tg_candidate	 c[2] = {
		{ "a.cheap", 0, 1, 1, 0.1, 0.1, 0.0001 },
		{ "a.dear", 0, 1, 1, 1.0, 1.0, 0.001 },
	};
	struct policy		*p;
	struct policy_facts	 f;
	struct policy_decision	 d;
	size_t			 i, j, n = sizeof(q) / sizeof(q[0]), bad = 0;
	unsigned		 seed = 12345;

	p = load_text("numbers.lua",
	    "local format = string.format\n"
	    "return { decide = function(ctx)\n"
	    "  local r = tiergate.bedrock(ctx)\n"
	    "  local a, b, t = ctx.candidates[1], ctx.candidates[2], ctx.threshold\n"
	    "  local w = {\n"
	    "    format('cheap %.2f within %g%% of best %.2f (dear)', a.quality, t, b.quality),\n"
	    "    format('dear %.2f beats cheap %.2f by more than %g%%', b.quality, a.quality, t),\n"
	    "    format('cheap %.2f is the cheapest and best predicted', a.quality),\n"
	    "    'best predicted quality', 'no candidate has a predicted quality: fallback dear' }\n"
	    "  for _, x in ipairs(w) do if r.reason == x then return { model = r.model, reason = 'same' } end end\n"
	    "  return { model = r.model, reason = r.reason .. ' / ' .. w[1] .. ' / ' .. w[2] }\n"
	    "end }\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	facts_init(&f, "numbers");
	f.cand = c;
	f.fallback = "a.dear";
	for (i = 0; i < n * n * 10 + 20000; i++) {
		if (i < n * n * 10) {
			c[0].quality = q[i % n];
			c[1].quality = q[i / n % n];
			f.threshold = th[i / (n * n)];
		} else {
			seed = seed * 1103515245u + 12345u;
			c[0].quality = (double)(seed >> 8) / (1u << 24) * (i % 3 ? 1 : 200);
			seed = seed * 1103515245u + 12345u;
			c[1].quality = (double)(seed >> 8) / (1u << 24) * (i % 3 ? 1 : 200);
			f.threshold = (double)(seed % 101) + (i % 2 ? 0 : 0.5);
		}
		for (j = 0; j < 1; j++)
			if (policy_decide(p, &f, &d) != POLICY_OK ||
			    strcmp(d.reason, "same") != 0) {
				if (bad++ < 5)
					fprintf(stderr, "numbers: %.17g %.17g %g: %s\n",
					    c[0].quality, c[1].quality, f.threshold, d.reason);
			}
	}
	CU_ASSERT_EQUAL(bad, 0);
	policy_free(p);
}

/* tiergate.bedrock takes a C path for the ctx of the call in progress
 * (policy_lib.c, lib_bedrock_fast) and the Lua one for any other table:
 * on random requests both must give the same model, reason or error.
 * The policy runs both, the second on a plain copy of ctx, and refuses
 * with "same" or with what differed. */
static void
test_helpers_bedrock_paths(void)
{
	static const char *const models[] = { NULL, "", "nodot", "a.b.",
	    "anthropic.claude-3-haiku-20240307-v1:0", "us.meta.llama3-1-8b-instruct-v1:0",
	    "x-v1:2", "x-v:2", "x-v1:", "m-12345678", "m-1234567-v1:0",
	    "p.q-v12:34-v5:6", "z-12345678-v1:0x", "-v1:0", "v1:0", ".-v1:0",
	    "a.-12345678", "arn:aws:bedrock:us-east-1:1:inference-profile/"
	    "us.anthropic.claude-3-5-sonnet-20240620-v1:0" };
	static const double q[] = { 0.5, 0.8, 0.80000001, 0.9, 0.0, -0.0, -0.4,
	    1e300, NAN, 0.125, 0.995, 0.7 };
	static const double th[] = { 20, 0, 12.5, -5, 100, NAN, 1e-9, 20 };
	/* confidence and min_confidence: equal, just below, off, NaN */
	static const double conf[] = { 0.12, 0.3, 0.29999999, 0.95, 0, 1, NAN, 0.5 };
	static const double minc[] = { 0, 0.3, 0.5, 0.3 };
	struct tg_candidate	 c[5];
	struct policy		*p;
	struct policy_facts	 f;
	struct policy_decision	 d;
	unsigned		 seed = 777, i, j, same = 0, fast = 0;
	const unsigned		 nm = sizeof(models) / sizeof(models[0]);

	p = load_text("paths.lua",
	    "local function copy(t)\n"
	    "  local r = {}\n"
	    "  for k, v in pairs(t) do r[k] = type(v) == 'table' and copy(v) or v end\n"
	    "  return r\n"
	    "end\n"
	    "local function show(ok, r)\n"
	    "  if not ok then return 'error ' .. tostring(r) end\n"
	    "  return tostring(r.model) .. ' / ' .. tostring(r.reason)\n"
	    "end\n"
	    "return { decide = function(ctx)\n"
	    "  local th = ctx.turns == 2 and ctx.prompt.chars or ctx.turns == 0 and 'x' or nil\n"
	    "  local a = show(pcall(tiergate.bedrock, ctx, th))\n"
	    "  local b = show(pcall(tiergate.bedrock, copy(ctx), th))\n"
	    "  return { refuse = {}, reason = a == b and 'same ' .. a or a .. ' | ' .. b }\n"
	    "end }\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (i = 0; i < 20000; i++) {
		facts_init(&f, "paths");
		f.cand = c;
		f.ncand = rnd(&seed, 6);
		f.turns = (int)rnd(&seed, 4);
		f.prompt_chars = rnd(&seed, 40);
		f.threshold = th[rnd(&seed, 8)];
		f.predictor_ok = rnd(&seed, 10) != 0;
		f.has_confidence = rnd(&seed, 3) != 0;
		f.confidence = conf[rnd(&seed, 8)];
		f.min_confidence = minc[rnd(&seed, 4)];
		f.fallback = models[rnd(&seed, nm)];
		for (j = 0; j < f.ncand; j++) {
			c[j].model = rnd(&seed, 20) == 0 ? models[rnd(&seed, 2)] :
			    models[2 + rnd(&seed, nm - 2)];
			c[j].quality = q[rnd(&seed, 12)];
			c[j].has_quality = rnd(&seed, 5) != 0;
			c[j].priced = rnd(&seed, 5) != 0;
			c[j].price_in = c[j].price_out = (double)rnd(&seed, 3);
			c[j].est_cost = (double)rnd(&seed, 4);
		}
		if (policy_decide(p, &f, &d) == POLICY_OK &&
		    strncmp(d.reason, "same ", 5) == 0) {
			same++;
			fast += strncmp(d.reason, "same error", 10) != 0;
		} else if (i - same < 5)
			fprintf(stderr, "bedrock paths, request %u: %s\n", i, d.reason);
	}
	CU_ASSERT_EQUAL(same, 20000);
	CU_ASSERT(fast > 10000);	/* most requests had a decision */
	policy_free(p);
}

/* tiergate.bedrock: each branch of the rule and its reason. */
static void
test_helpers_bedrock(void)
{
	static const struct tg_candidate neg[] = {
		{ "a.cheap", -0.5, 1, 1, 0.1, 0.1, 0.0001 },
		{ "a.dear", -0.4, 1, 1, 1.0, 1.0, 0.001 },
	};
	static const struct tg_candidate noq[] = {
		{ "a.cheap", 0, 0, 1, 0.1, 0.1, 0.0001 },
		{ "a.dear", 0, 0, 1, 1.0, 1.0, 0.001 },
	};
	const char	*dflt = "return { decide = function(ctx) return tiergate.bedrock(ctx) end }\n";
	const char	*t5 = "return { decide = function(ctx) return tiergate.bedrock(ctx, 5) end }\n";

	/* 0.90 vs 0.80 is 12.5% better: stays cheap at 20, escalates at 5 */
	CU_ASSERT_STRING_EQUAL(helper_reason(dflt, two, 2, 1),
	    "claude-3-haiku 0.80 within 20% of best 0.90 (claude-3-5-sonnet)");
	CU_ASSERT_STRING_EQUAL(helper_reason(t5, two, 2, 1),
	    "claude-3-5-sonnet 0.90 beats claude-3-haiku 0.80 by more than 5%");
	CU_ASSERT_STRING_EQUAL(helper_reason(dflt, two, 2, 0),
	    "no prediction: fallback claude-3-haiku");
	CU_ASSERT_STRING_EQUAL(helper_reason(dflt, noq, 2, 1),
	    "no candidate has a predicted quality: fallback dear");
	/* negative qualities: best is not within its own threshold */
	CU_ASSERT_STRING_EQUAL(helper_reason(dflt, neg, 2, 1), "best predicted quality");
	/* the result is the policy's own table: it may edit it */
	CU_ASSERT_STRING_EQUAL(helper_reason(
	    "return { decide = function(ctx)\n"
	    "  local d = tiergate.bedrock(ctx)\n"
	    "  d.reason = 'mine: ' .. d.reason\n"
	    "  return d\n"
	    "end }\n", two, 2, 1),
	    "mine: claude-3-haiku 0.80 within 20% of best 0.90 (claude-3-5-sonnet)");
	/* a garbage threshold names the argument */
	CU_ASSERT_PTR_NOT_NULL(strstr(helper_reason(
	    "return { decide = function(ctx)\n"
	    "  if ctx.router == 'dry-run' then return { model = ctx.fallback } end\n"
	    "  local d = tiergate.bedrock(ctx, {})\n"
	    "  return d end }\n", two, 2, 1),
	    "(error) policy error: helpers.lua:3: tiergate.bedrock: threshold: number expected, got table"));
}

/* The library is compiled once per state (about 11 KB of its heap), and
 * a decision leaves nothing behind: the default policy keeps deciding in
 * a 64 KiB heap. */
static void
test_helpers_tight_memory(void)
{
	static const struct policy_limits small = { 64u << 10, 200000 };
	char			 path[1200], err[512];
	struct policy		*p;
	struct policy_facts	 f;
	struct policy_decision	 d;
	int			 i, ok = 1;

	path_of(path, sizeof(path), "lua-policies/default.lua");
	p = policy_new(path, &small, err, sizeof(err));
	if (p == NULL)
		fprintf(stderr, "default.lua in 64 KiB: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	facts_init(&f, "tight");
	for (i = 0; i < 20000 && ok; i++)
		ok = policy_decide(p, &f, &d) == POLICY_OK;
	CU_ASSERT(ok);
	policy_free(p);
}

/* ---- hot reload ------------------------------------------------------- */

static void
write_file(const char *path, const char *text, int via_rename)
{
	char	 tmp[512];
	FILE	*fp;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fp = fopen(via_rename ? tmp : path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputs(text, fp);
	fclose(fp);
	if (via_rename)
		CU_ASSERT_EQUAL(rename(tmp, path), 0);
}

static const char *
decide_model(struct policy *p)
{
	static struct policy_decision	 d;
	struct policy_facts		 f;

	facts_init(&f, "reload");
	return policy_decide(p, &f, &d) == POLICY_OK ? d.model : "(error)";
}

static void
test_hot_reload(void)
{
	char		 path[256], err[512], v1[16], logpath[256];
	struct policy	*p;

	snprintf(logpath, sizeof(logpath), "%s/reload.log", tmpdir);
	CU_ASSERT_EQUAL_FATAL(log_open(logpath, LOG_LVL_INFO), 0);
	snprintf(path, sizeof(path), "%s/reload.lua", tmpdir);
	write_file(path, "return { decide = function(ctx) return { model = ctx.candidates[1].model } end }\n", 0);
	p = policy_new(path, &lim, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	policy_set_reload_interval(p, 0);
	snprintf(v1, sizeof(v1), "%s", policy_version(p));
	CU_ASSERT_STRING_EQUAL(decide_model(p), two[1].model);
	CU_ASSERT_EQUAL(policy_maybe_reload(p), 0);

	/* broken: rejected, the old one keeps serving, reported once */
	write_file(path, "return { decide = function(ctx) return { model = \n", 0);
	CU_ASSERT_EQUAL(policy_maybe_reload(p), -1);
	CU_ASSERT_EQUAL(policy_maybe_reload(p), 0);
	CU_ASSERT_STRING_EQUAL(policy_version(p), v1);
	CU_ASSERT_STRING_EQUAL(decide_model(p), two[1].model);

	/* runs but fails its dry run: rejected too */
	write_file(path, "return { decide = function(ctx) while true do end end }\n", 1);
	CU_ASSERT_EQUAL(policy_maybe_reload(p), -1);
	CU_ASSERT_STRING_EQUAL(decide_model(p), two[1].model);

	/* good again, via rename: swapped */
	write_file(path, "return { decide = function(ctx) return { model = ctx.fallback } end }\n", 1);
	CU_ASSERT_EQUAL(policy_maybe_reload(p), 1);
	CU_ASSERT_STRING_NOT_EQUAL(policy_version(p), v1);
	CU_ASSERT_STRING_EQUAL(decide_model(p), two[0].model);

	/* deleted: reported, kept */
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL(policy_maybe_reload(p), -1);
	CU_ASSERT_EQUAL(policy_maybe_reload(p), 0);
	CU_ASSERT_STRING_EQUAL(decide_model(p), two[0].model);

	/* throttled: with the default interval a change is not seen at once */
	policy_set_reload_interval(p, 60000);
	CU_ASSERT_EQUAL(policy_maybe_reload(p), 0);
	write_file(path, "return { decide = function(ctx) return { model = ctx.candidates[1].model } end }\n", 0);
	CU_ASSERT_EQUAL(policy_maybe_reload(p), 0);
	CU_ASSERT_STRING_EQUAL(decide_model(p), two[0].model);
	policy_free(p);
	log_open("/dev/null", LOG_LVL_ERR);
	CU_ASSERT(file_contains(logpath, "reload rejected: reload.lua:2: unexpected symbol near <eof>"));
	CU_ASSERT(file_contains(logpath, "reload rejected: dry run: policy limit"));
	CU_ASSERT(file_contains(logpath, "reloaded, version"));
}

/* A server starts with a broken file: the fallback serves until the file
 * is fixed, then the policy loads without a restart. */
static void
test_open_broken(void)
{
	char			 path[256], err[512];
	struct policy		*p;
	struct policy_facts	 f;
	struct policy_decision	 d;

	snprintf(path, sizeof(path), "%s/late.lua", tmpdir);
	write_file(path, "return { decide = \n", 0);
	p = policy_open(path, &lim, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "late.lua:2:"));
	CU_ASSERT_FALSE(policy_loaded(p));
	CU_ASSERT_STRING_EQUAL(policy_version(p), "none");
	policy_set_reload_interval(p, 0);
	facts_init(&f, "late");
	CU_ASSERT_EQUAL(policy_decide(p, &f, &d), POLICY_E_LOAD);
	CU_ASSERT_STRING_EQUAL(d.model, f.fallback);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.reason, "policy not loaded: late.lua:2:"));
	CU_ASSERT_EQUAL(policy_maybe_reload(p), 0);
	write_file(path, "return { decide = function(ctx) return { model = ctx.candidates[1].model } end }\n", 1);
	CU_ASSERT_EQUAL(policy_maybe_reload(p), 1);
	CU_ASSERT_TRUE(policy_loaded(p));
	CU_ASSERT_EQUAL(policy_decide(p, &f, &d), POLICY_OK);
	CU_ASSERT_STRING_EQUAL(d.model, two[1].model);
	policy_free(p);
	/* a missing file too */
	p = policy_open("/nonexistent/policy.lua", &lim, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(policy_decide(p, &f, &d), POLICY_E_LOAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.reason, "No such file"));
	policy_free(p);
	/* and a good one is loaded at once */
	p = policy_open(path, &lim, err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_TRUE(policy_loaded(p));
	policy_free(p);
}

/* ---- threads ------------------------------------------------------------ */

struct worker_arg {
	const char	*rel;		/* policy under tests/ or lua-policies/ */
	const char	*router;
	enum policy_err	 want;
	int		 ok;
};

/* One policy per thread, as the gateway does; hostile ones next to good
 * ones must not disturb them. */
static void *
worker(void *v)
{
	struct worker_arg	*a = v;
	struct policy		*p = load_rel(a->rel);
	struct policy_facts	 f;
	struct policy_decision	 d;
	int			 i, n = a->want == POLICY_OK ? 20000 : 20;

	a->ok = p != NULL;
	facts_init(&f, a->router);
	for (i = 0; i < n && a->ok; i++)
		a->ok = policy_decide(p, &f, &d) == a->want;
	policy_free(p);
	return NULL;
}

static void
test_threads(void)
{
	struct worker_arg	 args[] = {
		{ "lua-policies/default.lua", "t", POLICY_OK, 0 },
		{ "tests/policy/hostile/infinite_loop.lua", "hostile", POLICY_E_INSTRUCTIONS, 0 },
		{ "lua-policies/default.lua", "t", POLICY_OK, 0 },
		{ "tests/policy/hostile/memory_bomb.lua", "hostile", POLICY_E_MEMORY, 0 },
	};
	pthread_t		 t[4];
	size_t			 i;

	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, worker, &args[i]), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT(args[i].ok);
	}
}

static int
file_contains(const char *path, const char *needle)
{
	char	 buf[8192];
	size_t	 n;
	FILE	*fp = fopen(path, "r");

	if (fp == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return strstr(buf, needle) != NULL;
}

static void
cleanup_tmp(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (getenv("KEEP_TMP") == NULL && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

int
main(void)
{
	CU_pSuite	 s;
	const char	*top = getenv("top_srcdir");
	unsigned	 failed;

#ifndef TG_TOP_SRCDIR
#define TG_TOP_SRCDIR "."
#endif
	/* the serial test harness passes no environment: fall back to the
	 * source tree known at build time */
	snprintf(srcdir, sizeof(srcdir), "%s", top != NULL ? top : TG_TOP_SRCDIR);
	log_open("/dev/null", LOG_LVL_ERR);
	alarm(300);	/* a hostile policy that hangs fails the test */
	if (mkdtemp(tmpdir) == NULL)
		return 99;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("policy", NULL, NULL);
	CU_add_test(s, "ctx fields", test_ctx_fields);
	CU_add_test(s, "ctx reused, nothing stale", test_ctx_reuse);
	CU_add_test(s, "ctx reused = new ctx, random requests", test_ctx_reuse_random);
	CU_add_test(s, "refusal", test_refusal);
	CU_add_test(s, "error reason", test_error_reason);
	CU_add_test(s, "load errors", test_load_errors);
	CU_add_test(s, "hostile policies", test_hostile);
	CU_add_test(s, "helpers: surface", test_helpers_surface);
	CU_add_test(s, "helpers: lookups", test_helpers_lookups);
	CU_add_test(s, "helpers: bedrock", test_helpers_bedrock);
	CU_add_test(s, "helpers: numbers as string.format", test_helpers_numbers);
	CU_add_test(s, "helpers: bedrock in C = bedrock in Lua", test_helpers_bedrock_paths);
	CU_add_test(s, "helpers: tight memory", test_helpers_tight_memory);
	CU_add_test(s, "no leak", test_no_leak);
	CU_add_test(s, "garbage near the cap", test_garbage_near_cap);
	CU_add_test(s, "hot reload", test_hot_reload);
	CU_add_test(s, "open broken", test_open_broken);
	CU_add_test(s, "threads", test_threads);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	cleanup_tmp();
	return failed == 0 ? 0 : 1;
}
