/*
 * test_stats.c - the shared stats file, the decision log and the admin API
 * documents, with an injected clock.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "admin.h"
#include "config.h"
#include "declog.h"
#include "stats.h"
#include "stats_api.h"

#define HAIKU	"anthropic.claude-3-haiku-20240307-v1:0"
#define SONNET	"anthropic.claude-3-5-sonnet-20240620-v1:0"
/* 2026-11-22T17:00:00Z, a Sunday; days start at multiples of 86400 */
#define T0	((time_t)1795366800)

static char	 dir[] = "/tmp/test_stats.XXXXXX";

static char *
tpath(const char *name)
{
	static char	 buf[8][512];
	static int	 i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static struct stats *
fresh(const char *name)
{
	char		 err[512];
	struct stats	*st;

	unlink(tpath(name));
	st = stats_open(tpath(name), err, sizeof(err));
	if (st == NULL)
		fprintf(stderr, "%s\n", err);
	return st;
}

/* A two-candidate decision: model answered, priced unless `unpriced`. */
static void
mkdec(struct tg_decision *d, time_t t, const char *router, const char *model,
    const char *cls, const char *tenant, int unpriced)
{
	memset(d, 0, sizeof(*d));
	d->time = t;
	d->request_id = "0123456789abcdef0123456789abcdef";
	d->router = router;
	d->tenant = tenant;
	d->request_class = cls;
	d->api = "converse";
	d->ncand = 2;
	d->cand[0] = (struct tg_candidate){ HAIKU, 0.70, 1, 1, 0.25, 1.25, 0.0001 };
	d->cand[1] = (struct tg_candidate){ SONNET, 0.80, 1, 1, 3.0, 15.0, 0.0012 };
	d->chosen = d->model = model;
	d->reason = "test";
	d->threshold = 20;
	d->input_tokens = 1000;
	d->output_tokens = 500;
	d->cost_known = !unpriced;
	d->cost = unpriced ? 0 : (strcmp(model, HAIKU) == 0 ? 0.000875 : 0.0105);
	d->cf_known = 1;
	d->cf_cost = 0.0105;
	d->cf_model = SONNET;
	d->upstream_us = 800000;
	d->overhead_us = 40;
	d->status = 200;
	d->attempts = 1;
}

static json_t *
window(struct stats *st, const char *w, time_t now)
{
	char	 err[256];

	return stats_api_stats(st, w, now, "pred-1", "policy-1", err, sizeof(err));
}

static double
jnum_path(json_t *o, const char *a, const char *b)
{
	json_t	*v = json_object_get(json_object_get(o, a), b);

	return json_number_value(v);
}

/* --- file handling ---------------------------------------------------- */

static void
test_open_validate(void)
{
	struct stats	*st;
	char		 err[512];
	int		 fd;

	st = fresh("a.stats");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	stats_close(st);
	st = stats_open(tpath("a.stats"), err, sizeof(err));	/* reopen */
	CU_ASSERT_PTR_NOT_NULL(st);
	stats_close(st);

	/* another layout version: refused with a message saying so */
	{
		uint32_t	 v = 999;

		fd = open(tpath("a.stats"), O_WRONLY);
		CU_ASSERT(pwrite(fd, &v, sizeof(v), 8) == (ssize_t)sizeof(v));
		close(fd);
		err[0] = '\0';
		CU_ASSERT_PTR_NULL(stats_open(tpath("a.stats"), err, sizeof(err)));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "layout version 999"));
		v = STATS_LAYOUT_VERSION;
		fd = open(tpath("a.stats"), O_WRONLY);
		CU_ASSERT(pwrite(fd, &v, sizeof(v), 8) == (ssize_t)sizeof(v));
		CU_ASSERT(ftruncate(fd, 4096 * 1024) == 0);	/* right header, cut short */
		close(fd);
		err[0] = '\0';
		CU_ASSERT_PTR_NULL(stats_open(tpath("a.stats"), err, sizeof(err)));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "size 4194304"));
		unlink(tpath("a.stats"));
		st = fresh("a.stats");
		CU_ASSERT_PTR_NOT_NULL_FATAL(st);
		stats_close(st);
	}

	/* wrong magic: refused, file untouched */
	fd = open(tpath("a.stats"), O_WRONLY);
	CU_ASSERT(write(fd, "XXXXXXXX", 8) == 8);
	close(fd);
	err[0] = '\0';
	CU_ASSERT_PTR_NULL(stats_open(tpath("a.stats"), err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad magic"));

	/* wrong size */
	fd = open(tpath("b.stats"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT(write(fd, "hello", 5) == 5);
	close(fd);
	err[0] = '\0';
	CU_ASSERT_PTR_NULL(stats_open(tpath("b.stats"), err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "size 5"));

	err[0] = '\0';
	CU_ASSERT_PTR_NULL(stats_open("/nonexistent-dir/x.stats", err, sizeof(err)));
	CU_ASSERT(err[0] != '\0');
}

/* --- totals and unpriced --------------------------------------------- */

static void
test_totals_unpriced(void)
{
	struct stats		*st = fresh("t.stats");
	struct tg_decision	 d;
	json_t			*o, *tot, *r;
	int			 i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	for (i = 0; i < 3; i++) {
		mkdec(&d, T0 + i, "rt", HAIKU, "legal", "acme", 0);
		stats_record(st, &d, d.time);
	}
	mkdec(&d, T0 + 5, "rt", SONNET, "", "acme", 0);
	stats_record(st, &d, d.time);
	mkdec(&d, T0 + 6, "rt", "mystery.model", "", "beta", 1);	/* unpriced */
	stats_record(st, &d, d.time);

	o = window(st, "1h", T0 + 30);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	tot = json_object_get(o, "totals");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(tot, "requests")), 5);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(tot, "unpriced_requests")), 1);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(tot, "cost_usd")),
	    3 * 0.000875 + 0.0105, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(tot, "cf_cost_usd")),
	    5 * 0.0105, 1e-12);
	/* savings only over the 4 requests priced on both sides */
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(tot, "savings_basis_requests")), 4);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(tot, "savings_usd")),
	    3 * (0.0105 - 0.000875), 1e-12);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(tot, "routed_cheaper")), 4);
	CU_ASSERT_EQUAL((json_int_t)jnum_path(o, "lifetime", "requests"), 5);

	/* the unpriced-only model shows cost null, never 0 */
	r = json_array_get(json_object_get(o, "routers"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "router")), "rt");
	{
		json_t	*m;
		size_t	 i2;
		int	 seen = 0;

		json_array_foreach(json_object_get(r, "models"), i2, m) {
			if (strcmp(json_string_value(json_object_get(m, "model")),
			    "mystery.model") != 0)
				continue;
			seen = 1;
			CU_ASSERT(json_is_null(json_object_get(m, "cost_usd")));
			CU_ASSERT_EQUAL(json_integer_value(json_object_get(m,
			    "unpriced_requests")), 1);
		}
		CU_ASSERT(seen);
	}
	/* tenants: beta only unpriced -> spend_today null */
	{
		json_t	*t;
		size_t	 i2;

		json_array_foreach(json_object_get(json_object_get(o, "by_tenant"),
		    "tenants"), i2, t) {
			if (strcmp(json_string_value(json_object_get(t, "tenant")), "beta") == 0)
				CU_ASSERT(json_is_null(json_object_get(t, "spend_today_usd")));
			if (strcmp(json_string_value(json_object_get(t, "tenant")), "acme") == 0)
				CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(t,
				    "spend_today_usd")), 3 * 0.000875 + 0.0105, 1e-12);
		}
	}
	CU_ASSERT_DOUBLE_EQUAL(stats_tenant_spend_today(st, "acme", T0 + 60),
	    3 * 0.000875 + 0.0105, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(stats_router_spend_today(st, "rt", T0 + 60),
	    3 * 0.000875 + 0.0105, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(stats_tenant_spend_today(st, "nobody", T0), 0, 0);
	json_decref(o);
	stats_close(st);
}

/* A request refused before any model was called. */
static void
mkrej(struct tg_decision *d, time_t t, const char *router, const char *tenant,
    int status, enum tg_reject why)
{
	memset(d, 0, sizeof(*d));
	d->time = t;
	d->request_id = "fedcba9876543210fedcba9876543210";
	d->router = router;
	d->tenant = tenant;
	d->request_class = "";
	d->api = "converse";
	d->reason = "";
	d->status = status;
	d->reject = why;
}

static json_int_t
jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Refusals are counted by status, reason, router and tenant, and never as
 * a model, spend or unpriced; a failure no model answered is not unpriced
 * either. */
static void
test_rejected_apart(void)
{
	struct stats		*st = fresh("rj.stats");
	struct tg_decision	 d;
	json_t			*o, *tot, *rj, *pt;
	char			*m;
	size_t			 len, i;
	json_int_t		 rej_pts = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	mkdec(&d, T0, "rt", HAIKU, "", "acme", 0);
	stats_record(st, &d, d.time);
	mkdec(&d, T0 + 1, "rt", HAIKU, "", "acme", 0);	/* failed upstream */
	d.model = NULL;
	d.cost_known = 0;
	d.cf_known = 0;
	d.upstream_err = TG_UP_UNAVAILABLE;
	d.status = 503;
	stats_record(st, &d, d.time);
	for (i = 0; i < 3; i++) {
		mkrej(&d, T0 + 2, "rt", "acme", 400, TG_RJ_VALIDATION);
		stats_record(st, &d, d.time);
	}
	mkrej(&d, T0 + 3, "", "", 403, TG_RJ_AUTH);
	stats_record(st, &d, d.time);
	mkrej(&d, T0 + 70, "", "beta", 404, TG_RJ_UNKNOWN_MODEL);
	stats_record(st, &d, d.time);

	o = window(st, "1h", T0 + 120);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	tot = json_object_get(o, "totals");
	CU_ASSERT_EQUAL(jint(tot, "requests"), 2);
	CU_ASSERT_EQUAL(jint(tot, "answered"), 1);
	CU_ASSERT_EQUAL(jint(tot, "failed"), 1);
	CU_ASSERT_EQUAL(jint(tot, "rejected"), 5);
	CU_ASSERT_EQUAL(jint(tot, "unpriced_requests"), 0);
	CU_ASSERT_EQUAL(jint(tot, "cf_unpriced_requests"), 0);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(tot, "cost_usd")),
	    0.000875, 1e-12);
	rj = json_object_get(o, "rejected");
	CU_ASSERT_EQUAL(jint(rj, "requests"), 5);
	CU_ASSERT_EQUAL(jint(json_object_get(rj, "by_status"), "400"), 3);
	CU_ASSERT_EQUAL(jint(json_object_get(rj, "by_status"), "403"), 1);
	CU_ASSERT_EQUAL(jint(json_object_get(rj, "by_status"), "404"), 1);
	CU_ASSERT_EQUAL(jint(json_object_get(rj, "by_reason"), "validation"), 3);
	CU_ASSERT_EQUAL(jint(json_object_get(rj, "by_reason"), "auth"), 1);
	CU_ASSERT_EQUAL(jint(json_object_get(rj, "by_reason"), "unknown_model"), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(
	    json_object_get(rj, "by_router"), 0), "router")), "rt");
	CU_ASSERT_EQUAL(jint(json_array_get(json_object_get(rj, "by_tenant"), 0),
	    "requests"), 3);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(rj, "rows")), 3);
	/* no refusal became a model row: the router has its two requests only */
	CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "routers")), 1);
	CU_ASSERT_EQUAL(jint(json_array_get(json_object_get(o, "routers"), 0), "requests"), 2);
	/* nor a tenant's requests */
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(o, "by_tenant"),
	    "tenants")), 1);
	json_array_foreach(json_object_get(json_object_get(o, "series"), "points"), i, pt)
		rej_pts += jint(pt, "rejected");
	CU_ASSERT_EQUAL(rej_pts, 5);
	CU_ASSERT_EQUAL(jint(json_object_get(o, "lifetime"), "rejected"), 5);
	CU_ASSERT_EQUAL(jint(json_object_get(o, "lifetime"), "requests"), 2);
	json_decref(o);

	/* the 30d window reads the day ring */
	o = window(st, "30d", T0 + 120);
	CU_ASSERT_EQUAL(jint(json_object_get(o, "rejected"), "requests"), 5);
	json_decref(o);

	m = metrics_text(st, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "# TYPE tiergate_rejected_requests_total counter\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "tiergate_rejected_requests_total{router=\"rt\","
	    "tenant=\"acme\",status=\"400\",reason=\"validation\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "tiergate_rejected_requests_total{router=\"\","
	    "tenant=\"\",status=\"403\",reason=\"auth\"} 1\n"));
	CU_ASSERT_PTR_NULL(strstr(m, "tiergate_requests_total{router=\"\""));
	free(m);
	stats_close(st);
}

/* A refusal survives the decision log: written with "rejected", read back;
 * a line from before the key counts as refused when no model was tried. */
static void
test_declog_rejected(void)
{
	struct tg_decision	 d, back;
	char			 buf[DECLOG_MAX_LINE];
	json_t			*o;
	ssize_t			 n;

	mkrej(&d, T0, "rt", "acme", 400, TG_RJ_VALIDATION);
	n = declog_format(&d, buf, sizeof(buf));
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ",\"rejected\":\"validation\"}"));
	o = json_loadb(buf, (size_t)n, 0, NULL);
	CU_ASSERT_FATAL(declog_parse(o, &back) == 0);
	CU_ASSERT_EQUAL(back.reject, TG_RJ_VALIDATION);
	json_decref(o);
	mkdec(&d, T0, "rt", HAIKU, "", "acme", 0);
	n = declog_format(&d, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ",\"rejected\":null}"));
	o = json_loadb(buf, (size_t)n, 0, NULL);
	CU_ASSERT_FATAL(declog_parse(o, &back) == 0);
	CU_ASSERT_EQUAL(back.reject, TG_RJ_NONE);
	json_decref(o);
	o = json_loads("{\"v\":1,\"ts\":1795366800.5,\"router\":\"rt\",\"model\":null,"
	    "\"status\":404,\"attempts\":0}", 0, NULL);
	CU_ASSERT_FATAL(declog_parse(o, &back) == 0);
	CU_ASSERT_EQUAL(back.reject, TG_RJ_UNRECORDED);
	json_decref(o);
	o = json_loads("{\"v\":1,\"ts\":1795366800.5,\"model\":null,\"status\":503,"
	    "\"attempts\":3,\"upstream_error\":\"unavailable\"}", 0, NULL);
	CU_ASSERT_FATAL(declog_parse(o, &back) == 0);
	CU_ASSERT_EQUAL(back.reject, TG_RJ_NONE);
	json_decref(o);
}

/* --- time: minutes, days, windows, ring reuse ------------------------ */

static void
test_rollover(void)
{
	struct stats		*st = fresh("r.stats");
	struct tg_decision	 d;
	struct stats_counts	 g;
	json_t			*o, *pts;
	uint64_t		 m0 = (uint64_t)T0 / 60;
	time_t			 midnight = (T0 / 86400 + 1) * 86400;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	/* minute boundary: 59 s and 60 s land in different buckets */
	mkdec(&d, T0 + 59, "rt", HAIKU, "", "acme", 0);
	stats_record(st, &d, T0 + 59);
	mkdec(&d, T0 + 60, "rt", HAIKU, "", "acme", 0);
	stats_record(st, &d, T0 + 60);
	stats_record(st, &d, T0 + 61);
	memset(&g, 0, sizeof(g));
	CU_ASSERT_EQUAL(stats_bucket_read(st, STATS_MINUTE, m0, &g, NULL, 0), 1);
	CU_ASSERT_EQUAL(g.c[STATS_C_REQUESTS], 1);
	memset(&g, 0, sizeof(g));
	stats_bucket_read(st, STATS_MINUTE, m0 + 1, &g, NULL, 0);
	CU_ASSERT_EQUAL(g.c[STATS_C_REQUESTS], 2);

	/* 1h window at T0+61: 60 points, the last two hold 1 and 2 */
	o = window(st, "1h", T0 + 61);
	pts = json_object_get(json_object_get(o, "series"), "points");
	CU_ASSERT_EQUAL(json_array_size(pts), 60);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(pts, 58), "requests")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(pts, 59), "requests")), 2);
	CU_ASSERT_EQUAL((json_int_t)jnum_path(o, "window", "from"), (T0 + 60) - 59 * 60);
	json_decref(o);
	/* 59 minutes later the first one is still in the 1h window, 60 later not */
	o = window(st, "1h", T0 + 59 * 60 + 30);
	CU_ASSERT_EQUAL((json_int_t)jnum_path(o, "totals", "requests"), 3);
	json_decref(o);
	o = window(st, "1h", T0 + 60 * 60 + 30);
	CU_ASSERT_EQUAL((json_int_t)jnum_path(o, "totals", "requests"), 2);
	json_decref(o);
	o = window(st, "1h", T0 + 61 * 60 + 30);
	CU_ASSERT_EQUAL((json_int_t)jnum_path(o, "totals", "requests"), 0);
	CU_ASSERT_EQUAL((json_int_t)jnum_path(o, "lifetime", "requests"), 3);
	json_decref(o);

	/* day boundary: tenant spend today restarts at UTC midnight */
	mkdec(&d, midnight - 1, "rt", SONNET, "", "acme", 0);
	stats_record(st, &d, midnight - 1);
	CU_ASSERT_DOUBLE_EQUAL(stats_tenant_spend_today(st, "acme", midnight - 1),
	    3 * 0.000875 + 0.0105, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(stats_tenant_spend_today(st, "acme", midnight), 0, 0);
	mkdec(&d, midnight, "rt", HAIKU, "", "acme", 0);
	stats_record(st, &d, midnight);
	CU_ASSERT_DOUBLE_EQUAL(stats_tenant_spend_today(st, "acme", midnight + 10), 0.000875, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(stats_router_spend_today(st, "rt", midnight + 10), 0.000875, 1e-12);

	/* 7d window: hourly; everything so far is inside it */
	o = window(st, "7d", midnight + 10);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(o, "series"), "points")), 168);
	CU_ASSERT_EQUAL((json_int_t)jnum_path(o, "totals", "requests"), 5);
	json_decref(o);
	/* 30d window: daily; 29 days later T0's day is the first bucket, 30 later gone */
	o = window(st, "30d", T0 + 29 * 86400);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(o, "series"), "points")), 30);
	CU_ASSERT_EQUAL((json_int_t)jnum_path(o, "totals", "requests"), 5);
	json_decref(o);
	o = window(st, "30d", T0 + 30 * 86400);
	CU_ASSERT_EQUAL((json_int_t)jnum_path(o, "totals", "requests"), 1);
	json_decref(o);

	/* ring reuse: STATS_NMINUTES later the same slot holds the new minute
	 * only, and the old minute reads as empty */
	mkdec(&d, T0 + 60 + STATS_NMINUTES * 60, "rt", HAIKU, "", "acme", 0);
	stats_record(st, &d, d.time);
	memset(&g, 0, sizeof(g));
	CU_ASSERT_EQUAL(stats_bucket_read(st, STATS_MINUTE, m0 + 1, &g, NULL, 0), 0);
	CU_ASSERT_EQUAL(g.c[STATS_C_REQUESTS], 0);
	memset(&g, 0, sizeof(g));
	CU_ASSERT_EQUAL(stats_bucket_read(st, STATS_MINUTE, m0 + 1 + STATS_NMINUTES, &g, NULL, 0), 1);
	CU_ASSERT_EQUAL(g.c[STATS_C_REQUESTS], 1);
	/* a late writer for the old minute is dropped from the ring, not added
	 * to the new one; lifetime still counts it */
	CU_ASSERT_EQUAL(stats_dropped(st), 0);
	mkdec(&d, T0 + 60, "rt", HAIKU, "", "acme", 0);
	stats_record(st, &d, T0 + 60);
	CU_ASSERT(stats_dropped(st) >= 1);
	memset(&g, 0, sizeof(g));
	stats_bucket_read(st, STATS_MINUTE, m0 + 1 + STATS_NMINUTES, &g, NULL, 0);
	CU_ASSERT_EQUAL(g.c[STATS_C_REQUESTS], 1);
	o = window(st, "24h", T0);
	CU_ASSERT_EQUAL((json_int_t)jnum_path(o, "lifetime", "requests"), 7);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(o, "series"), "points")), 96);
	json_decref(o);
	CU_ASSERT_PTR_NULL(window(st, "2h", T0));
	stats_close(st);
}

/* --- sticky ------------------------------------------------------------ */

static void
test_sticky(void)
{
	struct stats	*st = fresh("s.stats");
	char		 m[200];

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(stats_sticky_get(st, "conv-1", m, sizeof(m), T0), 0);
	stats_sticky_put(st, "conv-1", HAIKU, T0);
	CU_ASSERT_EQUAL(stats_sticky_get(st, "conv-1", m, sizeof(m), T0 + 10), 1);
	CU_ASSERT_STRING_EQUAL(m, HAIKU);
	CU_ASSERT_EQUAL(stats_sticky_get(st, "conv-2", m, sizeof(m), T0 + 10), 0);
	CU_ASSERT_EQUAL(stats_sticky_get(st, "conv-1", m, 5, T0 + 10), 0);	/* too small */
	stats_sticky_put(st, "conv-1", SONNET, T0 + 20);
	CU_ASSERT_EQUAL(stats_sticky_get(st, "conv-1", m, sizeof(m), T0 + 30), 1);
	CU_ASSERT_STRING_EQUAL(m, SONNET);
	CU_ASSERT_EQUAL(stats_sticky_get(st, "conv-1", m, sizeof(m),
	    T0 + 20 + STATS_STICKY_TTL + 1), 0);
	stats_close(st);
}

/* --- threads: exact totals -------------------------------------------- */

#define NTHREADS	16
#define NPER		20000

static struct stats	*shared;

static void *
worker(void *arg)
{
	struct tg_decision	 d;
	char			 cls[16], tenant[16];
	long			 id = (long)arg;
	int			 i;

	snprintf(cls, sizeof(cls), "c%ld", id % 3);
	snprintf(tenant, sizeof(tenant), "t%ld", id % 5);
	for (i = 0; i < NPER; i++) {
		/* every thread creates the same keys concurrently */
		mkdec(&d, T0 + i / 500, "rt", i % 2 ? HAIKU : SONNET, cls, tenant, 0);
		stats_record(shared, &d, d.time);
	}
	return NULL;
}

static void
test_threads(void)
{
	pthread_t		 th[NTHREADS];
	struct stats_counts	 life;
	struct stats_key	 k;
	size_t			 i, nk, n = 0;

	shared = fresh("th.stats");
	CU_ASSERT_PTR_NOT_NULL_FATAL(shared);
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	memset(&life, 0, sizeof(life));
	nk = stats_nkeys(shared);
	for (i = 0; i < nk; i++)
		if (stats_key(shared, i, &k) == 0) {
			stats_key_lifetime(shared, i, &life);
			n++;
		}
	CU_ASSERT_EQUAL(n, 6);	/* 2 models x 3 classes, one slot each */
	CU_ASSERT_EQUAL(life.c[STATS_C_REQUESTS], (uint64_t)NTHREADS * NPER);
	CU_ASSERT_EQUAL(life.c[STATS_C_INPUT], (uint64_t)NTHREADS * NPER * 1000);
	CU_ASSERT_EQUAL(life.c[STATS_C_COST], (uint64_t)NTHREADS * NPER / 2 * (875000 + 10500000));
	CU_ASSERT_EQUAL(stats_dropped(shared), 0);
	CU_ASSERT_EQUAL(stats_ntenants(shared), 5);
	stats_close(shared);
}

/* --- decision log ------------------------------------------------------ */

static void
test_declog_roundtrip(void)
{
	struct tg_decision	 d, p;
	char			*buf = malloc(DECLOG_MAX_LINE), *big;
	ssize_t			 n;
	json_t			*o;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	mkdec(&d, T0, "rt", HAIKU, "le\"gal\n", "acme", 0);
	d.fallback = TG_FB_UPSTREAM;
	d.upstream_err = TG_UP_THROTTLED;
	d.cache_read_tokens = 7;
	d.cost = 0.1 + 0.2;		/* needs 17 digits to round-trip */
	d.upstream_us = 812345;
	d.cand[1].has_quality = 0;
	d.cand[1].priced = 0;
	d.reason = "bad \xff utf8 \xc3\xa9";
	d.interrupted = 1;
	d.attempts = 3;
	n = declog_format(&d, buf, DECLOG_MAX_LINE);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(buf[n - 1], '\n');
	CU_ASSERT_PTR_NULL(strstr(buf, "\"prompt\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"time\":\"2026-11-22T17:00:00."));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"price_in\":null"));
	o = json_loadb(buf, (size_t)n, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(declog_parse(o, &p), 0);
	CU_ASSERT_EQUAL(p.time, T0);
	CU_ASSERT_STRING_EQUAL(p.request_class, "le\"gal\n");
	CU_ASSERT_STRING_EQUAL(p.reason, "bad \xef\xbf\xbd utf8 \xc3\xa9");
	CU_ASSERT_EQUAL(p.fallback, TG_FB_UPSTREAM);
	CU_ASSERT_EQUAL(p.upstream_err, TG_UP_THROTTLED);
	CU_ASSERT_EQUAL(p.interrupted, 1);
	CU_ASSERT_EQUAL(p.attempts, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"attempts\":3,\"interrupted\":true"));
	CU_ASSERT(p.cost == d.cost);
	CU_ASSERT(p.cf_cost == d.cf_cost);
	CU_ASSERT_EQUAL(p.upstream_us, 812345);
	CU_ASSERT_EQUAL(p.cache_read_tokens, 7);
	CU_ASSERT_EQUAL(p.ncand, 2);
	CU_ASSERT_EQUAL(p.cand[1].has_quality, 0);
	CU_ASSERT(p.cand[0].quality == 0.70);
	CU_ASSERT_PTR_NULL(p.prompt);
	json_decref(o);

	/* prompt written when given; dropped first when the line is too long */
	d.prompt = "hello";
	n = declog_format(&d, buf, DECLOG_MAX_LINE);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"prompt\":\"hello\""));
	big = malloc(DECLOG_MAX_LINE * 2);
	memset(big, 'x', DECLOG_MAX_LINE * 2 - 1);
	big[DECLOG_MAX_LINE * 2 - 1] = '\0';
	d.prompt = big;
	n = declog_format(&d, buf, DECLOG_MAX_LINE);
	CU_ASSERT(n > 0 && n < 4096);
	CU_ASSERT_PTR_NULL(strstr(buf, "\"prompt\""));
	d.prompt = NULL;
	d.reason = big;		/* cannot fit at all */
	CU_ASSERT_EQUAL(declog_format(&d, buf, DECLOG_MAX_LINE), -1);
	free(big);
	free(buf);
}

static void
write_log(const char *path, int n, int torn_tail)
{
	struct declog		*dl;
	struct tg_decision	 d;
	char			 err[256], rid[40];
	int			 i, fd;

	unlink(path);
	dl = declog_open(path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dl);
	for (i = 0; i < n; i++) {
		/* quality of haiku varies so thresholds matter */
		mkdec(&d, T0 + i, "rt", i % 4 == 0 ? SONNET : HAIKU, "", "acme", 0);
		d.cand[0].quality = 0.5 + 0.3 * (double)(i % 10) / 10.0;
		snprintf(rid, sizeof(rid), "%032d", i);
		d.request_id = rid;
		CU_ASSERT_EQUAL(declog_write(dl, &d), 0);
	}
	declog_close(dl);
	if (torn_tail) {
		fd = open(path, O_WRONLY | O_APPEND);
		CU_ASSERT(write(fd, "{\"v\":1,\"ts\":1", 13) == 13);
		close(fd);
	}
}

/* n decisions as write_log's, the last one with confidence 0.1 below a
 * min_confidence of 0.3 (the others confident). */
static void
write_log_confidence(const char *path, int n)
{
	struct declog		*dl;
	struct tg_decision	 d;
	char			 err[256];
	int			 i;

	unlink(path);
	dl = declog_open(path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dl);
	for (i = 0; i < n; i++) {
		mkdec(&d, T0 + i, "rt", HAIKU, "", "acme", 0);
		d.has_confidence = 1;
		d.confidence = i == n - 1 ? 0.1 : 0.9;
		d.min_confidence = 0.3;
		CU_ASSERT_EQUAL(declog_write(dl, &d), 0);
	}
	declog_close(dl);
}

static void
test_decisions_paging(void)
{
	char		 err[256];
	json_t		*o, *e;
	long long	 before = -1;
	int		 expect = 999, pages = 0;
	size_t		 i;

	write_log(tpath("p.log"), 1000, 1);
	for (;;) {
		o = stats_api_decisions(tpath("p.log"), 64, before, T0, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		pages++;
		json_array_foreach(json_object_get(o, "decisions"), i, e) {
			CU_ASSERT_EQUAL(atoi(json_string_value(json_object_get(e,
			    "request_id"))), expect);
			expect--;
		}
		e = json_object_get(o, "next_before");
		if (json_is_null(e)) {
			json_decref(o);
			break;
		}
		before = atoll(json_string_value(e));
		json_decref(o);
		if (pages > 100)
			break;
	}
	CU_ASSERT_EQUAL(expect, -1);		/* every line once, newest first */
	CU_ASSERT_EQUAL(pages, 16);

	/* a torn line (writer killed mid-write) glued to the next line: the
	 * next line is still read, the fragment is not */
	{
		struct declog		*dl;
		struct tg_decision	 d;

		write_log(tpath("torn.log"), 3, 1);
		dl = declog_open(tpath("torn.log"), err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(dl);
		mkdec(&d, T0 + 100, "rt", HAIKU, "", "acme", 0);
		d.request_id = "after-the-torn-line";
		CU_ASSERT_EQUAL(declog_write(dl, &d), 0);
		declog_close(dl);
		o = stats_api_decisions(tpath("torn.log"), 10, -1, T0, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "decisions")), 4);
		e = json_array_get(json_object_get(o, "decisions"), 0);
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "request_id")),
		    "after-the-torn-line");
		json_decref(o);
	}
	CU_ASSERT_PTR_NULL(stats_api_decisions(tpath("nope.log"), 5, -1, T0, err, sizeof(err)));
}

/* --- what-if, routers, secrets ----------------------------------------- */

#define TOKEN		"s3cret-admin-token"
/* sha256("s3cret-admin-token") */
static char token_hash[65];

static void
mkcfg(struct tg_config *cfg, struct tg_model models[2], struct tg_router *r, size_t idx[2])
{
	memset(cfg, 0, sizeof(*cfg));
	memset(models, 0, 2 * sizeof(models[0]));
	memset(r, 0, sizeof(*r));
	models[0].id = HAIKU;
	models[0].provider = "anthropic";
	models[0].price = (struct tg_price){ 1, 0.25, 1.25, 0.03, 0.3 };
	models[1].id = SONNET;
	models[1].provider = "anthropic";
	models[1].price = (struct tg_price){ 1, 3, 15, 0.3, 3.75 };
	idx[0] = 0;
	idx[1] = 1;
	r->id = "rt";
	r->name = "Test router";
	r->models = idx;
	r->nmodels = 2;
	r->fallback = 0;
	r->rqd = 20;
	r->policy = "/etc/tiergate/policies/default.lua";
	cfg->models = models;
	cfg->nmodels = 2;
	cfg->routers = r;
	cfg->nrouters = 1;
	cfg->admin_token_sha256 = token_hash;
}

static void
test_whatif(void)
{
	struct tg_config	 cfg;
	struct tg_model		 models[2];
	struct tg_router	 r;
	size_t			 idx[2];
	char			 err[256];
	int			 status = 0;
	json_t			*o, *pts, *p0, *p100, *p20;
	double			 s0, s100;

	mkcfg(&cfg, models, &r, idx);
	write_log(tpath("w.log"), 200, 0);
	o = stats_api_whatif(tpath("w.log"), &cfg, "rt", 1000, T0, NULL, &status, err,
	    sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "decisions")), 200);
	pts = json_object_get(o, "points");
	CU_ASSERT_EQUAL(json_array_size(pts), 101);
	p0 = json_array_get(pts, 0);
	p20 = json_array_get(pts, 20);
	p100 = json_array_get(pts, 100);
	CU_ASSERT(json_is_true(json_object_get(p20, "current")));
	CU_ASSERT(json_is_false(json_object_get(p0, "current")));
	/* haiku quality 0.5..0.77 vs sonnet 0.8: at t=0 sonnet always wins, at
	 * t=100 haiku always does; at t=20 haiku wins when q >= 0.8/1.2 */
	s0 = json_number_value(json_object_get(p0, "strong_share"));
	s100 = json_number_value(json_object_get(p100, "strong_share"));
	CU_ASSERT_DOUBLE_EQUAL(s0, 1.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(s100, 0.0, 1e-9);
	/* q = 0.5 + 0.03k >= 0.6667 for k >= 6: 4 of 10 pick haiku */
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(p20, "strong_share")), 0.6, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(p0, "savings_usd")), 0, 1e-12);
	CU_ASSERT(json_number_value(json_object_get(p100, "savings_usd")) > 0);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(p0, "mean_quality")), 0.8, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(json_object_get(o, "actual"),
	    "strong_share")), 0.25, 1e-9);
	json_decref(o);
	CU_ASSERT_PTR_NULL(stats_api_whatif(tpath("w.log"), &cfg, "nope", 10, T0, NULL, &status,
	    err, sizeof(err)));
	CU_ASSERT_EQUAL(status, 404);
	/* a request logged below its min_confidence replays on the fallback
	 * (haiku) at every threshold: at t = 0, 1 of 4 leaves sonnet */
	write_log_confidence(tpath("wc.log"), 4);
	o = stats_api_whatif(tpath("wc.log"), &cfg, "rt", 1000, T0, NULL, &status, err,
	    sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	p0 = json_array_get(json_object_get(o, "points"), 0);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(p0, "strong_share")), 0.75, 1e-9);
	json_decref(o);
}

/* A stand-in for the router's policy: newest-first adds, oldest-first
 * runs; picks sonnet below threshold 50, haiku from 50, refuses every
 * tenth decision. */
struct fake_pol {
	size_t	 n, runs;
	int	 order_ok;
};

static int
fake_add(void *ctx, json_t *line)
{
	(void)line;
	((struct fake_pol *)ctx)->n++;
	return 0;
}

static void
fake_run(void *ctx, double t, void (*out)(void *, size_t, const char *), void *arg)
{
	struct fake_pol	*fp = ctx;
	size_t		 i;

	fp->runs++;
	for (i = fp->n; i-- > 0;) {
		if (i % 10 == 0)
			out(arg, i, NULL);
		else
			out(arg, i, t < 50 ? SONNET : HAIKU);
	}
}

static void
test_whatif_policy(void)
{
	struct tg_config	 cfg;
	struct tg_model		 models[2];
	struct tg_router	 r;
	struct fake_pol		 fp = { 0, 0, 1 };
	struct stats_whatif_policy pol = { &fp, "fake-1", fake_add, fake_run };
	size_t			 idx[2];
	char			 err[256];
	int			 status = 0;
	json_t			*o, *pp, *p10, *p60;

	mkcfg(&cfg, models, &r, idx);
	write_log(tpath("wp.log"), 200, 0);
	o = stats_api_whatif(tpath("wp.log"), &cfg, "rt", 1000, T0, &pol, &status, err,
	    sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(fp.n, 200);
	CU_ASSERT_EQUAL(fp.runs, 101);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "policy_version")), "fake-1");
	pp = json_object_get(o, "policy_points");
	CU_ASSERT_EQUAL_FATAL(json_array_size(pp), 101);
	p10 = json_array_get(pp, 10);
	p60 = json_array_get(pp, 60);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(p10, "refused")), 20);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(p10, "strong_share")), 1.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(p60, "strong_share")), 0.0, 1e-9);
	CU_ASSERT(json_is_true(json_object_get(json_array_get(pp, 20), "current")));
	/* the threshold rule is still there, and differs */
	CU_ASSERT(json_number_value(json_object_get(json_array_get(
	    json_object_get(o, "points"), 10), "strong_share")) < 1.0);
	json_decref(o);
	/* without a replayer: policy_points is null */
	o = stats_api_whatif(tpath("wp.log"), &cfg, "rt", 1000, T0, NULL, &status, err,
	    sizeof(err));
	CU_ASSERT(json_is_null(json_object_get(o, "policy_points")));
	json_decref(o);
}

static void
test_routers_no_secrets(void)
{
	struct tg_config	 cfg;
	struct tg_model		 models[2];
	struct tg_router	 r;
	size_t			 idx[2];
	struct stats		*st = fresh("sec.stats");
	struct tg_decision	 d;
	json_t			*o, *rt;
	char			*s;

	mkcfg(&cfg, models, &r, idx);
	o = stats_api_routers(&cfg, T0);
	rt = json_array_get(json_object_get(o, "routers"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rt, "strong_model")), SONNET);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rt, "policy")), "default.lua");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(rt, "models")), 2);
	s = json_dumps(o, 0);
	CU_ASSERT_PTR_NULL(strstr(s, token_hash));
	CU_ASSERT_PTR_NULL(strstr(s, TOKEN));
	free(s);
	json_decref(o);
	mkdec(&d, T0, "rt", HAIKU, "", "acme", 0);
	stats_record(st, &d, T0);
	o = window(st, "24h", T0);
	s = json_dumps(o, 0);
	CU_ASSERT_PTR_NULL(strstr(s, token_hash));
	CU_ASSERT_PTR_NULL(strstr(s, TOKEN));
	free(s);
	json_decref(o);
	stats_close(st);

	CU_ASSERT(admin_token_ok(TOKEN, token_hash));
	CU_ASSERT(!admin_token_ok("s3cret-admin-tokem", token_hash));
	CU_ASSERT(!admin_token_ok("", token_hash));
	CU_ASSERT(!admin_token_ok(TOKEN, "abc"));
	CU_ASSERT(!admin_token_ok(NULL, token_hash));
}

static void
test_metrics(void)
{
	struct stats		*st = fresh("m.stats");
	struct tg_decision	 d;
	char			*t;
	size_t			 len;

	mkdec(&d, T0, "r\"t", HAIKU, "a\\b", "acme", 0);
	d.fallback = TG_FB_POLICY_ERROR;
	stats_record(st, &d, T0);
	t = metrics_text(st, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(strlen(t), len);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE tiergate_requests_total counter\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tiergate_requests_total{router=\"r\\\"t\",model=\""
	    HAIKU "\",class=\"a\\\\b\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, ",reason=\"policy_error\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "tiergate_cost_dollars_total{router=\"r\\\"t\",model=\""
	    HAIKU "\",class=\"a\\\\b\"} 0.000875000\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, ",le=\"1\"} 1\n"));	/* 0.8 s upstream */
	CU_ASSERT_PTR_NOT_NULL(strstr(t, ",le=\"0.5\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE tiergate_overhead_seconds histogram\n"));
	free(t);
	stats_close(st);
}

/* A low-confidence fallback: the decision log keeps the confidence and
 * the minimum (and leaves both out when there are none), the parse gives
 * them back, and the stats, the stats document and /metrics count it
 * under its own reason. */
static void
test_low_confidence(void)
{
	struct stats		*st = fresh("lc.stats");
	struct tg_decision	 d, p;
	char			*buf = malloc(DECLOG_MAX_LINE), *t;
	size_t			 len;
	ssize_t			 n;
	json_t			*o, *doc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	mkdec(&d, T0, "rt", HAIKU, "", "acme", 0);
	n = declog_format(&d, buf, DECLOG_MAX_LINE);
	CU_ASSERT_FATAL(n > 0);
	buf[n] = '\0';		/* the line is not a C string */
	CU_ASSERT_PTR_NULL(strstr(buf, "confidence"));
	d.fallback = TG_FB_LOW_CONFIDENCE;
	d.has_confidence = 1;
	d.confidence = 0.125;
	d.min_confidence = 0.3;
	n = declog_format(&d, buf, DECLOG_MAX_LINE);
	CU_ASSERT_FATAL(n > 0);
	buf[n] = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"threshold\":20,\"min_confidence\":0.3,"
	    "\"confidence\":0.125,\"candidates\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"fallback\":\"low_confidence\""));
	o = json_loadb(buf, (size_t)n, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(declog_parse(o, &p), 0);
	CU_ASSERT_EQUAL(p.fallback, TG_FB_LOW_CONFIDENCE);
	CU_ASSERT(p.has_confidence && p.confidence == 0.125 && p.min_confidence == 0.3);
	stats_record(st, &p, T0);
	json_decref(o);
	doc = window(st, "1h", T0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(doc,
	    "fallbacks_by_reason"), "low_confidence")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(doc,
	    "fallbacks_by_reason"), "upstream")), 0);
	json_decref(doc);
	t = metrics_text(st, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, ",reason=\"low_confidence\"} 1\n"));
	free(t);
	free(buf);
	stats_close(st);
}

static void
hash_token(void)
{
	/* computed here so the test does not embed a digest literal */
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0, i;

	EVP_Digest(TOKEN, strlen(TOKEN), md, &n, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(token_hash + 2 * i, 3, "%02x", md[i]);
}

int
main(void)
{
	CU_pSuite	 s;
	unsigned	 failures;
	char		 cmd[600];

	if (mkdtemp(dir) == NULL)
		return 99;
	hash_token();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("stats", NULL, NULL);
	CU_add_test(s, "open, create, refuse foreign files", test_open_validate);
	CU_add_test(s, "totals, savings, unpriced never $0", test_totals_unpriced);
	CU_add_test(s, "minute/day/window rollover, ring reuse", test_rollover);
	CU_add_test(s, "sticky conversations", test_sticky);
	CU_add_test(s, "16 threads: exact totals, one slot per key", test_threads);
	CU_add_test(s, "decision log format and parse", test_declog_roundtrip);
	CU_add_test(s, "decisions paged backwards", test_decisions_paging);
	CU_add_test(s, "what-if replay of the default policy", test_whatif);
	CU_add_test(s, "what-if replay of the router's own policy", test_whatif_policy);
	CU_add_test(s, "routers document; no secrets anywhere", test_routers_no_secrets);
	CU_add_test(s, "metrics text", test_metrics);
	CU_add_test(s, "low-confidence fallback: log, stats, metrics", test_low_confidence);
	CU_add_test(s, "refused requests counted apart", test_rejected_apart);
	CU_add_test(s, "refusals in the decision log", test_declog_rejected);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return failures == 0 ? 0 : 1;
}
