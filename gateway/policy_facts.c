/*
 * policy_facts.c - struct policy_facts from JSON: a policy test case's
 * "facts" or a decision-log line, which share key names (tiergate-policy(7)),
 * for `tiergate policy test`, `tiergate replay` and the admin what-if.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "policy_facts.h"

/* One candidate.  Priced when "priced" is not false and both prices are
 * numbers; est_cost defaults to tokens × (price_in + price_out) / 1e6. */
static int
cand_from_json(const json_t *o, size_t tokens, struct tg_candidate *c)
{
	json_t	*q = json_object_get(o, "quality");

	if ((c->model = pf_jstr(o, "model", NULL)) == NULL)
		return -1;
	c->has_quality = json_is_number(q);
	c->quality = c->has_quality ? json_number_value(q) : 0;
	c->priced = pf_jbool(o, "priced", 1) &&
	    json_is_number(json_object_get(o, "price_in")) &&
	    json_is_number(json_object_get(o, "price_out"));
	c->price_in = c->priced ? pf_jnum(o, "price_in", 0) : 0;
	c->price_out = c->priced ? pf_jnum(o, "price_out", 0) : 0;
	c->est_cost = c->priced ? pf_jnum(o, "est_cost",
	    (double)tokens * (c->price_in + c->price_out) / 1e6) : 0;
	return 0;
}

static void
meta_from_json(const json_t *o, struct policy_facts_buf *fb)
{
	const char	*k;
	json_t		*v;

	json_object_foreach((json_t *)o, k, v) {
		if (!json_is_string(v) || fb->f.nmetadata == POLICY_FACTS_MAX_META)
			continue;
		fb->mkeys[fb->f.nmetadata] = k;
		fb->mvals[fb->f.nmetadata++] = json_string_value(v);
	}
}

int
policy_facts_from_json(const json_t *o, struct policy_facts_buf *fb, char *err, size_t errlen)
{
	struct policy_facts	*f = &fb->f;
	json_t			*cands = json_object_get(o, "candidates"), *c;
	size_t			 i, tokens;

	memset(fb, 0, sizeof(*fb));
	tokens = (size_t)pf_jnum(o, "tokens", pf_jnum(o, "input_tokens", 100));
	f->router = pf_jstr(o, "router", "test-router");
	f->request_class = pf_jstr(o, "class", "");
	f->tenant = pf_jstr(o, "tenant", "");
	f->api = pf_jstr(o, "api", "converse");
	f->est_input_tokens = tokens;
	f->prompt_chars = (size_t)pf_jnum(o, "prompt_chars", 4.0 * (double)tokens);
	f->turns = (int)pf_jnum(o, "turns", 1);
	f->has_tools = pf_jbool(o, "has_tools", 0);
	f->has_images = pf_jbool(o, "has_images", 0);
	f->has_documents = pf_jbool(o, "has_documents", 0);
	f->conversation_id = pf_jstr(o, "conversation", "");
	f->previous_model = pf_jstr(o, "previous_model", "");
	f->threshold = pf_jnum(o, "threshold", 0);
	f->has_confidence = json_is_number(json_object_get(o, "confidence"));
	f->confidence = pf_jnum(o, "confidence", 0);
	f->min_confidence = pf_jnum(o, "min_confidence", 0);
	f->tenant_spend_today = pf_jnum(o, "tenant_spend_today", 0);
	f->router_spend_today = pf_jnum(o, "router_spend_today", 0);
	if (!json_is_array(cands) || json_array_size(cands) == 0 ||
	    json_array_size(cands) > TG_MAX_CANDIDATES) {
		snprintf(err, errlen, "\"candidates\" must be an array of 1..%d objects",
		    TG_MAX_CANDIDATES);
		return -1;
	}
	json_array_foreach(cands, i, c)
		if (cand_from_json(c, tokens, &fb->cand[i]) == -1) {
			snprintf(err, errlen, "candidate %zu has no \"model\"", i);
			return -1;
		}
	f->cand = fb->cand;
	f->ncand = json_array_size(cands);
	f->predictor_ok = pf_jbool(o, "predictor_ok", 1);
	/* a logged line's "fallback" is a reason name, not a model: only a
	 * candidate counts */
	f->fallback = fb->cand[f->ncand - 1].model;
	for (i = 0; i < f->ncand; i++)
		if (strcmp(fb->cand[i].model, pf_jstr(o, "fallback", "")) == 0)
			f->fallback = fb->cand[i].model;
	meta_from_json(json_object_get(o, "metadata"), fb);
	f->metadata_keys = fb->mkeys;
	f->metadata_values = fb->mvals;
	return 0;
}


void
policy_facts_spend_key(const json_t *line, const char *who, const char *name, char *key,
    size_t len)
{
	time_t		 t = (time_t)pf_jnum(line, "ts", 0);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	snprintf(key, len, "%04d-%02d-%02d\t%s\t%s", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, who, name);
}
