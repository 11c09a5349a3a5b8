/*
 * policy_whatif.c - the router's own policy replayed over logged decisions
 * for the admin what-if (GET /admin/api/whatif, docs/admin-api.md): the
 * stats module gathers the decisions and sums the costs, this file answers
 * "which model would the policy pick at threshold t" for each of them.
 *
 * Each what-if opens a fresh policy state from the router's policy file
 * (with the config's limits), so that nothing a replay does reaches the
 * states that serve requests.  Decisions are replayed as the gateway makes
 * them: the facts of the logged line with the threshold replaced, the
 * router's fallback model, spend today per tenant and router accumulated
 * from the replay's own picks (oldest first, per UTC day), a policy error
 * serving the fallback.  What the log does not hold (previous_model of a
 * sticky conversation) reads as absent.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "policy.h"
#include "policy_facts.h"
#include "policy_whatif.h"

struct pw_rec {
	json_t			*line;		/* kept: the facts borrow from it */
	struct policy_facts_buf	 fb;
	int			 ok;		/* facts built */
};

struct policy_whatif {
	struct policy	*p;
	char		*fallback;
	struct pw_rec	*recs;
	size_t		 n, cap;
	json_t		*spend;			/* "day\twho\tname" -> $ */
};

static void
pw_free(struct policy_whatif *pw)
{
	size_t	 i;

	if (pw == NULL)
		return;
	for (i = 0; i < pw->n; i++)
		json_decref(pw->recs[i].line);
	free(pw->recs);
	free(pw->fallback);
	json_decref(pw->spend);
	policy_free(pw->p);
	free(pw);
}

/* add(): keep the line and its facts; the fallback is the router's. */
static int
pw_add(void *ctx, json_t *line)
{
	struct policy_whatif	*pw = ctx;
	struct pw_rec		*r, *nr;
	char			 err[128];

	if (pw->n == pw->cap) {
		if ((nr = realloc(pw->recs, (pw->cap * 2 + 64) * sizeof(*nr))) == NULL)
			return -1;
		pw->recs = nr;
		pw->cap = pw->cap * 2 + 64;
	}
	r = &pw->recs[pw->n++];
	r->line = json_incref(line);
	r->ok = policy_facts_from_json(line, &r->fb, err, sizeof(err)) == 0;
	if (r->ok)
		r->fb.f.fallback = pw->fallback;
	return 0;
}

static double
pw_spend(struct policy_whatif *pw, const json_t *line, const char *who,
    const char *name, double add)
{
	char	 key[512];
	double	 v;

	policy_facts_spend_key(line, who, name, key, sizeof(key));
	v = pf_jnum(pw->spend, key, 0);
	if (add > 0)
		json_object_set_new(pw->spend, key, json_real(v + add));
	return v;
}

/* Dollars of the logged tokens on candidate `model`, 0 when unpriced. */
static double
pw_cost(const struct pw_rec *r, const char *model)
{
	size_t	 i;

	for (i = 0; model != NULL && i < r->fb.f.ncand; i++)
		if (strcmp(r->fb.cand[i].model, model) == 0 && r->fb.cand[i].priced)
			return (pf_jnum(r->line, "input_tokens", 0) * r->fb.cand[i].price_in +
			    pf_jnum(r->line, "output_tokens", 0) * r->fb.cand[i].price_out) / 1e6;
	return 0;
}

/* The model the policy picks for r at threshold t; NULL when it refuses. */
static const char *
pw_pick(struct policy_whatif *pw, struct pw_rec *r, double t, struct policy_decision *d)
{
	struct policy_facts	*f = &r->fb.f;
	size_t			 i;

	if (!r->ok)
		return pw->fallback;
	/* the facts point into their own buffer, which realloc() may move */
	f->cand = r->fb.cand;
	f->metadata_keys = r->fb.mkeys;
	f->metadata_values = r->fb.mvals;
	f->threshold = t;
	f->predictor_ok = 0;
	for (i = 0; i < f->ncand; i++)
		f->predictor_ok |= r->fb.cand[i].has_quality;
	f->tenant_spend_today = pw_spend(pw, r->line, "tenant", f->tenant, 0);
	f->router_spend_today = pw_spend(pw, r->line, "router", f->router, 0);
	if (policy_decide(pw->p, f, d) != POLICY_OK)
		return pw->fallback;
	return d->refuse ? NULL : d->model;
}

/* run(): every decision, oldest first (add() got them newest first). */
static void
pw_run(void *ctx, double t, void (*out)(void *, size_t, const char *), void *arg)
{
	struct policy_whatif	*pw = ctx;
	struct policy_decision	 d;
	struct pw_rec		*r;
	const char		*m;
	double			 cost;
	size_t			 i;

	json_object_clear(pw->spend);
	for (i = pw->n; i-- > 0;) {
		r = &pw->recs[i];
		m = pw_pick(pw, r, t, &d);
		if (m != NULL && r->ok && (cost = pw_cost(r, m)) > 0) {
			pw_spend(pw, r->line, "tenant", r->fb.f.tenant, cost);
			pw_spend(pw, r->line, "router", r->fb.f.router, cost);
		}
		out(arg, i, m);
	}
}

int
policy_whatif_open(const struct tg_config *cfg, const struct tg_router *rt,
    struct stats_whatif_policy *out, char *err, size_t errlen)
{
	struct policy_limits	 lim;
	struct policy_whatif	*pw;

	memset(out, 0, sizeof(*out));
	lim.memory_bytes = cfg->limits.policy_memory_bytes;
	lim.instructions = cfg->limits.policy_instructions;
	if ((pw = calloc(1, sizeof(*pw))) == NULL ||
	    (pw->fallback = strdup(cfg->models[rt->fallback].id)) == NULL ||
	    (pw->spend = json_object()) == NULL) {
		snprintf(err, errlen, "out of memory");
		pw_free(pw);
		return -1;
	}
	if ((pw->p = policy_new(rt->policy, &lim, err, errlen)) == NULL) {
		pw_free(pw);
		return -1;
	}
	out->ctx = pw;
	out->version = policy_version(pw->p);
	out->add = pw_add;
	out->run = pw_run;
	return 0;
}

void
policy_whatif_close(struct stats_whatif_policy *wp)
{
	pw_free(wp->ctx);
	memset(wp, 0, sizeof(*wp));
}
