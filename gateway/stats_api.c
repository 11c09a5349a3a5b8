/*
 * stats_api.c - GET /admin/api/stats and /admin/api/routers documents,
 * built from the shared stats file and the config (docs/admin-api.md).
 *
 * Money leaves here in dollars, computed from integer nano-dollars, with
 * the "unpriced is never $0" rule applied in one place: money_put().
 */
#include "autoconf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats_api.h"

#define NC	STATS_C__MAX

struct window {
	const char	*name;
	unsigned int	 g;		/* bucket width, seconds */
	unsigned int	 n;		/* buckets */
	enum stats_unit	 src;		/* ring the buckets are read from */
	unsigned int	 tg;		/* tenant breakdown resolution */
};

static const struct window windows[] = {
	{ "1h",	 60,	60,  STATS_MINUTE, 3600 },
	{ "24h", 900,	96,  STATS_MINUTE, 3600 },
	{ "7d",	 3600,	168, STATS_MINUTE, 3600 },
	{ "30d", 86400,	30,  STATS_DAY,	   86400 },
};

static const char *const fb_names[TG_FB__MAX] = {
	NULL, "no_prediction", "policy_error", "policy_limit", "upstream",
	"low_confidence",
};

static const char *const up_names[TG_UP__MAX] = {
	NULL, "throttled", "unavailable", "internal", "timeout", "connect",
	"bad_response", "client",
};

/* --- small JSON helpers ---------------------------------------------- */

static void
set_u64(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

static void
set_ratio(json_t *o, const char *k, uint64_t num, uint64_t den)
{
	json_object_set_new(o, k, json_real(den > 0 ? (double)num / (double)den : 0.0));
}

/* Dollars of `nano` over a group of `n` requests of which `unpriced` could
 * not be priced: null when all of them were unpriced. */
static json_t *
usd(uint64_t nano, uint64_t n, uint64_t unpriced)
{
	if (n > 0 && unpriced >= n)
		return json_null();
	return json_real(stats_usd(nano));
}

static void
money_put(json_t *o, const uint64_t c[NC])
{
	uint64_t	 n = c[STATS_C_REQUESTS];
	double		 cf = stats_usd(c[STATS_C_CMP_CF]);
	double		 save = cf - stats_usd(c[STATS_C_CMP_COST]);

	json_object_set_new(o, "cost_usd", usd(c[STATS_C_COST], n, c[STATS_C_UNPRICED]));
	set_u64(o, "unpriced_requests", c[STATS_C_UNPRICED]);
	json_object_set_new(o, "cf_cost_usd", usd(c[STATS_C_CF], n, c[STATS_C_CF_UNPRICED]));
	set_u64(o, "cf_unpriced_requests", c[STATS_C_CF_UNPRICED]);
	json_object_set_new(o, "savings_usd", json_real(save));
	json_object_set_new(o, "savings_pct", cf > 0 ? json_real(100.0 * save / cf) : json_null());
	set_u64(o, "savings_basis_requests", c[STATS_C_CMP_REQUESTS]);
}

static void
tokens_put(json_t *o, const uint64_t c[NC])
{
	set_u64(o, "input_tokens", c[STATS_C_INPUT]);
	set_u64(o, "output_tokens", c[STATS_C_OUTPUT]);
	set_u64(o, "cache_read_tokens", c[STATS_C_CACHE_READ]);
	set_u64(o, "cache_write_tokens", c[STATS_C_CACHE_WRITE]);
}

static void
cheaper_put(json_t *o, const uint64_t c[NC])
{
	set_u64(o, "routed_cheaper", c[STATS_C_CHEAPER]);
	set_ratio(o, "routed_cheaper_share", c[STATS_C_CHEAPER], c[STATS_C_REQUESTS]);
}

static void
row_add(uint64_t dst[NC], const uint64_t src[NC])
{
	int	 i;

	for (i = 0; i < NC; i++)
		dst[i] += src[i];
}

static void
counts_add(struct stats_counts *dst, const struct stats_counts *src)
{
	uint64_t	*d = (uint64_t *)dst;
	const uint64_t	*s = (const uint64_t *)src;
	size_t		 i;

	for (i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

static uint64_t
sum(const uint64_t *v, size_t n)
{
	uint64_t	 s = 0;

	while (n-- > 0)
		s += v[n];
	return s;
}

static void
iso8601(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* --- totals, breakdowns ---------------------------------------------- */

/* `requests` are the requests a model was called for: `answered` (2xx)
 * and `failed` (the rest); `rejected` were refused before that. */
static json_t *
totals_json(const struct stats_counts *g, uint64_t rejected)
{
	json_t		*o = json_object();
	uint64_t	 n = g->c[STATS_C_REQUESTS], fb, errs;

	fb = sum(g->fallback + 1, TG_FB__MAX - 1);
	errs = sum(g->upstream_err + 1, TG_UP__MAX - 1);
	set_u64(o, "requests", n);
	set_u64(o, "answered", g->status[2]);
	set_u64(o, "failed", n - g->status[2]);
	set_u64(o, "rejected", rejected);
	tokens_put(o, g->c);
	money_put(o, g->c);
	cheaper_put(o, g->c);
	set_u64(o, "fallbacks", fb);
	set_ratio(o, "fallback_rate", fb, n);
	set_u64(o, "upstream_errors", errs);
	set_u64(o, "errors_5xx", g->status[5]);
	return o;
}

static json_t *
named_counts(const uint64_t *v, const char *const *names, int n)
{
	json_t	*o = json_object();
	int	 i;

	for (i = 1; i < n; i++)
		set_u64(o, names[i], v[i]);
	return o;
}

static json_t *
status_json(const uint64_t s[STATS_NSTATUS])
{
	static const char *const names[STATS_NSTATUS] = {
		"other", "1xx", "2xx", "3xx", "4xx", "5xx"
	};
	json_t	*o = json_object();
	int	 i;

	for (i = 0; i < STATS_NSTATUS; i++)
		set_u64(o, names[i], s[i]);
	return o;
}

/* Value at quantile q of histogram h (microseconds), interpolated linearly
 * inside the bucket; -1 when empty. */
static double
hist_quantile(const uint64_t h[STATS_NLAT], double q)
{
	uint64_t	 n = sum(h, STATS_NLAT), cum = 0;
	double		 rank, lo, hi;
	int		 i;

	if (n == 0)
		return -1;
	rank = q * (double)n;
	for (i = 0; i < STATS_NLAT; i++) {
		if (h[i] == 0 || (double)(cum + h[i]) < rank) {
			cum += h[i];
			continue;
		}
		lo = i == 0 ? 0 : (double)stats_lat_bounds_us[i - 1];
		hi = i < STATS_NLAT - 1 ? (double)stats_lat_bounds_us[i] : lo;
		return lo + (hi - lo) * ((rank - (double)cum) / (double)h[i]);
	}
	return (double)stats_lat_bounds_us[STATS_NLAT - 2];
}

static json_t *
pct_json(const uint64_t h[STATS_NLAT], double scale)
{
	static const double	 qs[] = { 0.5, 0.9, 0.99 };
	static const char *const names[] = { "p50", "p90", "p99" };
	json_t			*o = json_object();
	double			 v;
	size_t			 i;

	set_u64(o, "count", sum(h, STATS_NLAT));
	for (i = 0; i < 3; i++) {
		v = hist_quantile(h, qs[i]);
		json_object_set_new(o, names[i], v < 0 ? json_null() :
		    json_real(round(v / scale * 1000.0) / 1000.0));
	}
	return o;
}

static json_t *
latency_json(const struct stats_counts *g)
{
	json_t	*o = json_object();

	json_object_set_new(o, "upstream_ms", pct_json(g->lat_upstream, 1000.0));
	json_object_set_new(o, "overhead_us", pct_json(g->lat_overhead, 1.0));
	return o;
}

/* Keys of the stats file, with window rows. */
struct keyset {
	size_t			 n;
	struct stats_key	*keys;
	int			*valid;
	uint64_t		(*rows)[NC];	/* window totals per key */
	uint64_t		(*tmp)[NC];	/* one bucket */
	struct rejset		 rej;		/* refusals, window totals */
	uint64_t		 rej_tmp;	/* refusals of one bucket */
};

/* A group of keys sharing one or two strings (router / model / class). */
struct group {
	const char	*name;
	const char	*sub;		/* second-level name, or NULL */
	uint64_t	 c[NC];
};

/* Aggregate rows by name(k) (and sub(k)); groups has room for ks->n. */
static size_t
group_by(const struct keyset *ks, uint64_t (*rows)[NC], struct group *groups,
    const char *(*name)(const struct stats_key *), const char *(*sub)(const struct stats_key *))
{
	size_t		 k, i, ng = 0;
	const char	*a, *b;

	for (k = 0; k < ks->n; k++) {
		if (!ks->valid[k] || rows[k][STATS_C_REQUESTS] == 0)
			continue;
		a = name(&ks->keys[k]);
		b = sub != NULL ? sub(&ks->keys[k]) : NULL;
		for (i = 0; i < ng; i++)
			if (strcmp(groups[i].name, a) == 0 &&
			    (b == NULL || strcmp(groups[i].sub, b) == 0))
				break;
		if (i == ng) {
			memset(&groups[ng], 0, sizeof(groups[ng]));
			groups[ng].name = a;
			groups[ng++].sub = b;
		}
		row_add(groups[i].c, rows[k]);
	}
	return ng;
}

static const char *k_router(const struct stats_key *k) { return k->router; }
static const char *k_model(const struct stats_key *k) { return k->model; }
static const char *k_class(const struct stats_key *k) { return k->class_; }

static int
group_cmp(const void *a, const void *b)
{
	const struct group	*x = a, *y = b;

	if (x->c[STATS_C_REQUESTS] != y->c[STATS_C_REQUESTS])
		return x->c[STATS_C_REQUESTS] < y->c[STATS_C_REQUESTS] ? 1 : -1;
	if (strcmp(x->name, y->name) != 0 || x->sub == NULL || y->sub == NULL)
		return strcmp(x->name, y->name);
	return strcmp(x->sub, y->sub);
}

static json_t *
router_models_json(struct group *g, size_t ng, const char *router, uint64_t total)
{
	json_t	*arr = json_array(), *o;
	size_t	 i;

	for (i = 0; i < ng; i++) {
		if (strcmp(g[i].name, router) != 0)
			continue;
		o = json_object();
		json_object_set_new(o, "model", json_string(g[i].sub));
		set_u64(o, "requests", g[i].c[STATS_C_REQUESTS]);
		set_ratio(o, "share", g[i].c[STATS_C_REQUESTS], total);
		tokens_put(o, g[i].c);
		money_put(o, g[i].c);
		json_object_set_new(o, "cheaper", json_boolean(g[i].c[STATS_C_CHEAPER] > 0));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *
routers_json(const struct keyset *ks, struct group *rg, struct group *mg)
{
	json_t	*arr = json_array(), *o;
	size_t	 nr, nm, i;

	nr = group_by(ks, ks->rows, rg, k_router, NULL);
	nm = group_by(ks, ks->rows, mg, k_router, k_model);
	qsort(rg, nr, sizeof(*rg), group_cmp);
	qsort(mg, nm, sizeof(*mg), group_cmp);
	for (i = 0; i < nr; i++) {
		o = json_object();
		json_object_set_new(o, "router", json_string(rg[i].name));
		set_u64(o, "requests", rg[i].c[STATS_C_REQUESTS]);
		tokens_put(o, rg[i].c);
		money_put(o, rg[i].c);
		cheaper_put(o, rg[i].c);
		json_object_set_new(o, "models", router_models_json(mg, nm,
		    rg[i].name, rg[i].c[STATS_C_REQUESTS]));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *
classes_json(const struct keyset *ks, struct group *cg)
{
	json_t	*arr = json_array(), *o;
	size_t	 nc, i;

	nc = group_by(ks, ks->rows, cg, k_class, NULL);
	qsort(cg, nc, sizeof(*cg), group_cmp);
	for (i = 0; i < nc; i++) {
		o = json_object();
		json_object_set_new(o, "class", json_string(cg[i].name));
		set_u64(o, "requests", cg[i].c[STATS_C_REQUESTS]);
		tokens_put(o, cg[i].c);
		money_put(o, cg[i].c);
		cheaper_put(o, cg[i].c);
		json_array_append_new(arr, o);
	}
	return arr;
}

/* --- tenants ---------------------------------------------------------- */

/* Tenant `name` over units u0..u1, summing every index that carries the
 * name (a slot lost to a killed creator can duplicate it); NULL if idle. */
static json_t *
tenant_json(struct stats *st, char (*names)[STATS_TENANT_LEN], size_t nt,
    size_t first, uint64_t u0, uint64_t u1, enum stats_unit unit, time_t now)
{
	uint64_t	 c[NC] = { 0 }, today[NC] = { 0 }, u;
	json_t		*o;
	size_t		 i;

	for (i = first; i < nt; i++) {
		if (strcmp(names[i], names[first]) != 0)
			continue;
		for (u = u0; u <= u1; u++)
			stats_tenant_read(st, i, unit, u, c);
		stats_tenant_read(st, i, STATS_DAY, (uint64_t)now / 86400, today);
	}
	if (c[STATS_C_REQUESTS] == 0)
		return NULL;
	o = json_object();
	json_object_set_new(o, "tenant", json_string(names[first]));
	set_u64(o, "requests", c[STATS_C_REQUESTS]);
	tokens_put(o, c);
	money_put(o, c);
	json_object_set_new(o, "spend_today_usd", usd(today[STATS_C_COST],
	    today[STATS_C_REQUESTS], today[STATS_C_UNPRICED]));
	return o;
}

/* 1 if names[i] already appeared before index i. */
static int
seen_before(char (*names)[STATS_TENANT_LEN], size_t i)
{
	size_t	 j;

	for (j = 0; j < i; j++)
		if (names[j][0] != '\x01' && strcmp(names[j], names[i]) == 0)
			return 1;
	return 0;
}

static int
tenant_cmp(const void *a, const void *b)
{
	json_int_t	 x, y;

	x = json_integer_value(json_object_get(*(json_t *const *)a, "requests"));
	y = json_integer_value(json_object_get(*(json_t *const *)b, "requests"));
	if (x != y)
		return x < y ? 1 : -1;
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "tenant")),
	    json_string_value(json_object_get(*(json_t *const *)b, "tenant")));
}

static json_t *
tenants_json(struct stats *st, const struct window *w, time_t from, time_t now)
{
	json_t		*o = json_object(), *arr = json_array(), *t, *list[STATS_MAX_TENANTS];
	enum stats_unit	 unit = w->tg == 3600 ? STATS_HOUR : STATS_DAY;
	size_t		 i, n = 0, nt = stats_ntenants(st);
	char		 (*names)[STATS_TENANT_LEN];

	if ((names = calloc(nt + 1, sizeof(*names))) == NULL)
		return o;
	for (i = 0; i < nt; i++)
		if (stats_tenant_name(st, i, names[i], sizeof(names[i])) == -1)
			names[i][0] = '\x01';		/* not (yet) valid */
	for (i = 0; i < nt; i++) {
		if (names[i][0] == '\x01' || seen_before(names, i))
			continue;
		t = tenant_json(st, names, nt, i, (uint64_t)from / w->tg,
		    (uint64_t)now / w->tg, unit, now);
		if (t != NULL)
			list[n++] = t;
	}
	free(names);
	qsort(list, n, sizeof(list[0]), tenant_cmp);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, list[i]);
	set_u64(o, "from", (uint64_t)(from / w->tg) * w->tg);
	set_u64(o, "granularity_s", w->tg);
	json_object_set_new(o, "tenants", arr);
	return o;
}

/* --- series ----------------------------------------------------------- */

static json_t *
point_json(time_t t, const struct stats_counts *g, const struct keyset *ks,
    struct group *mg, json_t *models)
{
	json_t	*o = json_object(), *bm = json_object(), *m;
	size_t	 nm, i;

	set_u64(o, "t", (uint64_t)t);
	set_u64(o, "requests", g->c[STATS_C_REQUESTS]);
	money_put(o, g->c);
	set_u64(o, "fallbacks", sum(g->fallback + 1, TG_FB__MAX - 1));
	set_u64(o, "rejected", ks->rej_tmp);
	nm = group_by(ks, ks->tmp, mg, k_model, NULL);
	for (i = 0; i < nm; i++) {
		m = json_object();
		set_u64(m, "requests", mg[i].c[STATS_C_REQUESTS]);
		json_object_set_new(m, "cost_usd", usd(mg[i].c[STATS_C_COST],
		    mg[i].c[STATS_C_REQUESTS], mg[i].c[STATS_C_UNPRICED]));
		set_u64(m, "unpriced_requests", mg[i].c[STATS_C_UNPRICED]);
		json_object_set_new(bm, mg[i].name, m);
		json_object_set_new(models, mg[i].name, json_true());
	}
	json_object_set_new(o, "by_model", bm);
	return o;
}

/* Read bucket [t, t + g) of the window into *g and ks->tmp. */
static void
bucket_read(struct stats *st, const struct window *w, time_t t,
    struct stats_counts *g, struct keyset *ks)
{
	uint64_t	 u, u0, u1;

	memset(g, 0, sizeof(*g));
	memset(ks->tmp, 0, ks->n * sizeof(ks->tmp[0]));
	if (w->src == STATS_DAY) {
		stats_bucket_read(st, STATS_DAY, (uint64_t)t / 86400, g, ks->tmp, ks->n);
		ks->rej_tmp = rejset_bucket(st, &ks->rej, STATS_DAY, (uint64_t)t / 86400);
		return;
	}
	u0 = (uint64_t)t / 60;
	u1 = (uint64_t)(t + w->g) / 60;
	ks->rej_tmp = 0;
	for (u = u0; u < u1; u++) {
		stats_bucket_read(st, STATS_MINUTE, u, g, ks->tmp, ks->n);
		ks->rej_tmp += rejset_bucket(st, &ks->rej, STATS_MINUTE, u);
	}
}

static int
jstr_cmp(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	    json_string_value(*(json_t *const *)b));
}

/* Sort an array of strings in place. */
static void
sort_strings(json_t *arr)
{
	json_t	*v[STATS_MAX_KEYS];
	size_t	 i, n = json_array_size(arr);

	if (n > STATS_MAX_KEYS)
		return;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(v[0]), jstr_cmp);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
}

static json_t *
series_json(struct stats *st, const struct window *w, time_t from,
    struct keyset *ks, struct stats_counts *tot, struct group *mg)
{
	json_t			*o = json_object(), *pts = json_array(), *models = json_object();
	json_t			*names = json_array(), *v;
	struct stats_counts	 g;
	const char		*name;
	unsigned int		 b;
	size_t			 k;

	for (b = 0; b < w->n; b++) {
		bucket_read(st, w, from + (time_t)b * w->g, &g, ks);
		counts_add(tot, &g);
		for (k = 0; k < ks->n; k++)
			row_add(ks->rows[k], ks->tmp[k]);
		json_array_append_new(pts, point_json(from + (time_t)b * w->g, &g,
		    ks, mg, models));
	}
	json_object_foreach(models, name, v)
		json_array_append_new(names, json_string(name));
	sort_strings(names);
	json_decref(models);
	set_u64(o, "granularity_s", w->g);
	json_object_set_new(o, "models", names);
	json_object_set_new(o, "points", pts);
	return o;
}

/* --- the document ----------------------------------------------------- */

static void
keyset_free(struct keyset *ks)
{
	free(ks->keys);
	free(ks->valid);
	free(ks->rows);
	free(ks->tmp);
	rejset_free(&ks->rej);
}

static int
keyset_load(struct stats *st, struct keyset *ks)
{
	size_t	 k;

	memset(ks, 0, sizeof(*ks));
	ks->n = stats_nkeys(st);
	ks->keys = calloc(ks->n + 1, sizeof(*ks->keys));
	ks->valid = calloc(ks->n + 1, sizeof(*ks->valid));
	ks->rows = calloc(ks->n + 1, sizeof(*ks->rows));
	ks->tmp = calloc(ks->n + 1, sizeof(*ks->tmp));
	if (ks->keys == NULL || ks->valid == NULL || ks->rows == NULL || ks->tmp == NULL ||
	    rejset_load(st, &ks->rej) == -1)
		return -1;
	for (k = 0; k < ks->n; k++)
		ks->valid[k] = stats_key(st, k, &ks->keys[k]) == 0;
	return 0;
}

/* Lifetime totals; reuses ks->rej (call after the window is built). */
static json_t *
lifetime_json(struct stats *st, struct keyset *ks)
{
	struct stats_counts	 life;
	size_t			 k;

	memset(&life, 0, sizeof(life));
	for (k = 0; k < ks->n; k++)
		stats_key_lifetime(st, k, &life);
	rejset_lifetime(st, &ks->rej);
	return totals_json(&life, rejset_total(&ks->rej));
}

static json_t *
header_json(const struct window *w, time_t from, time_t now, const char *pv,
    const char *polv, struct stats *st)
{
	json_t	*o = json_object(), *win = json_object(), *ver = json_object();
	char	 iso[32];

	set_u64(o, "schema_version", STATS_API_SCHEMA);
	set_u64(o, "generated_at", (uint64_t)now);
	iso8601(now, iso, sizeof(iso));
	json_object_set_new(o, "generated_at_iso", json_string(iso));
	json_object_set_new(win, "name", json_string(w->name));
	set_u64(win, "from", (uint64_t)from);
	set_u64(win, "to", (uint64_t)now);
	set_u64(win, "granularity_s", w->g);
	set_u64(win, "buckets", w->n);
	json_object_set_new(o, "window", win);
	json_object_set_new(ver, "tiergate", json_string(PACKAGE_VERSION));
	json_object_set_new(ver, "predictor", pv != NULL ? json_string(pv) : json_null());
	json_object_set_new(ver, "policy", polv != NULL ? json_string(polv) : json_null());
	json_object_set_new(o, "versions", ver);
	set_u64(o, "stats_since", (uint64_t)stats_created(st));
	return o;
}

json_t *
stats_api_stats(struct stats *st, const char *wname, time_t now, const char *pv,
    const char *polv, char *err, size_t errlen)
{
	const struct window	*w = NULL;
	struct keyset		 ks;
	struct stats_counts	 tot;
	struct group		*g1 = NULL, *g2 = NULL;
	json_t			*o = NULL;
	time_t			 from;
	size_t			 i;

	for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
		if (strcmp(wname != NULL ? wname : "24h", windows[i].name) == 0)
			w = &windows[i];
	if (w == NULL) {
		snprintf(err, errlen, "window must be one of 1h, 24h, 7d, 30d");
		return NULL;
	}
	from = now / w->g * w->g - (time_t)(w->n - 1) * w->g;
	memset(&tot, 0, sizeof(tot));
	if (keyset_load(st, &ks) == -1 ||
	    (g1 = calloc(ks.n + 1, sizeof(*g1))) == NULL ||
	    (g2 = calloc(ks.n + 1, sizeof(*g2))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	o = header_json(w, from, now, pv, polv, st);
	json_object_set_new(o, "series", series_json(st, w, from, &ks, &tot, g1));
	json_object_set_new(o, "totals", totals_json(&tot, rejset_total(&ks.rej)));
	json_object_set_new(o, "rejected", rejset_json(&ks.rej));
	json_object_set_new(o, "fallbacks_by_reason", named_counts(tot.fallback,
	    fb_names, TG_FB__MAX));
	json_object_set_new(o, "upstream_errors_by_type", named_counts(tot.upstream_err,
	    up_names, TG_UP__MAX));
	json_object_set_new(o, "status_classes", status_json(tot.status));
	json_object_set_new(o, "latency", latency_json(&tot));
	json_object_set_new(o, "routers", routers_json(&ks, g1, g2));
	json_object_set_new(o, "by_class", classes_json(&ks, g1));
	json_object_set_new(o, "by_tenant", tenants_json(st, w, from, now));
	json_object_set_new(o, "lifetime", lifetime_json(st, &ks));
fail:
	free(g1);
	free(g2);
	keyset_free(&ks);
	return o;
}

/* --- routers ---------------------------------------------------------- */

const struct tg_model *
stats_api_strong_model(const struct tg_config *cfg, const struct tg_router *r)
{
	const struct tg_model	*m, *best = NULL;
	size_t			 i;

	for (i = 0; i < r->nmodels; i++) {
		m = &cfg->models[r->models[i]];
		if (m->price.priced && (best == NULL ||
		    m->price.input + m->price.output > best->price.input + best->price.output))
			best = m;
	}
	return best;
}

static json_t *
model_json(const struct tg_model *m)
{
	json_t	*o = json_object(), *p;

	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "name", m->name != NULL ? json_string(m->name) : json_null());
	json_object_set_new(o, "provider", m->provider != NULL ?
	    json_string(m->provider) : json_null());
	json_object_set_new(o, "priced", json_boolean(m->price.priced));
	if (!m->price.priced) {
		json_object_set_new(o, "price", json_null());
		return o;
	}
	p = json_object();
	json_object_set_new(p, "input", json_real(m->price.input));
	json_object_set_new(p, "output", json_real(m->price.output));
	json_object_set_new(p, "cache_read", json_real(m->price.cache_read));
	json_object_set_new(p, "cache_write", json_real(m->price.cache_write));
	json_object_set_new(o, "price", p);
	return o;
}

static json_t *
jstr_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
router_json(const struct tg_config *cfg, const struct tg_router *r)
{
	json_t			*o = json_object(), *ms = json_array();
	const struct tg_model	*strong = stats_api_strong_model(cfg, r);
	const char		*base;
	size_t			 i;

	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "name", jstr_or_null(r->name));
	json_object_set_new(o, "description", jstr_or_null(r->description));
	json_object_set_new(o, "arn", jstr_or_null(r->arn));
	json_object_set_new(o, "threshold", json_real(r->rqd));
	json_object_set_new(o, "fallback_model", r->fallback < cfg->nmodels ?
	    json_string(cfg->models[r->fallback].id) : json_null());
	json_object_set_new(o, "strong_model", strong != NULL ?
	    json_string(strong->id) : json_null());
	base = r->policy != NULL ? strrchr(r->policy, '/') : NULL;
	json_object_set_new(o, "policy", r->policy == NULL ? json_null() :
	    json_string(base != NULL ? base + 1 : r->policy));
	for (i = 0; i < r->nmodels; i++)
		if (r->models[i] < cfg->nmodels)
			json_array_append_new(ms, model_json(&cfg->models[r->models[i]]));
	json_object_set_new(o, "models", ms);
	return o;
}

/* {id: display name} of every model the config or the price table names. */
static json_t *
model_names_json(const struct tg_config *cfg)
{
	json_t	*o = json_object();
	size_t	 i;

	for (i = 0; cfg != NULL && i < cfg->nknown; i++)
		if (cfg->known_names[i] != NULL)
			json_object_set_new(o, cfg->known_ids[i], json_string(cfg->known_names[i]));
	for (i = 0; cfg != NULL && i < cfg->nmodels; i++)
		if (cfg->models[i].name != NULL)
			json_object_set_new(o, cfg->models[i].id, json_string(cfg->models[i].name));
	return o;
}

json_t *
stats_api_routers(const struct tg_config *cfg, time_t now)
{
	json_t	*o = json_object(), *arr = json_array();
	size_t	 i;

	set_u64(o, "schema_version", STATS_API_SCHEMA);
	set_u64(o, "generated_at", (uint64_t)now);
	for (i = 0; cfg != NULL && i < cfg->nrouters; i++)
		json_array_append_new(arr, router_json(cfg, &cfg->routers[i]));
	json_object_set_new(o, "routers", arr);
	json_object_set_new(o, "model_names", model_names_json(cfg));
	return o;
}
