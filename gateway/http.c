/*
 * http.c - the HTTP surface as FastCGI (or CGI) hands it to us: request
 * parameters, the body within its cap, and the only code that writes
 * answers.  Errors go out in Bedrock's shape (a JSON body {"message": ...}
 * and the x-amzn-ErrorType header) unless the front door that took the
 * request installed its own writer (req->error_fn, e.g. OpenAI's shape).
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "config.h"
#include "http.h"
#include "request.h"

extern char **environ;

uint64_t
http_now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static const char *
http_param(const struct tg_req *req, const char *name)
{
	return req->fcgi != NULL ? FCGX_GetParam(name, req->fcgi->envp) : getenv(name);
}

static char **
http_envp(const struct tg_req *req)
{
	return req->fcgi != NULL ? req->fcgi->envp : environ;
}

const char *
http_header(const struct tg_req *req, const char *name)
{
	char	 param[128];
	size_t	 i, n;

	if (strcasecmp(name, "Content-Type") == 0)
		return http_param(req, "CONTENT_TYPE");
	if (strcasecmp(name, "Content-Length") == 0)
		return http_param(req, "CONTENT_LENGTH");
	n = strlen(name);
	if (n + 6 > sizeof(param))
		return NULL;
	memcpy(param, "HTTP_", 5);
	for (i = 0; i < n; i++)
		param[5 + i] = name[i] == '-' ? '_' : toupper((unsigned char)name[i]);
	param[5 + n] = '\0';
	return http_param(req, param);
}

size_t
http_header_count(const struct tg_req *req)
{
	char	**e;
	size_t	  n = 0;

	for (e = http_envp(req); e != NULL && *e != NULL; e++)
		if (strncmp(*e, "HTTP_", 5) == 0)
			n++;
	return n;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

const char *
http_query(const struct tg_req *req, const char *name, char *buf, size_t len)
{
	const char	*q = req->query, *end;
	size_t		 n = strlen(name), o;
	int		 hi, lo;

	while (q != NULL && *q != '\0') {
		end = q + strcspn(q, "&");
		if (strncmp(q, name, n) == 0 && q[n] == '=') {
			for (q += n + 1, o = 0; q < end; q++) {
				if (o + 1 >= len)
					return NULL;
				if (*q == '%' && q + 2 < end + 1 &&
				    (hi = hexval(q[1])) >= 0 && (lo = hexval(q[2])) >= 0) {
					buf[o++] = hi << 4 | lo;
					q += 2;
				} else
					buf[o++] = *q == '+' ? ' ' : *q;
			}
			buf[o] = '\0';
			return buf;
		}
		q = *end ? end + 1 : end;
	}
	return NULL;
}

/* Under a CGI ScriptAlias (/cgi-bin/tiergate/model/...) the API path
 * follows SCRIPT_NAME; strip it when what follows is one of ours. */
static const char *
http_strip_script(const struct tg_req *req, const char *uri)
{
	static const char *const roots[] = { "/model/", "/prompt-routers",
	    "/healthz", "/admin/", "/metrics", "/v1/" };
	const char	*sn = http_param(req, "SCRIPT_NAME"), *rest;
	size_t		 i, n;

	if (sn == NULL || (n = strlen(sn)) <= 1 || strncmp(uri, sn, n) != 0)
		return uri;
	for (rest = uri + n, i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (strncmp(rest, roots[i], strlen(roots[i])) == 0)
			return rest;
	return uri;
}

void
http_req_init(struct tg_req *req, FCGX_Request *fcgi, struct tg_worker *w,
    const struct tg_limits *limits)
{
	unsigned char	 rnd[16];
	const char	*uri;
	size_t		 i;

	memset(req, 0, sizeof(*req));
	req->fcgi = fcgi;
	req->worker = w;
	req->limits = limits;
	req->t_start_ns = http_now_ns();
	req->method = http_param(req, "REQUEST_METHOD");
	if (req->method == NULL)
		req->method = "GET";
	/* REQUEST_URI keeps the client's percent-encoding, which both the
	 * model id decoding and SigV4 verification need; PATH_INFO may not. */
	uri = http_param(req, "REQUEST_URI");
	if (uri == NULL)
		uri = http_param(req, "SCRIPT_NAME");
	if (uri == NULL)
		uri = "/";
	req->query = http_param(req, "QUERY_STRING");
	if (req->query == NULL)
		req->query = "";
	uri = http_strip_script(req, uri);
	req->path_buf = strndup(uri, strcspn(uri, "?"));
	req->path = req->path_buf != NULL ? req->path_buf : "/";
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(req->request_id + 2 * i, 3, "%02x", rnd[i]);
}

void
http_req_free(struct tg_req *req)
{
	char	 sink[16384];

	/* A web server that keeps the FastCGI connection open (Apache's
	 * enablereuse) sends the next request on it: whatever is left of this
	 * request's stdin must be consumed first, or the next one stalls. */
	if (req->fcgi != NULL)
		while (FCGX_GetStr(sink, sizeof(sink), req->fcgi->in) > 0)
			;
	free(req->body);
	free(req->path_buf);
	req->body = NULL;
	req->path_buf = NULL;
}

static ssize_t
http_read(struct tg_req *req, char *buf, size_t len)
{
	if (req->fcgi != NULL)
		return FCGX_GetStr(buf, len, req->fcgi->in);
	return fread(buf, 1, len, stdin);
}

/* Bytes of a refused body read and thrown away after the 413 went out. */
#define HTTP_DRAIN_MAX	((size_t)64 << 20)

/*
 * Before refusing a body with 413: read and discard what the client is
 * sending, up to `left` (at most HTTP_DRAIN_MAX) bytes.  lighttpd over
 * HTTP/2 resets the stream of a request whose answer starts while its
 * body is still arriving, and clients such as curl 7.88 then drop the
 * answer; a client whose body was read first gets the 413 in full.  A
 * larger body is cut off after the drain limit (lighttpd resets; clients
 * that read while sending, such as the AWS SDK, still get the answer).
 */
static void
http_drain_body(struct tg_req *req, size_t left)
{
	char	 buf[16384];
	ssize_t	 n;

	if (left > HTTP_DRAIN_MAX)
		left = HTTP_DRAIN_MAX;
	while (left > 0 && (n = http_read(req, buf, left < sizeof(buf) ?
	    left : sizeof(buf))) > 0)
		left -= (size_t)n;
}

int
http_read_body(struct tg_req *req)
{
	const char	*cl = http_param(req, "CONTENT_LENGTH");
	size_t		 cap = req->limits->max_body_bytes, want, got = 0;
	ssize_t		 n;
	char		*end = NULL;
	unsigned long long v = 0;

	if (cl != NULL && *cl != '\0') {
		errno = 0;
		v = strtoull(cl, &end, 10);
		if (errno != 0 || *end != '\0' || cl[0] == '-') {
			http_send_error(req, 400, "ValidationException",
			    "Invalid Content-Length header");
			return 400;
		}
		if (v > cap) {
			http_drain_body(req, v > SIZE_MAX ? SIZE_MAX : (size_t)v);
			http_send_error(req, 413, "ValidationException",
			    "Request body of %llu bytes exceeds the limit of %zu bytes",
			    v, cap);
			return 413;
		}
	}
	want = cl != NULL && *cl != '\0' ? (size_t)v : cap + 1;
	if ((req->body = malloc(want + 1)) == NULL) {
		http_send_error(req, 500, "InternalServerException", "Out of memory");
		return 500;
	}
	while (got < want && (n = http_read(req, req->body + got, want - got)) > 0)
		got += n;
	if (got > cap) {
		http_drain_body(req, HTTP_DRAIN_MAX);
		http_send_error(req, 413, "ValidationException",
		    "Request body exceeds the limit of %zu bytes", cap);
		return 413;
	}
	if (cl != NULL && *cl != '\0' && got != want) {
		http_send_error(req, 400, "ValidationException",
		    "Request body ended after %zu of %zu bytes", got, want);
		return 400;
	}
	req->body[got] = '\0';
	req->body_len = got;
	return 0;
}

void
http_add_header(struct tg_req *req, const char *name, const char *value)
{
	size_t	 nl = strlen(name) + 1, vl = strlen(value) + 1;
	char	*p;

	if (req->nextra >= sizeof(req->extra) / sizeof(req->extra[0]) ||
	    req->extra_used + nl + vl > sizeof(req->extra_buf))
		return;		/* informational headers only: drop, never fail */
	p = req->extra_buf + req->extra_used;
	memcpy(p, name, nl);
	memcpy(p + nl, value, vl);
	req->extra[req->nextra].name = p;
	req->extra[req->nextra].value = p + nl;
	req->nextra++;
	req->extra_used += nl + vl;
}

static int
http_write(struct tg_req *req, const void *buf, size_t len)
{
	int	 ok;

	if (req->client_gone || len == 0)
		return req->client_gone ? -1 : 0;
	if (req->fcgi != NULL)
		ok = FCGX_PutStr(buf, len, req->fcgi->out) == (int)len;
	else
		ok = fwrite(buf, 1, len, stdout) == len;
	if (!ok)
		req->client_gone = 1;
	return ok ? 0 : -1;
}

static int
http_flush(struct tg_req *req)
{
	int	 rc;

	rc = req->fcgi != NULL ? FCGX_FFlush(req->fcgi->out) : fflush(stdout);
	if (rc != 0)
		req->client_gone = 1;
	return rc == 0 ? 0 : -1;
}

static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Payload Too Large";
	case 424: return "Failed Dependency";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default:  return "Status";
	}
}

/* Status line and headers; `len` < 0 means no Content-Length (streaming). */
static int
http_head(struct tg_req *req, int status, const char *ctype, long long len)
{
	void	(*fn)(void *) = req->on_answer;
	char	 h[4096];
	size_t	 i;
	int	 n;

	req->status = status;
	req->on_answer = NULL;
	if (fn != NULL)
		fn(req->on_answer_ctx);
	n = snprintf(h, sizeof(h), "Status: %d %s\r\nContent-Type: %s\r\n"
	    "x-amzn-RequestId: %s\r\n", status, http_reason(status), ctype,
	    req->request_id);
	if (len >= 0 && n < (int)sizeof(h))
		n += snprintf(h + n, sizeof(h) - n, "Content-Length: %lld\r\n", len);
	for (i = 0; i < req->nextra && n < (int)sizeof(h); i++)
		n += snprintf(h + n, sizeof(h) - n, "%s: %s\r\n",
		    req->extra[i].name, req->extra[i].value);
	if (n >= (int)sizeof(h) - 2)
		n = sizeof(h) - 3;
	h[n++] = '\r';
	h[n++] = '\n';
	req->status = status;
	return http_write(req, h, n);
}

int
http_send_raw(struct tg_req *req, int status, const char *ctype,
    const void *buf, size_t len)
{
	if (req->status != 0)
		return -1;	/* one answer per request */
	if (http_head(req, status, ctype, len) != 0 || http_write(req, buf, len) != 0)
		return -1;
	req->bytes_out += len;
	return http_flush(req);
}

int
http_send_json(struct tg_req *req, int status, json_t *body)
{
	char	*s;
	int	 rc;

	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (s == NULL)
		return http_send_raw(req, 500, "application/json",
		    "{\"message\":\"Out of memory\"}", 27);
	rc = http_send_raw(req, status, "application/json", s, strlen(s));
	free(s);
	return rc;
}

int
http_send_error(struct tg_req *req, int status, const char *type,
    const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	req_utf8_sanitize(msg);
	if (req->error_fn != NULL)
		return req->error_fn(req, status, type, msg);
	http_add_header(req, "x-amzn-ErrorType", type);
	return http_send_json(req, status, json_pack("{s:s}", "message", msg));
}

int
http_stream_begin(struct tg_req *req, int status, const char *ctype)
{
	if (req->status != 0)
		return -1;
	req->streaming = 1;
	if (http_head(req, status, ctype, -1) != 0)
		return -1;
	return http_flush(req);
}

int
http_stream_put(struct tg_req *req, const void *buf, size_t len)
{
	if (http_write(req, buf, len) != 0)
		return -1;
	req->bytes_out += len;
	return 0;
}

int
http_stream_flush(struct tg_req *req)
{
	return req->client_gone ? -1 : http_flush(req);
}

int
http_stream_write(struct tg_req *req, const void *buf, size_t len)
{
	return http_stream_put(req, buf, len) != 0 ? -1 : http_flush(req);
}
