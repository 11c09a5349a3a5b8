/*
 * test_openai.c - the OpenAI front door's pure parts, driven by data files
 * in tests/unit/fixtures/openai (one JSON case per line):
 *
 *   requests.jsonl   {"name", "chat": request, "converse": expected body,
 *                     ["json_tool", "stream", "include_usage"]} or
 *                    {"name", "chat", "param": the field the refusal names}
 *   responses.jsonl  {"name", "answer": Converse answer, ["json_tool"],
 *                     "finish", "message": expected choices[0].message}
 *   stream.jsonl     {"name", ["json_tool"], "events": [[type, payload]...],
 *                     "deltas": [expected delta or null per event],
 *                     "finish", "usage": expected include_usage chunk usage}
 *
 * Fixtures are found through $top_srcdir, or two levels above this file.
 */
#include "autoconf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <jansson.h>

#include "openai_impl.h"

#define FIXDIR_REL	"tests/unit/fixtures/openai"

static char	 fixdir[PATH_MAX];

static void
find_fixtures(void)
{
	const char	*top = getenv("top_srcdir");
	char		 here[PATH_MAX], *slash;

	if (top != NULL) {
		snprintf(fixdir, sizeof(fixdir), "%s/%s", top, FIXDIR_REL);
		return;
	}
	snprintf(here, sizeof(here), "%s", __FILE__);
	if ((slash = strrchr(here, '/')) != NULL)
		*slash = '\0';
	snprintf(fixdir, sizeof(fixdir), "%s/../../%s", here, FIXDIR_REL);
}

/* Run `fn` on every case of a fixture file; counts the cases. */
static size_t
each_case(const char *file, void (*fn)(const json_t *))
{
	char		 path[PATH_MAX + 64], line[65536];
	FILE		*f;
	json_t		*c;
	size_t		 n = 0;

	snprintf(path, sizeof(path), "%s/%s", fixdir, file);
	if ((f = fopen(path, "r")) == NULL) {
		CU_FAIL_FATAL("fixture file missing");
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((c = json_loads(line, 0, NULL)) == NULL) {
			CU_FAIL("fixture line is not JSON");
			continue;
		}
		fn(c);
		json_decref(c);
		n++;
	}
	fclose(f);
	return n;
}

static void
report(const char *name, const json_t *want, const json_t *got)
{
	char	*a = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	char	*b = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	fprintf(stderr, "\ncase \"%s\":\n  want %s\n  got  %s\n", name, a ? a : "-", b ? b : "-");
	free(a);
	free(b);
}

/* ---- requests --------------------------------------------------------------- */

static void
request_case(const json_t *c)
{
	const char	*name = json_string_value(json_object_get(c, "name"));
	const char	*param = json_string_value(json_object_get(c, "param"));
	const char	*jt = json_string_value(json_object_get(c, "json_tool"));
	struct oa_chat	 chat;
	struct oa_fault	 f;
	enum oa_err	 e;

	e = oa_chat_from_json(json_deep_copy(json_object_get(c, "chat")), &chat, &f);
	if (param != NULL) {
		CU_ASSERT_EQUAL(e, OA_E_FIELD);
		CU_ASSERT_STRING_EQUAL(f.param, param);
		CU_ASSERT(strlen(f.message) > 10);
		if (e != OA_E_FIELD || strcmp(f.param, param) != 0)
			fprintf(stderr, "\ncase \"%s\": err %d param '%s' (%s)\n", name, e,
			    f.param, f.message);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(e, OA_OK);
	if (e != OA_OK)
		fprintf(stderr, "\ncase \"%s\": %s: %s\n", name, f.param, f.message);
	CU_ASSERT(json_equal(chat.converse, json_object_get(c, "converse")));
	if (!json_equal(chat.converse, json_object_get(c, "converse")))
		report(name, json_object_get(c, "converse"), chat.converse);
	CU_ASSERT((jt == NULL && chat.json_tool == NULL) ||
	    (jt != NULL && chat.json_tool != NULL && strcmp(jt, chat.json_tool) == 0));
	CU_ASSERT_EQUAL(chat.stream, json_integer_value(json_object_get(c, "stream")));
	CU_ASSERT_EQUAL(chat.include_usage,
	    json_integer_value(json_object_get(c, "include_usage")));
	oa_chat_free(&chat);
}

static void
test_requests(void)
{
	CU_ASSERT(each_case("requests.jsonl", request_case) >= 40);
}

/* Not JSON objects at all, and NULL: refused or out of memory, no crash. */
static void
test_request_shapes(void)
{
	struct oa_chat	 chat;
	struct oa_fault	 f;

	CU_ASSERT_EQUAL(oa_chat_from_json(json_array(), &chat, &f), OA_E_FIELD);
	CU_ASSERT_EQUAL(oa_chat_from_json(NULL, &chat, &f), OA_E_NOMEM);
	CU_ASSERT_EQUAL(oa_chat_from_json(json_pack("{s:s, s:[s]}", "model", "m",
	    "messages", "hi"), &chat, &f), OA_E_FIELD);
	CU_ASSERT_STRING_EQUAL(f.param, "messages[0].role");
	CU_ASSERT_STRING_EQUAL(oa_strerror(OA_E_FIELD), "a request member cannot be honoured");
	CU_ASSERT_STRING_EQUAL(oa_strerror(OA_E_NOMEM), "out of memory");
}

/* ---- responses ---------------------------------------------------------------- */

static struct oa_facts
facts(const json_t *c)
{
	struct oa_facts	 f = { "chatcmpl-x", 1700000000, "m", "r", "why", NULL, 4, 2, 6, 1 };

	f.json_tool = json_string_value(json_object_get(c, "json_tool"));
	return f;
}

static void
response_case(const json_t *c)
{
	const char	*name = json_string_value(json_object_get(c, "name"));
	struct oa_facts	 f = facts(c);
	json_t		*out = oa_completion(json_object_get(c, "answer"), &f);
	json_t		*choice = json_array_get(json_object_get(out, "choices"), 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT(json_equal(json_object_get(choice, "message"), json_object_get(c, "message")));
	if (!json_equal(json_object_get(choice, "message"), json_object_get(c, "message")))
		report(name, json_object_get(c, "message"), json_object_get(choice, "message"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(choice, "finish_reason")),
	    json_string_value(json_object_get(c, "finish")));
	json_decref(out);
}

static void
test_responses(void)
{
	CU_ASSERT(each_case("responses.jsonl", response_case) >= 7);
}

/* The envelope: id, object, model, usage with cached tokens counted in,
 * the extension member, no system_fingerprint. */
static void
test_response_envelope(void)
{
	json_t		*a = json_pack("{s:{s:{s:s, s:[{s:s}]}}, s:s}", "output", "message",
	    "role", "assistant", "content", "text", "x", "stopReason", "end_turn");
	struct oa_facts	 f = facts(a);
	json_t		*out = oa_completion(a, &f), *want;

	want = json_pack("{s:s, s:s, s:i, s:s, s:{s:i, s:i, s:i, s:{s:i}}, s:{s:s, s:s, s:s}}",
	    "id", "chatcmpl-x", "object", "chat.completion", "created", 1700000000,
	    "model", "m", "usage", "prompt_tokens", 11, "completion_tokens", 2,
	    "total_tokens", 13, "prompt_tokens_details", "cached_tokens", 6,
	    "tiergate", "router", "r", "model", "m", "reason", "why");
	json_object_del(out, "choices");
	CU_ASSERT(json_equal(out, want));
	if (!json_equal(out, want))
		report("envelope", want, out);
	CU_ASSERT_PTR_NULL(oa_completion(json_object_get(a, "stopReason"), &f));
	json_decref(out);
	json_decref(want);
	json_decref(a);
}

/* ---- stream chunks ------------------------------------------------------------- */

static void
stream_case(const json_t *c)
{
	const char	*name = json_string_value(json_object_get(c, "name"));
	struct oa_facts	 f = facts(c);
	struct oa_sse	 s = { 0 };
	const json_t	*ev, *want;
	json_t		*chunk, *usage;
	size_t		 i;

	s.facts = &f;
	json_array_foreach(json_object_get(c, "events"), i, ev) {
		oa_sse_event(&s, json_string_value(json_array_get(ev, 0)), json_array_get(ev, 1),
		    &chunk);
		want = json_array_get(json_object_get(c, "deltas"), i);
		if (json_is_null(want)) {
			CU_ASSERT_PTR_NULL(chunk);
			continue;
		}
		CU_ASSERT_PTR_NOT_NULL_FATAL(chunk);
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(chunk, "object")),
		    "chat.completion.chunk");
		CU_ASSERT(json_equal(json_object_get(json_array_get(json_object_get(chunk,
		    "choices"), 0), "delta"), want));
		if (!json_equal(json_object_get(json_array_get(json_object_get(chunk,
		    "choices"), 0), "delta"), want))
			report(name, want, chunk);
		json_decref(chunk);
	}
	CU_ASSERT_STRING_EQUAL(s.finish, json_string_value(json_object_get(c, "finish")));
	CU_ASSERT_EQUAL(s.sent_first, 1);
	chunk = oa_sse_usage_chunk(&s);
	usage = json_object_get(chunk, "usage");
	CU_ASSERT(json_equal(usage, json_object_get(c, "usage")));
	if (!json_equal(usage, json_object_get(c, "usage")))
		report(name, json_object_get(c, "usage"), usage);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(chunk, "choices")), 0);
	json_decref(chunk);
}

static void
test_stream(void)
{
	CU_ASSERT(each_case("stream.jsonl", stream_case) >= 4);
}

/* Only the first chunk carries the extension member. */
static void
test_stream_extension(void)
{
	struct oa_facts	 f = facts(NULL);
	struct oa_sse	 s = { 0 };
	json_t		*p = json_pack("{s:i, s:{s:s}}", "contentBlockIndex", 0, "delta", "text", "a");
	json_t		*c1, *c2;

	s.facts = &f;
	oa_sse_event(&s, "contentBlockDelta", p, &c1);
	oa_sse_event(&s, "contentBlockDelta", p, &c2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(c1,
	    "tiergate"), "router")), "r");
	CU_ASSERT_PTR_NULL(json_object_get(c2, "tiergate"));
	CU_ASSERT_PTR_NULL(json_object_get(c2, "system_fingerprint"));
	json_decref(c1);
	json_decref(c2);
	json_decref(p);
}

static void
test_finish_reason(void)
{
	CU_ASSERT_STRING_EQUAL(oa_finish_reason("end_turn"), "stop");
	CU_ASSERT_STRING_EQUAL(oa_finish_reason("stop_sequence"), "stop");
	CU_ASSERT_STRING_EQUAL(oa_finish_reason("max_tokens"), "length");
	CU_ASSERT_STRING_EQUAL(oa_finish_reason("tool_use"), "tool_calls");
	CU_ASSERT_STRING_EQUAL(oa_finish_reason("content_filtered"), "content_filter");
	CU_ASSERT_STRING_EQUAL(oa_finish_reason(NULL), "stop");
}

int
main(void)
{
	CU_pSuite	 s;
	unsigned	 failed;

	find_fixtures();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("openai", NULL, NULL);
	CU_add_test(s, "requests -> Converse (requests.jsonl)", test_requests);
	CU_add_test(s, "requests that are not objects", test_request_shapes);
	CU_add_test(s, "Converse answers -> completions (responses.jsonl)", test_responses);
	CU_add_test(s, "completion envelope and usage", test_response_envelope);
	CU_add_test(s, "stream events -> chunks (stream.jsonl)", test_stream);
	CU_add_test(s, "stream: extension member on the first chunk", test_stream_extension);
	CU_add_test(s, "finish reasons", test_finish_reason);
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
