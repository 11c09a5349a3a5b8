/*
 * stream_impl.h - stream.c's pure parts, exposed for tests/unit/test_stream.c,
 * and what openai_stream.c shares with it (the classing of exception
 * frames, the token estimate of a stream cut short, struct stream_sink).
 * Nothing else includes this.
 */
#ifndef TG_STREAM_IMPL_H
#define TG_STREAM_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "bedrock.h"
#include "decision.h"
#include "eventstream.h"

struct route_ctx;
struct tg_config;
struct tg_router;

/* Token usage read from a stream's usage frame. */
struct stream_usage {
	int		 seen;		/* the frame carried usage */
	uint64_t	 input_tokens;
	uint64_t	 output_tokens;
	uint64_t	 cache_read_tokens;
	uint64_t	 cache_write_tokens;
};

/*
 * ConverseStream `metadata` event: read usage into u; when `invoked` is not
 * NULL, set trace.promptRouter.invokedModelId to it and encode the frame
 * again (same headers, new CRCs) into *out (caller frees with free()).
 * *out stays NULL when the frame is to be relayed unchanged.  ES_E_ARG when
 * the payload is not a JSON object.
 */
enum es_err	 stream_metadata_frame(const struct es_message *m, const char *invoked,
		    struct stream_usage *u, unsigned char **out, size_t *len);
/*
 * InvokeModelWithResponseStream `chunk` event ({"bytes": base64 JSON}):
 * when the decoded chunk carries amazon-bedrock-invocationMetrics, read
 * usage into u and, with `invoked`, add
 * "amazon-bedrock-trace":{"promptRouter":{"invokedModelId":...}} to it and
 * re-encode into *out (caller frees).  *out NULL: relay unchanged.
 */
enum es_err	 stream_chunk_frame(const struct es_message *m, const char *invoked,
		    struct stream_usage *u, unsigned char **out, size_t *len);
/* An exception frame as Bedrock sends one: :exception-type `type`, payload
 * {"message": message}.  Caller frees *out. */
enum es_err	 stream_exception_frame(const char *type, const char *message,
		    unsigned char **out, size_t *len);
/* Upstream error class of an exception frame, from :exception-type. */
enum tg_upstream_err stream_exception_class(const struct es_message *m);
/* An exception frame that came before any byte reached the client, made
 * the call's failure (retried, then the fallback): res->err, res->reason
 * ("was throttled upstream (throttlingException in the stream)") and
 * res->message. */
void		 stream_exception_failure(const struct es_message *m,
		    struct bedrock_result *res);
/* A stream cut short: d is interrupted and, without a usage frame, its
 * tokens are estimated: input from the prompt's characters as for the
 * policy, output from the answer text relayed (4 characters a token, as
 * Bedrock's tokenizers average for English). */
void		 stream_estimate_tokens(struct tg_decision *d, int usage_seen,
		    size_t prompt_chars, size_t text_chars);

/*
 * The rules of a bedrock_data_fn that both relays (ConverseStream and
 * InvokeModel streams here, OpenAI's SSE in openai_stream.c) follow: each
 * attempt's body gets a new decoder; frames are handed to `frame` as the
 * decoder completes them; a stream that does not decode is the call's
 * failure while nothing reached the client (begun == 0), else `broken`
 * ends the client's stream; after each chunk from curl the client's
 * buffer is flushed and `progress` runs (route_progress()); a clean end
 * without a byte for the client is not an answer.  The relay fills the
 * callbacks, ctx, rc and call; it sets begun when its headers went out
 * and ended when it ended the client's stream; dec is the sink's.
 */
struct stream_sink {
	/* 0 go on, 2 an exception came before any byte (res filled by
	 * stream_exception_failure()), -1 stop (client gone, no memory) */
	int		(*frame)(void *ctx, const struct es_message *m,
			    struct bedrock_result *res);
	void		(*broken)(void *ctx, const char *message);
	void		(*progress)(void *ctx);
	void		(*restart)(void *ctx);	/* forget the last attempt */
	void		*ctx;
	struct route_ctx *rc;
	const struct bedrock_call *call;
	struct es_decoder *dec;
	struct bedrock_result *res;	/* the attempt being decoded */
	int		 begun;		/* response headers went out */
	int		 ended;		/* the relay ended the client's stream */
	uint64_t	 t_call_ns;	/* when the upstream call started */
};
/* bedrock_data_fn over a struct stream_sink (ctx). */
enum bedrock_data stream_sink_data(void *ctx, enum bedrock_body, const char *buf,
		    size_t len, struct bedrock_result *res);
/*
 * Stream `call` (action and body set) into s through route_invoke()
 * (retries, the fallback), within upstream.stream_max_seconds; s->rc,
 * s->ctx and the callbacks are set.  Returns 0 when a whole stream came,
 * -1 when the call failed (res says why, s->begun whether the client got
 * bytes), -2 out of memory (the error was sent).  The caller frees s->dec
 * with es_decoder_free() and res with bedrock_result_free().
 */
int		 stream_sink_invoke(struct stream_sink *s, struct bedrock_call *call,
		    struct bedrock_result *res);

/* Answer text (UTF-8 code points) in a decoded delta of any supported
 * schema (Converse, Anthropic, Nova, Llama, Mistral); 0 when none. */
size_t		 stream_delta_chars(const json_t *delta);
/* Answer text in an event frame's payload: JSON for ConverseStream, a
 * {"bytes": base64 JSON} chunk when `invoke`. */
size_t		 stream_frame_chars(const struct es_message *m, int invoke);

/* Base64 (RFC 4648, padded).  Both return NULL on bad input or no memory;
 * caller frees.  The decoded buffer is NUL-terminated (not counted). */
unsigned char	*stream_b64_decode(const char *s, size_t len, size_t *outlen);
char		*stream_b64_encode(const void *buf, size_t len);

/* Converse-shaped view of a native InvokeModel body, for prediction and
 * policy only: system and message text, {"image":{}}-style markers for
 * non-text blocks, inferenceConfig.maxTokens, toolConfig.tools (one empty
 * entry per native tool).  New reference. */
json_t		*stream_view(const json_t *native);

/* The provider every model (and the fallback) of `r` shares, or NULL with
 * the first two that differ in *a and *b. */
const char	*stream_router_provider(const struct tg_config *, const struct tg_router *,
		    const char **a, const char **b);

#endif
