/*
 * bedrock.h - the only code that talks to the network: Bedrock Runtime
 * over libcurl, signed with SigV4 or a Bedrock API key, with retries.
 */
#ifndef TG_BEDROCK_H
#define TG_BEDROCK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "decision.h"
#include "sigv4.h"

struct tg_config;

/* Upstream credentials, shared read-only by all workers. */
struct bedrock_auth {
	const char		*bearer;	/* Bedrock API key, or NULL */
	struct sigv4_creds	 sigv4;		/* used when bearer is NULL */
};

/* Where a streamed 2xx body is: each attempt's body STARTs (forget what an
 * earlier attempt sent), comes in DATA chunks, and ENDs when the transfer
 * completed cleanly (buf NULL, len 0 for START and END). */
enum bedrock_body {
	BEDROCK_BODY_START,
	BEDROCK_BODY_DATA,
	BEDROCK_BODY_END,
};

/* What a bedrock_data_fn tells the transfer. */
enum bedrock_data {
	BEDROCK_DATA_HELD = 0,	/* go on; nothing reached the client yet */
	BEDROCK_DATA_SENT,	/* go on; bytes reached the client: from now on
				 * the call is committed (no retry, no fallback) */
	BEDROCK_DATA_STOP,	/* stop: the client went away, or the sink ended
				 * the client's stream itself */
	BEDROCK_DATA_BAD,	/* stop: the body is not a valid answer, and
				 * nothing of it reached the client */
};

struct bedrock_result;

/* Called for each phase of a 2xx body of a streaming call.  With
 * BEDROCK_DATA_BAD the sink may say why in res->err, res->reason and
 * res->message (the stream began with an exception, say); when it leaves
 * res->reason empty the failure is "a stream that could not be decoded". */
typedef enum bedrock_data (*bedrock_data_fn)(void *ctx, enum bedrock_body,
    const char *buf, size_t len, struct bedrock_result *res);

struct bedrock_call {
	const char	*model_id;	/* decoded; encoded here as one segment */
	const char	*action;	/* "converse", "converse-stream", "invoke", ... */
	const char	*body;
	size_t		 body_len;
	const char	*accept;	/* NULL: application/json */
	bedrock_data_fn	 on_data;	/* NULL: buffer the body in the result */
	void		*ctx;
	uint64_t	 deadline_ns;	/* http_now_ns() clock: no attempt runs
					 * past it, no retry starts after it; 0: none */
};

struct bedrock_result {
	int		 status;	/* HTTP status of the last attempt, 0: none */
	enum tg_upstream_err err;	/* TG_UP_OK for 2xx */
	char		 error_type[64]; /* upstream x-amzn-ErrorType, "" none */
	char		 message[512];	/* for the client; no secrets */
	char		 reason[96];	/* completes "MODEL ...": "timed out upstream" */
	char		*body;		/* buffered body (non-streaming); caller frees */
	size_t		 body_len;
	json_t		*json;		/* buffered 2xx body, parsed (always an
					 * object); caller json_decref()s */
	uint64_t	 upstream_us;	/* time spent in transfers, all attempts */
	int		 attempts;	/* HTTP requests sent (libcurl never
					 * replays one on its own) */
	size_t		 delivered;	/* bytes of the last attempt handed to on_data */
	int		 committed;	/* on_data said bytes reached the client */
	char		 input_tokens_hdr[24];	/* x-amzn-bedrock-input-token-count */
	char		 output_tokens_hdr[24];
};

/* A client owns one CURL handle (so connections are reused) and must only
 * be used by one thread.  `auth` is borrowed and must outlive it. */
struct bedrock_client	*bedrock_new(const struct tg_config *, const struct bedrock_auth *);
void			 bedrock_free(struct bedrock_client *);

/*
 * Perform the call with retries (429 throttling / model not ready, 500,
 * 503, connection errors; never 408, never once the call is committed),
 * each attempt within timeout_ms and all of them within call->deadline_ns.
 * A 2xx answer counts only when it is whole: a buffered body must be a
 * JSON object (res->json), a streamed one must satisfy on_data (content
 * type application/vnd.amazon.eventstream, no BEDROCK_DATA_BAD).  Streamed
 * bytes count against max_upstream_bytes like buffered ones; a stream
 * fails when no byte came for timeout_ms (within a few milliseconds).
 * Returns 0 when a valid 2xx answer arrived, -1 otherwise; `res` tells
 * why.  The caller releases res with bedrock_result_free().
 */
int			 bedrock_invoke(struct bedrock_client *, const struct bedrock_call *,
			    struct bedrock_result *res);
/* Free what res holds (body, json) and clear those fields. */
void			 bedrock_result_free(struct bedrock_result *res);

/* Exposed for tests: the backoff before retry `attempt` (1-based), full
 * jitter over min(cap, base * 2^(attempt-1)), given a uniform r in [0,1). */
long			 bedrock_backoff_ms(long base, long cap, int attempt, double r);

#endif
