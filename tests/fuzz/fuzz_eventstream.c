/*
 * fuzz_eventstream.c - libFuzzer harness for the AWS event-stream decoder
 * (gateway/eventstream.c), which reads Bedrock's streamed answers.
 *
 * The input after its first byte is a stream of frames.  It goes through
 * es_decode() as one frame, then through an incremental decoder in chunks
 * whose size comes from the first byte (1..32 bytes, as libcurl may split
 * them anywhere), with a message cap of 64 KiB.  Every message decoded
 * must encode back to exactly its frame (the format leaves no freedom), and
 * the incremental decoder must agree with es_decode() on each frame.
 */
#include <assert.h>

#include "eventstream.h"
#include "fuzz.h"

#define FUZZ_CAP	(64u << 10)

/* Re-encode m from its headers and payload: the same bytes come out. */
static void
fuzz_roundtrip(const struct es_message *m)
{
	unsigned char	*out = NULL;
	size_t		 len = 0;

	assert(m->frame_len >= ES_MIN_MESSAGE && m->nheaders <= ES_MAX_HEADERS);
	assert(es_encode(m->headers, m->nheaders, m->payload, m->payload_len,
	    &out, &len) == ES_OK);
	assert(len == m->frame_len && memcmp(out, m->frame, len) == 0);
	free(out);
}

static int
fuzz_each(void *ctx, const struct es_message *m)
{
	struct es_message	 again;
	size_t			*count = ctx;

	fuzz_roundtrip(m);
	assert(es_decode(m->frame, m->frame_len, &again) == ES_OK);
	assert(again.nheaders == m->nheaders && again.payload_len == m->payload_len);
	(void)es_string_is(es_find(m, ":event-type"), "contentBlockDelta");
	(*count)++;
	return 0;
}

static void
fuzz_chunks(const uint8_t *data, size_t size, size_t chunk)
{
	struct es_decoder	*d;
	enum es_err		 e = ES_OK;
	size_t			 off, n, count = 0;

	if ((d = es_decoder_new(FUZZ_CAP)) == NULL)
		abort();
	for (off = 0; off < size && e == ES_OK; off += n) {
		n = size - off < chunk ? size - off : chunk;
		if (es_decoder_each(d, data + off, n, fuzz_each, &count, &e) != 0)
			assert(e != ES_OK);
	}
	(void)es_decoder_finish(d);
	es_decoder_free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct es_message	 m;

	if (size == 0)
		return 0;
	if (es_decode(data + 1, size - 1, &m) == ES_OK)
		fuzz_roundtrip(&m);
	fuzz_chunks(data + 1, size - 1, (size_t)(data[0] % 32) + 1);
	return 0;
}
