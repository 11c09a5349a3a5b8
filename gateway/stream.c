/*
 * stream.c - ConverseStream, InvokeModel and InvokeModelWithResponseStream.
 *
 * Routing is route.c's: route_prepare() decides, route_invoke() calls the
 * chosen model (and the router's fallback when it fails before any byte),
 * route_price(), route_headers() and route_done() account.  What this file
 * adds:
 *
 *  - the relay: upstream event-stream frames go to the client one by one,
 *    each as soon as the decoder (eventstream.c, CRC-checked) completes it;
 *    nothing waits for the end of the stream.  On the way, the `metadata`
 *    event (ConverseStream) or the last `chunk` (InvokeModel streams, with
 *    amazon-bedrock-invocationMetrics) gives the token usage, and for a
 *    router that frame is re-encoded with the model that answered in it.
 *  - failures before the first byte reached the client (an error status,
 *    a body that is not an event stream, a first frame that does not
 *    decode or is an exception, a stall, the cap) are the call's failure:
 *    bedrock.c retries and route_invoke() falls back.  An exception frame
 *    that came first is kept, and relayed as the stream when nothing else
 *    serves.  Errors after the first byte become
 *    an exception frame, as Bedrock sends them, and the stream ends;
 *    when the client goes away the upstream transfer is stopped.
 *  - struct stream_sink (stream_impl.h) holds those rules of a transfer's
 *    phases; openai_stream.c's SSE relay runs on it too, so both relays
 *    have the same limits, fallback and accounting.
 *  - a stream lasts at most upstream.stream_max_seconds.  One cut short
 *    (by the upstream, the cap, the deadline or the client) is recorded
 *    as interrupted, with the usage frame's tokens when it was relayed,
 *    else with tokens estimated from the text relayed so far.
 *  - InvokeModel bodies are the provider's native schema.  They are sent
 *    upstream untouched; to route one, the router needs Converse-shaped
 *    facts, so stream_view() builds a small Converse-shaped view (text of
 *    system and messages, markers for images, documents and tools, the
 *    output cap) that only the predictor and the policy see.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "config.h"
#include "eventstream.h"
#include "gateway.h"
#include "log.h"
#include "route.h"
#include "stream.h"
#include "stream_impl.h"

#define ES_CTYPE	"application/vnd.amazon.eventstream"

/* One relayed stream. */
struct stream_relay {
	struct stream_sink	 s;		/* decoder, begun, ended (stream_sink_data()) */
	struct route_ctx	*rc;
	const struct bedrock_call *call;
	int			 invoke;	/* InvokeModelWithResponseStream */
	int			 usage_seen;	/* the usage frame was relayed */
	unsigned char		*held;		/* an exception that came first */
	size_t			 held_len;
	enum tg_upstream_err	 held_err;
	size_t			 text_chars;	/* answer text relayed, code points */
	enum tg_upstream_err	 up_err;	/* what ended it, for the record */
};

/* ---- pure helpers (tested in tests/unit/test_stream.c) ------------------- */

static uint64_t
stream_u64(const json_t *o, const char *k)
{
	json_int_t	 v = json_integer_value(json_object_get(o, k));

	return v > 0 ? (uint64_t)v : 0;
}

unsigned char *
stream_b64_decode(const char *s, size_t len, size_t *outlen)
{
	unsigned char	*out;
	int		 n;

	if (len % 4 != 0 || len > (size_t)1 << 30 ||
	    (out = malloc(len / 4 * 3 + 1)) == NULL)
		return NULL;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len)) < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the bytes '=' padding stands for. */
	if (len > 0 && s[len - 1] == '=')
		n--;
	if (len > 1 && s[len - 2] == '=')
		n--;
	out[n] = '\0';
	*outlen = n;
	return out;
}

char *
stream_b64_encode(const void *buf, size_t len)
{
	char	*out;

	if (len > (size_t)1 << 29 || (out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	return out;
}

/* Re-encode `m` with a new JSON payload, keeping its headers.  Steals j. */
static enum es_err
stream_reencode(const struct es_message *m, json_t *j, unsigned char **out, size_t *len)
{
	char		*s;
	enum es_err	 e;

	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s == NULL)
		return ES_E_NOMEM;
	e = es_encode(m->headers, m->nheaders, s, strlen(s), out, len);
	free(s);
	return e;
}

enum es_err
stream_metadata_frame(const struct es_message *m, const char *invoked,
    struct stream_usage *u, unsigned char **out, size_t *len)
{
	json_t	*j, *usage, *trace;

	*out = NULL;
	j = json_loadb((const char *)m->payload, m->payload_len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return ES_E_ARG;
	}
	usage = json_object_get(j, "usage");
	u->input_tokens = stream_u64(usage, "inputTokens");
	u->output_tokens = stream_u64(usage, "outputTokens");
	u->cache_read_tokens = stream_u64(usage, "cacheReadInputTokens");
	u->cache_write_tokens = stream_u64(usage, "cacheWriteInputTokens");
	u->seen = 1;
	if (invoked == NULL) {
		json_decref(j);
		return ES_OK;
	}
	if (!json_is_object(trace = json_object_get(j, "trace"))) {
		trace = json_object();
		json_object_set_new(j, "trace", trace);
	}
	json_object_set_new(trace, "promptRouter",
	    json_pack("{s:s}", "invokedModelId", invoked));
	return stream_reencode(m, j, out, len);
}

/* The decoded JSON of a chunk's {"bytes": base64} payload, or NULL. */
static json_t *
stream_chunk_inner(json_t *outer)
{
	const char	*b64 = json_string_value(json_object_get(outer, "bytes"));
	unsigned char	*raw;
	size_t		 n;
	json_t		*inner;

	if (b64 == NULL || (raw = stream_b64_decode(b64, strlen(b64), &n)) == NULL)
		return NULL;
	inner = strstr((char *)raw, "amazon-bedrock-invocationMetrics") != NULL ?
	    json_loadb((char *)raw, n, 0, NULL) : NULL;
	free(raw);
	return inner;
}

enum es_err
stream_chunk_frame(const struct es_message *m, const char *invoked,
    struct stream_usage *u, unsigned char **out, size_t *len)
{
	json_t		*outer, *inner = NULL, *im;
	char		*s = NULL, *b64 = NULL;

	*out = NULL;
	outer = json_loadb((const char *)m->payload, m->payload_len, 0, NULL);
	if ((inner = stream_chunk_inner(outer)) == NULL ||
	    !json_is_object(im = json_object_get(inner, "amazon-bedrock-invocationMetrics")))
		goto keep;
	u->input_tokens = stream_u64(im, "inputTokenCount");
	u->output_tokens = stream_u64(im, "outputTokenCount");
	u->cache_read_tokens = stream_u64(im, "cacheReadInputTokenCount");
	u->cache_write_tokens = stream_u64(im, "cacheWriteInputTokenCount");
	u->seen = 1;
	if (invoked == NULL)
		goto keep;
	json_object_set_new(inner, "amazon-bedrock-trace", json_pack("{s:{s:s}}",
	    "promptRouter", "invokedModelId", invoked));
	if ((s = json_dumps(inner, JSON_COMPACT)) == NULL ||
	    (b64 = stream_b64_encode(s, strlen(s))) == NULL)
		goto keep;
	json_object_set_new(outer, "bytes", json_string(b64));
	free(s);
	free(b64);
	json_decref(inner);
	return stream_reencode(m, outer, out, len);
keep:
	free(s);
	free(b64);
	json_decref(inner);
	json_decref(outer);
	return ES_OK;
}

enum es_err
stream_exception_frame(const char *type, const char *message,
    unsigned char **out, size_t *len)
{
	json_t		*j = json_pack("{s:s}", "message", message);
	char		*s;
	enum es_err	 e;

	s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s == NULL)
		return ES_E_NOMEM;
	e = es_encode_json("exception", type, s, strlen(s), out, len);
	free(s);
	return e;
}

enum tg_upstream_err
stream_exception_class(const struct es_message *m)
{
	const struct es_header *h = es_find(m, ":exception-type");

	if (es_string_is(h, "throttlingException"))
		return TG_UP_THROTTLED;
	if (es_string_is(h, "serviceUnavailableException"))
		return TG_UP_UNAVAILABLE;
	if (es_string_is(h, "modelTimeoutException"))
		return TG_UP_TIMEOUT;
	if (es_string_is(h, "validationException"))
		return TG_UP_CLIENT;
	return TG_UP_INTERNAL;
}

/* UTF-8 code points of a JSON string value; 0 for anything else. */
static size_t
stream_chars(const json_t *v)
{
	const char	*p = json_string_value(v);
	size_t		 n = 0;

	for (; p != NULL && *p != '\0'; p++)
		n += ((unsigned char)*p & 0xC0) != 0x80;
	return n;
}

/* Answer text in one decoded delta, whatever the schema: Converse and
 * Nova ({"delta":{"text"|"toolUse":{"input"}|"reasoningContent"}}, Nova
 * inside "contentBlockDelta"), Anthropic ({"delta":{"text"|"partial_json"}}),
 * Llama ("generation"), Mistral ("outputs":[{"text"}]). */
size_t
stream_delta_chars(const json_t *j)
{
	const json_t	*d = json_object_get(j, "delta");

	if (d == NULL)
		d = json_object_get(json_object_get(j, "contentBlockDelta"), "delta");
	return stream_chars(json_object_get(d, "text")) +
	    stream_chars(json_object_get(d, "partial_json")) +
	    stream_chars(json_object_get(json_object_get(d, "toolUse"), "input")) +
	    stream_chars(json_object_get(json_object_get(d, "reasoningContent"), "text")) +
	    stream_chars(json_object_get(j, "generation")) +
	    stream_chars(json_object_get(json_array_get(json_object_get(j, "outputs"), 0),
	    "text"));
}

/* Answer text carried by a relayed event frame (a ConverseStream
 * contentBlockDelta, or an InvokeModel stream chunk). */
size_t
stream_frame_chars(const struct es_message *m, int invoke)
{
	json_t		*j, *inner = NULL;
	const char	*b64;
	unsigned char	*raw = NULL;
	size_t		 n = 0, rawlen;

	j = json_loadb((const char *)m->payload, m->payload_len, 0, NULL);
	if (invoke && (b64 = json_string_value(json_object_get(j, "bytes"))) != NULL &&
	    (raw = stream_b64_decode(b64, strlen(b64), &rawlen)) != NULL)
		inner = json_loadb((char *)raw, rawlen, 0, NULL);
	n = stream_delta_chars(invoke ? inner : j);
	json_decref(inner);
	json_decref(j);
	free(raw);
	return n;
}

/* ---- the relay --------------------------------------------------------------- */

static int
stream_begin(struct stream_relay *sr)
{
	struct route_ctx	*rc = sr->rc;

	sr->s.begun = 1;
	rc->d.model = sr->call->model_id;
	/* Overhead is our time before the upstream call; from here on the
	 * clock runs for the model. */
	rc->d.upstream_us = (http_now_ns() - sr->s.t_call_ns) / 1000;
	route_headers(rc);
	if (sr->invoke)
		http_add_header(rc->req, "x-amzn-bedrock-content-type", "application/json");
	return http_stream_begin(rc->req, 200, ES_CTYPE);
}

/* Queue a frame for the client; stream_sink_data() flushes once per chunk
 * from curl, so frames that arrived together leave in one write. */
static int
stream_write(struct stream_relay *sr, const void *buf, size_t len)
{
	if (!sr->s.begun && stream_begin(sr) != 0)
		return -1;
	return http_stream_put(sr->rc->req, buf, len);
}

/* End the client's stream with an exception frame (Bedrock's union member
 * names: internalServerException, modelStreamErrorException, ...). */
static void
stream_fail(struct stream_relay *sr, enum tg_upstream_err why, const char *type,
    const char *message)
{
	unsigned char	*f = NULL;
	size_t		 n;

	log_warn("request %s: stream from %s ended with %s: %s", sr->rc->req->request_id,
	    sr->call->model_id, type, message);
	sr->s.ended = 1;
	sr->up_err = why;
	if (stream_exception_frame(type, message, &f, &n) == ES_OK &&
	    stream_write(sr, f, n) == 0)
		http_stream_flush(sr->rc->req);
	free(f);
}

static void
stream_usage(struct route_ctx *rc, const struct stream_usage *u)
{
	rc->d.input_tokens = u->input_tokens;
	rc->d.output_tokens = u->output_tokens;
	rc->d.cache_read_tokens = u->cache_read_tokens;
	rc->d.cache_write_tokens = u->cache_write_tokens;
}

/* The frame that carries usage: read it, and for a router re-encode it
 * with the model that answered. */
static int
stream_usage_frame(struct stream_relay *sr, const struct es_message *m)
{
	struct stream_usage	 u = { 0 };
	const char		*invoked;
	unsigned char		*f = NULL;
	size_t			 n = 0;
	enum es_err		 e;
	int			 rc;

	if (!sr->s.begun && stream_begin(sr) != 0)
		return -1;
	invoked = sr->rc->router != NULL ? sr->rc->d.model : NULL;
	e = sr->invoke ? stream_chunk_frame(m, invoked, &u, &f, &n) :
	    stream_metadata_frame(m, invoked, &u, &f, &n);
	if (u.seen) {
		stream_usage(sr->rc, &u);
		sr->usage_seen = 1;
	}
	if (e != ES_OK)
		log_warn("request %s: usage frame relayed as is: %s",
		    sr->rc->req->request_id, es_strerror(e));
	rc = f != NULL ? stream_write(sr, f, n) : stream_write(sr, m->frame, m->frame_len);
	free(f);
	return rc;
}

void
stream_exception_failure(const struct es_message *m, struct bedrock_result *res)
{
	const struct es_header	*t = es_find(m, ":exception-type");
	int			 tl = 0;
	const char		*tp = "exception";

	res->err = stream_exception_class(m);
	if (t != NULL && t->type == ES_STRING && t->v.buf.len < 64) {
		tp = (const char *)t->v.buf.ptr;
		tl = (int)t->v.buf.len;
	} else
		tl = (int)strlen(tp);
	snprintf(res->reason, sizeof(res->reason), "%s upstream (%.*s in the stream)",
	    res->err == TG_UP_THROTTLED ? "was throttled" : res->err == TG_UP_TIMEOUT ?
	    "timed out" : res->err == TG_UP_UNAVAILABLE ? "was unavailable" : "failed",
	    tl, tp);
	snprintf(res->message, sizeof(res->message), "The model's stream began with %.*s",
	    tl, tp);
}

/* An exception before any byte reached the client: keep it, and make it
 * the call's failure ("fallback: X was throttled upstream (throttling-
 * Exception in the stream)").  Returns 2, or -1 out of memory. */
static int
stream_hold(struct stream_relay *sr, const struct es_message *m, struct bedrock_result *res)
{
	free(sr->held);
	if ((sr->held = malloc(m->frame_len)) == NULL)
		return -1;
	memcpy(sr->held, m->frame, m->frame_len);
	sr->held_len = m->frame_len;
	stream_exception_failure(m, res);
	sr->held_err = res->err;
	return 2;
}

/* stream_sink frame: relay one frame.  Returns 0, -1 to stop (client
 * gone), or 2 when an exception came before any byte reached the client
 * (stream_hold()). */
static int
stream_frame(void *v, const struct es_message *m, struct bedrock_result *res)
{
	struct stream_relay	*sr = v;
	const struct es_header	*mt = es_find(m, ":message-type");
	const struct es_header	*et = es_find(m, ":event-type");

	if ((es_string_is(mt, "exception") || es_string_is(mt, "error")) && !sr->s.begun)
		return stream_hold(sr, m, res);
	if (es_string_is(mt, "exception") || es_string_is(mt, "error")) {
		sr->s.ended = 1;
		sr->up_err = stream_exception_class(m);
		return stream_write(sr, m->frame, m->frame_len);
	}
	if (es_string_is(et, sr->invoke ? "chunk" : "contentBlockDelta"))
		sr->text_chars += stream_frame_chars(m, sr->invoke);
	if (es_string_is(et, sr->invoke ? "chunk" : "metadata"))
		return stream_usage_frame(sr, m);
	return stream_write(sr, m->frame, m->frame_len);
}

void
stream_estimate_tokens(struct tg_decision *d, int usage_seen, size_t prompt_chars,
    size_t text_chars)
{
	d->interrupted = 1;
	if (usage_seen)
		return;
	d->input_tokens = prompt_chars / 4 + 1;
	d->output_tokens = (text_chars + 3) / 4;
}

static void
stream_estimate(const struct stream_relay *sr, struct tg_decision *d)
{
	stream_estimate_tokens(d, sr->usage_seen, sr->rc->conv.text_chars, sr->text_chars);
}

static void
stream_interrupted(struct stream_relay *sr)
{
	stream_estimate(sr, &sr->rc->d);
}

/* stream_sink progress: what a kill now would record, the stream as
 * interrupted with what it relayed so far. */
static void
stream_progress(void *v)
{
	struct stream_relay	*sr = v;
	struct tg_decision	 d = sr->rc->d;

	stream_estimate(sr, &d);
	route_progress(sr->rc, &d);
}

/* stream_sink restart: a new attempt's body begins. */
static void
stream_restart(void *v)
{
	struct stream_relay	*sr = v;

	free(sr->held);
	sr->held = NULL;
	sr->text_chars = 0;
}

/* stream_sink broken: a frame that does not decode after the first byte. */
static void
stream_broken(void *v, const char *message)
{
	stream_fail(v, TG_UP_BAD_RESPONSE, "internalServerException", message);
}

static int
stream_sink_frame(void *v, const struct es_message *m)
{
	struct stream_sink	*s = v;
	int			 rc;

	if ((rc = s->frame(s->ctx, m, s->res)) != 0)
		return rc;
	return s->ended ? 1 : 0;
}

static enum bedrock_data
stream_sink_push(struct stream_sink *s, const char *buf, size_t len)
{
	enum es_err		 e = ES_OK;
	char			 msg[160];
	int			 rc = 0;

	if (!s->ended)
		rc = es_decoder_each(s->dec, buf, len, stream_sink_frame, s, &e);
	if (rc == 2)
		return BEDROCK_DATA_BAD;
	if (rc < 0 && e == ES_OK)
		return BEDROCK_DATA_STOP;	/* the client went away */
	if (rc < 0) {
		log_warn("request %s: the stream from %s could not be decoded: %s",
		    s->rc->req->request_id, s->call->model_id, es_strerror(e));
		if (!s->begun)
			return BEDROCK_DATA_BAD;
		http_stream_flush(s->rc->req);
		snprintf(msg, sizeof(msg), "The model's stream could not be "
		    "decoded: %s", es_strerror(e));
		s->broken(s->ctx, msg);
		return BEDROCK_DATA_STOP;	/* nothing after a bad frame can be trusted */
	}
	if (s->begun && http_stream_flush(s->rc->req) != 0)
		return BEDROCK_DATA_STOP;
	if (s->begun)
		s->progress(s->ctx);
	if (s->rc->req->client_gone)
		return BEDROCK_DATA_STOP;
	return s->begun ? BEDROCK_DATA_SENT : BEDROCK_DATA_HELD;
}

/* A new attempt's body begins: nothing of an earlier one reached the
 * client (or there would be no new attempt), so start over. */
static enum bedrock_data
stream_sink_restart(struct stream_sink *s)
{
	es_decoder_free(s->dec);
	s->restart(s->ctx);
	s->dec = es_decoder_new(s->rc->req->limits->max_upstream_bytes);
	return s->dec != NULL ? BEDROCK_DATA_HELD : BEDROCK_DATA_STOP;
}

enum bedrock_data
stream_sink_data(void *v, enum bedrock_body phase, const char *buf, size_t len,
    struct bedrock_result *res)
{
	struct stream_sink	*s = v;

	s->res = res;
	switch (phase) {
	case BEDROCK_BODY_START:
		return stream_sink_restart(s);
	case BEDROCK_BODY_END:
		return s->begun ? BEDROCK_DATA_SENT : BEDROCK_DATA_BAD;
	default:
		return stream_sink_push(s, buf, len);
	}
}

int
stream_sink_invoke(struct stream_sink *s, struct bedrock_call *call,
    struct bedrock_result *res)
{
	struct route_ctx	*rc = s->rc;
	int			 failed;

	if ((s->dec = es_decoder_new(rc->req->limits->max_upstream_bytes)) == NULL) {
		http_send_error(rc->req, 500, "InternalServerException", "Out of memory");
		return -2;
	}
	s->call = call;
	call->accept = ES_CTYPE;
	call->on_data = stream_sink_data;
	call->ctx = s;
	s->t_call_ns = http_now_ns();
	call->deadline_ns = s->t_call_ns +
	    (uint64_t)rc->req->worker->cfg->stream_max_seconds * 1000000000;
	failed = route_invoke(rc, call, res) != 0;
	rc->d.upstream_us = res->upstream_us;
	return failed ? -1 : 0;
}

static int
stream_deadline_passed(const struct stream_relay *sr)
{
	return sr->call->deadline_ns != 0 && http_now_ns() + 2000000 >= sr->call->deadline_ns;
}

/* After the transfer: an exception frame when the stream did not end
 * cleanly and nothing said so yet. */
static void
stream_end(struct stream_relay *sr, int failed, const struct bedrock_result *res)
{
	if (sr->s.ended || sr->rc->req->client_gone)
		return;
	if (!failed) {
		if (es_decoder_finish(sr->s.dec) != ES_OK)
			stream_fail(sr, TG_UP_BAD_RESPONSE, "modelStreamErrorException",
			    "The model's stream ended in the middle of a frame");
		return;
	}
	if (res->err == TG_UP_TIMEOUT)
		stream_fail(sr, TG_UP_TIMEOUT, sr->invoke ? "modelTimeoutException" :
		    "modelStreamErrorException", stream_deadline_passed(sr) ?
		    "The model's stream exceeded upstream.stream_max_seconds" : res->message);
	else if (res->err == TG_UP_CONNECT)
		stream_fail(sr, TG_UP_CONNECT, "serviceUnavailableException", res->message);
	else if (res->err == TG_UP_BAD_RESPONSE)
		stream_fail(sr, TG_UP_BAD_RESPONSE, "modelStreamErrorException", res->message);
	else
		stream_fail(sr, res->err, "internalServerException", res->message);
}

/* The stream started (bytes came from the model): end it, and account
 * for what the model answered, whole or not. */
static void
stream_finish(struct stream_relay *sr, int failed, const struct bedrock_result *res)
{
	struct route_ctx	*rc = sr->rc;

	stream_end(sr, failed, res);
	rc->d.upstream_err = sr->up_err;
	rc->d.model = sr->call->model_id;
	if (sr->up_err != TG_UP_OK || rc->req->client_gone)
		stream_interrupted(sr);
	route_price(rc);
	if (rc->req->client_gone)
		log_info("request %s: the client went away after %zu bytes; the "
		    "upstream transfer was stopped", rc->req->request_id, rc->req->bytes_out);
}

/* Nothing served, and the last model's stream began with an exception:
 * that is the stream the client gets, as Bedrock sent it. */
static void
stream_relay_held(struct stream_relay *sr, const struct bedrock_result *res)
{
	sr->s.ended = 1;
	sr->up_err = sr->held_err;
	if (stream_write(sr, sr->held, sr->held_len) == 0)
		http_stream_flush(sr->rc->req);
	stream_finish(sr, 1, res);
}

/* Call the chosen model and relay its event stream; rc was prepared. */
static void
stream_relay(struct route_ctx *rc, const char *action, int invoke)
{
	struct bedrock_call	 call = { 0 };
	struct bedrock_result	 res = { 0 };
	struct stream_relay	 sr = { 0 };
	int			 failed;

	sr.rc = sr.s.rc = rc;
	sr.call = &call;
	sr.invoke = invoke;
	sr.s.frame = stream_frame;
	sr.s.broken = stream_broken;
	sr.s.progress = stream_progress;
	sr.s.restart = stream_restart;
	sr.s.ctx = &sr;
	call.action = action;
	call.body = rc->req->body;
	call.body_len = rc->req->body_len;
	if ((failed = stream_sink_invoke(&sr.s, &call, &res)) == -2)
		return;
	if (failed && !sr.s.begun && sr.held != NULL)
		stream_relay_held(&sr, &res);
	else if (failed && !sr.s.begun) {
		route_headers(rc);
		route_upstream_error(rc, &res);
	} else
		stream_finish(&sr, failed, &res);
	es_decoder_free(sr.s.dec);
	free(sr.held);
	bedrock_result_free(&res);
}

/* ---- InvokeModel ----------------------------------------------------------- */

/* Append Converse blocks for a native content value: a string, or blocks
 * of the Anthropic ({"type":"text","text"}, image, document, tool_use,
 * tool_result) or Nova ({"text"}, {"image"}, ...) kind.  Non-text blocks
 * become empty markers ({"image":{}}) that only say they are there. */
static void
stream_view_blocks(const json_t *c, json_t *out)
{
	const json_t	*b;
	const char	*t, *mark;
	size_t		 i;

	if (json_is_string(c)) {
		json_array_append_new(out, json_pack("{s:O}", "text", c));
		return;
	}
	json_array_foreach(c, i, b) {
		t = json_string_value(json_object_get(b, "type"));
		mark = NULL;
		if (json_is_string(json_object_get(b, "text")))
			json_array_append_new(out, json_pack("{s:O}", "text",
			    json_object_get(b, "text")));
		else if ((t && !strcmp(t, "image")) || json_object_get(b, "image") ||
		    json_object_get(b, "video"))
			mark = "image";
		else if ((t && !strcmp(t, "document")) || json_object_get(b, "document"))
			mark = "document";
		else if ((t && !strcmp(t, "tool_use")) || json_object_get(b, "toolUse"))
			mark = "toolUse";
		else if ((t && !strcmp(t, "tool_result")) || json_object_get(b, "toolResult"))
			mark = "toolResult";
		if (mark != NULL)
			json_array_append_new(out, json_pack("{s:{}}", mark));
	}
}

static json_t *
stream_view_messages(const json_t *native)
{
	const json_t	*ms = json_object_get(native, "messages"), *m;
	const char	*role, *prompt;
	json_t		*out = json_array(), *content;
	size_t		 i;

	json_array_foreach(ms, i, m) {
		role = json_string_value(json_object_get(m, "role"));
		content = json_array();
		stream_view_blocks(json_object_get(m, "content"), content);
		json_array_append_new(out, json_pack("{s:s, s:o}", "role",
		    role != NULL && strcmp(role, "assistant") == 0 ? "assistant" : "user",
		    "content", content));
	}
	if (json_array_size(out) > 0)
		return out;
	/* Prompt-completion schemas: Llama, Mistral, Cohere ("prompt"),
	 * Titan ("inputText"). */
	if ((prompt = json_string_value(json_object_get(native, "prompt"))) == NULL &&
	    (prompt = json_string_value(json_object_get(native, "inputText"))) == NULL)
		prompt = "";
	json_array_append_new(out, json_pack("{s:s, s:[{s:s}]}", "role", "user",
	    "content", "text", prompt));
	return out;
}

/* The native body's output cap, whatever the provider calls it; 0: none. */
static json_int_t
stream_view_max_tokens(const json_t *n)
{
	const json_t	*v;

	if ((v = json_object_get(n, "max_tokens")) == NULL &&
	    (v = json_object_get(n, "max_gen_len")) == NULL &&
	    (v = json_object_get(json_object_get(n, "inferenceConfig"), "max_new_tokens")) == NULL)
		v = json_object_get(json_object_get(n, "textGenerationConfig"), "maxTokenCount");
	return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 0;
}

json_t *
stream_view(const json_t *native)
{
	json_t		*view, *sys = json_array(), *tools;
	const json_t	*s = json_object_get(native, "system");
	json_int_t	 max = stream_view_max_tokens(native);
	size_t		 i, ntools;

	stream_view_blocks(s, sys);
	view = json_pack("{s:o, s:o}", "messages", stream_view_messages(native),
	    "system", sys);
	if (max > 0)
		json_object_set_new(view, "inferenceConfig", json_pack("{s:I}", "maxTokens", max));
	tools = json_object_get(native, "tools");
	if (tools == NULL)
		tools = json_object_get(json_object_get(native, "toolConfig"), "tools");
	if ((ntools = json_array_size(tools)) > 0 || json_object_get(native, "toolConfig")) {
		json_object_set_new(view, "toolConfig", json_pack("{s:[]}", "tools"));
		for (i = 0; i < ntools; i++)
			json_array_append_new(json_object_get(json_object_get(view,
			    "toolConfig"), "tools"), json_object());
	}
	return view;
}

/* The provider shared by every model of `r`, or NULL with the first two
 * that differ in a and b. */
const char *
stream_router_provider(const struct tg_config *cfg, const struct tg_router *r,
    const char **a, const char **b)
{
	const char	*p0 = cfg->models[r->models[0]].provider, *p;
	size_t		 i;

	for (i = 1; i < r->nmodels; i++) {
		p = cfg->models[r->models[i]].provider;
		if (strcmp(p, p0) != 0) {
			*a = p0;
			*b = p;
			return NULL;
		}
	}
	p = cfg->models[r->fallback].provider;
	if (strcmp(p, p0) != 0) {
		*a = p0;
		*b = p;
		return NULL;
	}
	return p0;
}

/* route_prepare() on the Converse-shaped view of `native` (borrowed),
 * with the native body put back into req->body afterwards. */
static int
stream_prepare_view(struct route_ctx *rc, struct tg_req *req, const char *tenant,
    const char *model_id, const char *api, const json_t *native)
{
	json_t	*view_json = stream_view(native);
	char	*view, *body = req->body;
	size_t	 body_len = req->body_len;
	int	 st;

	view = json_dumps(view_json, JSON_COMPACT);
	json_decref(view_json);
	if (view == NULL) {
		route_start(rc, req, tenant, api, "");
		http_send_error(req, 500, "InternalServerException", "Out of memory");
		return 500;
	}
	req->body = view;
	req->body_len = strlen(view);
	st = route_prepare(rc, req, tenant, model_id, api);
	req->body = body;
	req->body_len = body_len;
	free(view);
	return st;
}

/*
 * route_prepare() for a native body: validate it as JSON (size was capped
 * when it was read), refuse a router whose models need different native
 * schemas, then let route_prepare() run on the Converse-shaped view.  The
 * native body is back in req->body when this returns.  Returns as
 * route_prepare() does; route_done() must be called either way.
 */
static int
stream_prepare_invoke(struct route_ctx *rc, struct tg_req *req, const char *tenant,
    const char *model_id, const char *api)
{
	const struct tg_config	*cfg = req->worker->cfg;
	const struct tg_router	*r = config_router(cfg, model_id);
	const char		*pa = NULL, *pb = NULL;
	json_t			*native = NULL;
	char			 msg[512];
	int			 st;

	if (req_parse_json(req->body, req->body_len, req->limits->max_json_depth,
	    &native, msg, sizeof(msg)) != REQ_OK) {
		route_start(rc, req, tenant, api, r != NULL ? r->id : "");
		rc->d.reject = TG_RJ_VALIDATION;
		http_send_error(req, 400, "ValidationException", "%s", msg);
		return 400;
	}
	if (r != NULL && stream_router_provider(cfg, r, &pa, &pb) == NULL) {
		json_decref(native);
		route_start(rc, req, tenant, api, r->id);
		rc->d.reject = TG_RJ_VALIDATION;
		http_send_error(req, 400, "ValidationException", "router %s mixes "
		    "providers %s, %s: InvokeModel needs one native body schema; use "
		    "Converse", r->id, pa, pb);
		return 400;
	}
	st = stream_prepare_view(rc, req, tenant, model_id, api, native);
	json_decref(native);
	return st;
}

/* POST /model/{id}/invoke: the native answer, usage from Bedrock's token
 * count headers; for a router, the answering model is added under
 * "amazon-bedrock-trace" (where Bedrock puts traces in native bodies) as
 * {"promptRouter":{"invokedModelId":...}}. */
static void
stream_invoke_answer(struct route_ctx *rc, const struct bedrock_result *res)
{
	json_t	*j;

	rc->d.input_tokens = strtoull(res->input_tokens_hdr, NULL, 10);
	rc->d.output_tokens = strtoull(res->output_tokens_hdr, NULL, 10);
	route_price(rc);
	route_headers(rc);
	if (res->input_tokens_hdr[0] != '\0')
		http_add_header(rc->req, "x-amzn-bedrock-input-token-count", res->input_tokens_hdr);
	if (res->output_tokens_hdr[0] != '\0')
		http_add_header(rc->req, "x-amzn-bedrock-output-token-count", res->output_tokens_hdr);
	if (rc->router == NULL) {
		http_send_raw(rc->req, 200, "application/json", res->body != NULL ?
		    res->body : "", res->body_len);
		return;
	}
	j = json_incref(res->json);
	json_object_set_new(j, "amazon-bedrock-trace", json_pack("{s:{s:s}}",
	    "promptRouter", "invokedModelId", rc->d.model));
	http_send_json(rc->req, 200, j);
}

static void
stream_invoke(struct route_ctx *rc)
{
	struct bedrock_call	 call = { 0 };
	struct bedrock_result	 res = { 0 };

	call.action = "invoke";
	call.body = rc->req->body;
	call.body_len = rc->req->body_len;
	if (route_invoke(rc, &call, &res) != 0) {
		rc->d.upstream_us = res.upstream_us;
		route_headers(rc);
		route_upstream_error(rc, &res);
	} else {
		rc->d.upstream_us = res.upstream_us;
		stream_invoke_answer(rc, &res);
	}
	bedrock_result_free(&res);
}

void
stream_handle(struct tg_req *req, const char *tenant, const char *model_id,
    const char *action)
{
	struct route_ctx	 rc;
	int			 st;

	if (strcmp(action, "converse-stream") == 0)
		st = route_prepare(&rc, req, tenant, model_id, "converse-stream");
	else
		st = stream_prepare_invoke(&rc, req, tenant, model_id, action);
	if (st != 0)
		goto done;
	if (strcmp(action, "invoke") == 0)
		stream_invoke(&rc);
	else
		stream_relay(&rc, action, strcmp(action, "converse-stream") != 0);
done:
	route_done(&rc);
}
