/*
 * bedrock.c - calls to Bedrock Runtime.  The only file that opens network
 * connections.  Every byte that comes back is counted against
 * limits.max_upstream_bytes before it is stored.
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

struct bedrock_client {
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
	int			 too_big;
	int			 aborted;
	int			 stalled;
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
	if (bedrock_parse_endpoint(c) != 0 || (c->curl = curl_easy_init()) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
bedrock_free(struct bedrock_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
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

static size_t
bedrock_on_body(char *p, size_t sz, size_t n, void *v)
{
	struct bedrock_xfer *x = v;
	size_t		 len = sz * n, ncap;
	char		*nb;

	if (x->status == 0)
		curl_easy_getinfo(x->c->curl, CURLINFO_RESPONSE_CODE, &x->status);
	x->last_data_ns = http_now_ns();
	if (x->call->on_data != NULL && x->status >= 200 && x->status < 300) {
		if (x->call->on_data(x->call->ctx, p, len) != 0) {
			x->aborted = 1;
			return 0;	/* client gone: stop the upstream transfer */
		}
		x->res->delivered += len;
		return len;
	}
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

/* Streams only: abort when the upstream has been silent for timeout_ms.
 * curl calls this at least once a second while a transfer runs. */
static int
bedrock_on_progress(void *v, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct bedrock_xfer *x = v;

	if ((http_now_ns() - x->last_data_ns) / 1000000 <= (uint64_t)x->c->cfg->timeout_ms)
		return 0;
	x->stalled = 1;
	return 1;
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
	if (res->delivered > 0)
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

static void
bedrock_setup(struct bedrock_client *c, struct bedrock_xfer *x, const char *url,
    struct curl_slist *h)
{
	CURL	*k = c->curl;

	curl_easy_reset(k);
	curl_easy_setopt(k, CURLOPT_URL, url);
	curl_easy_setopt(k, CURLOPT_POST, 1L);
	curl_easy_setopt(k, CURLOPT_POSTFIELDS, x->call->body);
	curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->call->body_len);
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, bedrock_on_body);
	curl_easy_setopt(k, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, bedrock_on_header);
	curl_easy_setopt(k, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT_MS, c->cfg->connect_timeout_ms);
	if (x->call->on_data == NULL)
		curl_easy_setopt(k, CURLOPT_TIMEOUT_MS, c->cfg->timeout_ms);
	else {
		/* A stream may rightly last longer than one answer's timeout:
		 * it fails when no byte came for timeout_ms, or after an hour. */
		x->last_data_ns = http_now_ns();
		curl_easy_setopt(k, CURLOPT_TIMEOUT_MS, 3600000L);
		curl_easy_setopt(k, CURLOPT_XFERINFOFUNCTION, bedrock_on_progress);
		curl_easy_setopt(k, CURLOPT_XFERINFODATA, x);
		curl_easy_setopt(k, CURLOPT_NOPROGRESS, 0L);
	}
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(k, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(k, CURLOPT_USERAGENT, "tiergate/" PACKAGE_VERSION);
	curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(k, CURLOPT_ACCEPT_ENCODING, "");
}

/* Map a curl failure of one attempt onto the result. */
static void
bedrock_transport_error(struct bedrock_xfer *x, CURLcode rc)
{
	struct bedrock_result *res = x->res;

	if (x->too_big) {
		res->err = TG_UP_BAD_RESPONSE;
		snprintf(res->message, sizeof(res->message), "The model's response "
		    "exceeded the gateway limit of %zu bytes", x->limit);
	} else if (rc == CURLE_OPERATION_TIMEDOUT || x->stalled) {
		res->err = TG_UP_TIMEOUT;
		snprintf(res->message, sizeof(res->message),
		    "The model did not answer in time (%s)", curl_easy_strerror(rc));
	} else if (rc == CURLE_PARTIAL_FILE || (rc == CURLE_RECV_ERROR && x->status != 0)) {
		res->err = TG_UP_BAD_RESPONSE;
		snprintf(res->message, sizeof(res->message),
		    "The model's response was truncated (%s)", curl_easy_strerror(rc));
	} else {
		res->err = TG_UP_CONNECT;
		snprintf(res->message, sizeof(res->message),
		    "Could not reach Bedrock: %s", curl_easy_strerror(rc));
	}
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
		res->err = TG_UP_INTERNAL;
		snprintf(res->message, sizeof(res->message), "Could not sign the request");
		return CURLE_ABORTED_BY_CALLBACK;
	}
	bedrock_setup(c, &x, url, h);
	rc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &x.status);
	curl_slist_free_all(h);
	res->upstream_us += (http_now_ns() - t0) / 1000;
	res->status = x.status;
	free(res->body);
	res->body = x.buf;
	res->body_len = x.len;
	if (x.aborted) {
		res->err = TG_UP_CONNECT;
		snprintf(res->message, sizeof(res->message), "The client went away");
	} else if (rc != CURLE_OK)
		bedrock_transport_error(&x, rc);
	else
		res->err = bedrock_classify(x.status, res->error_type);
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
	int	 attempt;
	long	 ms;

	memset(res, 0, sizeof(*res));
	if (req_encode_segment(call->model_id, seg, sizeof(seg)) != 0) {
		res->err = TG_UP_CLIENT;
		snprintf(res->message, sizeof(res->message), "Model id too long");
		return -1;
	}
	snprintf(wire, sizeof(wire), "%s/model/%s/%s", c->prefix, seg, call->action);
	snprintf(url, sizeof(url), "%s%s%s", c->base, c->host, wire);
	for (attempt = 1; ; attempt++) {
		res->attempts = attempt;
		res->message[0] = '\0';
		bedrock_attempt(c, call, url, wire, res);
		if (res->err == TG_UP_OK)
			return 0;
		if (attempt > c->cfg->retries || !bedrock_retryable(res))
			break;
		ms = bedrock_backoff_ms(c->cfg->retry_base_ms, c->cfg->retry_cap_ms,
		    attempt, bedrock_uniform());
		log_debug("retrying %s after %s (HTTP %d), attempt %d, in %ld ms",
		    call->model_id, tg_upstream_err_name(res->err), res->status,
		    attempt + 1, ms);
		usleep(ms * 1000);
	}
	bedrock_error_message(res);
	return -1;
}
