/*
 * fuzz_request.c - libFuzzer harness for the untrusted request parser
 * (gateway/request.c): the input is a client's body, given exactly as
 * received (pointer + length, no NUL), to req_parse_converse() (Converse,
 * ConverseStream) and req_parse_json() (InvokeModel, then stream_view(),
 * gateway/stream.c, which turns a native body into the Converse-shaped view
 * that routing reads), and, as a C string, a request path to
 * req_parse_model_path() and modelid_parse() (gateway/modelid.c, Bedrock's
 * model-id grammar, run on every id a client sends) and a string to
 * req_utf8_sanitize().
 *
 * Besides crashes and sanitizer reports it checks properties that must
 * hold for every input: the view of any JSON object passes the Converse
 * checks (stream_prepare_view() sends it through req_parse_converse(); a
 * failure would refuse a valid InvokeModel call with a Converse message),
 * a parsed model id percent-encodes and parses back to itself, and
 * req_utf8_sanitize() output is left alone by a second pass.
 */
#include <assert.h>

#include "modelid.h"
#include "request.h"
#include "fuzz.h"

#define FUZZ_DEPTH	32	/* limits.max_json_depth's default */

json_t	*stream_view(const json_t *native);	/* gateway/stream_impl.h */

static void
fuzz_converse(const uint8_t *data, size_t size)
{
	struct req_converse	 c;
	char			 msg[512];

	if (req_parse_converse((const char *)data, size, FUZZ_DEPTH, &c, msg,
	    sizeof(msg)) == REQ_OK) {
		assert(c.root != NULL && c.turns > 0);
		assert(c.request_class != NULL && c.conversation_id != NULL);
		req_converse_free(&c);
	}
}

/* As stream_prepare_view(): the view, dumped, parsed as a Converse body. */
static void
fuzz_view(const json_t *native)
{
	struct req_converse	 c;
	json_t			*view;
	char			 msg[512], *s;

	view = stream_view(native);
	if ((s = json_dumps(view, JSON_COMPACT)) == NULL)
		abort();
	assert(req_parse_converse(s, strlen(s), FUZZ_DEPTH, &c, msg, sizeof(msg)) == REQ_OK);
	req_converse_free(&c);
	free(s);
	json_decref(view);
}

static void
fuzz_invoke(const uint8_t *data, size_t size)
{
	json_t	*root;
	char	 msg[512];

	if (req_parse_json((const char *)data, size, FUZZ_DEPTH, &root, msg,
	    sizeof(msg)) == REQ_OK) {
		assert(json_is_object(root));
		fuzz_view(root);
	}
	json_decref(root);
}

/* A classified id's resource is a part of it. */
static void
fuzz_modelid(const char *id)
{
	struct modelid	 m;
	int		 rc = modelid_parse(id, &m);

	assert((rc == 0) == (m.kind != MODELID_INVALID));
	if (rc == 0)
		assert(m.resource >= id && m.resource <= id + strlen(id));
}

/* A decoded id encodes to one segment that decodes to the same id. */
static void
fuzz_path(const char *path)
{
	char	 id[1024], action[64], enc[3 * sizeof(id) + 4];
	char	 again[sizeof("/model//") + sizeof(enc) + sizeof(action)];
	char	 id2[1024], action2[64];

	if (req_parse_model_path(path, id, sizeof(id), action, sizeof(action)) != REQ_OK)
		return;
	assert(id[0] != '\0');
	fuzz_modelid(id);
	if (req_encode_segment(id, enc, sizeof(enc)) != 0)
		return;
	snprintf(again, sizeof(again), "/model/%s/%s", enc, action);
	assert(req_parse_model_path(again, id2, sizeof(id2), action2,
	    sizeof(action2)) == REQ_OK);
	assert(strcmp(id, id2) == 0 && strcmp(action, action2) == 0);
}

static void
fuzz_utf8(char *s)
{
	char	*copy;

	req_utf8_sanitize(s);
	if ((copy = strdup(s)) == NULL)
		abort();
	req_utf8_sanitize(copy);
	assert(strcmp(s, copy) == 0);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	fuzz_converse(data, size);
	fuzz_invoke(data, size);
	s = fuzz_cstr(data, size);
	fuzz_path(s);
	fuzz_modelid(s);
	fuzz_utf8(s);
	free(s);
	return 0;
}
