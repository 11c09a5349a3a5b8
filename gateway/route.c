/*
 * route.c - the request path of a routed call, in phases:
 *   resolve modelId -> parse body -> predict -> policy -> invoke (with the
 *   fallback model) -> answer in Bedrock's shape -> price -> record.
 * Only route_converse() orchestrates; every phase is its own function so
 * that the streaming relay (stream.c) can reuse them.
 */
#include "autoconf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "declog.h"
#include "gateway.h"
#include "journal.h"
#include "log.h"
#include "modelid.h"
#include "pred.h"
#include "route.h"
#include "stats.h"

/* Output tokens assumed for cost estimates when maxTokens is not given. */
#define ROUTE_DEFAULT_OUT_TOKENS 512

static double
route_cost(const struct tg_price *p, const struct tg_decision *d)
{
	return ((double)d->input_tokens * p->input +
	    (double)d->output_tokens * p->output +
	    (double)d->cache_read_tokens * p->cache_read +
	    (double)d->cache_write_tokens * p->cache_write) / 1e6;
}

/* The router's most expensive priced candidate: the "all on the strongest
 * model" baseline that savings are measured against. */
static const struct tg_model *
route_cf_model(const struct tg_config *cfg, const struct tg_router *r)
{
	const struct tg_model	*m, *best = NULL;
	size_t			 i;

	for (i = 0; r != NULL && i < r->nmodels; i++) {
		m = &cfg->models[r->models[i]];
		if (m->price.priced && (best == NULL ||
		    m->price.input + m->price.output >
		    best->price.input + best->price.output))
			best = m;
	}
	return best;
}

/* Price d's tokens onto its answering model and the counterfactual. */
static void
route_price_decision(const struct route_ctx *rc, struct tg_decision *d)
{
	const struct tg_config	*cfg = rc->req->worker->cfg;
	const struct tg_model	*m, *cf;

	m = d->model != NULL ? config_model(cfg, d->model) : NULL;
	d->cost_known = m != NULL && m->price.priced;
	d->cost = d->cost_known ? route_cost(&m->price, d) : 0;
	cf = rc->router != NULL ? route_cf_model(cfg, rc->router) : m;
	d->cf_known = cf != NULL && cf->price.priced;
	d->cf_model = cf != NULL ? cf->id : NULL;
	d->cf_cost = d->cf_known ? route_cost(&cf->price, d) : 0;
}

void
route_price(struct route_ctx *rc)
{
	route_price_decision(rc, &rc->d);
}

static size_t
route_max_tokens(const json_t *root)
{
	json_int_t	 n;

	n = json_integer_value(json_object_get(json_object_get(root,
	    "inferenceConfig"), "maxTokens"));
	return n > 0 && n < ROUTE_DEFAULT_OUT_TOKENS ? (size_t)n :
	    ROUTE_DEFAULT_OUT_TOKENS;
}

/*
 * Where the predictions of one request come from in the loaded model:
 * the reference and confidence heads (-1 when the model lacks them) and,
 * per candidate, its own head (`predictor`), ROUTE_BY_STRENGTH, or -1
 * for no prediction.  A candidate with a `strength` is placed on the
 * shared signal whenever the model has both reference heads; otherwise
 * it uses its `predictor` head if it names one (tiergate.conf(5),
 * "strength").
 */
#define ROUTE_BY_STRENGTH	(-2)

struct route_heads {
	ssize_t	 weak, strong, conf;
	ssize_t	 cand[TG_MAX_CANDIDATES];
};

static void
route_heads(const struct pred_model *pm, const struct tg_config *cfg,
    const struct tg_router *r, struct route_heads *h)
{
	const struct tg_model	*m;
	size_t			 i;
	int			 ref;

	h->weak = pred_model_find(pm, PRED_HEAD_WEAK);
	h->strong = pred_model_find(pm, PRED_HEAD_STRONG);
	h->conf = pred_model_find(pm, PRED_HEAD_CONFIDENCE);
	ref = h->weak >= 0 && h->strong >= 0;
	for (i = 0; i < r->nmodels && i < TG_MAX_CANDIDATES; i++) {
		m = &cfg->models[r->models[i]];
		if (m->has_strength && ref)
			h->cand[i] = ROUTE_BY_STRENGTH;
		else
			h->cand[i] = m->predictor != NULL ? pred_model_find(pm, m->predictor) : -1;
	}
}

/* Append head k to idx[0..n) unless it is there or k < 0; the new n. */
static size_t
route_idx_add(size_t *idx, size_t n, ssize_t k)
{
	size_t	 i;

	if (k < 0)
		return n;
	for (i = 0; i < n && idx[i] != (size_t)k; i++)
		;
	if (i == n)
		idx[n++] = (size_t)k;
	return n;
}

/* Predicted quality of candidate i into *out; 0 when it has none. */
static int
route_quality(const struct route_heads *h, const struct tg_model *m, size_t i,
    const float *q, double *out)
{
	float	 v;

	if (h->cand[i] == ROUTE_BY_STRENGTH)
		v = pred_quality_at_strength(q[h->weak], q[h->strong], m->strength);
	else if (h->cand[i] >= 0)
		v = q[h->cand[i]];
	else
		return 0;
	if (!isfinite(v))
		return 0;
	*out = v;
	return 1;
}

/* One candidate per router model: prices, estimated cost, and its
 * predicted quality (h NULL: the predictor did not run). */
static void
route_candidates(struct route_ctx *rc, const struct route_heads *h,
    const float *quality)
{
	const struct tg_config	*cfg = rc->req->worker->cfg;
	const struct tg_model	*m;
	struct tg_candidate	*c;
	size_t			 i, in = rc->conv.text_chars / 4 + 1;

	for (i = 0; i < rc->router->nmodels && i < TG_MAX_CANDIDATES; i++) {
		m = &cfg->models[rc->router->models[i]];
		c = &rc->d.cand[rc->d.ncand++];
		c->model = m->id;
		c->priced = m->price.priced;
		c->price_in = m->price.input;
		c->price_out = m->price.output;
		c->est_cost = (in * m->price.input + rc->est_out_tokens * m->price.output) / 1e6;
		c->has_quality = h != NULL && route_quality(h, m, i, quality, &c->quality);
		if (!c->has_quality)
			c->quality = 0;
	}
}

/* The "(confidence)" head's value, clamped to its documented 0..1. */
static void
route_confidence(struct route_ctx *rc, const struct route_heads *h, const float *q)
{
	if (h->conf < 0 || !isfinite(q[h->conf]))
		return;
	rc->d.has_confidence = 1;
	rc->d.confidence = q[h->conf] < 0 ? 0 : q[h->conf] > 1 ? 1 : q[h->conf];
}

/* Features, predicted quality per candidate and the confidence; 0 when
 * every candidate got a prediction.  One pred_predict_subset() call
 * scores this router's heads only, not every model known. */
static int
route_predict(struct route_ctx *rc)
{
	const struct pred_model	*pm;
	struct route_heads	 h;
	float			 f[PRED_NFEATURES], q[PRED_MAX_MODELS];
	size_t			 i, idx[TG_MAX_CANDIDATES + 3], n = 0;
	int			 ok;

	pm = rc->req->worker->pred != NULL ? pred_loader_get(rc->req->worker->pred) : NULL;
	ok = pm != NULL && pred_features_converse_for(rc->conv.root, f,
	    pred_model_features_used(pm)) == 0;
	if (ok) {
		route_heads(pm, rc->req->worker->cfg, rc->router, &h);
		for (i = 0; i < rc->router->nmodels && i < TG_MAX_CANDIDATES; i++) {
			if (h.cand[i] != ROUTE_BY_STRENGTH) {
				n = route_idx_add(idx, n, h.cand[i]);
				continue;
			}
			n = route_idx_add(idx, n, h.weak);
			n = route_idx_add(idx, n, h.strong);
		}
		n = route_idx_add(idx, n, h.conf);
		for (i = 0; i < PRED_MAX_MODELS; i++)
			q[i] = NAN;
		pred_predict_subset(pm, f, idx, n, q);
		route_confidence(rc, &h, q);
	}
	route_candidates(rc, ok ? &h : NULL, q);
	for (i = 0; i < rc->d.ncand; i++)
		if (!rc->d.cand[i].has_quality)
			return -1;
	return ok ? 0 : -1;
}

static struct policy *
route_policy(struct route_ctx *rc)
{
	const struct tg_config	*cfg = rc->req->worker->cfg;
	size_t			 i = rc->router - cfg->routers;

	if (rc->req->worker->policies == NULL || rc->req->worker->policies[i] == NULL)
		return NULL;
	policy_maybe_reload(rc->req->worker->policies[i]);
	return rc->req->worker->policies[i];
}

static void
route_fallback(struct route_ctx *rc, enum tg_fallback why, const char *reason)
{
	rc->d.fallback = why;
	rc->d.chosen = rc->fallback;
	snprintf(rc->reason, sizeof(rc->reason), "fallback: %s", reason);
	rc->d.reason = rc->reason;
}

/* requestMetadata as parallel key/value arrays for the policy. */
static void
route_metadata(struct route_ctx *rc, struct policy_facts *f)
{
	const json_t	*md = json_object_get(rc->conv.root, "requestMetadata");
	const char	*key;
	json_t		*v;
	size_t		 n = 0;

	json_object_foreach((json_t *)md, key, v) {
		if (n == ROUTE_MAX_METADATA)
			break;
		rc->md_keys[n] = key;
		rc->md_values[n++] = json_string_value(v);
	}
	f->metadata_keys = rc->md_keys;
	f->metadata_values = rc->md_values;
	f->nmetadata = n;
}

static void
route_facts(struct route_ctx *rc, struct policy_facts *f, char *prev, size_t prevlen)
{
	struct tg_worker	*w = rc->req->worker;
	time_t			 now = rc->d.time;

	memset(f, 0, sizeof(*f));
	f->router = rc->router->id;
	f->request_class = rc->d.request_class;
	f->tenant = rc->d.tenant;
	f->api = rc->d.api;
	f->prompt_chars = rc->conv.text_chars;
	f->est_input_tokens = rc->conv.text_chars / 4 + 1;
	f->turns = rc->conv.turns;
	f->has_tools = rc->conv.has_tools;
	f->has_images = rc->conv.has_images;
	f->has_documents = rc->conv.has_documents;
	f->conversation_id = rc->conv.conversation_id;
	prev[0] = '\0';
	if (w->stats != NULL && rc->conv.conversation_id[0] != '\0')
		stats_sticky_get(w->stats, rc->conv.conversation_id, prev, prevlen, now);
	f->previous_model = prev;
	f->cand = rc->d.cand;
	f->ncand = rc->d.ncand;
	f->threshold = rc->router->rqd;
	f->fallback = rc->fallback;
	f->predictor_ok = rc->d.fallback != TG_FB_NO_PREDICTION;
	f->has_confidence = rc->d.has_confidence;
	f->confidence = rc->d.confidence;
	f->min_confidence = rc->router->min_confidence;
	route_metadata(rc, f);
	if (w->stats != NULL) {
		f->tenant_spend_today = stats_tenant_spend_today(w->stats, rc->d.tenant, now);
		f->router_spend_today = stats_router_spend_today(w->stats, rc->router->id, now);
	}
}

/* Counted as a low-confidence fallback: the policy served the router's
 * fallback model (whatever its reason) while the confidence was below the
 * router's min_confidence, and nothing else had already made it a
 * fallback.  tiergate.bedrock serves the fallback exactly then. */
static int
route_low_confidence(const struct route_ctx *rc)
{
	return rc->d.fallback == TG_FB_NONE && rc->d.has_confidence &&
	    rc->d.confidence < rc->router->min_confidence &&
	    strcmp(rc->pd.model, rc->fallback) == 0;
}

/* Run the policy.  Returns 0, or an HTTP status after sending a refusal. */
static int
route_decide(struct route_ctx *rc)
{
	struct policy_facts	 f;
	struct policy		*p = route_policy(rc);
	enum policy_err		 e;
	char			 prev[256];

	if (p == NULL) {
		route_fallback(rc, TG_FB_POLICY_ERROR, "no policy loaded for this router");
		return 0;
	}
	route_facts(rc, &f, prev, sizeof(prev));
	e = policy_decide(p, &f, &rc->pd);
	if (e == POLICY_E_INSTRUCTIONS || e == POLICY_E_MEMORY) {
		route_fallback(rc, TG_FB_POLICY_LIMIT, rc->pd.reason);
		return 0;
	}
	if (e != POLICY_OK) {
		route_fallback(rc, TG_FB_POLICY_ERROR, rc->pd.reason);
		return 0;
	}
	if (rc->pd.refuse) {
		rc->d.reason = rc->pd.reason[0] ? rc->pd.reason : rc->pd.refuse_message;
		rc->d.status = rc->pd.refuse_status;
		rc->d.reject = TG_RJ_POLICY;
		http_add_header(rc->req, "x-tiergate-reason", rc->d.reason);
		http_send_error(rc->req, rc->pd.refuse_status, rc->pd.refuse_type, "%s",
		    rc->pd.refuse_message);
		return rc->pd.refuse_status;
	}
	if (rc->d.fallback == TG_FB_NONE)
		rc->d.reason = rc->pd.reason;
	rc->d.chosen = rc->pd.model;
	if (route_low_confidence(rc))
		rc->d.fallback = TG_FB_LOW_CONFIDENCE;
	return 0;
}

/* Refuse the model id before anything else ran: error sent, refusal kept. */
static int
route_refuse(struct route_ctx *rc, int status, const char *type, enum tg_reject why,
    const char *msg)
{
	rc->d.reject = why;
	http_send_error(rc->req, status, type, "%s", msg);
	return status;
}

/* server.passthrough: may `mid` (no router) go to Bedrock as it is?  An
 * ARN of a foundation model or an inference profile is known by the id it
 * names; any other ARN only by itself. */
static int
route_passthrough_ok(const struct tg_config *cfg, const struct modelid *mid,
    const char *model_id)
{
	if (cfg->passthrough == TG_PT_ANY)
		return 1;
	if (cfg->passthrough == TG_PT_NONE)
		return 0;
	if (mid->kind == MODELID_FOUNDATION_ARN || mid->kind == MODELID_PROFILE_ARN)
		return config_model_known(cfg, mid->resource);
	return config_model_known(cfg, model_id);
}

/*
 * Resolve the client's modelId, in this order: Bedrock's model-id grammar
 * (400 ValidationException, as Bedrock answers it), the account of a
 * router ARN (403 AccessDeniedException), a configured router, a router
 * ARN naming none (404 ResourceNotFoundException), then passthrough (400
 * ValidationException "The provided model identifier is invalid.", as
 * Bedrock answers an id it does not know).  Returns 0 or the status sent.
 */
static int
route_resolve(struct route_ctx *rc, const char *model_id)
{
	const struct tg_config	*cfg = rc->req->worker->cfg;
	struct modelid		 mid;
	char			 msg[512];

	snprintf(rc->model_id, sizeof(rc->model_id), "%s", model_id);
	if (modelid_parse(model_id, &mid) != 0)
		return route_refuse(rc, 400, "ValidationException", TG_RJ_MODEL_ID,
		    "1 validation error detected: Value at 'modelId' failed to satisfy "
		    "constraint: Member must satisfy regular expression pattern of a "
		    "Bedrock model id, inference profile id or ARN");
	if (mid.kind == MODELID_ROUTER_ARN && !config_account_ok(cfg, mid.account)) {
		snprintf(msg, sizeof(msg), "You don't have access to the prompt router "
		    "%.300s: account %s is not served here", model_id, mid.account);
		return route_refuse(rc, 403, "AccessDeniedException", TG_RJ_ACCOUNT, msg);
	}
	rc->router = config_router(cfg, model_id);
	if (rc->router != NULL) {
		rc->d.router = rc->router->id;
		rc->d.threshold = rc->router->rqd;
		rc->d.min_confidence = rc->router->min_confidence;
		rc->fallback = cfg->models[rc->router->fallback].id;
		return 0;
	}
	if (mid.kind == MODELID_ROUTER_ARN) {
		snprintf(msg, sizeof(msg), "No router named '%.300s' is configured", model_id);
		return route_refuse(rc, 404, "ResourceNotFoundException", TG_RJ_UNKNOWN_MODEL,
		    msg);
	}
	if (!route_passthrough_ok(cfg, &mid, model_id))
		return route_refuse(rc, 400, "ValidationException", TG_RJ_UNKNOWN_MODEL,
		    cfg->passthrough == TG_PT_NONE ? "The provided model identifier is "
		    "invalid. (It names no router, and this gateway serves routers only.)" :
		    "The provided model identifier is invalid. (It names no router and no "
		    "model this gateway knows.)");
	rc->d.chosen = rc->model_id;
	rc->d.reason = "passthrough";
	return 0;
}

/* Microseconds tiergate itself spent on the request so far. */
static uint64_t
route_overhead_us(const struct route_ctx *rc)
{
	uint64_t	 total = (http_now_ns() - rc->req->t_start_ns) / 1000;

	return total > rc->d.upstream_us ? total - rc->d.upstream_us : 0;
}

/* The decision as it is recorded: status, overhead, prompt. */
static void
route_finalize(struct route_ctx *rc)
{
	if (rc->d.status == 0)
		rc->d.status = rc->req->status;
	if (rc->d.overhead_us == 0 && rc->req->t_start_ns != 0)
		rc->d.overhead_us = route_overhead_us(rc);
	if (rc->req->worker->cfg->log_prompts && rc->req->body != NULL)
		rc->d.prompt = rc->req->body;
}

/* http on_answer hook: the first byte of the answer is about to leave, so
 * the worker's journal slot takes the decision (a stream as interrupted,
 * with nothing relayed yet, until route_progress() and route_done()). */
static void
route_arm(void *v)
{
	struct route_ctx	*rc = v;
	struct tg_worker	*w = rc->req->worker;
	struct tg_decision	 d;

	if (w->jslot == NULL)
		return;
	route_finalize(rc);
	d = rc->d;
	d.interrupted = rc->req->streaming;
	if (journal_arm(w->jslot, &d, w->declog != NULL ? declog_size(w->declog) : 0) != 0)
		log_err("request %s: the decision does not fit the journal", rc->req->request_id);
	rc->armed = d;
}

void
route_progress(struct route_ctx *rc, struct tg_decision *d)
{
	if (!journal_armed(rc->req->worker->jslot))
		return;
	route_price_decision(rc, d);
	journal_update(rc->req->worker->jslot, d);
}

void
route_start(struct route_ctx *rc, struct tg_req *req, const char *tenant,
    const char *api, const char *router)
{
	memset(rc, 0, sizeof(*rc));
	rc->req = req;
	rc->d.time = time(NULL);
	rc->d.request_id = req->request_id;
	rc->d.router = router;
	rc->d.tenant = tenant != NULL ? tenant : "";
	rc->d.api = api;
	rc->d.request_class = "";
	req->on_answer = route_arm;
	req->on_answer_ctx = rc;
}

/* The request class: the x-tiergate-class header, else requestMetadata
 * "class" (capped by req_parse_converse).  The header has the same cap
 * (REQ_MAX_CLASS); over it: 400, nothing truncated. */
static int
route_class(struct route_ctx *rc)
{
	const char	*h = http_header(rc->req, "x-tiergate-class");

	if (h != NULL && strlen(h) > REQ_MAX_CLASS) {
		http_send_error(rc->req, 400, "ValidationException", "1 validation "
		    "error detected: Value at header 'x-tiergate-class' must have "
		    "at most %d bytes", REQ_MAX_CLASS);
		return 400;
	}
	rc->d.request_class = h != NULL && *h != '\0' ? h : rc->conv.request_class;
	return 0;
}

/* route_prepare() once rc->conv holds the validated request: class,
 * prediction, policy. */
static int
route_prepare_conv(struct route_ctx *rc)
{
	int	 st;

	if ((st = route_class(rc)) != 0)
		return rc->d.status = st;
	if (rc->router == NULL)
		return 0;
	rc->est_out_tokens = route_max_tokens(rc->conv.root);
	if (route_predict(rc) != 0)
		rc->d.fallback = TG_FB_NO_PREDICTION;
	if ((st = route_decide(rc)) != 0)
		return st;
	if (rc->d.fallback == TG_FB_NO_PREDICTION && rc->d.reason == NULL)
		route_fallback(rc, TG_FB_NO_PREDICTION, "the predictor could not score this request");
	return 0;
}

/*
 * Whether the router's fallback serves after the chosen model failed: on
 * every upstream failure (timeout, 408, 5xx, throttling, truncated,
 * oversized or non-JSON answers, connection errors, other 4xx), unless
 * the failure is the client's own (Bedrock refused the request itself as
 * invalid: 400, 413, or a stream that began with validationException),
 * bytes already reached the client, the client went
 * away, or the request's deadline passed.
 */
static int
route_falls_back(const struct route_ctx *rc, const struct bedrock_call *call,
    const struct bedrock_result *res)
{
	if (rc->router == NULL || res->committed || rc->req->client_gone ||
	    strcmp(rc->d.chosen, rc->fallback) == 0)
		return 0;
	if (res->err == TG_UP_CLIENT && (res->status == 400 || res->status == 413 ||
	    res->status < 300))
		return 0;	/* ... or in the stream: validationException */
	return call->deadline_ns == 0 || http_now_ns() < call->deadline_ns;
}

int
route_prepare(struct route_ctx *rc, struct tg_req *req, const char *tenant,
    const char *model_id, const char *api)
{
	char		 msg[512];
	int		 st;

	route_start(rc, req, tenant, api, "");
	if ((st = route_resolve(rc, model_id)) != 0)
		return rc->d.status = st;
	if (req_parse_converse(req->body, req->body_len, req->limits->max_json_depth,
	    &rc->conv, msg, sizeof(msg)) != REQ_OK) {
		rc->d.reject = TG_RJ_VALIDATION;
		http_send_error(req, 400, "ValidationException", "%s", msg);
		return rc->d.status = 400;
	}
	return route_prepare_conv(rc);
}

int
route_prepare_json(struct route_ctx *rc, struct tg_req *req, const char *tenant,
    const char *model_id, const char *api, json_t *converse)
{
	char		 msg[512];
	int		 st;

	route_start(rc, req, tenant, api, "");
	if ((st = route_resolve(rc, model_id)) != 0) {
		json_decref(converse);
		return rc->d.status = st;
	}
	if (req_converse_from_json(converse, &rc->conv, msg, sizeof(msg)) != REQ_OK) {
		rc->d.reject = TG_RJ_VALIDATION;
		http_send_error(req, 400, "ValidationException", "%s", msg);
		return rc->d.status = 400;
	}
	return route_prepare_conv(rc);
}

int
route_invoke(struct route_ctx *rc, struct bedrock_call *call, struct bedrock_result *res)
{
	struct bedrock_client	*bc = rc->req->worker->bedrock;
	uint64_t		 first_us;
	int			 attempts;

	if (call->deadline_ns == 0)
		call->deadline_ns = http_now_ns() +
		    (uint64_t)rc->req->worker->cfg->deadline_ms * 1000000;
	call->model_id = rc->d.chosen;
	if (bedrock_invoke(bc, call, res) == 0) {
		rc->d.model = rc->d.chosen;
		rc->d.attempts = res->attempts;
		return 0;
	}
	rc->d.upstream_err = res->err;
	rc->d.attempts = attempts = res->attempts;
	first_us = res->upstream_us;
	if (!route_falls_back(rc, call, res))
		return -1;
	log_warn("request %s: %s %s, falling back to %s", rc->req->request_id,
	    rc->d.chosen, res->reason, rc->fallback);
	snprintf(rc->reason, sizeof(rc->reason), "fallback: %s %s", rc->d.chosen,
	    res->reason);
	rc->d.reason = rc->reason;
	rc->d.fallback = TG_FB_UPSTREAM;
	call->model_id = rc->fallback;
	bedrock_result_free(res);
	if (bedrock_invoke(bc, call, res) == 0)
		rc->d.model = rc->fallback;
	res->upstream_us += first_us;
	rc->d.attempts = attempts + res->attempts;
	return rc->d.model != NULL ? 0 : -1;
}

void
route_headers(struct route_ctx *rc)
{
	char	 buf[32];

	if (rc->router != NULL)
		http_add_header(rc->req, "x-tiergate-router", rc->router->id);
	if (rc->d.model != NULL)
		http_add_header(rc->req, "x-tiergate-model", rc->d.model);
	if (rc->d.reason != NULL)
		http_add_header(rc->req, "x-tiergate-reason", rc->d.reason);
	rc->d.overhead_us = route_overhead_us(rc);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)rc->d.overhead_us);
	http_add_header(rc->req, "x-tiergate-overhead-us", buf);
}

/* Log and count the decision; through the journal when it was armed. */
static int
route_record(struct route_ctx *rc)
{
	struct tg_worker *w = rc->req->worker;

	/* An answer sent whole (not a stream) is armed as it is recorded:
	 * its line need not be formatted twice. */
	if (journal_armed(w->jslot))
		return journal_account(w->jslot, &rc->d,
		    memcmp(&rc->armed, &rc->d, sizeof(rc->d)) == 0, w->stats, w->declog);
	if (w->stats != NULL)
		stats_record(w->stats, &rc->d, rc->d.time);
	return w->declog != NULL ? declog_write(w->declog, &rc->d) : 0;
}

void
route_done(struct route_ctx *rc)
{
	struct tg_worker *w = rc->req->worker;

	rc->req->on_answer = NULL;
	route_finalize(rc);
	if (route_record(rc) != 0)
		log_err("request %s: could not write the decision log", rc->req->request_id);
	if (w->stats != NULL && rc->d.model != NULL && rc->conv.conversation_id != NULL &&
	    rc->conv.conversation_id[0] != '\0')
		stats_sticky_put(w->stats, rc->conv.conversation_id, rc->d.model, rc->d.time);
	req_converse_free(&rc->conv);
}

static uint64_t
route_u64(const json_t *o, const char *k)
{
	json_int_t	 v = json_integer_value(json_object_get(o, k));

	return v > 0 ? (uint64_t)v : 0;
}

/* Read usage and set trace.promptRouter.invokedModelId in the answer
 * (bedrock_invoke() made sure it is a JSON object). */
static void
route_answer(struct route_ctx *rc, json_t *j)
{
	json_t	*u, *trace;

	u = json_object_get(j, "usage");
	rc->d.input_tokens = route_u64(u, "inputTokens");
	rc->d.output_tokens = route_u64(u, "outputTokens");
	rc->d.cache_read_tokens = route_u64(u, "cacheReadInputTokens");
	rc->d.cache_write_tokens = route_u64(u, "cacheWriteInputTokens");
	if (rc->router != NULL) {
		if (!json_is_object(trace = json_object_get(j, "trace"))) {
			trace = json_object();
			json_object_set_new(j, "trace", trace);
		}
		json_object_set_new(trace, "promptRouter",
		    json_pack("{s:s}", "invokedModelId", rc->d.model));
	}
}

void
route_upstream_error(struct route_ctx *rc, const struct bedrock_result *res)
{
	int	 st = res->status;

	if (res->err == TG_UP_BAD_RESPONSE || res->err == TG_UP_CONNECT || st < 400)
		http_send_error(rc->req, res->err == TG_UP_TIMEOUT ? 504 : 502,
		    res->err == TG_UP_TIMEOUT ? "ModelTimeoutException" :
		    "ServiceUnavailableException", "%s", res->message);
	else
		http_send_error(rc->req, st, res->error_type[0] ? res->error_type :
		    "InternalServerException", "%s", res->message);
}

int
route_call(struct route_ctx *rc, const char *body, size_t len, json_t **answer)
{
	struct bedrock_call	 call = { 0 };
	struct bedrock_result	 res = { 0 };
	int			 rv;

	*answer = NULL;
	call.action = "converse";
	call.body = body;
	call.body_len = len;
	rv = route_invoke(rc, &call, &res);
	rc->d.upstream_us = res.upstream_us;
	if (rv != 0) {
		route_headers(rc);
		route_upstream_error(rc, &res);
	} else {
		route_answer(rc, res.json);
		route_price(rc);
		*answer = json_incref(res.json);
	}
	bedrock_result_free(&res);
	return rv;
}

void
route_converse(struct tg_req *req, const char *tenant, const char *model_id)
{
	struct route_ctx	 rc;
	json_t			*answer = NULL;

	if (route_prepare(&rc, req, tenant, model_id, "converse") == 0 &&
	    route_call(&rc, req->body, req->body_len, &answer) == 0) {
		route_headers(&rc);
		http_send_json(req, 200, answer);
	}
	route_done(&rc);
}
