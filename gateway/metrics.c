/*
 * metrics.c - GET /metrics: the lifetime counters of the stats file in
 * Prometheus text exposition format 0.0.4, one series per
 * (router, model, class), and the requests refused before any model was
 * called, one series per (router, tenant, status, reason).  Keys that
 * appear twice in the file (a slot lost to a killed creator) are merged so
 * no label set is repeated.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_api.h"

struct mkey {
	struct stats_key	 k;
	struct stats_counts	 c;
};

/* Unique keys with their summed lifetime counters; *n set. */
static struct mkey *
mkeys_load(struct stats *st, size_t *n)
{
	struct mkey	*m;
	struct stats_key k;
	size_t		 i, j, nk = stats_nkeys(st);

	*n = 0;
	if ((m = calloc(nk + 1, sizeof(*m))) == NULL)
		return NULL;
	for (i = 0; i < nk; i++) {
		if (stats_key(st, i, &k) == -1)
			continue;
		for (j = 0; j < *n; j++)
			if (strcmp(m[j].k.router, k.router) == 0 &&
			    strcmp(m[j].k.model, k.model) == 0 &&
			    strcmp(m[j].k.class_, k.class_) == 0)
				break;
		if (j == *n)
			m[(*n)++].k = k;
		stats_key_lifetime(st, i, &m[j].c);
	}
	return m;
}

static void
label_value(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* `{router="..",model="..",class=".."` without the closing brace. */
static void
labels(FILE *f, const struct stats_key *k)
{
	fputs("{router=\"", f);
	label_value(f, k->router);
	fputs("\",model=\"", f);
	label_value(f, k->model);
	fputs("\",class=\"", f);
	label_value(f, k->class_);
	fputc('"', f);
}

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One counter family from counter index c of every key. */
static void
counter_rows(FILE *f, const struct mkey *m, size_t n, const char *name, int c,
    int dollars, const char *help)
{
	size_t	 i;

	family(f, name, "counter", help);
	for (i = 0; i < n; i++) {
		fputs(name, f);
		labels(f, &m[i].k);
		if (dollars)
			fprintf(f, "} %.9f\n", stats_usd(m[i].c.c[c]));
		else
			fprintf(f, "} %llu\n", (unsigned long long)m[i].c.c[c]);
	}
}

static void
tokens(FILE *f, const struct mkey *m, size_t n)
{
	static const struct { int c; const char *kind; } kinds[] = {
		{ STATS_C_INPUT, "input" }, { STATS_C_OUTPUT, "output" },
		{ STATS_C_CACHE_READ, "cache_read" }, { STATS_C_CACHE_WRITE, "cache_write" },
	};
	size_t	 i, j;

	family(f, "tiergate_tokens_total", "counter",
	    "Tokens reported by Bedrock's usage, by kind.");
	for (i = 0; i < n; i++)
		for (j = 0; j < 4; j++) {
			fputs("tiergate_tokens_total", f);
			labels(f, &m[i].k);
			fprintf(f, ",kind=\"%s\"} %llu\n", kinds[j].kind,
			    (unsigned long long)m[i].c.c[kinds[j].c]);
		}
}

static void
by_name(FILE *f, const struct mkey *m, size_t n, const char *name, const char *label,
    const char *const *names, int nnames, int which, const char *help)
{
	const uint64_t	*v;
	size_t		 i;
	int		 j;

	family(f, name, "counter", help);
	for (i = 0; i < n; i++) {
		v = which == 0 ? m[i].c.fallback : m[i].c.upstream_err;
		for (j = 1; j < nnames; j++) {
			fputs(name, f);
			labels(f, &m[i].k);
			fprintf(f, ",%s=\"%s\"} %llu\n", label, names[j],
			    (unsigned long long)v[j]);
		}
	}
}

static void
histogram(FILE *f, const struct mkey *m, size_t n, const char *name, int which,
    const char *help)
{
	const uint64_t	*h;
	uint64_t	 cum, s;
	size_t		 i;
	int		 b;

	family(f, name, "histogram", help);
	for (i = 0; i < n; i++) {
		h = which == 0 ? m[i].c.lat_upstream : m[i].c.lat_overhead;
		s = which == 0 ? m[i].c.lat_upstream_sum : m[i].c.lat_overhead_sum;
		for (b = 0, cum = 0; b < STATS_NLAT; b++) {
			cum += h[b];
			fprintf(f, "%s_bucket", name);
			labels(f, &m[i].k);
			if (b < STATS_NLAT - 1)
				fprintf(f, ",le=\"%g\"} %llu\n",
				    (double)stats_lat_bounds_us[b] / 1e6,
				    (unsigned long long)cum);
			else
				fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
		}
		fprintf(f, "%s_sum", name);
		labels(f, &m[i].k);
		fprintf(f, "} %.6f\n", (double)s / 1e6);
		fprintf(f, "%s_count", name);
		labels(f, &m[i].k);
		fprintf(f, "} %llu\n", (unsigned long long)cum);
	}
}

static const char *const fb_names[TG_FB__MAX] = {
	NULL, "no_prediction", "policy_error", "policy_limit", "upstream",
	"low_confidence",
};

static const char *const up_names[TG_UP__MAX] = {
	NULL, "throttled", "unavailable", "internal", "timeout", "connect",
	"bad_response", "client",
};

static void
metrics_write(FILE *f, const struct mkey *m, size_t n)
{
	counter_rows(f, m, n, "tiergate_requests_total", STATS_C_REQUESTS, 0,
	    "Requests a model was called for (answered or failed), by router, "
	    "answering model (\"\" when none answered) and request class.");
	tokens(f, m, n);
	counter_rows(f, m, n, "tiergate_cost_dollars_total", STATS_C_COST, 1,
	    "Dollars spent on priced requests (unpriced ones are counted apart).");
	counter_rows(f, m, n, "tiergate_counterfactual_cost_dollars_total", STATS_C_CF, 1,
	    "Dollars the same tokens would have cost on the router's most expensive model.");
	counter_rows(f, m, n, "tiergate_unpriced_requests_total", STATS_C_UNPRICED, 0,
	    "Requests whose answering model has no price.");
	counter_rows(f, m, n, "tiergate_counterfactual_unpriced_requests_total",
	    STATS_C_CF_UNPRICED, 0, "Requests whose counterfactual model has no price.");
	by_name(f, m, n, "tiergate_fallbacks_total", "reason", fb_names, TG_FB__MAX, 0,
	    "Requests served by the fallback model, by reason.");
	by_name(f, m, n, "tiergate_upstream_errors_total", "type", up_names, TG_UP__MAX, 1,
	    "Requests that met an upstream (Bedrock) error, by type.");
	histogram(f, m, n, "tiergate_upstream_latency_seconds", 0,
	    "Time spent waiting on Bedrock, all attempts.");
	histogram(f, m, n, "tiergate_overhead_seconds", 1,
	    "tiergate's own time per request.");
}

/* tiergate_rejected_requests_total, from the lifetime refusal counters. */
static void
rejected(FILE *f, struct stats *st)
{
	struct rejset	 rs;
	json_t		*rows, *r;
	size_t		 i;

	family(f, "tiergate_rejected_requests_total", "counter",
	    "Requests refused before any model was called, by router (\"\" when "
	    "none was named), tenant (\"\" when not authenticated), status and reason.");
	if (rejset_load(st, &rs) == 0) {
		rejset_lifetime(st, &rs);
		rows = json_object_get(r = rejset_json(&rs), "rows");
		for (i = 0; i < json_array_size(rows); i++) {
			json_t	*x = json_array_get(rows, i);

			fputs("tiergate_rejected_requests_total{router=\"", f);
			label_value(f, json_string_value(json_object_get(x, "router")));
			fputs("\",tenant=\"", f);
			label_value(f, json_string_value(json_object_get(x, "tenant")));
			fprintf(f, "\",status=\"%d\",reason=\"%s\"} %lld\n",
			    (int)json_integer_value(json_object_get(x, "status")),
			    json_string_value(json_object_get(x, "reason")),
			    (long long)json_integer_value(json_object_get(x, "requests")));
		}
		json_decref(r);
	}
	rejset_free(&rs);
}

char *
metrics_text(struct stats *st, size_t *len)
{
	struct mkey	*m;
	FILE		*f;
	char		*buf = NULL;
	size_t		 n;

	*len = 0;
	if ((m = mkeys_load(st, &n)) == NULL)
		return NULL;
	if ((f = open_memstream(&buf, len)) == NULL) {
		free(m);
		return NULL;
	}
	metrics_write(f, m, n);
	rejected(f, st);
	family(f, "tiergate_stats_info", "gauge", "Layout of the shared stats file.");
	fprintf(f, "tiergate_stats_info{layout_version=\"%d\"} 1\n", STATS_LAYOUT_VERSION);
	if (fclose(f) != 0) {
		free(buf);
		buf = NULL;
	}
	free(m);
	return buf;
}
