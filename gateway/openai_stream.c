/*
 * openai_stream.c - "stream": true: ConverseStream relayed as OpenAI's
 * server-sent events.
 *
 * Routing is route.c's, as for ConverseStream (stream.c): the request was
 * prepared by route_prepare(); route_invoke() calls the chosen model, with
 * the router's fallback when it fails before any byte; route_price(),
 * route_headers() and route_done() account.  Each event-stream frame is
 * translated to one chat.completion.chunk (or to nothing) as soon as the
 * decoder (eventstream.c, CRC-checked) completes it and goes out with the
 * other frames of the same chunk from curl: nothing waits for the end.
 * The metadata event's usage becomes the include_usage chunk; the stream
 * ends with "data: [DONE]".  An upstream error after the first byte ends
 * the stream with a data: {"error": {...}} event, which OpenAI's SDKs
 * raise as an APIError, and no [DONE].
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bedrock.h"
#include "config.h"
#include "eventstream.h"
#include "gateway.h"
#include "log.h"
#include "openai.h"
#include "openai_impl.h"
#include "route.h"
#include "stream_impl.h"

#define OA_MAX_BLOCKS	((int)(sizeof(((struct oa_sse *)0)->json_block) / sizeof(int)))

/* ---- translation (tested in tests/unit/test_openai.c) --------------------------- */

/* A chunk with one choice; steals delta. */
static json_t *
oa_sse_chunk(struct oa_sse *s, json_t *delta, const char *finish)
{
	const struct oa_facts	*f = s->facts;
	json_t			*c;

	c = json_pack("{s:s, s:s, s:I, s:s, s:[{s:i, s:o, s:n, s:s?}]}", "id", f->id,
	    "object", "chat.completion.chunk", "created", (json_int_t)f->created,
	    "model", f->model, "choices", "index", 0, "delta", delta, "logprobs",
	    "finish_reason", finish);
	if (!s->sent_first && c != NULL) {
		json_object_set_new(json_object_get(json_array_get(json_object_get(c,
		    "choices"), 0), "delta"), "role", json_string("assistant"));
		json_object_set_new(c, "tiergate", oa_extension(f));
		s->sent_first = 1;
	}
	return c;
}

static int
oa_sse_block(const json_t *payload)
{
	json_int_t	 k = json_integer_value(json_object_get(payload, "contentBlockIndex"));

	return k >= 0 && k < OA_MAX_BLOCKS ? (int)k : -1;
}

static json_t *
oa_sse_tool_start(struct oa_sse *s, const json_t *payload)
{
	const json_t	*tu = json_object_get(json_object_get(payload, "start"), "toolUse");
	const char	*name = json_string_value(json_object_get(tu, "name"));
	int		 k = oa_sse_block(payload);

	if (tu == NULL || k < 0)
		return NULL;
	if (s->facts->json_tool != NULL && name != NULL && !strcmp(name, s->facts->json_tool)) {
		s->json_block[k] = 1;
		return NULL;
	}
	s->tool_of_block[k] = ++s->ntools;
	return oa_sse_chunk(s, json_pack("{s:[{s:i, s:s?, s:s, s:{s:s?, s:s}}]}",
	    "tool_calls", "index", s->ntools - 1, "id",
	    json_string_value(json_object_get(tu, "toolUseId")), "type", "function",
	    "function", "name", name, "arguments", ""), NULL);
}

static json_t *
oa_sse_delta(struct oa_sse *s, const json_t *payload)
{
	const json_t	*d = json_object_get(payload, "delta");
	const json_t	*text = json_object_get(d, "text");
	const json_t	*input = json_object_get(json_object_get(d, "toolUse"), "input");
	int		 k = oa_sse_block(payload);

	if (json_is_string(text))
		return oa_sse_chunk(s, json_pack("{s:O}", "content", text), NULL);
	if (!json_is_string(input) || k < 0)
		return NULL;	/* reasoning and citations have no place in a chunk */
	if (s->json_block[k])
		return oa_sse_chunk(s, json_pack("{s:O}", "content", input), NULL);
	if (s->tool_of_block[k] == 0)
		return NULL;
	return oa_sse_chunk(s, json_pack("{s:[{s:i, s:{s:O}}]}", "tool_calls", "index",
	    s->tool_of_block[k] - 1, "function", "arguments", input), NULL);
}

static json_t *
oa_sse_stop(struct oa_sse *s, const json_t *payload)
{
	const char	*finish;
	int		 k, json_answer = 0;

	finish = oa_finish_reason(json_string_value(json_object_get(payload, "stopReason")));
	for (k = 0; k < OA_MAX_BLOCKS; k++)
		json_answer |= s->json_block[k];
	if (json_answer && strcmp(finish, "tool_calls") == 0)
		finish = "stop";
	s->finish = finish;
	return oa_sse_chunk(s, json_object(), finish);
}

static void
oa_sse_metadata(struct oa_sse *s, const json_t *payload)
{
	const json_t	*u = json_object_get(payload, "usage");
	json_int_t	 v[4];
	int		 i;

	v[0] = json_integer_value(json_object_get(u, "inputTokens"));
	v[1] = json_integer_value(json_object_get(u, "outputTokens"));
	v[2] = json_integer_value(json_object_get(u, "cacheReadInputTokens"));
	v[3] = json_integer_value(json_object_get(u, "cacheWriteInputTokens"));
	for (i = 0; i < 4; i++)
		v[i] = v[i] > 0 ? v[i] : 0;
	s->input_tokens = v[0];
	s->output_tokens = v[1];
	s->cache_read_tokens = v[2];
	s->cache_write_tokens = v[3];
	s->usage_seen = u != NULL;
}

void
oa_sse_event(struct oa_sse *s, const char *type, const json_t *payload, json_t **chunk)
{
	*chunk = NULL;
	if (strcmp(type, "messageStart") == 0)
		*chunk = oa_sse_chunk(s, json_pack("{s:s}", "content", ""), NULL);
	else if (strcmp(type, "contentBlockStart") == 0)
		*chunk = oa_sse_tool_start(s, payload);
	else if (strcmp(type, "contentBlockDelta") == 0)
		*chunk = oa_sse_delta(s, payload);
	else if (strcmp(type, "messageStop") == 0)
		*chunk = oa_sse_stop(s, payload);
	else if (strcmp(type, "metadata") == 0)
		oa_sse_metadata(s, payload);
}

json_t *
oa_sse_usage_chunk(const struct oa_sse *s)
{
	struct oa_facts	 f = *s->facts;

	f.input_tokens = s->input_tokens;
	f.output_tokens = s->output_tokens;
	f.cache_read_tokens = s->cache_read_tokens;
	f.cache_write_tokens = s->cache_write_tokens;
	return json_pack("{s:s, s:s, s:I, s:s, s:[], s:o}", "id", f.id, "object",
	    "chat.completion.chunk", "created", (json_int_t)f.created, "model", f.model,
	    "choices", "usage", oa_usage(&f));
}

/* ---- the relay -------------------------------------------------------------------- */

/* Failures, limits and accounting are stream.c's: an exception frame
 * before the first byte is the call's failure (stream_exception_failure(),
 * so it is retried and the fallback serves), bedrock.c counts streamed
 * bytes against max_upstream_bytes and fails a stalled stream, the call's
 * deadline is upstream.stream_max_seconds, stream_sink_data() runs the
 * transfer's phases (a decoder per attempt, route_progress() after each
 * chunk), the journal arms when the headers leave (route_start()'s hook),
 * and a stream cut short is recorded as interrupted with
 * stream_estimate_tokens(). */
struct oa_relay {
	struct stream_sink	 s;		/* decoder, begun, ended (stream_sink_data()) */
	struct route_ctx	*rc;
	const struct oa_chat	*chat;
	const struct bedrock_call *call;
	struct oa_facts		 facts;
	struct oa_sse		 sse;
	char			 id[64];
	size_t			 text_chars;	/* answer text relayed, code points */
	enum tg_upstream_err	 up_err;	/* what ended it, for the record */
};

static int
oa_relay_begin(struct oa_relay *r)
{
	struct route_ctx	*rc = r->rc;

	r->s.begun = 1;
	rc->d.model = r->call->model_id;
	r->facts.model = rc->d.model;
	/* Overhead is our time before the upstream call. */
	rc->d.upstream_us = (http_now_ns() - r->s.t_call_ns) / 1000;
	route_headers(rc);
	r->facts.reason = rc->d.reason;
	http_add_header(rc->req, "Cache-Control", "no-cache");
	http_add_header(rc->req, "X-Accel-Buffering", "no");
	return http_stream_begin(rc->req, 200, "text/event-stream");
}

/* Queue "data: JSON\n\n" (steals j); flushed once per chunk from curl. */
static int
oa_relay_put(struct oa_relay *r, json_t *j)
{
	char	*s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	int	 rc = 0;

	json_decref(j);
	if (s == NULL)
		return 0;
	if ((!r->s.begun && oa_relay_begin(r) != 0) ||
	    http_stream_put(r->rc->req, "data: ", 6) != 0 ||
	    http_stream_put(r->rc->req, s, strlen(s)) != 0 ||
	    http_stream_put(r->rc->req, "\n\n", 2) != 0)
		rc = -1;
	free(s);
	return rc;
}

/* End the client's stream with an error event; `code` is Bedrock's
 * exception name (modelStreamErrorException, ...). */
static void
oa_relay_fail(struct oa_relay *r, enum tg_upstream_err why, const char *code,
    const char *message)
{
	log_warn("request %s: stream from %s ended with %s: %s", r->rc->req->request_id,
	    r->call->model_id, code, message);
	r->s.ended = 1;
	r->up_err = why;
	if (oa_relay_put(r, json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message",
	    message, "type", "server_error", "param", "code", code)) == 0)
		http_stream_flush(r->rc->req);
}

static void
oa_relay_exception(struct oa_relay *r, const struct es_message *m)
{
	const struct es_header	*h = es_find(m, ":exception-type");
	json_t			*j = json_loadb((const char *)m->payload, m->payload_len, 0, NULL);
	const char		*msg = json_string_value(json_object_get(j, "message"));
	char			 code[64] = "internalServerException";

	if (h != NULL && h->type == ES_STRING && h->v.buf.len < sizeof(code)) {
		memcpy(code, h->v.buf.ptr, h->v.buf.len);
		code[h->v.buf.len] = '\0';
	}
	oa_relay_fail(r, stream_exception_class(m), code, msg != NULL ? msg :
	    "The model's stream ended with an error");
	json_decref(j);
}

/* stream_sink frame: translate one frame.  0, -1 to stop, or 2 when an
 * exception came before any byte reached the client (the call's failure). */
static int
oa_relay_frame(void *v, const struct es_message *m, struct bedrock_result *res)
{
	struct oa_relay		*r = v;
	const struct es_header	*mt = es_find(m, ":message-type");
	const struct es_header	*et = es_find(m, ":event-type");
	char			 type[64];
	json_t			*payload, *chunk;

	if ((es_string_is(mt, "exception") || es_string_is(mt, "error")) && !r->s.begun) {
		stream_exception_failure(m, res);
		return 2;
	}
	if (es_string_is(mt, "exception") || es_string_is(mt, "error")) {
		oa_relay_exception(r, m);
		return 0;
	}
	if (et == NULL || et->type != ES_STRING || et->v.buf.len >= sizeof(type))
		return 0;
	memcpy(type, et->v.buf.ptr, et->v.buf.len);
	type[et->v.buf.len] = '\0';
	if (strcmp(type, "contentBlockDelta") == 0)
		r->text_chars += stream_frame_chars(m, 0);
	payload = json_loadb((const char *)m->payload, m->payload_len, 0, NULL);
	oa_sse_event(&r->sse, type, payload, &chunk);
	json_decref(payload);
	return oa_relay_put(r, chunk);
}

/* The decision as a kill now would record it: interrupted, with the
 * tokens relayed so far. */
static void
oa_relay_tokens(const struct oa_relay *r, struct tg_decision *d, int interrupted)
{
	d->input_tokens = r->sse.input_tokens;
	d->output_tokens = r->sse.output_tokens;
	d->cache_read_tokens = r->sse.cache_read_tokens;
	d->cache_write_tokens = r->sse.cache_write_tokens;
	if (interrupted)
		stream_estimate_tokens(d, r->sse.usage_seen, r->rc->conv.text_chars,
		    r->text_chars);
}

/* stream_sink progress. */
static void
oa_relay_progress(void *v)
{
	struct oa_relay		*r = v;
	struct tg_decision	 d = r->rc->d;

	oa_relay_tokens(r, &d, 1);
	route_progress(r->rc, &d);
}

/* stream_sink restart: a new attempt's body begins. */
static void
oa_relay_restart(void *v)
{
	struct oa_relay		*r = v;

	memset(&r->sse, 0, sizeof(r->sse));
	r->sse.facts = &r->facts;
	r->text_chars = 0;
}

/* stream_sink broken: a frame that does not decode after the first chunk. */
static void
oa_relay_broken(void *v, const char *message)
{
	oa_relay_fail(v, TG_UP_BAD_RESPONSE, "modelStreamErrorException", message);
}

/* After the transfer: the usage chunk and [DONE] when the stream ended
 * cleanly, else an error event when nothing said so yet. */
static void
oa_relay_end(struct oa_relay *r, int failed, const struct bedrock_result *res)
{
	if (r->s.ended || r->rc->req->client_gone)
		return;
	if (failed)
		oa_relay_fail(r, res->err, res->err == TG_UP_TIMEOUT ? "modelTimeoutException" :
		    "modelStreamErrorException", res->message);
	else if (es_decoder_finish(r->s.dec) != ES_OK)
		oa_relay_fail(r, TG_UP_BAD_RESPONSE, "modelStreamErrorException",
		    "The model's stream ended in the middle of a frame");
	if (r->s.ended)
		return;
	if (r->chat->include_usage)
		oa_relay_put(r, oa_sse_usage_chunk(&r->sse));
	if (http_stream_put(r->rc->req, "data: [DONE]\n\n", 14) == 0)
		http_stream_flush(r->rc->req);
}

/* The stream started: end it and account for what the model answered,
 * whole or not. */
static void
oa_relay_finish(struct oa_relay *r, int failed, const struct bedrock_result *res)
{
	struct route_ctx	*rc = r->rc;

	if (!r->s.begun)
		oa_relay_begin(r);	/* defensive: a 2xx without a chunk is BEDROCK_DATA_BAD */
	oa_relay_end(r, failed, res);
	rc->d.upstream_err = r->up_err;
	rc->d.model = r->call->model_id;
	oa_relay_tokens(r, &rc->d, r->up_err != TG_UP_OK || rc->req->client_gone);
	route_price(rc);
	if (rc->req->client_gone)
		log_info("request %s: the client went away after %zu bytes; the "
		    "upstream transfer was stopped", rc->req->request_id, rc->req->bytes_out);
}

void
oa_stream(struct route_ctx *rc, const struct oa_chat *chat, const char *body, size_t len)
{
	struct bedrock_call	 call = { 0 };
	struct bedrock_result	 res = { 0 };
	struct oa_relay		 r = { 0 };
	int			 failed;

	r.rc = r.s.rc = rc;
	r.chat = chat;
	r.call = &call;
	r.s.frame = oa_relay_frame;
	r.s.broken = oa_relay_broken;
	r.s.progress = oa_relay_progress;
	r.s.restart = oa_relay_restart;
	r.s.ctx = &r;
	oa_facts_init(&r.facts, rc, chat, r.id, sizeof(r.id));
	r.sse.facts = &r.facts;
	call.action = "converse-stream";
	call.body = body;
	call.body_len = len;
	if ((failed = stream_sink_invoke(&r.s, &call, &res)) == -2)
		return;
	if (failed && !r.s.begun) {
		route_headers(rc);
		route_upstream_error(rc, &res);
	} else
		oa_relay_finish(&r, failed, &res);
	es_decoder_free(r.s.dec);
	bedrock_result_free(&res);
}
