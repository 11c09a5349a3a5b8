/*
 * bedrock.h - the only code that talks to the network: Bedrock Runtime
 * over libcurl, signed with SigV4 or a Bedrock API key, with retries.
 */
#ifndef TG_BEDROCK_H
#define TG_BEDROCK_H

#include <stddef.h>
#include <stdint.h>

#include "decision.h"
#include "sigv4.h"

struct tg_config;

/* Upstream credentials, shared read-only by all workers. */
struct bedrock_auth {
	const char		*bearer;	/* Bedrock API key, or NULL */
	struct sigv4_creds	 sigv4;		/* used when bearer is NULL */
};

/* Called with each chunk of a 2xx body as it arrives (streaming calls).
 * Return 0 to go on, -1 to stop the transfer (the client went away). */
typedef int (*bedrock_data_fn)(void *ctx, const char *buf, size_t len);

struct bedrock_call {
	const char	*model_id;	/* decoded; encoded here as one segment */
	const char	*action;	/* "converse", "converse-stream", "invoke", ... */
	const char	*body;
	size_t		 body_len;
	const char	*accept;	/* NULL: application/json */
	bedrock_data_fn	 on_data;	/* NULL: buffer the body in the result */
	void		*ctx;
};

struct bedrock_result {
	int		 status;	/* HTTP status of the last attempt, 0: none */
	enum tg_upstream_err err;	/* TG_UP_OK for 2xx */
	char		 error_type[64]; /* upstream x-amzn-ErrorType, "" none */
	char		 message[512];	/* for the client; no secrets */
	char		*body;		/* buffered body (non-streaming); caller frees */
	size_t		 body_len;
	uint64_t	 upstream_us;	/* time spent in transfers, all attempts */
	int		 attempts;
	size_t		 delivered;	/* bytes handed to on_data */
	char		 input_tokens_hdr[24];	/* x-amzn-bedrock-input-token-count */
	char		 output_tokens_hdr[24];
};

/* A client owns one CURL handle (so connections are reused) and must only
 * be used by one thread.  `auth` is borrowed and must outlive it. */
struct bedrock_client	*bedrock_new(const struct tg_config *, const struct bedrock_auth *);
void			 bedrock_free(struct bedrock_client *);

/* Perform the call with retries (429 throttling / model not ready, 500,
 * 503, connection errors; never 408, never once bytes went to on_data).
 * Returns 0 when a 2xx answer arrived, -1 otherwise; `res` tells why.
 * The caller frees res->body with free(). */
int			 bedrock_invoke(struct bedrock_client *, const struct bedrock_call *,
			    struct bedrock_result *res);

/* Exposed for tests: the backoff before retry `attempt` (1-based), full
 * jitter over min(cap, base * 2^(attempt-1)), given a uniform r in [0,1). */
long			 bedrock_backoff_ms(long base, long cap, int attempt, double r);

#endif
