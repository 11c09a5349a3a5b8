/*
 * http.h - one HTTP request as the web server handed it to us (FastCGI or
 * CGI), and the only functions that write an answer back.
 *
 * Everything in struct tg_req comes from the network and is untrusted.
 * Handlers answer with exactly one http_send_*() call, or with
 * http_stream_begin() followed by http_stream_write() calls.
 */
#ifndef TG_HTTP_H
#define TG_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <fcgiapp.h>

struct tg_worker;	/* per-thread state, see gateway.h */
struct tg_limits;

struct tg_req;

/* Sends an error in a front door's own shape (see http_send_error()). */
typedef int (*http_error_fn)(struct tg_req *, int status, const char *type,
    const char *message);

struct tg_hdr {
	const char	*name;
	const char	*value;
};

struct tg_req {
	FCGX_Request	*fcgi;		/* NULL in CGI mode: environ, stdin, stdout */
	const struct tg_limits *limits;
	struct tg_worker *worker;
	const char	*method;
	const char	*path;		/* raw, still percent-encoded, no query */
	char		*path_buf;
	const char	*query;		/* raw, "" when none */
	char		*body;		/* NUL-terminated; owned by the request */
	size_t		 body_len;
	char		 request_id[40];
	uint64_t	 t_start_ns;	/* monotonic, when the request was accepted */
	int		 status;	/* status sent, 0 until then */
	int		 streaming;	/* http_stream_begin() was called */
	size_t		 bytes_out;	/* body bytes written to the client */
	int		 client_gone;	/* a write to the client failed */
	/* Called once, with the status set, just before the first byte of the
	 * answer is written (the journal arms there); NULL: nothing. */
	void		(*on_answer)(void *ctx);
	void		*on_answer_ctx;
	/* NULL: errors in Bedrock's shape; else the front door's writer */
	http_error_fn	 error_fn;
	/* extra x-tiergate-* response headers gathered while routing */
	struct tg_hdr	 extra[8];
	char		 extra_buf[1024];
	size_t		 nextra;
	size_t		 extra_used;
};

/* Request header by HTTP name ("Authorization", "x-api-key"); borrowed, or
 * NULL.  CONTENT_TYPE and CONTENT_LENGTH are found under their HTTP names. */
const char	*http_header(const struct tg_req *, const char *name);
/* Query parameter, percent-decoded into buf; NULL when absent or too long. */
const char	*http_query(const struct tg_req *, const char *name, char *buf, size_t len);

/* Queue an extra response header (copied) for whatever is sent next. */
void		 http_add_header(struct tg_req *, const char *name, const char *value);

/* Send a JSON body.  Steals `body`, even on failure.  Returns 0, or -1 if
 * the client went away. */
int		 http_send_json(struct tg_req *, int status, json_t *body);
/* Send an error in Bedrock's shape: {"message": ...} with the
 * x-amzn-ErrorType header, e.g. ("ValidationException", 400).  When
 * req->error_fn is set (a front door with an error shape of its own, such
 * as OpenAI's), it writes the error instead, given the same status, the
 * Bedrock error type and the formatted, UTF-8-clean message. */
int		 http_send_error(struct tg_req *, int status, const char *type,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int		 http_send_raw(struct tg_req *, int status, const char *ctype,
		     const void *buf, size_t len);

/* Streaming: headers first, then body chunks flushed to the web server as
 * they come.  http_stream_write() returns -1 once the client is gone. */
int		 http_stream_begin(struct tg_req *, int status, const char *ctype);
int		 http_stream_write(struct tg_req *, const void *buf, size_t len);
/* The same without the flush, for several frames that arrived together;
 * http_stream_flush() sends them. */
int		 http_stream_put(struct tg_req *, const void *buf, size_t len);
int		 http_stream_flush(struct tg_req *);

/* Read the request body into req->body within limits->max_body_bytes.
 * Returns 0, or an HTTP status (413, 400) after having sent the error. */
int		 http_read_body(struct tg_req *);
/* Number of request headers (HTTP_* parameters). */
size_t		 http_header_count(const struct tg_req *);
/* Fill method/path/query/request_id from the environment. */
void		 http_req_init(struct tg_req *, FCGX_Request *, struct tg_worker *,
		     const struct tg_limits *);
void		 http_req_free(struct tg_req *);

/* Monotonic clock in nanoseconds. */
uint64_t	 http_now_ns(void);

#endif
