/*
 * eventstream.h - AWS event-stream framing (application/vnd.amazon.eventstream),
 * as Bedrock's ConverseStream and InvokeModelWithResponseStream send it.
 *
 * A message is
 *
 *   total length u32 BE | headers length u32 BE | CRC32 of those 8 bytes
 *   headers ... | payload ... | CRC32 of everything before it
 *
 * and each header is: name length u8, name, type u8, value (see enum
 * es_type).  CRC32 is the IEEE one (zlib's crc32()).
 *
 * The decoder is incremental: feed it the chunks libcurl hands over, of any
 * size, and it yields whole messages, each checked (both CRCs, lengths,
 * header block) before it is returned.  Memory is bounded by the message
 * cap given at creation.  The encoder builds a frame from headers and a
 * payload, e.g. to re-encode a `metadata` event after editing its JSON.
 */
#ifndef TG_EVENTSTREAM_H
#define TG_EVENTSTREAM_H

#include <stddef.h>
#include <stdint.h>

#define ES_PRELUDE_LEN		12		/* lengths + prelude CRC */
#define ES_MIN_MESSAGE		16		/* prelude + message CRC */
#define ES_MAX_MESSAGE		(16u << 20)	/* AWS's limit, and our default cap */
#define ES_MAX_HEADERS		64		/* headers in one message */
#define ES_MAX_HEADERS_LEN	(128u << 10)	/* AWS's limit on the header block */

enum es_err {
	ES_OK = 0,		/* a message is complete (decoder) / success */
	ES_AGAIN,		/* all input consumed, no complete message yet */
	ES_E_PRELUDE_CRC,	/* prelude CRC32 mismatch */
	ES_E_MESSAGE_CRC,	/* message CRC32 mismatch */
	ES_E_OVERSIZED,		/* total length above the decoder's cap */
	ES_E_LENGTH,		/* total < 16, header block longer than the message */
	ES_E_TRUNCATED,		/* input ended inside a message */
	ES_E_HEADER,		/* header block: bad type, overrun, empty name, too many */
	ES_E_NOMEM,		/* out of memory */
	ES_E_ARG,		/* invalid argument, or a header that cannot be encoded */
};

const char	*es_strerror(enum es_err e);

/* Header value types, numbered as on the wire. */
enum es_type {
	ES_BOOL_TRUE = 0,	/* no value bytes */
	ES_BOOL_FALSE = 1,	/* no value bytes */
	ES_BYTE = 2,		/* int8 */
	ES_SHORT = 3,		/* int16 BE */
	ES_INT = 4,		/* int32 BE */
	ES_LONG = 5,		/* int64 BE */
	ES_BYTES = 6,		/* u16 BE length + bytes */
	ES_STRING = 7,		/* u16 BE length + UTF-8 */
	ES_TIMESTAMP = 8,	/* int64 BE, milliseconds since the epoch */
	ES_UUID = 9,		/* 16 bytes */
};

/* One header.  Names and byte/string values are pointer + length, not
 * NUL-terminated; in a decoded message they point into the frame. */
struct es_header {
	const char	*name;
	size_t		 name_len;	/* 1..255 */
	enum es_type	 type;
	union {
		int8_t		 i8;	/* ES_BYTE */
		int16_t		 i16;	/* ES_SHORT */
		int32_t		 i32;	/* ES_INT */
		int64_t		 i64;	/* ES_LONG, ES_TIMESTAMP */
		struct {
			const unsigned char	*ptr;
			size_t			 len;	/* <= 65535 */
		}		 buf;	/* ES_BYTES, ES_STRING */
		unsigned char	 uuid[16];	/* ES_UUID */
	} v;
};

/* A decoded message.  Every pointer refers into `frame`, which belongs to
 * whoever produced the message (the decoder: valid until its next call). */
struct es_message {
	const unsigned char	*frame;		/* the whole frame, CRCs included */
	size_t			 frame_len;
	struct es_header	 headers[ES_MAX_HEADERS];
	size_t			 nheaders;
	const unsigned char	*payload;
	size_t			 payload_len;
};

/* CRC-32 (IEEE 802.3, as zlib's crc32()) of `len` bytes, continuing `crc`
 * (start with 0). */
uint32_t	 es_crc32(uint32_t crc, const void *data, size_t len);

/* Decode exactly one complete frame of `len` bytes, checking both CRCs,
 * the lengths and the header block.  `m` points into `frame`. */
enum es_err	 es_decode(const void *frame, size_t len, struct es_message *m);

/* First header named `name` in `m`, or NULL. */
const struct es_header	*es_find(const struct es_message *m, const char *name);
/* 1 if `h` is a string header whose value is `s`, else 0. */
int		 es_string_is(const struct es_header *h, const char *s);

/* ---- incremental decoder ---------------------------------------------------- */

struct es_decoder;

/* A decoder refusing messages over `max_message` bytes (0: ES_MAX_MESSAGE;
 * larger values are clamped to it).  NULL when out of memory.  Free with
 * es_decoder_free(). */
struct es_decoder	*es_decoder_new(size_t max_message);
void			 es_decoder_free(struct es_decoder *);

/*
 * Feed up to `len` bytes.  Consumes input up to the end of at most one
 * message and stores the count in *consumed; call again with the rest.
 * Returns ES_OK with `m` filled when a message completed (valid until the
 * next call on this decoder), ES_AGAIN when every byte was consumed without
 * completing one, or an error, after which the decoder refuses all input
 * (the stream cannot be resynchronised).  Typical use:
 *
 *	while (len > 0) {
 *		e = es_decoder_push(d, p, len, &used, &m);
 *		p += used, len -= used;
 *		if (e == ES_OK) handle(&m); else if (e != ES_AGAIN) fail(e);
 *	}
 */
enum es_err	 es_decoder_push(struct es_decoder *d, const void *data, size_t len,
		    size_t *consumed, struct es_message *m);

/* Called for each complete message; 0 to go on, non-zero to stop. */
typedef int (*es_message_fn)(void *ctx, const struct es_message *m);

/*
 * The loop above: push all `len` bytes, calling fn(ctx, m) for each
 * message completed, in order.  Returns 0 when every byte was consumed,
 * fn's non-zero value when it asked to stop (*err is ES_OK), or -1 with
 * *err set to the decoder's error (nothing after it can be trusted).
 */
int		 es_decoder_each(struct es_decoder *d, const void *data, size_t len,
		    es_message_fn fn, void *ctx, enum es_err *err);

/* At end of stream: ES_OK when no message was left half-received, else
 * ES_E_TRUNCATED (or the decoder's earlier error). */
enum es_err	 es_decoder_finish(const struct es_decoder *d);

/* ---- encoder ---------------------------------------------------------------- */

/* Frame length for these headers and payload; 0 when a header is invalid
 * (name length 0 or > 255, value > 65535 bytes, unknown type) or the frame
 * would exceed ES_MAX_MESSAGE. */
size_t		 es_encoded_len(const struct es_header *h, size_t nh, size_t payload_len);

/* Encode into `buf` of `cap` bytes; *len gets the frame length.  ES_E_ARG
 * for an invalid header, ES_E_OVERSIZED when `cap` is too small. */
enum es_err	 es_encode_to(const struct es_header *h, size_t nh, const void *payload,
		    size_t payload_len, unsigned char *buf, size_t cap, size_t *len);

/* Encode into a new buffer in *out (caller frees with free()). */
enum es_err	 es_encode(const struct es_header *h, size_t nh, const void *payload,
		    size_t payload_len, unsigned char **out, size_t *len);

/* A string header (name and value NUL-terminated, borrowed). */
struct es_header es_string_header(const char *name, const char *value);

/*
 * A frame as Bedrock sends them, with headers in Bedrock's order:
 *   message_type "event":     :event-type <type>, :content-type application/json,
 *                             :message-type event
 *   message_type "exception": :exception-type <type>, :content-type
 *                             application/json, :message-type exception
 * and `json` as payload.  Caller frees *out with free().
 */
enum es_err	 es_encode_json(const char *message_type, const char *type,
		    const void *json, size_t json_len, unsigned char **out, size_t *len);

#endif
