/*
 * test_stream.c - the pure parts of the streaming relay (gateway/stream.c):
 * the metadata event re-encoded with the router's invokedModelId and fresh
 * CRCs, InvokeModel stream chunks, exception frames, base64, the
 * Converse-shaped view of native InvokeModel bodies, the one-provider check.
 * CRCs are checked with a bitwise CRC-32 written here, independent of
 * eventstream.c.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <jansson.h>

#include "config.h"
#include "eventstream.h"
#include "request.h"
#include "stream_impl.h"

#define HAIKU	"anthropic.claude-3-haiku-20240307-v1:0"

/* CRC-32/IEEE, bit by bit: an independent check of the frames' CRCs. */
static uint32_t
crc32_ref(const unsigned char *p, size_t n)
{
	uint32_t	 c = 0xffffffffu;
	int		 k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return c ^ 0xffffffffu;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Both CRCs and the total length of a frame, checked by hand. */
static void
check_frame_crcs(const unsigned char *f, size_t n)
{
	CU_ASSERT_FATAL(n >= 16);
	CU_ASSERT_EQUAL(be32(f), n);
	CU_ASSERT_EQUAL(be32(f + 8), crc32_ref(f, 8));
	CU_ASSERT_EQUAL(be32(f + n - 4), crc32_ref(f, n - 4));
}

static int
header_is(const struct es_message *m, const char *name, const char *value)
{
	return es_string_is(es_find(m, name), value);
}

/* An upstream-like event frame, decoded: `buf` keeps the bytes alive. */
static void
make_event(const char *type, const char *json, unsigned char **buf, struct es_message *m)
{
	size_t	 n;

	CU_ASSERT_FATAL(es_encode_json("event", type, json, strlen(json), buf, &n) == ES_OK);
	CU_ASSERT_FATAL(es_decode(*buf, n, m) == ES_OK);
}

static json_t *
payload_json(const struct es_message *m)
{
	return json_loadb((const char *)m->payload, m->payload_len, 0, NULL);
}

static void
test_metadata_rewrite(void)
{
	unsigned char		*in = NULL, *out = NULL;
	struct es_message	 m, r;
	struct stream_usage	 u = { 0 };
	size_t			 n = 0;
	json_t			*j;

	make_event("metadata", "{\"usage\":{\"inputTokens\":12,\"outputTokens\":70,"
	    "\"totalTokens\":82,\"cacheReadInputTokens\":5,\"cacheWriteInputTokens\":3},"
	    "\"metrics\":{\"latencyMs\":11},\"p\":\"abcdef\"}", &in, &m);
	CU_ASSERT_EQUAL(stream_metadata_frame(&m, HAIKU, &u, &out, &n), ES_OK);
	CU_ASSERT(u.seen);
	CU_ASSERT_EQUAL(u.input_tokens, 12);
	CU_ASSERT_EQUAL(u.output_tokens, 70);
	CU_ASSERT_EQUAL(u.cache_read_tokens, 5);
	CU_ASSERT_EQUAL(u.cache_write_tokens, 3);
	CU_ASSERT_FATAL(out != NULL);
	check_frame_crcs(out, n);
	CU_ASSERT_FATAL(es_decode(out, n, &r) == ES_OK);
	CU_ASSERT_EQUAL(r.nheaders, 3);
	CU_ASSERT(header_is(&r, ":event-type", "metadata"));
	CU_ASSERT(header_is(&r, ":message-type", "event"));
	CU_ASSERT(header_is(&r, ":content-type", "application/json"));
	j = payload_json(&r);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(
	    json_object_get(j, "trace"), "promptRouter"), "invokedModelId")), HAIKU);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(j, "usage"),
	    "totalTokens")), 82);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(j, "metrics"),
	    "latencyMs")), 11);
	json_decref(j);
	free(in);
	free(out);
}

/* An existing trace (a guardrail's) is kept; promptRouter is added to it. */
static void
test_metadata_keeps_trace(void)
{
	unsigned char		*in = NULL, *out = NULL;
	struct es_message	 m, r;
	struct stream_usage	 u = { 0 };
	size_t			 n = 0;
	json_t			*j, *trace;

	make_event("metadata", "{\"usage\":{\"inputTokens\":1,\"outputTokens\":2},"
	    "\"metrics\":{},\"trace\":{\"guardrail\":{\"x\":1}}}", &in, &m);
	CU_ASSERT_EQUAL(stream_metadata_frame(&m, "amazon.nova-lite-v1:0", &u, &out, &n), ES_OK);
	CU_ASSERT_FATAL(out != NULL && es_decode(out, n, &r) == ES_OK);
	j = payload_json(&r);
	trace = json_object_get(j, "trace");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(trace,
	    "guardrail"), "x")), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(trace,
	    "promptRouter"), "invokedModelId")), "amazon.nova-lite-v1:0");
	json_decref(j);
	free(in);
	free(out);
}

/* Without a router the frame is only read: relayed byte for byte. */
static void
test_metadata_passthrough(void)
{
	unsigned char		*in = NULL, *out = NULL;
	struct es_message	 m;
	struct stream_usage	 u = { 0 };
	size_t			 n = 0;

	make_event("metadata", "{\"usage\":{\"inputTokens\":7,\"outputTokens\":9}}", &in, &m);
	CU_ASSERT_EQUAL(stream_metadata_frame(&m, NULL, &u, &out, &n), ES_OK);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT(u.seen);
	CU_ASSERT_EQUAL(u.input_tokens, 7);
	CU_ASSERT_EQUAL(u.output_tokens, 9);
	free(in);
}

static void
test_metadata_not_json(void)
{
	unsigned char		*in = NULL, *out = NULL;
	struct es_message	 m;
	struct stream_usage	 u = { 0 };
	size_t			 n = 0;

	make_event("metadata", "not json {", &in, &m);
	CU_ASSERT_EQUAL(stream_metadata_frame(&m, HAIKU, &u, &out, &n), ES_E_ARG);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT(!u.seen);
	free(in);
}

/* A chunk frame {"bytes": base64(inner)} as InvokeModel streams send them. */
static void
make_chunk(const char *inner, unsigned char **buf, struct es_message *m)
{
	char	*b64 = stream_b64_encode(inner, strlen(inner)), *outer;
	json_t	*j;

	CU_ASSERT_FATAL(b64 != NULL);
	j = json_pack("{s:s, s:s}", "bytes", b64, "p", "abc");
	outer = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	make_event("chunk", outer, buf, m);
	free(outer);
	free(b64);
}

static json_t *
chunk_inner(const struct es_message *m)
{
	json_t		*o = payload_json(m), *in;
	const char	*b = json_string_value(json_object_get(o, "bytes"));
	unsigned char	*raw;
	size_t		 n;

	raw = stream_b64_decode(b, strlen(b), &n);
	in = raw != NULL ? json_loadb((char *)raw, n, 0, NULL) : NULL;
	free(raw);
	json_decref(o);
	return in;
}

static void
test_chunk_metrics(void)
{
	unsigned char		*in = NULL, *out = NULL;
	struct es_message	 m, r;
	struct stream_usage	 u = { 0 };
	size_t			 n = 0;
	json_t			*j;

	make_chunk("{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":"
	    "{\"inputTokenCount\":21,\"outputTokenCount\":34,\"invocationLatency\":5}}",
	    &in, &m);
	CU_ASSERT_EQUAL(stream_chunk_frame(&m, HAIKU, &u, &out, &n), ES_OK);
	CU_ASSERT(u.seen);
	CU_ASSERT_EQUAL(u.input_tokens, 21);
	CU_ASSERT_EQUAL(u.output_tokens, 34);
	CU_ASSERT_FATAL(out != NULL);
	check_frame_crcs(out, n);
	CU_ASSERT_FATAL(es_decode(out, n, &r) == ES_OK);
	CU_ASSERT(header_is(&r, ":event-type", "chunk"));
	j = chunk_inner(&r);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "type")), "message_stop");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(
	    json_object_get(j, "amazon-bedrock-trace"), "promptRouter"), "invokedModelId")), HAIKU);
	json_decref(j);
	free(in);
	free(out);
}

static void
test_chunk_plain(void)
{
	unsigned char		*in = NULL, *out = NULL;
	struct es_message	 m;
	struct stream_usage	 u = { 0 };
	size_t			 n = 0;

	make_chunk("{\"type\":\"content_block_delta\",\"delta\":{\"text\":\"hi\"}}", &in, &m);
	CU_ASSERT_EQUAL(stream_chunk_frame(&m, HAIKU, &u, &out, &n), ES_OK);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT(!u.seen);
	free(in);
	/* Metrics, no router: usage read, frame unchanged. */
	make_chunk("{\"generation\":\"\",\"amazon-bedrock-invocationMetrics\":"
	    "{\"inputTokenCount\":3,\"outputTokenCount\":4}}", &in, &m);
	CU_ASSERT_EQUAL(stream_chunk_frame(&m, NULL, &u, &out, &n), ES_OK);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT(u.seen && u.input_tokens == 3 && u.output_tokens == 4);
	free(in);
}

static void
test_exception_frame(void)
{
	unsigned char		*out = NULL;
	struct es_message	 r;
	size_t			 n = 0;
	json_t			*j;

	CU_ASSERT_EQUAL(stream_exception_frame("modelStreamErrorException",
	    "cut \"mid\" stream\n", &out, &n), ES_OK);
	CU_ASSERT_FATAL(out != NULL);
	check_frame_crcs(out, n);
	CU_ASSERT_FATAL(es_decode(out, n, &r) == ES_OK);
	CU_ASSERT_EQUAL(r.nheaders, 3);
	CU_ASSERT(header_is(&r, ":message-type", "exception"));
	CU_ASSERT(header_is(&r, ":exception-type", "modelStreamErrorException"));
	CU_ASSERT(header_is(&r, ":content-type", "application/json"));
	CU_ASSERT_PTR_NULL(es_find(&r, ":event-type"));
	j = payload_json(&r);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "message")),
	    "cut \"mid\" stream\n");
	CU_ASSERT_EQUAL(stream_exception_class(&r), TG_UP_INTERNAL);
	json_decref(j);
	free(out);
}

static void
test_exception_class(void)
{
	static const struct { const char *type; enum tg_upstream_err e; } t[] = {
		{ "throttlingException", TG_UP_THROTTLED },
		{ "serviceUnavailableException", TG_UP_UNAVAILABLE },
		{ "modelTimeoutException", TG_UP_TIMEOUT },
		{ "validationException", TG_UP_CLIENT },
		{ "internalServerException", TG_UP_INTERNAL },
	};
	unsigned char		*out;
	struct es_message	 r;
	size_t			 i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		out = NULL;
		CU_ASSERT_FATAL(stream_exception_frame(t[i].type, "m", &out, &n) == ES_OK);
		CU_ASSERT_FATAL(es_decode(out, n, &r) == ES_OK);
		CU_ASSERT_EQUAL(stream_exception_class(&r), t[i].e);
		free(out);
	}
}

static void
test_base64(void)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==",
	    "Zm9vYmE=", "Zm9vYmFy" };	/* RFC 4648 section 10 */
	unsigned char	*d;
	char		*e;
	size_t		 i, n;

	for (i = 0; i < 7; i++) {
		e = stream_b64_encode(plain[i], strlen(plain[i]));
		CU_ASSERT_STRING_EQUAL(e, enc[i]);
		d = stream_b64_decode(enc[i], strlen(enc[i]), &n);
		CU_ASSERT_FATAL(d != NULL);
		CU_ASSERT_EQUAL(n, strlen(plain[i]));
		CU_ASSERT(memcmp(d, plain[i], n) == 0);
		free(e);
		free(d);
	}
	CU_ASSERT_PTR_NULL(stream_b64_decode("Zm9", 3, &n));
	CU_ASSERT_PTR_NULL(stream_b64_decode("Zm9*", 4, &n));
}

/* The view of a native body must pass the gateway's own Converse parser
 * and carry the facts the router uses. */
static void
check_view(const char *native, struct req_converse *c)
{
	json_t	*n = json_loads(native, 0, NULL), *v;
	char	*s, msg[256];

	CU_ASSERT_FATAL(n != NULL);
	v = stream_view(n);
	s = json_dumps(v, JSON_COMPACT);
	CU_ASSERT_EQUAL_FATAL(req_parse_converse(s, strlen(s), 32, c, msg, sizeof(msg)), REQ_OK);
	free(s);
	json_decref(v);
	json_decref(n);
}

static void
test_view_anthropic(void)
{
	struct req_converse	 c;
	json_t			*ic;

	check_view("{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":300,"
	    "\"system\":\"be brief\",\"tools\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
	    "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"},"
	    "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\","
	    "\"name\":\"a\",\"input\":{}}]},"
	    "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\","
	    "\"content\":\"42\"},{\"type\":\"text\",\"text\":\"and this\"},{\"type\":\"image\","
	    "\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"AAAA\"}}]}]}", &c);
	CU_ASSERT_EQUAL(c.turns, 3);
	CU_ASSERT_EQUAL(c.text_chars, strlen("be brief") + strlen("hello") + strlen("and this"));
	CU_ASSERT(c.has_tools);
	CU_ASSERT(c.has_images);
	CU_ASSERT(!c.has_documents);
	ic = json_object_get(c.root, "inferenceConfig");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(ic, "maxTokens")), 300);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(c.root,
	    "toolConfig"), "tools")), 2);
	req_converse_free(&c);
}

static void
test_view_prompt_and_nova(void)
{
	struct req_converse	 c;

	check_view("{\"prompt\":\"<|begin_of_text|>why?\",\"max_gen_len\":64}", &c);
	CU_ASSERT_EQUAL(c.turns, 1);
	CU_ASSERT_EQUAL(c.text_chars, strlen("<|begin_of_text|>why?"));
	CU_ASSERT(!c.has_tools && !c.has_images);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(c.root,
	    "inferenceConfig"), "maxTokens")), 64);
	req_converse_free(&c);
	check_view("{\"inputText\":\"titan text\"}", &c);
	CU_ASSERT_EQUAL(c.text_chars, strlen("titan text"));
	CU_ASSERT_PTR_NULL(json_object_get(c.root, "inferenceConfig"));
	req_converse_free(&c);
	check_view("{\"schemaVersion\":\"messages-v1\",\"system\":[{\"text\":\"sys\"}],"
	    "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"},"
	    "{\"document\":{\"format\":\"txt\",\"name\":\"d\",\"source\":{\"bytes\":\"AAAA\"}}}]}],"
	    "\"inferenceConfig\":{\"max_new_tokens\":10},\"toolConfig\":{\"tools\":[{}]}}", &c);
	CU_ASSERT_EQUAL(c.text_chars, 5);
	CU_ASSERT(c.has_documents && c.has_tools);
	req_converse_free(&c);
	/* Nothing recognisable: still a valid, empty conversation. */
	check_view("{\"foo\":[1,2,3]}", &c);
	CU_ASSERT_EQUAL(c.turns, 1);
	CU_ASSERT_EQUAL(c.text_chars, 0);
	req_converse_free(&c);
}

/* Answer text of a delta, schema by schema, in code points. */
static size_t
delta_chars(const char *js)
{
	json_t	*j = json_loads(js, 0, NULL);
	size_t	 n = stream_delta_chars(j);

	json_decref(j);
	return n;
}

static void
test_delta_chars(void)
{
	CU_ASSERT_EQUAL(delta_chars("{\"contentBlockIndex\":0,\"delta\":{\"text\":\"hello\"}}"), 5);
	CU_ASSERT_EQUAL(delta_chars("{\"delta\":{\"toolUse\":{\"input\":\"{\\\"a\\\":1}\"}}}"), 7);
	CU_ASSERT_EQUAL(delta_chars("{\"delta\":{\"reasoningContent\":{\"text\":\"why\"}}}"), 3);
	CU_ASSERT_EQUAL(delta_chars("{\"type\":\"content_block_delta\",\"delta\":"
	    "{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}"), 2);
	CU_ASSERT_EQUAL(delta_chars("{\"contentBlockDelta\":{\"delta\":{\"text\":\"nova\"}}}"), 4);
	CU_ASSERT_EQUAL(delta_chars("{\"generation\":\"llama\",\"prompt_token_count\":3}"), 5);
	CU_ASSERT_EQUAL(delta_chars("{\"outputs\":[{\"text\":\"mistral\"}]}"), 7);
	/* Code points, not bytes: U+00E9 is 2 bytes in UTF-8, U+1F600 is 4. */
	CU_ASSERT_EQUAL(delta_chars("{\"delta\":{\"text\":\"\\u00e9t\\u00e9 \\ud83d\\ude00\"}}"), 5);
	CU_ASSERT_EQUAL(delta_chars("{\"messageStart\":{\"role\":\"assistant\"}}"), 0);
	CU_ASSERT_EQUAL(stream_delta_chars(NULL), 0);
}

static void
test_frame_chars(void)
{
	unsigned char		*in = NULL;
	struct es_message	 m;

	make_chunk("{\"type\":\"content_block_delta\",\"delta\":{\"text\":\"hi\"}}", &in, &m);
	CU_ASSERT_EQUAL(stream_frame_chars(&m, 1), 2);
	free(in);
	make_event("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":"
	    "\"four\"},\"p\":\"xx\"}", &in, &m);
	CU_ASSERT_EQUAL(stream_frame_chars(&m, 0), 4);
	/* Not a chunk: nothing counted as InvokeModel text. */
	CU_ASSERT_EQUAL(stream_frame_chars(&m, 1), 0);
	free(in);
}

static void
test_router_provider(void)
{
	struct tg_model		 m[3] = { { .provider = "anthropic" },
	    { .provider = "anthropic" }, { .provider = "meta" } };
	size_t			 two[2] = { 0, 1 }, mixed[2] = { 0, 2 };
	struct tg_config	 cfg = { .models = m, .nmodels = 3 };
	struct tg_router	 r = { .models = two, .nmodels = 2, .fallback = 1 };
	const char		*a = NULL, *b = NULL;

	CU_ASSERT_STRING_EQUAL(stream_router_provider(&cfg, &r, &a, &b), "anthropic");
	r.models = mixed;
	CU_ASSERT_PTR_NULL(stream_router_provider(&cfg, &r, &a, &b));
	CU_ASSERT_STRING_EQUAL(a, "anthropic");
	CU_ASSERT_STRING_EQUAL(b, "meta");
	/* A fallback of another family is mixing too. */
	r.models = two;
	r.fallback = 2;
	CU_ASSERT_PTR_NULL(stream_router_provider(&cfg, &r, &a, &b));
	CU_ASSERT_STRING_EQUAL(b, "meta");
}

int
main(void)
{
	CU_pSuite	 s;
	unsigned	 failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("stream", NULL, NULL);
	CU_add_test(s, "metadata: invokedModelId, usage, new CRCs", test_metadata_rewrite);
	CU_add_test(s, "metadata: an existing trace is kept", test_metadata_keeps_trace);
	CU_add_test(s, "metadata: no router, relayed unchanged", test_metadata_passthrough);
	CU_add_test(s, "metadata: not JSON", test_metadata_not_json);
	CU_add_test(s, "chunk: invocation metrics and trace", test_chunk_metrics);
	CU_add_test(s, "chunk: plain chunks unchanged", test_chunk_plain);
	CU_add_test(s, "exception frame: Bedrock's headers", test_exception_frame);
	CU_add_test(s, "exception class", test_exception_class);
	CU_add_test(s, "base64: RFC 4648 vectors", test_base64);
	CU_add_test(s, "view: Anthropic messages", test_view_anthropic);
	CU_add_test(s, "view: prompt, Titan, Nova, unknown", test_view_prompt_and_nova);
	CU_add_test(s, "router provider check", test_router_provider);
	CU_add_test(s, "delta text of every schema, in code points", test_delta_chars);
	CU_add_test(s, "frame text: ConverseStream delta, InvokeModel chunk", test_frame_chars);
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
