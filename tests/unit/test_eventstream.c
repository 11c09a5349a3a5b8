/*
 * test_eventstream.c - gateway/eventstream.c: frames made by AWS's own
 * codec, round trips, CRC corruption, byte-at-a-time and random-chunk
 * feeding, size caps, truncation, malformed header blocks.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "eventstream.h"

/*
 * Fixtures produced once with @smithy/eventstream-codec 4.5.2 (the version
 * pinned in tests/package-lock.json) and @smithy/util-utf8:
 *
 *   const codec = new EventStreamCodec(toUtf8, fromUtf8);
 *   Buffer.from(codec.encode({ headers, body })).toString('hex')
 *
 * MSG_START:  :event-type messageStart, :content-type application/json,
 *             :message-type event; body {"p":"abcd","role":"assistant"}
 * METADATA:   :event-type metadata, same two headers; body
 *             {"usage":{"inputTokens":12,"outputTokens":34,"totalTokens":46},
 *              "metrics":{"latencyMs":250}}
 * ALLTYPES:   t boolean true, f boolean false, b byte -5, s short -300,
 *             i integer 70000, l long Int64.fromNumber(-1234567890123),
 *             bin binary [0,1,2,255], str string "h\u00e9llo",
 *             ts timestamp new Date(1700000000123),
 *             u uuid 0f8fad5b-d9cb-469f-a165-70867728950e; empty body
 * EXCEPTION:  :exception-type throttlingException, :content-type
 *             application/json, :message-type exception;
 *             body {"message":"slow down"}
 */
static const char MSG_START[] =
    "00000081000000526cc176930b3a6576656e742d7479706507000c6d65737361676553746172740d3a63"
    "6f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d74"
    "7970650700056576656e747b2270223a2261626364222c22726f6c65223a22617373697374616e7422"
    "7df512a005";
static const char METADATA[] =
    "000000b90000004ee991d99b0b3a6576656e742d747970650700086d657461646174610d3a636f6e74"
    "656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d74797065"
    "0700056576656e747b227573616765223a7b22696e707574546f6b656e73223a31322c226f75747075"
    "74546f6b656e73223a33342c22746f74616c546f6b656e73223a34367d2c226d657472696373223a7b"
    "226c6174656e63794d73223a3235307d7d3ba96ca9";
static const char ALLTYPES[] =
    "0000006800000058a9d03a23017400016601016202fb017303fed401690400011170016c05fffffee0"
    "8e04fb350362696e060004000102ff0373747207000668c3a96c6c6f027473080000018bcfe5687b01"
    "75090f8fad5bd9cb469fa16570867728950e610a4baf";
static const char EXCEPTION[] =
    "0000008800000061de0175f40f3a657863657074696f6e2d747970650700137468726f74746c696e67"
    "457863657074696f6e0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f"
    "6e0d3a6d6573736167652d74797065070009657863657074696f6e7b226d657373616765223a22736c"
    "6f7720646f776e227d832ee072";

static const char *const fixtures[] = { MSG_START, METADATA, ALLTYPES, EXCEPTION };

/* Hex to a new buffer (caller frees). */
static unsigned char *
unhex(const char *hex, size_t *len)
{
	size_t		 n = strlen(hex) / 2, i;
	unsigned char	*b = malloc(n);
	unsigned int	 v;

	for (i = 0; b != NULL && i < n; i++) {
		sscanf(hex + 2 * i, "%2x", &v);
		b[i] = (unsigned char)v;
	}
	*len = n;
	return b;
}

/* Concatenation of all fixtures: a stream as Bedrock would send it. */
static unsigned char *
stream_of_fixtures(size_t *len)
{
	unsigned char	*s = NULL, *f, *ns;
	size_t		 i, n, total = 0;

	for (i = 0; i < 4; i++) {
		f = unhex(fixtures[i], &n);
		ns = realloc(s, total + n);
		if (f == NULL || ns == NULL) {
			free(f);
			free(ns != NULL ? ns : s);
			return NULL;
		}
		s = ns;
		memcpy(s + total, f, n);
		total += n;
		free(f);
	}
	*len = total;
	return s;
}

static int
str_is(const unsigned char *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

static void
test_crc32(void)
{
	CU_ASSERT_EQUAL(es_crc32(0, "123456789", 9), 0xCBF43926u);
	CU_ASSERT_EQUAL(es_crc32(0, "", 0), 0u);
	/* continuing a CRC equals computing it in one go */
	CU_ASSERT_EQUAL(es_crc32(es_crc32(0, "12345", 5), "6789", 4), 0xCBF43926u);
}

static void
test_decode_smithy_event(void)
{
	struct es_message	 m;
	unsigned char		*f;
	size_t			 n;

	f = unhex(MSG_START, &n);
	CU_ASSERT_EQUAL_FATAL(es_decode(f, n, &m), ES_OK);
	CU_ASSERT_EQUAL(m.nheaders, 3);
	CU_ASSERT(es_string_is(es_find(&m, ":event-type"), "messageStart"));
	CU_ASSERT(es_string_is(es_find(&m, ":content-type"), "application/json"));
	CU_ASSERT(es_string_is(es_find(&m, ":message-type"), "event"));
	CU_ASSERT_PTR_NULL(es_find(&m, ":exception-type"));
	CU_ASSERT(str_is(m.payload, m.payload_len, "{\"p\":\"abcd\",\"role\":\"assistant\"}"));
	CU_ASSERT_EQUAL(m.frame_len, n);
	free(f);
	f = unhex(EXCEPTION, &n);
	CU_ASSERT_EQUAL_FATAL(es_decode(f, n, &m), ES_OK);
	CU_ASSERT(es_string_is(es_find(&m, ":exception-type"), "throttlingException"));
	CU_ASSERT(es_string_is(es_find(&m, ":message-type"), "exception"));
	free(f);
}

static void
test_decode_all_types(void)
{
	static const unsigned char	 uuid[16] = { 0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb,
	    0x46, 0x9f, 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e };
	static const unsigned char	 bin[4] = { 0, 1, 2, 255 };
	struct es_message		 m;
	const struct es_header		*h;
	unsigned char			*f;
	size_t				 n;

	f = unhex(ALLTYPES, &n);
	CU_ASSERT_EQUAL_FATAL(es_decode(f, n, &m), ES_OK);
	CU_ASSERT_EQUAL(m.nheaders, 10);
	CU_ASSERT_EQUAL(m.payload_len, 0);
	CU_ASSERT_EQUAL(es_find(&m, "t")->type, ES_BOOL_TRUE);
	CU_ASSERT_EQUAL(es_find(&m, "f")->type, ES_BOOL_FALSE);
	CU_ASSERT_EQUAL(es_find(&m, "b")->v.i8, -5);
	CU_ASSERT_EQUAL(es_find(&m, "s")->v.i16, -300);
	CU_ASSERT_EQUAL(es_find(&m, "i")->v.i32, 70000);
	CU_ASSERT_EQUAL(es_find(&m, "l")->v.i64, -1234567890123LL);
	h = es_find(&m, "bin");
	CU_ASSERT(h->type == ES_BYTES && h->v.buf.len == 4 && memcmp(h->v.buf.ptr, bin, 4) == 0);
	CU_ASSERT(es_string_is(es_find(&m, "str"), "h\xc3\xa9llo"));
	h = es_find(&m, "ts");
	CU_ASSERT(h->type == ES_TIMESTAMP && h->v.i64 == 1700000000123LL);
	h = es_find(&m, "u");
	CU_ASSERT(h->type == ES_UUID && memcmp(h->v.uuid, uuid, 16) == 0);
	free(f);
}

/* Our encoder reproduces AWS's bytes exactly. */
static void
test_encode_matches_smithy(void)
{
	struct es_message	 m;
	unsigned char		*want, *got = NULL;
	size_t			 i, wn, gn;

	for (i = 0; i < 4; i++) {
		want = unhex(fixtures[i], &wn);
		CU_ASSERT_EQUAL_FATAL(es_decode(want, wn, &m), ES_OK);
		CU_ASSERT_EQUAL_FATAL(es_encode(m.headers, m.nheaders, m.payload, m.payload_len,
		    &got, &gn), ES_OK);
		CU_ASSERT(gn == wn && memcmp(got, want, wn) == 0);
		free(got);
		free(want);
	}
	want = unhex(EXCEPTION, &wn);
	CU_ASSERT_EQUAL_FATAL(es_encode_json("exception", "throttlingException",
	    "{\"message\":\"slow down\"}", 23, &got, &gn), ES_OK);
	CU_ASSERT(gn == wn && memcmp(got, want, wn) == 0);
	free(got);
	free(want);
	CU_ASSERT_EQUAL(es_encode_json("other", "x", "{}", 2, &got, &gn), ES_E_ARG);
}

/* The relay's use: decode `metadata`, edit the JSON, re-encode. */
static void
test_reencode_metadata(void)
{
	static const char	 newjson[] = "{\"usage\":{\"inputTokens\":12},\"trace\":"
	    "{\"promptRouter\":{\"invokedModelId\":\"anthropic.claude-3-haiku\"}}}";
	struct es_message	 m, m2;
	unsigned char		*f, *out = NULL;
	size_t			 n, on;

	f = unhex(METADATA, &n);
	CU_ASSERT_EQUAL_FATAL(es_decode(f, n, &m), ES_OK);
	CU_ASSERT(es_string_is(es_find(&m, ":event-type"), "metadata"));
	CU_ASSERT_EQUAL_FATAL(es_encode(m.headers, m.nheaders, newjson, strlen(newjson),
	    &out, &on), ES_OK);
	CU_ASSERT_EQUAL_FATAL(es_decode(out, on, &m2), ES_OK);
	CU_ASSERT_EQUAL(m2.nheaders, 3);
	CU_ASSERT(es_string_is(es_find(&m2, ":event-type"), "metadata"));
	CU_ASSERT(str_is(m2.payload, m2.payload_len, newjson));
	free(out);
	free(f);
}

/* Feed `s` in chunks from `sizes` (cycled); count messages, check order. */
static int
feed_chunks(const unsigned char *s, size_t len, const size_t *sizes, size_t nsizes)
{
	static const char *const types[] = { "messageStart", "metadata", NULL, NULL };
	struct es_decoder	*d = es_decoder_new(0);
	struct es_message	 m;
	size_t			 off = 0, k = 0, chunk, used;
	int			 count = 0;
	enum es_err		 e;

	while (d != NULL && off < len) {
		chunk = sizes[k++ % nsizes];
		if (chunk > len - off)
			chunk = len - off;
		while (chunk > 0) {
			e = es_decoder_push(d, s + off, chunk, &used, &m);
			off += used;
			chunk -= used;
			if (e == ES_OK) {
				if (count < 2 && !es_string_is(es_find(&m, ":event-type"),
				    types[count]))
					count = -100;
				count++;
			} else if (e != ES_AGAIN)
				count = -100;
		}
	}
	if (d == NULL || es_decoder_finish(d) != ES_OK)
		count = -100;
	es_decoder_free(d);
	return count;
}

static void
test_incremental(void)
{
	static const size_t	 one[] = { 1 };
	static const size_t	 odd[] = { 3, 11, 12, 13, 200, 5, 1, 64 };
	size_t			 all[] = { 100000 }, rnd[97], i, n = 0;
	unsigned char		*s = stream_of_fixtures(&n);
	unsigned		 seed = 12345;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(feed_chunks(s, n, one, 1), 4);
	CU_ASSERT_EQUAL(feed_chunks(s, n, odd, 8), 4);
	CU_ASSERT_EQUAL(feed_chunks(s, n, all, 1), 4);
	for (i = 0; i < 97; i++) {
		seed = seed * 1103515245u + 12345u;
		rnd[i] = 1 + (seed >> 16) % 40;
	}
	CU_ASSERT_EQUAL(feed_chunks(s, n, rnd, 97), 4);
	free(s);
}

/* es_message_fn counting messages; stops (returns 7) at the `stop_at`th. */
struct each_count {
	int	 n;
	int	 stop_at;
};

static int
each_count(void *v, const struct es_message *m)
{
	struct each_count *c = v;

	CU_ASSERT(m->frame_len >= ES_MIN_MESSAGE);
	return ++c->n == c->stop_at ? 7 : 0;
}

/* es_decoder_each(): every message of chunks of any size, the callback's
 * stop, and the decoder's error. */
static void
test_each(void)
{
	struct es_decoder	*d = es_decoder_new(0);
	struct each_count	 c = { 0, 0 };
	unsigned char		*s;
	enum es_err		 e;
	size_t			 n = 0, o;

	s = stream_of_fixtures(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (o = 0; o < n; o += 13)
		CU_ASSERT_EQUAL(es_decoder_each(d, s + o, n - o < 13 ? n - o : 13,
		    each_count, &c, &e), 0);
	CU_ASSERT_EQUAL(c.n, 4);
	CU_ASSERT_EQUAL(es_decoder_finish(d), ES_OK);
	es_decoder_free(d);
	d = es_decoder_new(0);
	c.n = 0;
	c.stop_at = 2;
	CU_ASSERT_EQUAL(es_decoder_each(d, s, n, each_count, &c, &e), 7);
	CU_ASSERT_EQUAL(e, ES_OK);
	CU_ASSERT_EQUAL(c.n, 2);
	es_decoder_free(d);
	d = es_decoder_new(0);
	c.n = 0;
	c.stop_at = 0;
	s[n - 1] ^= 1;	/* the last message's CRC */
	CU_ASSERT_EQUAL(es_decoder_each(d, s, n, each_count, &c, &e), -1);
	CU_ASSERT_EQUAL(e, ES_E_MESSAGE_CRC);
	CU_ASSERT_EQUAL(c.n, 3);
	es_decoder_free(d);
	free(s);
}

/* Push the whole buffer; return the first non-AGAIN result. */
static enum es_err
push_all(struct es_decoder *d, const unsigned char *p, size_t n)
{
	struct es_message	 m;
	size_t			 used;
	enum es_err		 e = ES_AGAIN;

	while (n > 0) {
		e = es_decoder_push(d, p, n, &used, &m);
		p += used;
		n -= used;
		if (e != ES_AGAIN && e != ES_OK)
			return e;
	}
	return e;
}

static void
expect_corrupt(size_t at, enum es_err want)
{
	struct es_decoder	*d = es_decoder_new(0);
	struct es_message	 m;
	unsigned char		*f;
	size_t			 n, used;

	f = unhex(MSG_START, &n);
	f[at] ^= 0x40;
	CU_ASSERT_EQUAL(es_decode(f, n, &m), want);
	CU_ASSERT_EQUAL(push_all(d, f, n), want);
	/* the error is sticky: a good frame is refused afterwards */
	CU_ASSERT_EQUAL(es_decoder_push(d, f, n, &used, &m), want);
	CU_ASSERT_EQUAL(used, 0);
	CU_ASSERT_EQUAL(es_decoder_finish(d), want);
	es_decoder_free(d);
	free(f);
}

static void
test_crc_corruption(void)
{
	expect_corrupt(2, ES_E_PRELUDE_CRC);	/* total length */
	expect_corrupt(6, ES_E_PRELUDE_CRC);	/* headers length */
	expect_corrupt(9, ES_E_PRELUDE_CRC);	/* prelude CRC itself */
	expect_corrupt(20, ES_E_MESSAGE_CRC);	/* a header name */
	expect_corrupt(100, ES_E_MESSAGE_CRC);	/* the payload */
	expect_corrupt(127, ES_E_MESSAGE_CRC);	/* the message CRC */
}

/* Build a frame around raw header bytes, with correct CRCs. */
static unsigned char *
frame_with(const unsigned char *hdrs, size_t hlen, size_t *len)
{
	unsigned char	*f = calloc(1, 16 + hlen);
	size_t		 n = 16 + hlen;
	uint32_t	 c;

	if (f == NULL)
		return NULL;
	f[0] = (unsigned char)(n >> 24); f[1] = (unsigned char)(n >> 16);
	f[2] = (unsigned char)(n >> 8); f[3] = (unsigned char)n;
	f[4] = (unsigned char)(hlen >> 24); f[5] = (unsigned char)(hlen >> 16);
	f[6] = (unsigned char)(hlen >> 8); f[7] = (unsigned char)hlen;
	c = es_crc32(0, f, 8);
	f[8] = (unsigned char)(c >> 24); f[9] = (unsigned char)(c >> 16);
	f[10] = (unsigned char)(c >> 8); f[11] = (unsigned char)c;
	if (hlen > 0)
		memcpy(f + 12, hdrs, hlen);
	c = es_crc32(0, f, n - 4);
	f[n - 4] = (unsigned char)(c >> 24); f[n - 3] = (unsigned char)(c >> 16);
	f[n - 2] = (unsigned char)(c >> 8); f[n - 1] = (unsigned char)c;
	*len = n;
	return f;
}

static void
expect_header_error(const unsigned char *h, size_t hlen)
{
	struct es_message	 m;
	unsigned char		*f;
	size_t			 n;

	f = frame_with(h, hlen, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(es_decode(f, n, &m), ES_E_HEADER);
	free(f);
}

static void
test_malformed_headers(void)
{
	static const unsigned char	 badtype[] = { 1, 'x', 10 };
	static const unsigned char	 noname[] = { 0, 0 };
	static const unsigned char	 namerun[] = { 9, 'x', 0 };
	static const unsigned char	 strrun[] = { 1, 'x', 7, 0, 9, 'a' };
	static const unsigned char	 intrun[] = { 1, 'x', 4, 0, 0 };
	static const unsigned char	 lenrun[] = { 1, 'x', 6, 0 };
	static const unsigned char	 ok[] = { 1, 'x', 7, 0, 1, 'a' };
	unsigned char			 many[3 * (ES_MAX_HEADERS + 1)];
	struct es_message		 m;
	unsigned char			*f;
	size_t				 n, i;

	expect_header_error(badtype, sizeof(badtype));
	expect_header_error(noname, sizeof(noname));
	expect_header_error(namerun, sizeof(namerun));
	expect_header_error(strrun, sizeof(strrun));
	expect_header_error(intrun, sizeof(intrun));
	expect_header_error(lenrun, sizeof(lenrun));
	for (i = 0; i <= ES_MAX_HEADERS; i++) {
		many[3 * i] = 1;
		many[3 * i + 1] = 'a';
		many[3 * i + 2] = ES_BOOL_TRUE;
	}
	expect_header_error(many, sizeof(many));
	f = frame_with(ok, sizeof(ok), &n);
	CU_ASSERT_EQUAL(es_decode(f, n, &m), ES_OK);
	CU_ASSERT(es_string_is(es_find(&m, "x"), "a"));
	free(f);
}

/* A 16-byte frame whose prelude announces `total` and `hlen`, with a
 * valid prelude CRC. */
static void
forged_prelude(unsigned char pre[16], uint32_t total, uint32_t hlen)
{
	uint32_t	 v[3];
	size_t		 i, k;

	memset(pre, 0, 16);
	v[0] = total;
	v[1] = hlen;
	for (k = 0; k < 2; k++)
		for (i = 0; i < 4; i++)
			pre[4 * k + i] = (unsigned char)(v[k] >> (24 - 8 * i));
	v[2] = es_crc32(0, pre, 8);
	for (i = 0; i < 4; i++)
		pre[8 + i] = (unsigned char)(v[2] >> (24 - 8 * i));
}

static void
test_lengths(void)
{
	struct es_decoder	*d;
	struct es_message	 m;
	unsigned char		*f, pre[16];
	size_t			 n, used;

	/* a decoder capped below the message refuses it after the prelude */
	f = unhex(MSG_START, &n);
	d = es_decoder_new(64);
	CU_ASSERT_EQUAL(es_decoder_push(d, f, n, &used, &m), ES_E_OVERSIZED);
	CU_ASSERT_EQUAL(used, ES_PRELUDE_LEN);
	es_decoder_free(d);
	free(f);
	/* a prelude announcing 16 MiB + 1: refused before any allocation */
	forged_prelude(pre, ES_MAX_MESSAGE + 1, 0);
	d = es_decoder_new(0);
	CU_ASSERT_EQUAL(es_decoder_push(d, pre, 12, &used, &m), ES_E_OVERSIZED);
	es_decoder_free(d);
	CU_ASSERT_EQUAL(es_decode(pre, 16, &m), ES_E_OVERSIZED);
	/* header block longer than the message, message shorter than 16 */
	forged_prelude(pre, 16, 1);
	CU_ASSERT_EQUAL(es_decode(pre, 16, &m), ES_E_LENGTH);
	forged_prelude(pre, 15, 0);
	d = es_decoder_new(0);
	CU_ASSERT_EQUAL(es_decoder_push(d, pre, 16, &used, &m), ES_E_LENGTH);
	es_decoder_free(d);
}

static void
test_truncated(void)
{
	struct es_decoder	*d = es_decoder_new(0);
	struct es_message	 m;
	unsigned char		*f;
	size_t			 n, used;

	f = unhex(METADATA, &n);
	CU_ASSERT_EQUAL(es_decoder_finish(d), ES_OK);
	CU_ASSERT_EQUAL(es_decoder_push(d, f, n - 1, &used, &m), ES_AGAIN);
	CU_ASSERT_EQUAL(used, n - 1);
	CU_ASSERT_EQUAL(es_decoder_finish(d), ES_E_TRUNCATED);
	CU_ASSERT_EQUAL(es_decoder_push(d, f + n - 1, 1, &used, &m), ES_OK);
	CU_ASSERT_EQUAL(es_decoder_finish(d), ES_OK);
	CU_ASSERT_EQUAL(es_decoder_push(d, f, 5, &used, &m), ES_AGAIN);
	CU_ASSERT_EQUAL(es_decoder_finish(d), ES_E_TRUNCATED);
	CU_ASSERT_EQUAL(es_decode(f, n - 1, &m), ES_E_TRUNCATED);
	CU_ASSERT_EQUAL(es_decode(f, 10, &m), ES_E_TRUNCATED);
	es_decoder_free(d);
	free(f);
}

static void
test_round_trip(void)
{
	unsigned char		 payload[3000], *out = NULL;
	struct es_header	 h[4];
	struct es_message	 m;
	size_t			 i, n, plen;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (unsigned char)(i * 7);
	memset(h, 0, sizeof(h));
	h[0] = es_string_header(":event-type", "contentBlockDelta");
	h[1].name = "n"; h[1].name_len = 1; h[1].type = ES_LONG; h[1].v.i64 = INT64_MIN;
	h[2].name = "z"; h[2].name_len = 1; h[2].type = ES_BYTES;
	h[3].name = "q"; h[3].name_len = 1; h[3].type = ES_SHORT; h[3].v.i16 = 32767;
	for (plen = 0; plen <= sizeof(payload); plen += 1000) {
		CU_ASSERT_EQUAL_FATAL(es_encode(h, 4, payload, plen, &out, &n), ES_OK);
		CU_ASSERT_EQUAL(n, es_encoded_len(h, 4, plen));
		CU_ASSERT_EQUAL_FATAL(es_decode(out, n, &m), ES_OK);
		CU_ASSERT_EQUAL(m.nheaders, 4);
		CU_ASSERT(es_string_is(es_find(&m, ":event-type"), "contentBlockDelta"));
		CU_ASSERT_EQUAL(es_find(&m, "n")->v.i64, INT64_MIN);
		CU_ASSERT_EQUAL(es_find(&m, "z")->v.buf.len, 0);
		CU_ASSERT_EQUAL(es_find(&m, "q")->v.i16, 32767);
		CU_ASSERT(m.payload_len == plen && memcmp(m.payload, payload, plen) == 0);
		free(out);
	}
}

static void
test_encoder_rejects(void)
{
	static unsigned char	 big[70000];
	struct es_header	 h;
	unsigned char		 small[20], *out = NULL;
	size_t			 n;

	h = es_string_header(":event-type", "x");
	h.name_len = 0;
	CU_ASSERT_EQUAL(es_encode(&h, 1, NULL, 0, &out, &n), ES_E_ARG);
	CU_ASSERT_PTR_NULL(out);
	h.name_len = 256;
	CU_ASSERT_EQUAL(es_encoded_len(&h, 1, 0), 0);
	h = es_string_header("x", "");
	h.v.buf.ptr = big;
	h.v.buf.len = sizeof(big);
	CU_ASSERT_EQUAL(es_encode(&h, 1, NULL, 0, &out, &n), ES_E_ARG);
	h = es_string_header(":event-type", "metadata");
	CU_ASSERT_EQUAL(es_encode_to(&h, 1, "{}", 2, small, sizeof(small), &n), ES_E_OVERSIZED);
	CU_ASSERT_EQUAL(n, 16 + 2 + 11 + 2 + 8 + 2);
	CU_ASSERT_EQUAL(es_encoded_len(&h, 1, ES_MAX_MESSAGE), 0);
	CU_ASSERT_STRING_EQUAL(es_strerror(ES_E_MESSAGE_CRC), "event stream message CRC mismatch");
}

int
main(void)
{
	CU_pSuite	 s;
	unsigned	 failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("eventstream", NULL, NULL);
	CU_add_test(s, "CRC-32", test_crc32);
	CU_add_test(s, "decode @smithy/eventstream-codec frames", test_decode_smithy_event);
	CU_add_test(s, "decode every header type", test_decode_all_types);
	CU_add_test(s, "encoder reproduces AWS's bytes", test_encode_matches_smithy);
	CU_add_test(s, "re-encode metadata with a new payload", test_reencode_metadata);
	CU_add_test(s, "byte-at-a-time and random chunks", test_incremental);
	CU_add_test(s, "es_decoder_each: chunks, stop, error", test_each);
	CU_add_test(s, "CRC corruption detected, sticky", test_crc_corruption);
	CU_add_test(s, "malformed header blocks", test_malformed_headers);
	CU_add_test(s, "oversized and inconsistent lengths", test_lengths);
	CU_add_test(s, "truncated streams", test_truncated);
	CU_add_test(s, "round trip", test_round_trip);
	CU_add_test(s, "encoder rejects what it cannot encode", test_encoder_rejects);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failures == 0 ? 0 : 1;
}
