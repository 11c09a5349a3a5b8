/*
 * stats_decisions.c - the admin API documents read from the decision log:
 * GET /admin/api/decisions (recent lines, paged backwards) and
 * GET /admin/api/whatif (the default policy replayed over logged
 * predictions for every threshold 0..100).
 *
 * Both read the file backwards in bounded chunks (declog_scan_back), so
 * their memory is bounded by `limit` / STATS_API_WHATIF_MAX, not by the
 * size of the log.
 */
#include "autoconf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "declog.h"
#include "stats_api.h"

/* --- decisions -------------------------------------------------------- */

struct page {
	json_t		*arr;
	int		 limit;
	long long	 last_off;
};

static int
page_line(const char *line, size_t len, off_t off, void *arg)
{
	struct page	*pg = arg;
	json_t		*o;
	char		 cur[24];

	if ((o = json_loadb(line, len, 0, NULL)) == NULL || !json_is_object(o)) {
		json_decref(o);
		return 0;		/* torn or foreign line: skip */
	}
	json_object_del(o, "prompt");
	snprintf(cur, sizeof(cur), "%lld", (long long)off);
	json_object_set_new(o, "cursor", json_string(cur));
	json_array_append_new(pg->arr, o);
	pg->last_off = (long long)off;
	return (int)json_array_size(pg->arr) >= pg->limit;
}

json_t *
stats_api_decisions(const char *path, int limit, long long before, time_t now,
    char *err, size_t errlen)
{
	struct page	 pg = { NULL, limit, -1 };
	json_t		*o;
	char		 cur[24];

	if (limit < 1 || limit > STATS_API_MAX_LIMIT)
		pg.limit = limit < 1 ? 1 : STATS_API_MAX_LIMIT;
	pg.arr = json_array();
	if (declog_scan_back(path, before, page_line, &pg, err, errlen) == -1) {
		json_decref(pg.arr);
		return NULL;
	}
	o = json_object();
	json_object_set_new(o, "schema_version", json_integer(STATS_API_SCHEMA));
	json_object_set_new(o, "generated_at", json_integer((json_int_t)now));
	json_object_set_new(o, "limit", json_integer(pg.limit));
	snprintf(cur, sizeof(cur), "%lld", pg.last_off);
	json_object_set_new(o, "next_before",
	    (int)json_array_size(pg.arr) >= pg.limit && pg.last_off > 0 ?
	    json_string(cur) : json_null());
	json_object_set_new(o, "decisions", pg.arr);
	return o;
}

/* --- what-if ---------------------------------------------------------- */

/* One logged decision, reduced to what the replay needs. */
struct wcand {
	const char *model;	/* borrowed from the kept log line */
	double	 q;
	int	 hasq;
	int	 priced;
	double	 cost;		/* logged tokens on this candidate's prices */
	double	 order;		/* est_cost, for the policy's ascending order */
	int	 strong;
	int	 fallback;	/* the router's fallback model */
};

struct wrec {
	struct wcand	 c[TG_MAX_CANDIDATES];
	size_t		 n;
	int		 fallback;	/* index of the router's fallback, or -1 */
	int		 strong;	/* index of the strong model, or -1 */
	int		 low_confidence; /* logged confidence < min_confidence */
	int		 actual_strong;
	int		 cost_known, cf_known;
	double		 cost, cf_cost;
};

struct replay {
	const char		*router;
	const char		*strong_id;
	const char		*fallback_id;
	struct wrec		*recs;
	json_t			**lines;	/* kept while the policy replays */
	size_t			 n, max;
	time_t			 from, to;
	const struct stats_whatif_policy *pol;	/* NULL: threshold rule only */
	int			 pol_ok;	/* every line reached pol->add() */
};

static int
wcand_cmp(const void *a, const void *b)
{
	const struct wcand	*x = a, *y = b;

	if (x->priced != y->priced)
		return x->priced ? -1 : 1;
	if (x->priced && x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return 0;
}

static void
wrec_fill(struct wrec *r, const struct tg_decision *d, const struct replay *rp)
{
	const struct tg_candidate	*c;
	size_t				 i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < d->ncand; i++) {
		c = &d->cand[i];
		r->c[i].model = c->model;
		r->c[i].q = c->quality;
		r->c[i].hasq = c->has_quality;
		r->c[i].priced = c->priced;
		r->c[i].order = c->est_cost;
		r->c[i].cost = ((double)d->input_tokens * c->price_in +
		    (double)d->output_tokens * c->price_out) / 1e6;
		r->c[i].strong = rp->strong_id != NULL && strcmp(c->model, rp->strong_id) == 0;
		r->c[i].fallback = rp->fallback_id != NULL &&
		    strcmp(c->model, rp->fallback_id) == 0;
	}
	r->n = d->ncand;
	/* candidates reach the policy sorted by ascending estimated cost,
	 * unpriced last; sort stably as it does */
	for (i = 1; i < r->n; i++) {
		struct wcand t = r->c[i];
		size_t j = i;
		for (; j > 0 && wcand_cmp(&r->c[j - 1], &t) > 0; j--)
			r->c[j] = r->c[j - 1];
		r->c[j] = t;
	}
	r->fallback = r->strong = -1;
	for (i = 0; i < r->n; i++) {
		if (r->c[i].fallback)
			r->fallback = (int)i;
		if (r->c[i].strong)
			r->strong = (int)i;
	}
	r->low_confidence = d->has_confidence && d->confidence < d->min_confidence;
	r->actual_strong = d->model != NULL && rp->strong_id != NULL &&
	    strcmp(d->model, rp->strong_id) == 0;
	r->cost_known = d->cost_known;
	r->cost = d->cost;
	r->cf_known = d->cf_known;
	r->cf_cost = d->cf_cost;
}

static int
replay_line(const char *line, size_t len, off_t off, void *arg)
{
	struct replay		*rp = arg;
	struct tg_decision	 d;
	json_t			*o;

	(void)off;
	if ((o = json_loadb(line, len, 0, NULL)) == NULL)
		return 0;
	if (declog_parse(o, &d) == 0 && strcmp(d.router, rp->router) == 0 &&
	    d.ncand > 0 && d.status >= 200 && d.status < 300) {
		wrec_fill(&rp->recs[rp->n], &d, rp);
		if (rp->pol != NULL && rp->pol_ok && rp->pol->add(rp->pol->ctx, o) != 0)
			rp->pol_ok = 0;
		rp->lines[rp->n++] = json_incref(o);	/* the models are borrowed */
		if (rp->to == 0)
			rp->to = d.time;
		rp->from = d.time;
	}
	json_decref(o);
	return rp->n >= rp->max;
}

/* The default policy (lua-policies/default.lua): the first candidate, in
 * ascending estimated cost, with best <= quality * (1 + t/100); the
 * fallback when the confidence was below the router's minimum or no
 * candidate has a prediction.  Returns an index or -1. */
static int
replay_pick(const struct wrec *r, double t)
{
	double	 best = -1;
	size_t	 i;

	if (r->low_confidence)
		return r->fallback;
	for (i = 0; i < r->n; i++)
		if (r->c[i].hasq && r->c[i].q > best)
			best = r->c[i].q;
	if (best < 0)
		return r->fallback;
	for (i = 0; i < r->n; i++)
		if (r->c[i].hasq && best <= r->c[i].q * (1 + t / 100.0))
			return (int)i;
	return -1;
}

struct wsum {
	size_t	 n, strong, unpriced, nq, cmp, refused;
	double	 cost, cf, qsum, cmp_cost, cmp_cf;
};

static void
wsum_add(struct wsum *s, const struct wrec *r, int pick)
{
	const struct wcand	*c = pick >= 0 ? &r->c[pick] : NULL;
	const struct wcand	*sc = r->strong >= 0 ? &r->c[r->strong] : NULL;

	s->n++;
	if (c != NULL && c->strong)
		s->strong++;
	if (c != NULL && c->priced)
		s->cost += c->cost;
	else
		s->unpriced++;
	if (c != NULL && c->hasq) {
		s->nq++;
		s->qsum += c->q;
	}
	if (sc != NULL && sc->priced)
		s->cf += sc->cost;
	if (c != NULL && c->priced && sc != NULL && sc->priced) {
		s->cmp++;
		s->cmp_cost += c->cost;
		s->cmp_cf += sc->cost;
	}
}

static void
wsum_put(json_t *o, const struct wsum *s, double cost, double cf)
{
	double	 save = s->cmp_cf - s->cmp_cost;

	json_object_set_new(o, "strong_share", s->n > 0 ?
	    json_real((double)s->strong / (double)s->n) : json_null());
	json_object_set_new(o, "cost_usd", s->n > 0 && s->unpriced >= s->n ?
	    json_null() : json_real(cost));
	json_object_set_new(o, "cf_cost_usd", json_real(cf));
	json_object_set_new(o, "savings_usd", json_real(save));
	json_object_set_new(o, "savings_pct", s->cmp_cf > 0 ?
	    json_real(100.0 * save / s->cmp_cf) : json_null());
	json_object_set_new(o, "unpriced_requests", json_integer((json_int_t)s->unpriced));
}

/* Sum the threshold rule's picks at t. */
static void
whatif_rule(const struct replay *rp, int t, struct wsum *s)
{
	size_t	 i;

	for (i = 0; i < rp->n; i++)
		wsum_add(s, &rp->recs[i], replay_pick(&rp->recs[i], t));
}

struct policy_acc {
	const struct replay	*rp;
	struct wsum		*s;
};

/* The candidate index of the model the policy picked (-1: not one). */
static int
wrec_find(const struct wrec *r, const char *model)
{
	size_t	 i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->c[i].model, model) == 0)
			return (int)i;
	return -1;
}

static void
policy_out(void *arg, size_t idx, const char *model)
{
	struct policy_acc	*a = arg;

	if (idx >= a->rp->n)
		return;
	if (model == NULL)
		a->s->refused++;
	else
		wsum_add(a->s, &a->rp->recs[idx], wrec_find(&a->rp->recs[idx], model));
}

/* Sum the router's own policy's picks at t. */
static void
whatif_policy(const struct replay *rp, int t, struct wsum *s)
{
	struct policy_acc	 a = { rp, s };

	rp->pol->run(rp->pol->ctx, t, policy_out, &a);
}

static json_t *
whatif_point(const struct replay *rp, int t, int current,
    void (*sum)(const struct replay *, int, struct wsum *))
{
	struct wsum	 s;
	json_t		*o = json_object();

	memset(&s, 0, sizeof(s));
	sum(rp, t, &s);
	json_object_set_new(o, "threshold", json_integer(t));
	wsum_put(o, &s, s.cost, s.cf);
	if (sum == whatif_policy)
		json_object_set_new(o, "refused", json_integer((json_int_t)s.refused));
	json_object_set_new(o, "mean_quality", s.nq > 0 ?
	    json_real(s.qsum / (double)s.nq) : json_null());
	json_object_set_new(o, "current", json_boolean(current));
	return o;
}

static json_t *
whatif_actual(const struct replay *rp)
{
	struct wsum		 s;
	const struct wrec	*r;
	json_t			*o = json_object();
	size_t			 i;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < rp->n; i++) {
		r = &rp->recs[i];
		s.n++;
		s.strong += r->actual_strong;
		if (r->cost_known)
			s.cost += r->cost;
		else
			s.unpriced++;
		if (r->cf_known)
			s.cf += r->cf_cost;
		if (r->cost_known && r->cf_known) {
			s.cmp_cost += r->cost;
			s.cmp_cf += r->cf_cost;
		}
	}
	wsum_put(o, &s, s.cost, s.cf);
	return o;
}

/* The router's own policy at every threshold; null without a replayer. */
static json_t *
whatif_policy_points(const struct replay *rp, int cur)
{
	json_t	*pts;
	int	 t;

	if (rp->pol == NULL || !rp->pol_ok)
		return json_null();
	pts = json_array();
	for (t = 0; t <= 100; t++)
		json_array_append_new(pts, whatif_point(rp, t, t == cur, whatif_policy));
	return pts;
}

static json_t *
whatif_json(const struct replay *rp, const struct tg_router *r, time_t now)
{
	json_t	*o = json_object(), *pts = json_array();
	int	 t, cur = (int)lround(r->rqd);

	json_object_set_new(o, "schema_version", json_integer(STATS_API_SCHEMA));
	json_object_set_new(o, "generated_at", json_integer((json_int_t)now));
	json_object_set_new(o, "router", json_string(r->id));
	json_object_set_new(o, "current_threshold", json_real(r->rqd));
	json_object_set_new(o, "strong_model", rp->strong_id != NULL ?
	    json_string(rp->strong_id) : json_null());
	json_object_set_new(o, "decisions", json_integer((json_int_t)rp->n));
	json_object_set_new(o, "from", rp->n > 0 ? json_integer(rp->from) : json_null());
	json_object_set_new(o, "to", rp->n > 0 ? json_integer(rp->to) : json_null());
	for (t = 0; t <= 100; t++)
		json_array_append_new(pts, whatif_point(rp, t, t == cur, whatif_rule));
	json_object_set_new(o, "points", pts);
	json_object_set_new(o, "policy_points", whatif_policy_points(rp, cur));
	json_object_set_new(o, "policy_version", rp->pol != NULL && rp->pol->version != NULL ?
	    json_string(rp->pol->version) : json_null());
	json_object_set_new(o, "actual", whatif_actual(rp));
	return o;
}

json_t *
stats_api_whatif(const char *path, const struct tg_config *cfg, const char *router_id,
    size_t last, time_t now, const struct stats_whatif_policy *pol, int *status,
    char *err, size_t errlen)
{
	const struct tg_router	*r;
	const struct tg_model	*strong;
	struct replay		 rp;
	json_t			*o = NULL;

	if (cfg == NULL || router_id == NULL || (r = config_router(cfg, router_id)) == NULL) {
		*status = 404;
		snprintf(err, errlen, "no router '%s'", router_id != NULL ? router_id : "");
		return NULL;
	}
	memset(&rp, 0, sizeof(rp));
	strong = stats_api_strong_model(cfg, r);
	rp.router = r->id;
	rp.strong_id = strong != NULL ? strong->id : NULL;
	rp.fallback_id = r->fallback < cfg->nmodels ? cfg->models[r->fallback].id : NULL;
	rp.max = last == 0 || last > STATS_API_WHATIF_MAX ? STATS_API_WHATIF_MAX : last;
	rp.pol = pol;
	rp.pol_ok = 1;
	if ((rp.recs = calloc(rp.max, sizeof(*rp.recs))) == NULL ||
	    (rp.lines = calloc(rp.max, sizeof(*rp.lines))) == NULL) {
		*status = 500;
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (declog_scan_back(path, -1, replay_line, &rp, err, errlen) == -1)
		*status = 500;
	else
		o = whatif_json(&rp, r, now);
done:
	while (rp.lines != NULL && rp.n > 0)
		json_decref(rp.lines[--rp.n]);
	free(rp.lines);
	free(rp.recs);
	return o;
}
