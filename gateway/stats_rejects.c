/*
 * stats_rejects.c - the "rejected" part of GET /admin/api/stats: requests
 * refused before any model was called, read from the stats file's refusal
 * counters (stats.h) and summed by status, reason, router and tenant.
 *
 * They are kept apart from the routed traffic on purpose: a refused
 * request is no model's traffic, spend or unpriced request.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "stats_api.h"

void
rejset_free(struct rejset *rs)
{
	free(rs->keys);
	free(rs->valid);
	free(rs->win);
}

int
rejset_load(struct stats *st, struct rejset *rs)
{
	size_t	 k;

	memset(rs, 0, sizeof(*rs));
	rs->n = stats_nrejects(st);
	rs->keys = calloc(rs->n + 1, sizeof(*rs->keys));
	rs->valid = calloc(rs->n + 1, sizeof(*rs->valid));
	rs->win = calloc(rs->n + 1, sizeof(*rs->win));
	if (rs->keys == NULL || rs->valid == NULL || rs->win == NULL)
		return -1;
	for (k = 0; k < rs->n; k++)
		rs->valid[k] = stats_reject_key(st, k, &rs->keys[k]) == 0;
	return 0;
}

uint64_t
rejset_bucket(struct stats *st, struct rejset *rs, enum stats_unit u, uint64_t unit)
{
	uint64_t	 tmp[STATS_MAX_REJECTS] = { 0 }, total = 0;
	size_t		 k;

	stats_reject_read(st, u, unit, tmp, rs->n);
	for (k = 0; k < rs->n; k++)
		if (rs->valid[k]) {
			rs->win[k] += tmp[k];
			total += tmp[k];
		}
	return total;
}

void
rejset_lifetime(struct stats *st, struct rejset *rs)
{
	size_t	 k;

	for (k = 0; k < rs->n; k++)
		rs->win[k] = rs->valid[k] ? stats_reject_lifetime(st, k) : 0;
}

uint64_t
rejset_total(const struct rejset *rs)
{
	uint64_t	 n = 0;
	size_t		 k;

	for (k = 0; k < rs->n; k++)
		n += rs->win[k];
	return n;
}

/* Add n under name in object o. */
static void
bump(json_t *o, const char *name, uint64_t n)
{
	json_t	*v = json_object_get(o, name);

	json_object_set_new(o, name, json_integer((json_int_t)(n +
	    (uint64_t)json_integer_value(v))));
}

static int
req_cmp(const void *a, const void *b)
{
	json_int_t	 x, y;

	x = json_integer_value(json_object_get(*(json_t *const *)a, "requests"));
	y = json_integer_value(json_object_get(*(json_t *const *)b, "requests"));
	return x != y ? (x < y ? 1 : -1) : 0;
}

/* {name: requests} as [{label: name, "requests": n}], most first; steals
 * byname. */
static json_t *
as_list(json_t *byname, const char *label)
{
	json_t		*arr = json_array(), *v, *list[STATS_MAX_REJECTS];
	const char	*name;
	size_t		 n = 0, i;

	json_object_foreach(byname, name, v)
		if (n < STATS_MAX_REJECTS)
			list[n++] = json_pack("{s:s, s:O}", label, name, "requests", v);
	qsort(list, n, sizeof(list[0]), req_cmp);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, list[i]);
	json_decref(byname);
	return arr;
}

static int
rkey_equal(const struct stats_rkey *a, const struct stats_rkey *b)
{
	return strcmp(a->router, b->router) == 0 && strcmp(a->tenant, b->tenant) == 0 &&
	    a->status == b->status && a->reason == b->reason;
}

/* One row per distinct (router, tenant, status, reason): a key can appear
 * twice in the file (a slot lost to a killed creator). */
static json_t *
rows_json(const struct rejset *rs)
{
	json_t			*arr = json_array(), *list[STATS_MAX_REJECTS];
	const struct stats_rkey	*k;
	uint64_t		 n;
	size_t			 i, j, nl = 0;

	for (i = 0; i < rs->n; i++) {
		if (!rs->valid[i] || rs->win[i] == 0)
			continue;
		for (j = 0, n = 0; j < rs->n; j++)
			if (rs->valid[j] && rkey_equal(&rs->keys[j], &rs->keys[i])) {
				if (j < i)
					break;
				n += rs->win[j];
			}
		if (j < rs->n)
			continue;	/* counted with an earlier index */
		k = &rs->keys[i];
		list[nl++] = json_pack("{s:s, s:s, s:i, s:s, s:I}", "router", k->router,
		    "tenant", k->tenant, "status", (int)k->status,
		    "reason", tg_reject_name((enum tg_reject)k->reason),
		    "requests", (json_int_t)n);
	}
	qsort(list, nl, sizeof(list[0]), req_cmp);
	for (i = 0; i < nl; i++)
		json_array_append_new(arr, list[i]);
	return arr;
}

json_t *
rejset_json(const struct rejset *rs)
{
	json_t		*o = json_object(), *st = json_object(), *why = json_object();
	json_t		*rt = json_object(), *tn = json_object();
	const struct stats_rkey *k;
	char		 num[16];
	size_t		 i;

	for (i = 0; i < rs->n; i++) {
		if (!rs->valid[i] || rs->win[i] == 0)
			continue;
		k = &rs->keys[i];
		snprintf(num, sizeof(num), "%u", k->status);
		bump(st, num, rs->win[i]);
		bump(why, tg_reject_name((enum tg_reject)k->reason), rs->win[i]);
		bump(rt, k->router, rs->win[i]);
		bump(tn, k->tenant, rs->win[i]);
	}
	json_object_set_new(o, "requests", json_integer((json_int_t)rejset_total(rs)));
	json_object_set_new(o, "by_status", st);
	json_object_set_new(o, "by_reason", why);
	json_object_set_new(o, "by_router", as_list(rt, "router"));
	json_object_set_new(o, "by_tenant", as_list(tn, "tenant"));
	json_object_set_new(o, "rows", rows_json(rs));
	return o;
}
