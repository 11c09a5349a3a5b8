/*
 * route.h - one routed request: resolve the modelId, predict, let the
 * policy decide, invoke, account.  route_converse() orchestrates a plain
 * Converse call; the streaming relay reuses the phases.
 */
#ifndef TG_ROUTE_H
#define TG_ROUTE_H

#include "bedrock.h"
#include "decision.h"
#include "http.h"
#include "policy.h"
#include "request.h"

struct tg_router;
struct tg_model;

#define ROUTE_MAX_METADATA 16

struct route_ctx {
	struct tg_req		*req;
	const struct tg_router	*router;	/* NULL: passthrough model */
	const char		*tenant;	/* borrowed from the keys table */
	char			 model_id[1024]; /* decoded modelId of the path */
	struct req_converse	 conv;
	struct tg_decision	 d;
	struct policy_decision	 pd;
	const char		*fallback;	/* router's fallback model id */
	size_t			 est_out_tokens;
	char			 reason[320];
	const char		*md_keys[ROUTE_MAX_METADATA];
	const char		*md_values[ROUTE_MAX_METADATA];
	struct tg_decision	 armed;		/* d as the journal took it */
};

/* Start rc for a request of `api` (router id, or ""): the decision as
 * route_done() records it, armed in the journal when the answer leaves.
 * route_prepare() does it; front doors that refuse a request before
 * route_prepare() call it themselves. */
void	route_start(struct route_ctx *, struct tg_req *, const char *tenant,
	    const char *api, const char *router);
/*
 * Phase 1: resolve `model_id`, parse the body as Converse and decide which
 * model to call.  Returns 0 when rc->d.chosen names the model to invoke,
 * or an HTTP status after having sent the error to the client (bad body,
 * unknown model, a policy refusal).  route_done() must be called either way.
 */
int	route_prepare(struct route_ctx *, struct tg_req *, const char *tenant,
	    const char *model_id, const char *api);
/* route_prepare() for a front door that translated its request into
 * `converse` (stolen, even on failure) instead of reading req->body. */
int	route_prepare_json(struct route_ctx *, struct tg_req *, const char *tenant,
	    const char *model_id, const char *api, json_t *converse);
/*
 * Phase 2: invoke with fallback: when the chosen model fails upstream with
 * a retryable error after its retries, the router's fallback serves.
 * Returns 0 on a 2xx answer (res holds it), -1 otherwise.
 */
int	route_invoke(struct route_ctx *, struct bedrock_call *, struct bedrock_result *);
/* Price the tokens in rc->d onto the answering model and the counterfactual. */
void	route_price(struct route_ctx *);
/* A stream's progress: d (a copy of rc->d with the tokens relayed so far)
 * priced and kept in the journal, so that a kill records what was relayed. */
void	route_progress(struct route_ctx *, struct tg_decision *d);
/* Set x-tiergate-* headers for what was decided. */
void	route_headers(struct route_ctx *);
/* Relay an upstream failure to the client in Bedrock's shape. */
void	route_upstream_error(struct route_ctx *, const struct bedrock_result *);
/*
 * Phases 2 and 3 of a buffered Converse call: invoke `body` (a Converse
 * request, borrowed) with the fallback, read usage from the answer and
 * price it.  Returns 0 with *answer, the model's answer with
 * trace.promptRouter set (new reference, caller owns), or -1 after the
 * error has been sent.  Headers are the caller's to add on success.
 */
int	route_call(struct route_ctx *, const char *body, size_t len, json_t **answer);
/* Record the decision (stats, decision log) and free what the ctx holds. */
void	route_done(struct route_ctx *);

/* POST /model/{id}/converse, start to end. */
void	route_converse(struct tg_req *, const char *tenant, const char *model_id);

#endif
