/*
 * bedrock.c - calls to Bedrock Runtime.  The only file that opens network
 * connections.  Every byte that comes back, buffered or streamed, is
 * counted against limits.max_upstream_bytes before it is used.
 *
 * Transfers run on one multi handle per client: curl_multi_poll() sleeps
 * exactly until the next thing to check (curl's own timers, or when a
 * stream's silence reaches timeout_ms), so every limit fires on time.
 * The body goes out through a read callback whose seek callback is how
 * libcurl asks to send a request again by itself (a reused connection
 * that died before answering): the replay is allowed and counted as an
 * attempt while the retry budget lasts, refused after, so that `attempts`
 * is the number of requests sent and never exceeds retries + 1.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/rand.h>

#include "bedrock.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "request.h"

#define BEDROCK_ES_CTYPE	"application/vnd.amazon.eventstream"

struct bedrock_client {
	CURLM			*multi;		/* holds the connection cache */
	CURL			*curl;
	const struct tg_config	*cfg;
	const struct bedrock_auth *auth;
	char			 base[512];	/* scheme://host[:port][/prefix] */
	char			 host[256];	/* Host header value */
	char			 prefix[256];	/* path prefix of the endpoint, "" usually */
};

/* What one attempt collects while curl runs. */
struct bedrock_xfer {
	struct bedrock_client	*c;
	const struct bedrock_call *call;
	struct bedrock_result	*res;
	char			*buf;
	size_t			 len, cap, limit;
	size_t			 sent;		/* request body bytes read by curl */
	size_t			 streamed;	/* body bytes handed to on_data */
	char			 ctype[96];	/* response Content-Type */
	int			 too_big;
	int			 aborted;	/* on_data said STOP */
	int			 bad;		/* on_data said BAD */
	struct {			/* ... and why, if it said */
		enum tg_upstream_err err;
		char		 reason[96];
		char		 message[512];
	}			 why;
	int			 not_stream;	/* a 2xx stream that is not one */
	int			 started;	/* BEDROCK_BODY_START was sent */
	int			 stalled;
	int			 replay_refused;
	uint64_t		 last_data_ns;	/* streams: when bytes last came */
	long			 status;
};

static int
bedrock_parse_endpoint(struct bedrock_client *c)
{
	const struct tg_config *cfg = c->cfg;
	const char	*p, *hostp, *slash;

	if (cfg->endpoint == NULL) {
		snprintf(c->host, sizeof(c->host), "bedrock-runtime.%s.amazonaws.com",
		    cfg->region);
		snprintf(c->base, sizeof(c->base), "https://");
		c->prefix[0] = '\0';
		return 0;
	}
	p = cfg->endpoint;
	hostp = strstr(p, "://") + 3;
	slash = strchr(hostp, '/');
	if ((size_t)(slash ? slash - hostp : (ptrdiff_t)strlen(hostp)) >= sizeof(c->host))
		return -1;
	snprintf(c->host, sizeof(c->host), "%.*s",
	    (int)(slash ? slash - hostp : (ptrdiff_t)strlen(hostp)), hostp);
	snprintf(c->prefix, sizeof(c->prefix), "%s", slash ? slash : "");
	if (c->prefix[0] != '\0' && c->prefix[strlen(c->prefix) - 1] == '/')
		c->prefix[strlen(c->prefix) - 1] = '\0';
	snprintf(c->base, sizeof(c->base), "%.*s", (int)(hostp - p), p);
	return 0;
}

struct bedrock_client *
bedrock_new(const struct tg_config *cfg, const struct bedrock_auth *auth)
{
	struct bedrock_client	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->cfg = cfg;
	c->auth = auth;
	if (bedrock_parse_endpoint(c) != 0 || (c->curl = curl_easy_init()) == NULL ||
	    (c->multi = curl_multi_init()) == NULL) {
		bedrock_free(c);
		return NULL;
	}
	return c;
}

void
bedrock_free(struct bedrock_client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	free(c);
}

long
bedrock_backoff_ms(long base, long cap, int attempt, double r)
{
	double	 ceiling = base;
	int	 i;

	for (i = 1; i < attempt && ceiling < cap; i++)
		ceiling *= 2;
	if (ceiling > cap)
		ceiling = cap;
	return (long)(r * ceiling);
}

static double
bedrock_uniform(void)
{
	uint32_t	 r;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)random();
	return r / 4294967296.0;
}

/* Hand one phase of a streamed body to on_data; 0 to go on, -1 to stop
 * the transfer (x says why). */
static int
bedrock_sink(struct bedrock_xfer *x, enum bedrock_body phase, const char *p, size_t len)
{
	x->res->reason[0] = '\0';
	switch (x->call->on_data(x->call->ctx, phase, p, len, x->res)) {
	case BEDROCK_DATA_SENT:
		x->res->committed = 1;
		return 0;
	case BEDROCK_DATA_HELD:
		return 0;
	case BEDROCK_DATA_BAD:
		x->bad = 1;
		x->why.err = x->res->err;
		snprintf(x->why.reason, sizeof(x->why.reason), "%s", x->res->reason);
		snprintf(x->why.message, sizeof(x->why.message), "%s", x->res->message);
		return -1;
	default:
		x->aborted = 1;
		return -1;
	}
}

/* A chunk of a 2xx streamed body: capped, and only an event stream. */
static size_t
bedrock_on_stream(struct bedrock_xfer *x, const char *p, size_t len)
{
	if (x->streamed + len > x->limit) {
		x->too_big = 1;
		return 0;
	}
	if (!x->started) {
		if (strncasecmp(x->ctype, BEDROCK_ES_CTYPE, strlen(BEDROCK_ES_CTYPE)) != 0) {
			x->not_stream = 1;
			return 0;
		}
		x->started = 1;
		if (bedrock_sink(x, BEDROCK_BODY_START, NULL, 0) != 0)
			return 0;
	}
	x->streamed += len;
	x->res->delivered = x->streamed;
	return bedrock_sink(x, BEDROCK_BODY_DATA, p, len) == 0 ? len : 0;
}

static size_t
bedrock_on_body(char *p, size_t sz, size_t n, void *v)
{
	struct bedrock_xfer *x = v;
	size_t		 len = sz * n, ncap;
	char		*nb;

	if (x->status == 0)
		curl_easy_getinfo(x->c->curl, CURLINFO_RESPONSE_CODE, &x->status);
	x->last_data_ns = http_now_ns();
	if (x->call->on_data != NULL && x->status >= 200 && x->status < 300)
		return bedrock_on_stream(x, p, len);
	if (x->len + len > x->limit) {
		x->too_big = 1;
		return 0;
	}
	if (x->len + len + 1 > x->cap) {
		ncap = x->cap ? x->cap : 16384;
		while (ncap < x->len + len + 1)
			ncap *= 2;
		if ((nb = realloc(x->buf, ncap)) == NULL)
			return 0;
		x->buf = nb;
		x->cap = ncap;
	}
	memcpy(x->buf + x->len, p, len);
	x->len += len;
	x->buf[x->len] = '\0';
	return len;
}

static size_t
bedrock_on_read(char *buf, size_t sz, size_t n, void *v)
{
	struct bedrock_xfer *x = v;
	size_t		 left = x->call->body_len - x->sent;
	size_t		 k = sz * n < left ? sz * n : left;

	memcpy(buf, x->call->body + x->sent, k);
	x->sent += k;
	return k;
}

static int
bedrock_past_deadline(const struct bedrock_call *call, uint64_t margin_ns)
{
	return call->deadline_ns != 0 && http_now_ns() + margin_ns >= call->deadline_ns;
}

/* libcurl rewinds the body only to send the request again by itself: a
 * replay is one more attempt, allowed while the retry budget lasts. */
static int
bedrock_on_seek(void *v, curl_off_t off, int origin)
{
	struct bedrock_xfer *x = v;

	if (off == 0 && origin == SEEK_SET && x->sent == 0)
		return CURL_SEEKFUNC_OK;	/* nothing was sent: not a replay */
	if (off != 0 || origin != SEEK_SET || x->res->attempts > x->c->cfg->retries ||
	    bedrock_past_deadline(x->call, 0)) {
		x->replay_refused = 1;
		return CURL_SEEKFUNC_CANTSEEK;
	}
	x->res->attempts++;
	x->sent = 0;
	log_debug("libcurl sends %s again on a new connection, attempt %d",
	    x->call->model_id, x->res->attempts);
	return CURL_SEEKFUNC_OK;
}

static void
bedrock_copy_hdr(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
	size_t	 n = strlen(name), vl;

	if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return;
	line += n + 1;
	len -= n + 1;
	while (len > 0 && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	vl = len < outlen - 1 ? len : outlen - 1;
	memcpy(out, line, vl);
	out[vl] = '\0';
}

static size_t
bedrock_on_header(char *p, size_t sz, size_t n, void *v)
{
	struct bedrock_xfer *x = v;
	size_t		 len = sz * n;

	bedrock_copy_hdr(p, len, "Content-Type", x->ctype, sizeof(x->ctype));
	bedrock_copy_hdr(p, len, "x-amzn-ErrorType", x->res->error_type,
	    sizeof(x->res->error_type));
	/* Bedrock sends "ThrottlingException:http://internal.amazon.com/...". */
	x->res->error_type[strcspn(x->res->error_type, ":")] = '\0';
	bedrock_copy_hdr(p, len, "x-amzn-bedrock-input-token-count",
	    x->res->input_tokens_hdr, sizeof(x->res->input_tokens_hdr));
	bedrock_copy_hdr(p, len, "x-amzn-bedrock-output-token-count",
	    x->res->output_tokens_hdr, sizeof(x->res->output_tokens_hdr));
	return len;
}

/* Request headers for one attempt; signed afresh each time (the date). */
static struct curl_slist *
bedrock_headers(struct bedrock_client *c, const struct bedrock_call *call,
    const char *wire_path)
{
	struct curl_slist	*h = NULL;
	struct sigv4_result	 sig;
	struct sigv4_request	 sr = { "POST", c->host, wire_path, NULL,
	    "application/json", call->body, call->body_len };
	char			 line[SIGV4_TOKEN_MAX + 64];

	snprintf(line, sizeof(line), "Host: %s", c->host);
	h = curl_slist_append(h, line);
	h = curl_slist_append(h, "Content-Type: application/json");
	snprintf(line, sizeof(line), "Accept: %s", call->accept ? call->accept :
	    "application/json");
	h = curl_slist_append(h, line);
	h = curl_slist_append(h, "Expect:");
	if (c->auth->bearer != NULL) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", c->auth->bearer);
		h = curl_slist_append(h, line);
		explicit_bzero(line, sizeof(line));
		return h;
	}
	if (sigv4_sign(&c->auth->sigv4, c->cfg->region, "bedrock", &sr, time(NULL),
	    &sig) != SIGV4_OK) {
		curl_slist_free_all(h);
		return NULL;
	}
	h = curl_slist_append(h, sig.authorization);
	h = curl_slist_append(h, sig.amz_date);
	h = curl_slist_append(h, sig.content_sha256);
	if (sig.security_token[0] != '\0')
		h = curl_slist_append(h, sig.security_token);
	explicit_bzero(&sig, sizeof(sig));
	return h;
}

static enum tg_upstream_err
bedrock_classify(long status, const char *type)
{
	if (status >= 200 && status < 300)
		return TG_UP_OK;
	if (status == 429)
		return strstr(type, "ModelNotReady") ? TG_UP_UNAVAILABLE : TG_UP_THROTTLED;
	if (status == 408)
		return TG_UP_TIMEOUT;
	if (status == 503)
		return TG_UP_UNAVAILABLE;
	if (status >= 500)
		return TG_UP_INTERNAL;
	return TG_UP_CLIENT;
}

static int
bedrock_retryable(const struct bedrock_result *res)
{
	if (res->committed)
		return 0;	/* bytes reached the client: never replay */
	switch (res->err) {
	case TG_UP_THROTTLED:
	case TG_UP_UNAVAILABLE:
	case TG_UP_CONNECT:
		return 1;
	case TG_UP_INTERNAL:
		return res->status == 500 || res->status == 0;
	default:
		return 0;	/* 408 ModelTimeout, 4xx, bad bodies */
	}
}

/* The transfer's time limit in ms: timeout_ms for one answer, until the
 * deadline (or an hour) for a stream, never past the deadline. */
static long
bedrock_timeout_ms(const struct bedrock_client *c, const struct bedrock_call *call)
{
	uint64_t	 now = http_now_ns(), left;
	long		 ms = call->on_data == NULL ? c->cfg->timeout_ms : 3600000L;

	if (call->deadline_ns == 0)
		return ms;
	left = call->deadline_ns > now ? (call->deadline_ns - now + 999999) / 1000000 : 1;
	return left < (uint64_t)ms ? (long)left : ms;
}

static void
bedrock_setup(struct bedrock_client *c, struct bedrock_xfer *x, const char *url,
    struct curl_slist *h)
{
	CURL	*k = c->curl;

	curl_easy_reset(k);
	curl_easy_setopt(k, CURLOPT_URL, url);
	curl_easy_setopt(k, CURLOPT_POST, 1L);
	curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->call->body_len);
	curl_easy_setopt(k, CURLOPT_READFUNCTION, bedrock_on_read);
	curl_easy_setopt(k, CURLOPT_READDATA, x);
	curl_easy_setopt(k, CURLOPT_SEEKFUNCTION, bedrock_on_seek);
	curl_easy_setopt(k, CURLOPT_SEEKDATA, x);
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, bedrock_on_body);
	curl_easy_setopt(k, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, bedrock_on_header);
	curl_easy_setopt(k, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT_MS, c->cfg->connect_timeout_ms);
	/* A stream may rightly last longer than one answer's timeout: it
	 * fails when no byte came for timeout_ms (bedrock_perform() watches),
	 * or at the deadline. */
	x->last_data_ns = http_now_ns();
	curl_easy_setopt(k, CURLOPT_TIMEOUT_MS, bedrock_timeout_ms(c, x->call));
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(k, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(k, CURLOPT_USERAGENT, "tiergate/" PACKAGE_VERSION);
	curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(k, CURLOPT_ACCEPT_ENCODING, "");
}

static void
bedrock_fail(struct bedrock_result *res, enum tg_upstream_err err, const char *reason,
    const char *message)
{
	res->err = err;
	snprintf(res->reason, sizeof(res->reason), "%s", reason);
	snprintf(res->message, sizeof(res->message), "%s", message);
}

/* Map a failed 2xx stream (not an event stream, refused by on_data). */
static int
bedrock_stream_error(struct bedrock_xfer *x)
{
	if (x->not_stream)
		bedrock_fail(x->res, TG_UP_BAD_RESPONSE, "sent a response that is not an "
		    "event stream", "The model's response was not an event stream");
	else if (x->bad && x->why.reason[0] != '\0')
		bedrock_fail(x->res, x->why.err, x->why.reason, x->why.message);
	else if (x->bad)
		bedrock_fail(x->res, TG_UP_BAD_RESPONSE, "sent a stream that could not "
		    "be decoded", "The model's stream could not be decoded");
	else
		return 0;
	return 1;
}

/* Map a curl failure of one attempt onto the result. */
static void
bedrock_transport_error(struct bedrock_xfer *x, CURLcode rc)
{
	struct bedrock_result *res = x->res;
	char		 m[sizeof(res->message)];

	if (x->too_big) {
		snprintf(m, sizeof(m), "The model's response exceeded the gateway "
		    "limit of %zu bytes", x->limit);
		bedrock_fail(res, TG_UP_BAD_RESPONSE, "sent more than max_upstream_bytes", m);
	} else if (bedrock_stream_error(x))
		return;
	else if (rc == CURLE_OPERATION_TIMEDOUT || x->stalled) {
		if (x->stalled)
			snprintf(m, sizeof(m), "The model sent nothing for %ld ms",
			    x->c->cfg->timeout_ms);
		else
			snprintf(m, sizeof(m), "The model did not answer %s",
			    bedrock_past_deadline(x->call, 2000000) ?
			    "within the request's deadline" : "in time");
		bedrock_fail(res, TG_UP_TIMEOUT, "timed out upstream", m);
	} else if (rc == CURLE_PARTIAL_FILE || (rc == CURLE_RECV_ERROR && x->status != 0)) {
		snprintf(m, sizeof(m), "The model's response was truncated (%s)",
		    curl_easy_strerror(rc));
		bedrock_fail(res, TG_UP_BAD_RESPONSE, "sent a truncated response", m);
	} else {
		snprintf(m, sizeof(m), "Could not reach Bedrock: %s", x->replay_refused ?
		    "the connection was reset before an answer" : curl_easy_strerror(rc));
		bedrock_fail(res, TG_UP_CONNECT, "could not be reached upstream", m);
	}
}

/* Milliseconds the transfer loop may sleep: until a stream's silence
 * reaches timeout_ms, at most a second (curl_multi_poll() wakes earlier
 * for curl's own timers). */
static int
bedrock_wait_ms(const struct bedrock_xfer *x)
{
	uint64_t	 now = http_now_ns(), limit;

	if (x->call->on_data == NULL)
		return 1000;
	limit = x->last_data_ns + (uint64_t)x->c->cfg->timeout_ms * 1000000;
	if (now >= limit)
		return 0;
	return limit - now >= 1000000000 ? 1000 : (int)((limit - now + 999999) / 1000000);
}

static int
bedrock_stalled(const struct bedrock_xfer *x)
{
	return x->call->on_data != NULL &&
	    http_now_ns() - x->last_data_ns >= (uint64_t)x->c->cfg->timeout_ms * 1000000;
}

/* Run the transfer on the client's multi handle; returns its curl code
 * (CURLE_OPERATION_TIMEDOUT with x->stalled when a stream went silent). */
static CURLcode
bedrock_perform(struct bedrock_client *c, struct bedrock_xfer *x)
{
	CURLcode	 rc = CURLE_FAILED_INIT;
	CURLMsg		*m;
	int		 running = 1, left;

	if (curl_multi_add_handle(c->multi, c->curl) != CURLM_OK)
		return rc;
	while (curl_multi_perform(c->multi, &running) == CURLM_OK && running > 0) {
		if (bedrock_stalled(x)) {
			x->stalled = 1;
			rc = CURLE_OPERATION_TIMEDOUT;
			break;
		}
		if (curl_multi_poll(c->multi, NULL, 0, bedrock_wait_ms(x), NULL) != CURLM_OK)
			break;
	}
	while ((m = curl_multi_info_read(c->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE && running == 0)
			rc = m->data.result;
	curl_multi_remove_handle(c->multi, c->curl);
	return rc;
}

/* A streamed 2xx transfer that completed: an event stream, not empty,
 * that on_data accepts whole. */
static void
bedrock_check_stream(struct bedrock_xfer *x)
{
	if (!x->started && strncasecmp(x->ctype, BEDROCK_ES_CTYPE,
	    strlen(BEDROCK_ES_CTYPE)) != 0)
		x->not_stream = 1;
	else if (!x->started)
		bedrock_fail(x->res, TG_UP_BAD_RESPONSE, "sent an empty stream",
		    "The model's stream ended before its first event");
	else if (bedrock_sink(x, BEDROCK_BODY_END, NULL, 0) != 0 && x->aborted)
		bedrock_fail(x->res, TG_UP_CONNECT, "lost its client", "The client went away");
	if (x->res->err == TG_UP_OK)
		bedrock_stream_error(x);
}

/* A buffered 2xx transfer that completed: a JSON object (res->json). */
static void
bedrock_check_json(struct bedrock_result *res)
{
	res->json = json_loadb(res->body != NULL ? res->body : "", res->body_len, 0, NULL);
	if (json_is_object(res->json))
		return;
	json_decref(res->json);
	res->json = NULL;
	bedrock_fail(res, TG_UP_BAD_RESPONSE, "sent a response that is not JSON",
	    "The model's response was not valid JSON");
}

/* "failed upstream (HTTP 500 InternalServerException)" and the like. */
static void
bedrock_http_reason(struct bedrock_result *res)
{
	const char	*what = res->err == TG_UP_THROTTLED ? "was throttled" :
	    res->err == TG_UP_TIMEOUT ? "timed out" :
	    res->err == TG_UP_UNAVAILABLE ? "was unavailable" : "failed";

	snprintf(res->reason, sizeof(res->reason), "%s upstream (HTTP %d%s%s)", what,
	    res->status, res->error_type[0] ? " " : "", res->error_type);
}

/* What one finished attempt amounts to: err, reason and message. */
static void
bedrock_outcome(struct bedrock_xfer *x, CURLcode rc)
{
	struct bedrock_result *res = x->res;

	res->err = TG_UP_OK;
	res->reason[0] = '\0';
	if (x->aborted)
		bedrock_fail(res, TG_UP_CONNECT, "lost its client", "The client went away");
	else if (rc != CURLE_OK)
		bedrock_transport_error(x, rc);
	else if ((res->err = bedrock_classify(x->status, res->error_type)) != TG_UP_OK)
		bedrock_http_reason(res);
	else if (x->call->on_data != NULL)
		bedrock_check_stream(x);
	else
		bedrock_check_json(res);
}

/* One HTTP exchange.  Fills res; returns the curl code. */
static CURLcode
bedrock_attempt(struct bedrock_client *c, const struct bedrock_call *call,
    const char *url, const char *wire_path, struct bedrock_result *res)
{
	struct bedrock_xfer	 x = { .c = c, .call = call, .res = res,
	    .limit = c->cfg->limits.max_upstream_bytes };
	struct curl_slist	*h;
	CURLcode		 rc;
	uint64_t		 t0 = http_now_ns();

	res->error_type[0] = '\0';
	if ((h = bedrock_headers(c, call, wire_path)) == NULL) {
		bedrock_fail(res, TG_UP_INTERNAL, "could not be called (signing failed)",
		    "Could not sign the request");
		return CURLE_ABORTED_BY_CALLBACK;
	}
	bedrock_setup(c, &x, url, h);
	rc = bedrock_perform(c, &x);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &x.status);
	curl_slist_free_all(h);
	res->upstream_us += (http_now_ns() - t0) / 1000;
	res->status = x.status;
	bedrock_result_free(res);
	res->body = x.buf;
	res->body_len = x.len;
	bedrock_outcome(&x, rc);
	return rc;
}

/* Bedrock's own error message from an error body, for the client. */
static void
bedrock_error_message(struct bedrock_result *res)
{
	json_t		*j;
	const char	*m;

	if (res->err == TG_UP_OK || res->message[0] != '\0')
		return;
	j = res->body != NULL ? json_loadb(res->body, res->body_len, 0, NULL) : NULL;
	if ((m = json_string_value(json_object_get(j, "message"))) == NULL &&
	    (m = json_string_value(json_object_get(j, "Message"))) == NULL)
		snprintf(res->message, sizeof(res->message),
		    "Bedrock answered HTTP %d", res->status);
	else
		snprintf(res->message, sizeof(res->message), "%s", m);
	json_decref(j);
	req_utf8_sanitize(res->message);
}

int
bedrock_invoke(struct bedrock_client *c, const struct bedrock_call *call,
    struct bedrock_result *res)
{
	char	 seg[1024], wire[1400], url[2048];
	long	 ms;

	memset(res, 0, sizeof(*res));
	if (req_encode_segment(call->model_id, seg, sizeof(seg)) != 0) {
		res->err = TG_UP_CLIENT;
		snprintf(res->message, sizeof(res->message), "Model id too long");
		return -1;
	}
	snprintf(wire, sizeof(wire), "%s/model/%s/%s", c->prefix, seg, call->action);
	snprintf(url, sizeof(url), "%s%s%s", c->base, c->host, wire);
	for (;;) {
		res->attempts++;
		res->message[0] = '\0';
		bedrock_attempt(c, call, url, wire, res);
		if (res->err == TG_UP_OK)
			return 0;
		if (res->attempts > c->cfg->retries || !bedrock_retryable(res))
			break;
		ms = bedrock_backoff_ms(c->cfg->retry_base_ms, c->cfg->retry_cap_ms,
		    res->attempts, bedrock_uniform());
		if (bedrock_past_deadline(call, (uint64_t)ms * 1000000))
			break;	/* no time left for another answer */
		log_debug("retrying %s after %s (HTTP %d), attempt %d, in %ld ms",
		    call->model_id, tg_upstream_err_name(res->err), res->status,
		    res->attempts + 1, ms);
		usleep(ms * 1000);
	}
	bedrock_error_message(res);
	return -1;
}

void
bedrock_result_free(struct bedrock_result *res)
{
	free(res->body);
	json_decref(res->json);
	res->body = NULL;
	res->body_len = 0;
	res->json = NULL;
}
