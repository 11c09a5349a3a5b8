/*
 * openai_impl.h - the OpenAI front door's pure parts: Chat Completions
 * request -> Converse request (openai_req.c), Converse answer -> chat
 * completion (openai_resp.c), ConverseStream event -> completion chunk
 * (openai_stream.c).  Shared by openai*.c and tests/unit/test_openai.c;
 * none of it does I/O.
 */
#ifndef TG_OPENAI_IMPL_H
#define TG_OPENAI_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>

/* Caps on what a client may send, beyond the body and depth caps. */
#define OA_MAX_STOP		4	/* stop sequences */
#define OA_MAX_METADATA		16	/* metadata pairs (OpenAI's own limit) */
#define OA_MAX_META_KEY		64
#define OA_MAX_META_VALUE	256	/* Bedrock's requestMetadata value limit */
#define OA_MAX_TOOL_ID		64	/* Bedrock's toolUseId limit */
#define OA_MAX_TOOLS		128	/* OpenAI's limit on tools */
#define OA_MAX_MODEL		1023	/* what struct route_ctx's model_id holds */

enum oa_err {
	OA_OK = 0,
	OA_E_FIELD,	/* a field is invalid or asks for what Bedrock cannot do */
	OA_E_NOMEM,	/* out of memory */
};

const char	*oa_strerror(enum oa_err);

/* Why a request was refused, in OpenAI's error terms. */
struct oa_fault {
	char	 param[128];	/* the field at fault ("messages[2].content"), "" none */
	char	 message[512];	/* says what is wrong and what to send instead */
};

/* A Chat Completions request, translated. */
struct oa_chat {
	json_t		*root;		/* the client's request; owned */
	json_t		*converse;	/* the Converse request; owned */
	const char	*model;		/* router or model id, borrowed from root */
	int		 stream;	/* "stream": true */
	int		 include_usage;	/* stream_options.include_usage */
	const char	*json_tool;	/* response_format served by this forced
					 * tool (its input is the answer), or NULL */
};

/*
 * Translate `root` (a parsed request body; stolen, even on failure) into
 * out->converse.  Every member of the request is either translated or
 * refused: OA_E_FIELD with f naming the field and saying why.  On OA_OK
 * free with oa_chat_free(); on failure out holds nothing.
 */
enum oa_err	 oa_chat_from_json(json_t *root, struct oa_chat *out, struct oa_fault *f);
void		 oa_chat_free(struct oa_chat *);

/* What the answer says about routing and tokens; strings borrowed. */
struct oa_facts {
	const char	*id;		/* "chatcmpl-..." */
	time_t		 created;
	const char	*model;		/* the model that answered */
	const char	*router;	/* NULL: a passthrough model */
	const char	*reason;
	const char	*json_tool;	/* as in struct oa_chat */
	uint64_t	 input_tokens;	/* Converse's, cache excluded */
	uint64_t	 output_tokens;
	uint64_t	 cache_read_tokens;
	uint64_t	 cache_write_tokens;
};

/* OpenAI's finish_reason for a Converse stopReason (NULL: "stop"). */
const char	*oa_finish_reason(const char *stop_reason);
/* {"prompt_tokens", "completion_tokens", "total_tokens",
 * "prompt_tokens_details": {"cached_tokens"}}: prompt tokens count the
 * cached ones, as OpenAI's do.  New reference. */
json_t		*oa_usage(const struct oa_facts *);
/* The extension member {"router", "model", "reason"}.  New reference. */
json_t		*oa_extension(const struct oa_facts *);
/* A chat.completion from a Converse answer (borrowed).  New reference,
 * or NULL when the answer has no output.message. */
json_t		*oa_completion(const json_t *answer, const struct oa_facts *);

/* Translation state of one stream. */
struct oa_sse {
	const struct oa_facts *facts;
	int		 tool_of_block[64];	/* contentBlockIndex -> tool_calls index + 1 */
	int		 json_block[64];	/* the block is the response_format tool */
	int		 ntools;
	int		 sent_first;		/* the first chunk (role, extension) went */
	const char	*finish;		/* from messageStop, NULL until then */
	int		 usage_seen;
	uint64_t	 input_tokens, output_tokens, cache_read_tokens, cache_write_tokens;
};

/*
 * One ConverseStream event (`type` = its :event-type, payload parsed) as a
 * chat.completion.chunk: *chunk is a new reference, or NULL when the event
 * has nothing for the client (contentBlockStop, metadata: usage is kept in
 * s).  The first chunk carries the role and the extension member.
 */
void		 oa_sse_event(struct oa_sse *s, const char *type, const json_t *payload,
		    json_t **chunk);
/* The usage chunk (choices: [], usage) that ends a stream when the client
 * asked for include_usage.  New reference. */
json_t		*oa_sse_usage_chunk(const struct oa_sse *s);

#endif
