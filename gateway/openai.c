/*
 * openai.c - the OpenAI-compatible front door.
 *
 * POST /v1/chat/completions enters the routing path of Converse and
 * nothing else: the request is translated to a Converse request
 * (openai_req.c), route_prepare_json() validates it, resolves the model,
 * predicts and runs the policy exactly as route_prepare() does for POST
 * /model/{id}/converse,
 * route_call() (or the stream relay, openai_stream.c) invokes with the
 * fallback and prices, route_done() counts and logs.  Only the answer's
 * shape differs (openai_resp.c).  The decision's api is
 * "chat-completions" or "chat-completions-stream".
 *
 * Errors raised anywhere on that path (http.c, auth.c, route.c) reach
 * oa_error() through req->error_fn and leave in OpenAI's shape with the
 * same status; an unusable credential is a 401, as OpenAI answers it.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "gateway.h"
#include "http.h"
#include "openai.h"
#include "openai_impl.h"
#include "request.h"
#include "route.h"

int
oa_send_error(struct tg_req *req, int status, const char *type, const char *param,
    const char *code, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	req_utf8_sanitize(msg);
	return http_send_json(req, status, json_pack("{s:{s:s, s:s, s:s?, s:s?}}",
	    "error", "message", msg, "type", type, "param", param, "code", code));
}

/* http_error_fn: a Bedrock-shaped error (status, x-amzn-ErrorType name)
 * as OpenAI's type, code and param. */
static int
oa_error(struct tg_req *req, int status, const char *btype, const char *msg)
{
	const char	*type = "invalid_request_error", *code = NULL, *param = NULL;

	if (status == 401) {
		type = "authentication_error";
		code = "invalid_api_key";
	} else if (status == 403)
		type = "permission_error";
	else if (status == 404 && strcmp(btype, "ResourceNotFoundException") == 0) {
		code = "model_not_found";
		param = "model";
	} else if (status == 404)
		code = "unknown_url";
	else if (status == 429) {
		type = "rate_limit_error";
		code = "rate_limit_exceeded";
	} else if (status == 408 || status == 504) {
		type = "server_error";
		code = "timeout";
	} else if (status >= 500)
		type = "server_error";
	return oa_send_error(req, status, type, param, code, "%s", msg);
}

/* http_error_fn before authentication: a refused credential is a 401. */
static int
oa_auth_error(struct tg_req *req, int status, const char *btype, const char *msg)
{
	return oa_error(req, status == 403 ? 401 : status, btype, msg);
}

void
oa_begin(struct tg_req *req)
{
	req->error_fn = oa_auth_error;
	http_add_header(req, "x-request-id", req->request_id);
}

void
oa_authenticated(struct tg_req *req)
{
	req->error_fn = oa_error;
}

/* ---- GET /v1/models ------------------------------------------------------------- */

static json_t *
oa_router_model(const struct tg_config *cfg, const struct tg_router *r)
{
	json_t	*models = json_array();
	size_t	 i;

	for (i = 0; i < r->nmodels; i++)
		json_array_append_new(models, json_string(cfg->models[r->models[i]].id));
	return json_pack("{s:s, s:s, s:I, s:s, s:{s:s, s:o, s:s}}", "id", r->id,
	    "object", "model", "created", (json_int_t)r->created, "owned_by", "tiergate",
	    "tiergate", "type", "router", "models", models,
	    "fallback", cfg->models[r->fallback].id);
}

static json_t *
oa_plain_model(const struct tg_model *m)
{
	return json_pack("{s:s, s:s, s:i, s:s, s:{s:s}}", "id", m->id, "object", "model",
	    "created", 0, "owned_by", m->provider != NULL ? m->provider : "bedrock",
	    "tiergate", "type", "passthrough");
}

/* Every router, and the configured models when passthrough is allowed:
 * any key may call any of them (policies may still refuse a tenant). */
static json_t *
oa_model_list(const struct tg_config *cfg)
{
	json_t	*data = json_array();
	size_t	 i;

	for (i = 0; i < cfg->nrouters; i++)
		json_array_append_new(data, oa_router_model(cfg, &cfg->routers[i]));
	for (i = 0; cfg->passthrough != TG_PT_NONE && i < cfg->nmodels; i++)
		json_array_append_new(data, oa_plain_model(&cfg->models[i]));
	return json_pack("{s:s, s:o}", "object", "list", "data", data);
}

void
oa_models(struct tg_req *req)
{
	const struct tg_config	*cfg = req->worker->cfg;
	const struct tg_router	*r;
	const struct tg_model	*m = NULL;
	char			 id[1024];

	if (strcmp(req->path, "/v1/models") == 0) {
		http_send_json(req, 200, oa_model_list(cfg));
		return;
	}
	snprintf(id, sizeof(id), "%s", req->path + strlen("/v1/models/"));
	if (req_percent_decode(id) != 0)
		id[0] = '\0';
	if ((r = config_router(cfg, id)) != NULL) {
		http_send_json(req, 200, oa_router_model(cfg, r));
		return;
	}
	if (cfg->passthrough != TG_PT_NONE)
		m = config_model(cfg, id);
	if (m != NULL)
		http_send_json(req, 200, oa_plain_model(m));
	else
		oa_send_error(req, 404, "invalid_request_error", "model", "model_not_found",
		    "The model '%s' does not exist or you do not have access to it", id);
}

/* ---- POST /v1/chat/completions ----------------------------------------------------- */

void
oa_facts_init(struct oa_facts *f, const struct route_ctx *rc, const struct oa_chat *chat,
    char *idbuf, size_t idlen)
{
	memset(f, 0, sizeof(*f));
	snprintf(idbuf, idlen, "chatcmpl-%s", rc->req->request_id);
	f->id = idbuf;
	f->created = rc->d.time;
	f->model = rc->d.model != NULL ? rc->d.model : rc->d.chosen;
	f->router = rc->router != NULL ? rc->router->id : NULL;
	f->reason = rc->d.reason;
	f->json_tool = chat->json_tool;
	f->input_tokens = rc->d.input_tokens;
	f->output_tokens = rc->d.output_tokens;
	f->cache_read_tokens = rc->d.cache_read_tokens;
	f->cache_write_tokens = rc->d.cache_write_tokens;
}

/* A request refused before routing: the 400, and the decision's router
 * when the model names one, so that the record says where it was going. */
static int
oa_refuse(struct route_ctx *rc, const char *model, const char *param, const char *msg)
{
	const struct tg_router	*r = model != NULL ?
	    config_router(rc->req->worker->cfg, model) : NULL;

	rc->d.router = r != NULL ? r->id : "";
	oa_send_error(rc->req, 400, "invalid_request_error", param, NULL, "%s", msg);
	return rc->d.status = 400;
}

/* Parse and translate the body, then route_prepare_json() on the Converse
 * request, and serialise it into *body (caller frees) for the call.
 * Returns as route_prepare() does; route_done() must be called either way. */
static int
oa_prepare(struct route_ctx *rc, struct oa_chat *chat, char **body, struct tg_req *req,
    const char *tenant)
{
	char		 msg[512], model[1024];
	struct oa_fault	 f;
	json_t		*root;
	enum oa_err	 e;
	int		 st;

	route_start(rc, req, tenant, "chat-completions", "");
	if (req_parse_json(req->body, req->body_len, req->limits->max_json_depth, &root,
	    msg, sizeof(msg)) != REQ_OK)
		return oa_refuse(rc, NULL, NULL, msg);
	/* The translation frees root when it refuses: keep the model's name. */
	snprintf(model, sizeof(model), "%s", json_string_value(json_object_get(root, "model")) ?
	    json_string_value(json_object_get(root, "model")) : "");
	if ((e = oa_chat_from_json(root, chat, &f)) == OA_E_FIELD)
		return oa_refuse(rc, model, f.param[0] ? f.param : NULL, f.message);
	if (e == OA_OK && (st = route_prepare_json(rc, req, tenant, chat->model,
	    chat->stream ? "chat-completions-stream" : "chat-completions",
	    json_incref(chat->converse))) != 0)
		return st;
	if (e != OA_OK || (*body = json_dumps(chat->converse, JSON_COMPACT)) == NULL) {
		http_send_error(req, 500, "InternalServerException", "Out of memory");
		return rc->d.status = 500;
	}
	return 0;
}

static void
oa_answer(struct route_ctx *rc, const struct oa_chat *chat, const char *body)
{
	struct oa_facts	 f;
	json_t		*answer, *out;
	char		 id[64];

	if (route_call(rc, body, strlen(body), &answer) != 0)
		return;
	oa_facts_init(&f, rc, chat, id, sizeof(id));
	out = oa_completion(answer, &f);
	json_decref(answer);
	route_headers(rc);
	if (out == NULL) {
		rc->d.upstream_err = TG_UP_BAD_RESPONSE;
		http_send_error(rc->req, 502, "ServiceUnavailableException",
		    "The model's answer holds no output message");
		return;
	}
	http_send_json(rc->req, 200, out);
}

void
oa_chat_completions(struct tg_req *req, const char *tenant)
{
	struct route_ctx	 rc;
	struct oa_chat		 chat = { 0 };
	char			*body = NULL;

	if (oa_prepare(&rc, &chat, &body, req, tenant) == 0) {
		if (chat.stream)
			oa_stream(&rc, &chat, body, strlen(body));
		else
			oa_answer(&rc, &chat, body);
	}
	route_done(&rc);
	free(body);
	oa_chat_free(&chat);
}
