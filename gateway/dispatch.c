/*
 * dispatch.c - map one request to its handler: health, Bedrock's runtime
 * API (/model/{id}/...), Bedrock's prompt-router discovery API, OpenAI's
 * Chat Completions and models API (/v1/...), and the admin API.  Rejects
 * what no handler takes, in Bedrock's error shape (OpenAI's under /v1/),
 * and counts the runtime API's refusals (gw_refused()).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "admin.h"
#include "auth.h"
#include "config.h"
#include "declog.h"
#include "gateway.h"
#include "http.h"
#include "log.h"
#include "openai.h"
#include "policy.h"
#include "policy_whatif.h"
#include "pred.h"
#include "request.h"
#include "route.h"
#include "stats.h"
#include "stream.h"

static void
gw_healthz(struct tg_req *req)
{
	const struct pred_model *pm = req->worker->pred != NULL ?
	    pred_loader_get(req->worker->pred) : NULL;

	http_send_json(req, 200, json_pack("{s:s, s:s, s:I, s:I, s:s}",
	    "status", "ok", "version", PACKAGE_VERSION,
	    "routers", (json_int_t)req->worker->cfg->nrouters,
	    "models", (json_int_t)req->worker->cfg->nmodels,
	    "predictor", pm != NULL ? pred_model_version(pm) : "none"));
}

/* Bedrock ARN of a model id as GetPromptRouter shows it. */
static json_t *
gw_model_arn(const struct tg_config *cfg, const char *id)
{
	char	 arn[1200];

	if (strncmp(id, "arn:", 4) == 0)
		snprintf(arn, sizeof(arn), "%s", id);
	else if (strchr(id, '.') != NULL && strchr(id, '.') - id == 2)
		snprintf(arn, sizeof(arn), "arn:aws:bedrock:%s:%s:inference-profile/%s",
		    cfg->region, cfg->account_id, id);
	else
		snprintf(arn, sizeof(arn), "arn:aws:bedrock:%s::foundation-model/%s",
		    cfg->region, id);
	return json_pack("{s:s}", "modelArn", arn);
}

static json_t *
gw_router_json(const struct tg_config *cfg, const struct tg_router *r)
{
	json_t	*o, *models = json_array();
	char	 ts[32];
	struct tm tm;
	size_t	 i;

	for (i = 0; i < r->nmodels; i++)
		json_array_append_new(models, gw_model_arn(cfg, cfg->models[r->models[i]].id));
	gmtime_r(&r->created, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s, s:{s:f}, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s}",
	    "promptRouterName", r->name,
	    "routingCriteria", "responseQualityDifference", r->rqd,
	    "promptRouterArn", r->arn != NULL ? r->arn : r->id,
	    "promptRouterId", r->id,
	    "models", models,
	    "fallbackModel", gw_model_arn(cfg, cfg->models[r->fallback].id),
	    "status", "AVAILABLE", "type", "custom",
	    "createdAt", ts, "updatedAt", ts);
	if (r->description != NULL)
		json_object_set_new(o, "description", json_string(r->description));
	return o;
}

/* GET /prompt-routers (ListPromptRouters) and /prompt-routers/{arn or id}
 * (GetPromptRouter). */
static void
gw_prompt_routers(struct tg_req *req)
{
	const struct tg_config	*cfg = req->worker->cfg;
	const struct tg_router	*r;
	json_t			*list;
	char			 id[1024];
	size_t			 i;

	if (strcmp(req->path, "/prompt-routers") == 0 ||
	    strcmp(req->path, "/prompt-routers/") == 0) {
		list = json_array();
		for (i = 0; i < cfg->nrouters; i++)
			json_array_append_new(list, gw_router_json(cfg, &cfg->routers[i]));
		http_send_json(req, 200, json_pack("{s:o}", "promptRouterSummaries", list));
		return;
	}
	snprintf(id, sizeof(id), "%s", req->path + strlen("/prompt-routers/"));
	if (req_percent_decode(id) != 0 || (r = config_router(cfg, id)) == NULL) {
		http_send_error(req, 404, "ResourceNotFoundException",
		    "The prompt router was not found");
		return;
	}
	http_send_json(req, 200, gw_router_json(cfg, r));
}

/*
 * Count and log a /model/ request refused here, before routing began (the
 * router too when the path names one): route_done() does the same for
 * the refusals of the request path.
 */
static void
gw_refused(struct tg_req *req, const char *tenant, enum tg_reject why)
{
	struct tg_worker	*w = req->worker;
	const struct tg_router	*r = NULL;
	struct tg_decision	 d;
	char			 id[1024], action[64];

	memset(&d, 0, sizeof(d));
	if (req_parse_model_path(req->path, id, sizeof(id), action, sizeof(action)) == REQ_OK)
		r = config_router(w->cfg, id);
	d.time = time(NULL);
	d.request_id = req->request_id;
	d.router = r != NULL ? r->id : "";
	d.tenant = tenant;
	d.request_class = "";
	d.api = "";
	d.reason = "";
	d.status = req->status;
	d.reject = why;
	d.overhead_us = (http_now_ns() - req->t_start_ns) / 1000;
	if (w->stats != NULL)
		stats_record(w->stats, &d, d.time);
	if (w->declog != NULL && declog_write(w->declog, &d) != 0)
		log_err("request %s: could not write the decision log", req->request_id);
}

static void
gw_model(struct tg_req *req, const char *tenant)
{
	char	 id[1024], action[64];

	if (req_parse_model_path(req->path, id, sizeof(id), action, sizeof(action)) != REQ_OK) {
		http_send_error(req, 400, "ValidationException",
		    "The model identifier in the path is not valid");
		gw_refused(req, tenant, TG_RJ_MODEL_ID);
		return;
	}
	if (strcmp(action, "converse") == 0)
		route_converse(req, tenant, id);
	else if (strcmp(action, "converse-stream") == 0 || strcmp(action, "invoke") == 0 ||
	    strcmp(action, "invoke-with-response-stream") == 0)
		stream_handle(req, tenant, id, action);
	else {
		http_send_error(req, 404, "UnknownOperationException",
		    "Unknown operation '%s': tiergate serves converse, converse-stream, "
		    "invoke and invoke-with-response-stream", action);
		gw_refused(req, tenant, TG_RJ_OPERATION);
	}
}

/* The request must be authenticated, and may need its body for SigV4.
 * Returns TG_RJ_NONE, or why it was refused (the error is sent). */
static enum tg_reject
gw_authenticate(struct tg_req *req, const char **tenant)
{
	if (strcmp(req->method, "POST") == 0 && http_read_body(req) != 0)
		return req->status == 413 ? TG_RJ_BODY_SIZE : TG_RJ_BODY;
	return auth_check(auth_keyring_get(req->worker->keys), req, tenant) == AUTH_OK ?
	    TG_RJ_NONE : TG_RJ_AUTH;
}

static int
gw_method(struct tg_req *req, const char *want)
{
	if (strcmp(req->method, want) == 0)
		return 0;
	http_add_header(req, "Allow", want);
	http_send_error(req, 405, "ValidationException",
	    "Method %s is not allowed on %s; use %s", req->method, req->path, want);
	return -1;
}

/* POST /model/{id}/{operation}: every refusal on the way is counted. */
static void
gw_runtime(struct tg_req *req)
{
	const char	*tenant = "";
	enum tg_reject	 why;

	if (gw_method(req, "POST") != 0)
		gw_refused(req, "", TG_RJ_METHOD);
	else if ((why = gw_authenticate(req, &tenant)) != TG_RJ_NONE)
		gw_refused(req, "", why);
	else
		gw_model(req, tenant);
}

const char *
gw_predictor_version(struct tg_worker *w)
{
	const struct pred_model *pm = w->pred != NULL ? pred_loader_get(w->pred) : NULL;

	return pm != NULL ? pred_model_version(pm) : "none";
}

/* Versions of every router's policy, "router=version,..." (first 200 B). */
const char *
gw_policy_version(struct tg_worker *w)
{
	static __thread char	 buf[256];
	size_t			 i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < w->cfg->nrouters && o < sizeof(buf) - 1; i++)
		o += snprintf(buf + o, sizeof(buf) - o, "%s%s=%s", i ? "," : "",
		    w->cfg->routers[i].id, w->policies != NULL && w->policies[i] != NULL ?
		    policy_version(w->policies[i]) : "unloaded");
	return buf;
}

/* The what-if replays a router's own policy (gateway/policy_whatif.c). */
static const struct admin_policy_hooks gw_policy_hooks = {
	policy_whatif_open, policy_whatif_close,
};

/* /v1/...: OpenAI's API, its error shape from the first byte. */
static void
gw_openai(struct tg_req *req)
{
	const char	*tenant = "";
	int		 chat = strcmp(req->path, "/v1/chat/completions") == 0;

	if (!chat && strcmp(req->path, "/v1/models") != 0 &&
	    strncmp(req->path, "/v1/models/", 11) != 0) {
		http_send_error(req, 404, "UnknownOperationException", "No operation at "
		    "%s %s: tiergate serves POST /v1/chat/completions and GET /v1/models",
		    req->method, req->path);
		return;
	}
	if (gw_method(req, chat ? "POST" : "GET") != 0 ||
	    gw_authenticate(req, &tenant) != TG_RJ_NONE)
		return;
	oa_authenticated(req);
	if (chat)
		oa_chat_completions(req, tenant);
	else
		oa_models(req);
}

void
gw_dispatch(struct tg_req *req)
{
	const char	*tenant = "";

	if (strncmp(req->path, "/v1/", 4) == 0)
		oa_begin(req);
	if (http_header_count(req) > req->limits->max_headers) {
		http_send_error(req, 431, "ValidationException",
		    "Too many request headers (more than %zu)", req->limits->max_headers);
		if (strncmp(req->path, "/model/", 7) == 0)
			gw_refused(req, "", TG_RJ_HEADERS);
		return;
	}
	if (strcmp(req->path, "/healthz") == 0) {
		if (gw_method(req, "GET") == 0)
			gw_healthz(req);
	} else if (strncmp(req->path, "/model/", 7) == 0) {
		gw_runtime(req);
	} else if (strncmp(req->path, "/v1/", 4) == 0) {
		gw_openai(req);
	} else if (strncmp(req->path, "/prompt-routers", 15) == 0) {
		if (gw_method(req, "GET") == 0 && gw_authenticate(req, &tenant) == TG_RJ_NONE)
			gw_prompt_routers(req);
	} else if (admin_handle(req, req->worker->cfg, req->worker->stats,
	    req->worker->declog, gw_predictor_version(req->worker),
	    gw_policy_version(req->worker), &gw_policy_hooks) == 0)
		http_send_error(req, 404, "UnknownOperationException",
		    "No operation at %s %s", req->method, req->path);
}
