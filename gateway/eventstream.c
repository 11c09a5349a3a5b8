/*
 * eventstream.c - AWS event-stream codec (see eventstream.h).
 *
 * Input comes from the network: every length is checked against what is
 * left before it is used, and the decoder's buffer never grows past the
 * message cap.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "eventstream.h"

#define ES_INITIAL_BUF	4096

struct es_decoder {
	size_t			 max;		/* message cap */
	unsigned char		*buf;		/* the message being received */
	size_t			 cap;
	size_t			 len;		/* bytes of it received */
	size_t			 total;		/* its length, once the prelude is in; else 0 */
	int			 delivered;	/* buf holds a message already returned */
	enum es_err		 error;		/* sticky; ES_OK while healthy */
};

const char *
es_strerror(enum es_err e)
{
	switch (e) {
	case ES_OK:		return "success";
	case ES_AGAIN:		return "incomplete message";
	case ES_E_PRELUDE_CRC:	return "event stream prelude CRC mismatch";
	case ES_E_MESSAGE_CRC:	return "event stream message CRC mismatch";
	case ES_E_OVERSIZED:	return "event stream message too large";
	case ES_E_LENGTH:	return "event stream message lengths inconsistent";
	case ES_E_TRUNCATED:	return "event stream truncated inside a message";
	case ES_E_HEADER:	return "malformed event stream header";
	case ES_E_NOMEM:	return "out of memory";
	case ES_E_ARG:		return "invalid event stream message";
	}
	return "unknown event stream error";
}

/* ---- CRC-32 and big-endian helpers ------------------------------------------ */

uint32_t
es_crc32(uint32_t crc, const void *data, size_t len)
{
	/* Reflected polynomial 0xEDB88320, four bits at a time. */
	static const uint32_t	 t[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
		0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	const unsigned char	*p = data;

	crc = ~crc;
	while (len-- > 0) {
		crc ^= *p++;
		crc = (crc >> 4) ^ t[crc & 15];
		crc = (crc >> 4) ^ t[crc & 15];
	}
	return ~crc;
}

static uint64_t
get_be(const unsigned char *p, size_t n)
{
	uint64_t	 v = 0;
	size_t		 i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void
put_be(unsigned char *p, uint64_t v, size_t n)
{
	while (n-- > 0) {
		p[n] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

/* ---- decoding ------------------------------------------------------------------ */

/* Value bytes of each fixed-size type; -1: u16 length-prefixed. */
static const int	 fixed_len[10] = { 0, 0, 1, 2, 4, 8, -1, -1, 8, 16 };

static void
set_value(struct es_header *h, const unsigned char *p, size_t n)
{
	switch (h->type) {
	case ES_BYTE:
		h->v.i8 = (int8_t)p[0];
		break;
	case ES_SHORT:
		h->v.i16 = (int16_t)(uint16_t)get_be(p, 2);
		break;
	case ES_INT:
		h->v.i32 = (int32_t)(uint32_t)get_be(p, 4);
		break;
	case ES_LONG:
	case ES_TIMESTAMP:
		h->v.i64 = (int64_t)get_be(p, 8);
		break;
	case ES_UUID:
		memcpy(h->v.uuid, p, 16);
		break;
	case ES_BYTES:
	case ES_STRING:
		h->v.buf.ptr = p;
		h->v.buf.len = n;
		break;
	default:
		break;
	}
}

/* One header at p[*pos..n); advances *pos past it. */
static enum es_err
parse_header(const unsigned char *p, size_t n, size_t *pos, struct es_header *h)
{
	size_t	 at = *pos, nlen, vlen;
	int	 fl;

	nlen = p[at++];
	if (nlen == 0 || n - at < nlen + 1)
		return ES_E_HEADER;
	h->name = (const char *)p + at;
	h->name_len = nlen;
	at += nlen;
	if (p[at] > ES_UUID)
		return ES_E_HEADER;
	h->type = (enum es_type)p[at++];
	if ((fl = fixed_len[h->type]) < 0) {
		if (n - at < 2)
			return ES_E_HEADER;
		vlen = (size_t)get_be(p + at, 2);
		at += 2;
	} else
		vlen = (size_t)fl;
	if (n - at < vlen)
		return ES_E_HEADER;
	set_value(h, p + at, vlen);
	*pos = at + vlen;
	return ES_OK;
}

static enum es_err
parse_headers(const unsigned char *p, size_t n, struct es_message *m)
{
	size_t		 pos = 0;
	enum es_err	 e;

	m->nheaders = 0;
	while (pos < n) {
		if (m->nheaders == ES_MAX_HEADERS)
			return ES_E_HEADER;
		if ((e = parse_header(p, n, &pos, &m->headers[m->nheaders])) != ES_OK)
			return e;
		m->nheaders++;
	}
	return ES_OK;
}

/* Check the prelude of a frame: lengths and prelude CRC. */
static enum es_err
check_prelude(const unsigned char *p, size_t max, size_t *total, size_t *hlen)
{
	if (get_be(p + 8, 4) != es_crc32(0, p, 8))
		return ES_E_PRELUDE_CRC;
	*total = (size_t)get_be(p, 4);
	*hlen = (size_t)get_be(p + 4, 4);
	if (*total > max)
		return ES_E_OVERSIZED;
	if (*total < ES_MIN_MESSAGE || *hlen > *total - ES_MIN_MESSAGE ||
	    *hlen > ES_MAX_HEADERS_LEN)
		return ES_E_LENGTH;
	return ES_OK;
}

enum es_err
es_decode(const void *frame, size_t len, struct es_message *m)
{
	const unsigned char	*p = frame;
	size_t			 total, hlen;
	enum es_err		 e;

	if (p == NULL || m == NULL)
		return ES_E_ARG;
	if (len < ES_MIN_MESSAGE)
		return ES_E_TRUNCATED;
	if ((e = check_prelude(p, ES_MAX_MESSAGE, &total, &hlen)) != ES_OK)
		return e;
	if (total != len)
		return total > len ? ES_E_TRUNCATED : ES_E_LENGTH;
	if (get_be(p + total - 4, 4) != es_crc32(0, p, total - 4))
		return ES_E_MESSAGE_CRC;
	m->frame = p;
	m->frame_len = total;
	m->payload = p + ES_PRELUDE_LEN + hlen;
	m->payload_len = total - ES_MIN_MESSAGE - hlen;
	return parse_headers(p + ES_PRELUDE_LEN, hlen, m);
}

const struct es_header *
es_find(const struct es_message *m, const char *name)
{
	size_t	 i, n = strlen(name);

	for (i = 0; i < m->nheaders; i++)
		if (m->headers[i].name_len == n && memcmp(m->headers[i].name, name, n) == 0)
			return &m->headers[i];
	return NULL;
}

int
es_string_is(const struct es_header *h, const char *s)
{
	size_t	 n;

	if (h == NULL || h->type != ES_STRING)
		return 0;
	n = strlen(s);
	return h->v.buf.len == n && memcmp(h->v.buf.ptr, s, n) == 0;
}

/* ---- incremental decoder ------------------------------------------------------ */

struct es_decoder *
es_decoder_new(size_t max_message)
{
	struct es_decoder	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->max = (max_message == 0 || max_message > ES_MAX_MESSAGE) ?
	    ES_MAX_MESSAGE : max_message;
	d->cap = ES_INITIAL_BUF;
	if ((d->buf = malloc(d->cap)) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

void
es_decoder_free(struct es_decoder *d)
{
	if (d == NULL)
		return;
	free(d->buf);
	free(d);
}

static enum es_err
ensure_cap(struct es_decoder *d, size_t need)
{
	unsigned char	*nb;
	size_t		 cap = d->cap;

	if (need <= cap)
		return ES_OK;
	while (cap < need)
		cap = cap > d->max / 2 ? d->max : cap * 2;
	if ((nb = realloc(d->buf, cap)) == NULL)
		return ES_E_NOMEM;
	d->buf = nb;
	d->cap = cap;
	return ES_OK;
}

/* Copy up to `want` - d->len bytes of input into the buffer. */
static size_t
take(struct es_decoder *d, const unsigned char *p, size_t len, size_t want)
{
	size_t	 n = want - d->len;

	if (n > len)
		n = len;
	if (n == 0)
		return 0;
	memcpy(d->buf + d->len, p, n);
	d->len += n;
	return n;
}

/* The prelude is complete: learn the message length, make room for it. */
static enum es_err
start_message(struct es_decoder *d)
{
	size_t		 hlen;
	enum es_err	 e;

	if ((e = check_prelude(d->buf, d->max, &d->total, &hlen)) != ES_OK)
		return e;
	return ensure_cap(d, d->total);
}

static enum es_err
push(struct es_decoder *d, const unsigned char *p, size_t len, size_t *used,
    struct es_message *m)
{
	enum es_err	 e;

	if (d->len < ES_PRELUDE_LEN) {
		*used += take(d, p, len, ES_PRELUDE_LEN);
		if (d->len < ES_PRELUDE_LEN)
			return ES_AGAIN;
		if ((e = start_message(d)) != ES_OK)
			return e;
	}
	*used += take(d, p + *used, len - *used, d->total);
	if (d->len < d->total)
		return ES_AGAIN;
	d->delivered = 1;
	return es_decode(d->buf, d->total, m);
}

enum es_err
es_decoder_push(struct es_decoder *d, const void *data, size_t len,
    size_t *consumed, struct es_message *m)
{
	size_t		 used = 0;
	enum es_err	 e;

	if (consumed != NULL)
		*consumed = 0;
	if (d == NULL || consumed == NULL || m == NULL || (data == NULL && len > 0))
		return ES_E_ARG;
	if (d->error != ES_OK)
		return d->error;
	if (d->delivered) {
		d->len = d->total = 0;
		d->delivered = 0;
	}
	e = push(d, data, len, &used, m);
	*consumed = used;
	if (e != ES_OK && e != ES_AGAIN)
		d->error = e;
	return e;
}

int
es_decoder_each(struct es_decoder *d, const void *data, size_t len,
    es_message_fn fn, void *ctx, enum es_err *err)
{
	const char		*p = data;
	struct es_message	 m;
	size_t			 used;
	int			 rc;

	*err = ES_OK;
	while (len > 0) {
		*err = es_decoder_push(d, p, len, &used, &m);
		p += used;
		len -= used;
		if (*err == ES_AGAIN) {
			*err = ES_OK;
			continue;
		}
		if (*err != ES_OK)
			return -1;
		if ((rc = fn(ctx, &m)) != 0)
			return rc;
	}
	return 0;
}

enum es_err
es_decoder_finish(const struct es_decoder *d)
{
	if (d == NULL)
		return ES_E_ARG;
	if (d->error != ES_OK)
		return d->error;
	return (d->len == 0 || d->delivered) ? ES_OK : ES_E_TRUNCATED;
}

/* ---- encoding ------------------------------------------------------------------ */

/* Encoded size of one header; 0 if it cannot be encoded. */
static size_t
header_len(const struct es_header *h)
{
	if (h->name == NULL || h->name_len == 0 || h->name_len > 255 ||
	    (unsigned)h->type > ES_UUID)
		return 0;
	if (fixed_len[h->type] >= 0)
		return 2 + h->name_len + (size_t)fixed_len[h->type];
	if (h->v.buf.len > 65535 || (h->v.buf.ptr == NULL && h->v.buf.len > 0))
		return 0;
	return 4 + h->name_len + h->v.buf.len;
}

static size_t
headers_len(const struct es_header *h, size_t nh)
{
	size_t	 i, n, total = 0;

	for (i = 0; i < nh; i++) {
		if ((n = header_len(&h[i])) == 0)
			return (size_t)-1;
		total += n;
	}
	return total;
}

size_t
es_encoded_len(const struct es_header *h, size_t nh, size_t payload_len)
{
	size_t	 hl;

	if ((h == NULL && nh > 0) || nh > ES_MAX_HEADERS)
		return 0;
	if ((hl = headers_len(h, nh)) == (size_t)-1 || hl > ES_MAX_HEADERS_LEN ||
	    payload_len > ES_MAX_MESSAGE - ES_MIN_MESSAGE - hl)
		return 0;
	return ES_MIN_MESSAGE + hl + payload_len;
}

static unsigned char *
put_header(unsigned char *p, const struct es_header *h)
{
	int	 fl = fixed_len[h->type];

	*p++ = (unsigned char)h->name_len;
	memcpy(p, h->name, h->name_len);
	p += h->name_len;
	*p++ = (unsigned char)h->type;
	if (h->type == ES_UUID)
		memcpy(p, h->v.uuid, 16);
	else if (fl > 0)
		put_be(p, h->type == ES_BYTE ? (uint8_t)h->v.i8 :
		    h->type == ES_SHORT ? (uint16_t)h->v.i16 :
		    h->type == ES_INT ? (uint32_t)h->v.i32 : (uint64_t)h->v.i64, (size_t)fl);
	if (fl >= 0)
		return p + fl;
	put_be(p, h->v.buf.len, 2);
	if (h->v.buf.len > 0)
		memcpy(p + 2, h->v.buf.ptr, h->v.buf.len);
	return p + 2 + h->v.buf.len;
}

enum es_err
es_encode_to(const struct es_header *h, size_t nh, const void *payload,
    size_t payload_len, unsigned char *buf, size_t cap, size_t *len)
{
	size_t		 total = es_encoded_len(h, nh, payload_len), i;
	unsigned char	*p = buf;

	if (total == 0 || len == NULL || (payload == NULL && payload_len > 0))
		return ES_E_ARG;
	*len = total;
	if (buf == NULL || cap < total)
		return ES_E_OVERSIZED;
	put_be(p, total, 4);
	put_be(p + 4, total - ES_MIN_MESSAGE - payload_len, 4);
	put_be(p + 8, es_crc32(0, p, 8), 4);
	p += ES_PRELUDE_LEN;
	for (i = 0; i < nh; i++)
		p = put_header(p, &h[i]);
	if (payload_len > 0)
		memcpy(p, payload, payload_len);
	put_be(buf + total - 4, es_crc32(0, buf, total - 4), 4);
	return ES_OK;
}

enum es_err
es_encode(const struct es_header *h, size_t nh, const void *payload,
    size_t payload_len, unsigned char **out, size_t *len)
{
	size_t		 total = es_encoded_len(h, nh, payload_len);
	enum es_err	 e;

	if (out == NULL || len == NULL)
		return ES_E_ARG;
	*out = NULL;
	if (total == 0)
		return ES_E_ARG;
	if ((*out = malloc(total)) == NULL)
		return ES_E_NOMEM;
	if ((e = es_encode_to(h, nh, payload, payload_len, *out, total, len)) != ES_OK) {
		free(*out);
		*out = NULL;
	}
	return e;
}

struct es_header
es_string_header(const char *name, const char *value)
{
	struct es_header	 h;

	memset(&h, 0, sizeof(h));
	h.name = name;
	h.name_len = strlen(name);
	h.type = ES_STRING;
	h.v.buf.ptr = (const unsigned char *)value;
	h.v.buf.len = strlen(value);
	return h;
}

enum es_err
es_encode_json(const char *message_type, const char *type, const void *json,
    size_t json_len, unsigned char **out, size_t *len)
{
	struct es_header	 h[3];
	int			 exc;

	if (message_type == NULL || type == NULL)
		return ES_E_ARG;
	exc = strcmp(message_type, "exception") == 0;
	if (!exc && strcmp(message_type, "event") != 0)
		return ES_E_ARG;
	h[0] = es_string_header(exc ? ":exception-type" : ":event-type", type);
	h[1] = es_string_header(":content-type", "application/json");
	h[2] = es_string_header(":message-type", message_type);
	return es_encode(h, 3, json, json_len, out, len);
}
