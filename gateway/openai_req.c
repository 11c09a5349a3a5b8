/*
 * openai_req.c - the trust boundary of the OpenAI front door: a Chat
 * Completions request (already parsed within the body and depth caps)
 * becomes a Converse request.  Every member is translated or refused with
 * the field named; nothing is dropped silently.  A member whose value asks
 * for nothing different from the default (frequency_penalty 0, n 1,
 * logprobs false, ...) is accepted, any other value of it is refused.
 *
 * Mapping: system/developer messages -> system; user text and data-URL
 * images -> text and image blocks; assistant text and tool_calls -> text
 * and toolUse blocks; tool messages -> toolResult blocks of a user turn
 * (consecutive turns of one role merge, as Converse wants roles to
 * alternate); max_(completion_)tokens, temperature, top_p, stop ->
 * inferenceConfig; tools/tool_choice -> toolConfig; user and metadata ->
 * requestMetadata; response_format json_object/json_schema -> one tool the
 * model is made to call, whose input is the answer.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openai_impl.h"

/* The tool that serves response_format {"type": "json_object"}. */
#define OA_JSON_TOOL	"json_object"

struct oa_tr {
	json_t		*root;		/* borrowed from struct oa_chat */
	struct oa_chat	*out;
	struct oa_fault	*f;
	json_t		*messages;	/* Converse messages being built */
	json_t		*system;
	json_t		*inference;
	json_t		*metadata;
	json_t		*tool_config;
};

static int __attribute__((format(printf, 3, 4)))
oa_bad(struct oa_tr *t, const char *param, const char *fmt, ...)
{
	va_list	 ap;

	snprintf(t->f->param, sizeof(t->f->param), "%s", param);
	va_start(ap, fmt);
	vsnprintf(t->f->message, sizeof(t->f->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* A member that JSON null leaves unset, as OpenAI's API treats it. */
static const json_t *
oa_get(const json_t *o, const char *k)
{
	const json_t	*v = json_object_get(o, k);

	return json_is_null(v) ? NULL : v;
}

const char *
oa_strerror(enum oa_err e)
{
	switch (e) {
	case OA_OK:		return "ok";
	case OA_E_FIELD:	return "a request member cannot be honoured";
	case OA_E_NOMEM:	return "out of memory";
	}
	return "unknown error";
}

/* ---- messages ------------------------------------------------------------ */

/* Append `block` (stolen) to the last Converse message when it has `role`,
 * else to a new message. */
static void
oa_push(struct oa_tr *t, const char *role, json_t *block)
{
	json_t		*last = json_array_get(t->messages, json_array_size(t->messages) - 1);
	const char	*r = json_string_value(json_object_get(last, "role"));

	if (r == NULL || strcmp(r, role) != 0) {
		last = json_pack("{s:s, s:[]}", "role", role, "content");
		json_array_append_new(t->messages, last);
	}
	json_array_append_new(json_object_get(last, "content"), block);
}

/* Format of an image data URL ("data:image/png;base64,..."), with *b64
 * pointing at the data; NULL when it is not one Bedrock takes. */
static const char *
oa_image_format(const char *url, const char **b64)
{
	static const char *const fmts[][2] = { { "png", "png" }, { "jpeg", "jpeg" },
	    { "jpg", "jpeg" }, { "gif", "gif" }, { "webp", "webp" } };
	const char	*semi;
	size_t		 i, n;

	if (strncmp(url, "data:image/", 11) != 0 || (semi = strchr(url, ';')) == NULL ||
	    strncmp(semi, ";base64,", 8) != 0)
		return NULL;
	n = semi - (url + 11);
	*b64 = semi + 8;
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (strlen(fmts[i][0]) == n && strncmp(url + 11, fmts[i][0], n) == 0)
			return fmts[i][1];
	return NULL;
}

/* Padded standard base64, not empty. */
static int
oa_is_base64(const char *s)
{
	size_t	 n = strlen(s), pad = 0, i;

	if (n == 0 || n % 4 != 0)
		return 0;
	while (pad < 2 && s[n - 1 - pad] == '=')
		pad++;
	for (i = 0; i < n - pad; i++)
		if (!(s[i] >= 'A' && s[i] <= 'Z') && !(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '+' && s[i] != '/')
			return 0;
	return 1;
}

static int
oa_image_part(struct oa_tr *t, const json_t *part, const char *where)
{
	const json_t	*iu = json_object_get(part, "image_url");
	const char	*url = json_string_value(json_object_get(iu, "url"));
	const char	*detail = json_string_value(oa_get(iu, "detail"));
	const char	*fmt, *b64 = NULL;
	char		 p[160], pd[160];

	snprintf(p, sizeof(p), "%s.image_url.url", where);
	snprintf(pd, sizeof(pd), "%s.image_url.detail", where);
	if (url == NULL)
		return oa_bad(t, p, "'%s' must be a string", p);
	if (strncmp(url, "data:", 5) != 0)
		return oa_bad(t, p, "Image URLs must be data URLs "
		    "(data:image/png;base64,...): tiergate does not fetch images");
	if ((fmt = oa_image_format(url, &b64)) == NULL)
		return oa_bad(t, p, "Unsupported image data URL: Bedrock takes "
		    "base64 image/png, image/jpeg, image/gif or image/webp");
	if (!oa_is_base64(b64))
		return oa_bad(t, p, "The image data URL does not hold valid base64");
	if (detail != NULL && strcmp(detail, "auto") != 0)
		return oa_bad(t, pd, "Image detail '%s' is not supported: Bedrock "
		    "models choose the resolution themselves (send \"auto\" or omit it)",
		    detail);
	oa_push(t, "user", json_pack("{s:{s:s, s:{s:s}}}", "image", "format", fmt,
	    "source", "bytes", b64));
	return 0;
}

/* A text part {"type": "text", "text": ...}; any other kind is refused
 * unless `images` allows image_url parts. */
static int
oa_part(struct oa_tr *t, const json_t *part, const char *role, const char *where,
    int images)
{
	const char	*type = json_string_value(json_object_get(part, "type"));
	const json_t	*text = json_object_get(part, "text");

	if (!json_is_object(part) || type == NULL)
		return oa_bad(t, where, "'%s' must be an object with a \"type\"", where);
	if (strcmp(type, "text") == 0) {
		if (!json_is_string(text))
			return oa_bad(t, where, "'%s.text' must be a string", where);
		oa_push(t, role, json_pack("{s:O}", "text", text));
		return 0;
	}
	if (images && strcmp(type, "image_url") == 0)
		return oa_image_part(t, part, where);
	return oa_bad(t, where, "Content parts of type '%s' are not supported here: "
	    "send text%s", type, images ? " or image_url (data URLs)" : "");
}

/* Content as a string or an array of parts, appended to `role`'s turn. */
static int
oa_content(struct oa_tr *t, const json_t *c, const char *role, size_t i, int images)
{
	const json_t	*part;
	char		 where[64];
	size_t		 j;

	snprintf(where, sizeof(where), "messages[%zu].content", i);
	if (json_is_string(c)) {
		oa_push(t, role, json_pack("{s:O}", "text", c));
		return 0;
	}
	if (!json_is_array(c))
		return oa_bad(t, where, "'%s' must be a string or an array of parts", where);
	json_array_foreach(c, j, part) {
		snprintf(where, sizeof(where), "messages[%zu].content[%zu]", i, j);
		if (oa_part(t, part, role, where, images) != 0)
			return -1;
	}
	return 0;
}

/* System text goes to Converse's system blocks, wherever it was. */
static int
oa_system(struct oa_tr *t, const json_t *c, size_t i)
{
	json_t	*saved = t->messages;
	json_t	*blocks = json_array(), *b;
	size_t	 j;
	int	 rc;

	/* Build the blocks as a turn of their own, then move them. */
	t->messages = json_array();
	rc = oa_content(t, c, "system", i, 0);
	json_array_foreach(json_object_get(json_array_get(t->messages, 0), "content"), j, b)
		json_array_append(blocks, b);
	json_decref(t->messages);
	t->messages = saved;
	json_array_extend(t->system, blocks);
	json_decref(blocks);
	return rc;
}

static int
oa_tool_call(struct oa_tr *t, const json_t *tc, size_t i, size_t j)
{
	const json_t	*fn = json_object_get(tc, "function");
	const char	*id = json_string_value(json_object_get(tc, "id"));
	const char	*name = json_string_value(json_object_get(fn, "name"));
	const char	*args = json_string_value(json_object_get(fn, "arguments"));
	json_t		*input;
	char		 p[96];

	snprintf(p, sizeof(p), "messages[%zu].tool_calls[%zu]", i, j);
	if (id == NULL || name == NULL || args == NULL || strlen(id) > OA_MAX_TOOL_ID)
		return oa_bad(t, p, "'%s' needs an id (at most %d characters) and "
		    "function.name and function.arguments strings", p, OA_MAX_TOOL_ID);
	input = json_loads(*args ? args : "{}", JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(input)) {
		json_decref(input);
		return oa_bad(t, p, "'%s.function.arguments' must be a JSON object "
		    "encoded as a string", p);
	}
	oa_push(t, "assistant", json_pack("{s:{s:s, s:s, s:o}}", "toolUse",
	    "toolUseId", id, "name", name, "input", input));
	return 0;
}

static int
oa_assistant(struct oa_tr *t, const json_t *m, size_t i)
{
	const json_t	*c = oa_get(m, "content"), *calls = oa_get(m, "tool_calls"), *tc;
	size_t		 j;
	char		 p[64];

	/* Converse refuses blank text: an empty content beside tool calls is none. */
	if (c != NULL && !(json_is_string(c) && json_string_length(c) == 0) &&
	    oa_content(t, c, "assistant", i, 0) != 0)
		return -1;
	if (calls != NULL && !json_is_array(calls)) {
		snprintf(p, sizeof(p), "messages[%zu].tool_calls", i);
		return oa_bad(t, p, "'%s' must be an array", p);
	}
	json_array_foreach(calls, j, tc)
		if (oa_tool_call(t, tc, i, j) != 0)
			return -1;
	if (c == NULL && json_array_size(calls) == 0) {
		snprintf(p, sizeof(p), "messages[%zu].content", i);
		return oa_bad(t, p, "An assistant message needs content or tool_calls");
	}
	return 0;
}

static int
oa_tool_result(struct oa_tr *t, const json_t *m, size_t i)
{
	const char	*id = json_string_value(json_object_get(m, "tool_call_id"));
	json_t		*saved = t->messages, *blocks;
	char		 p[64];
	int		 rc;

	snprintf(p, sizeof(p), "messages[%zu].tool_call_id", i);
	if (id == NULL || strlen(id) > OA_MAX_TOOL_ID)
		return oa_bad(t, p, "A tool message needs a tool_call_id string of at "
		    "most %d characters", OA_MAX_TOOL_ID);
	t->messages = json_array();
	rc = oa_content(t, json_object_get(m, "content"), "user", i, 0);
	blocks = json_incref(json_object_get(json_array_get(t->messages, 0), "content"));
	json_decref(t->messages);
	t->messages = saved;
	if (rc == 0)
		oa_push(t, "user", json_pack("{s:{s:s, s:o}}", "toolResult",
		    "toolUseId", id, "content", blocks != NULL ? blocks : json_array()));
	else
		json_decref(blocks);
	return rc;
}

/* Members a message may have besides role and content. */
static int
oa_message_keys(struct oa_tr *t, const json_t *m, const char *role, size_t i)
{
	const char	*key;
	json_t		*v;
	char		 p[96];

	json_object_foreach((json_t *)m, key, v) {
		if (!strcmp(key, "role") || !strcmp(key, "content") || json_is_null(v) ||
		    (!strcmp(role, "assistant") && !strcmp(key, "tool_calls")) ||
		    (!strcmp(role, "tool") && !strcmp(key, "tool_call_id")))
			continue;
		snprintf(p, sizeof(p), "messages[%zu].%s", i, key);
		return oa_bad(t, p, "'%s' is not supported: Bedrock's Converse API has "
		    "no equivalent", p);
	}
	return 0;
}

static int
oa_message(struct oa_tr *t, const json_t *m, size_t i)
{
	const char	*role = json_string_value(json_object_get(m, "role"));
	char		 p[64];

	snprintf(p, sizeof(p), "messages[%zu].role", i);
	if (!json_is_object(m) || role == NULL)
		return oa_bad(t, p, "Each message must be an object with a role");
	if (oa_message_keys(t, m, role, i) != 0)
		return -1;
	if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0)
		return oa_system(t, json_object_get(m, "content"), i);
	if (strcmp(role, "user") == 0)
		return oa_content(t, json_object_get(m, "content"), "user", i, 1);
	if (strcmp(role, "assistant") == 0)
		return oa_assistant(t, m, i);
	if (strcmp(role, "tool") == 0)
		return oa_tool_result(t, m, i);
	return oa_bad(t, p, "Invalid role '%s': use system, developer, user, "
	    "assistant or tool (function messages are not supported)", role);
}

static int
oa_messages(struct oa_tr *t)
{
	const json_t	*ms = json_object_get(t->root, "messages"), *m;
	size_t		 i;

	if (!json_is_array(ms) || json_array_size(ms) == 0)
		return oa_bad(t, "messages", "'messages' must be a non-empty array");
	json_array_foreach(ms, i, m)
		if (oa_message(t, m, i) != 0)
			return -1;
	if (json_array_size(t->messages) == 0)
		return oa_bad(t, "messages", "'messages' holds only system messages: "
		    "send at least one user message");
	return 0;
}

/* ---- inference parameters ---------------------------------------------------- */

static int
oa_max_tokens(struct oa_tr *t)
{
	const json_t	*a = oa_get(t->root, "max_tokens");
	const json_t	*b = oa_get(t->root, "max_completion_tokens");
	const json_t	*v = b != NULL ? b : a;
	const char	*p = b != NULL ? "max_completion_tokens" : "max_tokens";

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return oa_bad(t, p, "'%s' must be an integer >= 1", p);
	if (a != NULL && b != NULL && !json_equal(a, b))
		return oa_bad(t, "max_tokens", "max_tokens and max_completion_tokens "
		    "differ: send one of them");
	json_object_set_new(t->inference, "maxTokens", json_integer(json_integer_value(v)));
	return 0;
}

/* temperature and top_p: Bedrock's models take 0..1. */
static int
oa_unit(struct oa_tr *t, const char *name, const char *to, double max_openai)
{
	const json_t	*v = oa_get(t->root, name);
	double		 x = json_number_value(v);

	if (v == NULL)
		return 0;
	if (!json_is_number(v) || x < 0 || x > max_openai)
		return oa_bad(t, name, "'%s' must be a number from 0 to %g", name, max_openai);
	if (x > 1)
		return oa_bad(t, name, "'%s' above 1 is not supported: Bedrock's models "
		    "take 0 to 1", name);
	json_object_set_new(t->inference, to, json_real(x));
	return 0;
}

static int
oa_stop(struct oa_tr *t)
{
	const json_t	*v = oa_get(t->root, "stop"), *s;
	json_t		*seq;
	size_t		 i;

	if (v == NULL)
		return 0;
	seq = json_is_string(v) ? json_pack("[O]", v) : json_incref((json_t *)v);
	json_object_set_new(t->inference, "stopSequences", seq);
	if (!json_is_array(seq) || json_array_size(seq) > OA_MAX_STOP)
		return oa_bad(t, "stop", "'stop' must be a string or an array of at "
		    "most %d strings", OA_MAX_STOP);
	json_array_foreach(seq, i, s)
		if (!json_is_string(s) || json_string_length(s) == 0)
			return oa_bad(t, "stop", "'stop' must hold non-empty strings");
	return 0;
}

/* ---- tools and response_format --------------------------------------------------- */

static int
oa_tool(struct oa_tr *t, const json_t *tool, size_t i, json_t *specs)
{
	const json_t	*fn = json_object_get(tool, "function");
	const json_t	*params = oa_get(fn, "parameters"), *desc = oa_get(fn, "description");
	const json_t	*strict = oa_get(fn, "strict");
	const char	*type = json_string_value(json_object_get(tool, "type"));
	const char	*name = json_string_value(json_object_get(fn, "name"));
	json_t		*spec;
	char		 p[64];

	snprintf(p, sizeof(p), "tools[%zu]", i);
	if (type == NULL || strcmp(type, "function") != 0 || name == NULL)
		return oa_bad(t, p, "Each tool must be {\"type\": \"function\", "
		    "\"function\": {\"name\", ...}}");
	if ((params != NULL && !json_is_object(params)) || (desc != NULL && !json_is_string(desc)))
		return oa_bad(t, p, "'%s.function.parameters' must be a JSON schema "
		    "object and 'description' a string", p);
	if (json_is_true(strict))
		return oa_bad(t, p, "'%s.function.strict' is not supported: Bedrock "
		    "does not enforce a tool's schema on the model's arguments", p);
	spec = json_pack("{s:s, s:{s:o}}", "name", name, "inputSchema", "json",
	    params != NULL ? json_incref((json_t *)params) :
	    json_pack("{s:s, s:{}}", "type", "object", "properties"));
	if (desc != NULL)
		json_object_set(spec, "description", (json_t *)desc);
	json_array_append_new(specs, json_pack("{s:o}", "toolSpec", spec));
	return 0;
}

static int
oa_tools(struct oa_tr *t)
{
	const json_t	*tools = oa_get(t->root, "tools"), *tool;
	json_t		*specs;
	size_t		 i;

	if (tools == NULL)
		return 0;
	if (!json_is_array(tools) || json_array_size(tools) == 0 ||
	    json_array_size(tools) > OA_MAX_TOOLS)
		return oa_bad(t, "tools", "'tools' must be an array of 1 to %d tools",
		    OA_MAX_TOOLS);
	specs = json_array();
	t->tool_config = json_pack("{s:o}", "tools", specs);
	json_array_foreach(tools, i, tool)
		if (oa_tool(t, tool, i, specs) != 0)
			return -1;
	return 0;
}

/* tool_choice "none": no tools offered; Converse cannot say so when the
 * conversation already holds tool calls. */
static int
oa_tool_choice_none(struct oa_tr *t)
{
	const json_t	*m, *b;
	size_t		 i, j;

	json_array_foreach(t->messages, i, m)
		json_array_foreach(json_object_get(m, "content"), j, b)
			if (json_object_get(b, "toolUse") || json_object_get(b, "toolResult"))
				return oa_bad(t, "tool_choice", "tool_choice \"none\" cannot "
				    "be honoured on Bedrock once the conversation holds tool "
				    "calls: send \"auto\"");
	json_decref(t->tool_config);
	t->tool_config = NULL;
	return 0;
}

static int
oa_tool_choice(struct oa_tr *t)
{
	const json_t	*tc = oa_get(t->root, "tool_choice");
	const char	*s = json_string_value(tc), *name;

	if (tc == NULL)
		return 0;
	if (t->tool_config == NULL)
		return oa_bad(t, "tool_choice", "'tool_choice' is only allowed when "
		    "'tools' are given");
	if (s != NULL && strcmp(s, "none") == 0)
		return oa_tool_choice_none(t);
	name = json_string_value(json_object_get(json_object_get(tc, "function"), "name"));
	if (s != NULL && strcmp(s, "auto") == 0)
		json_object_set_new(t->tool_config, "toolChoice", json_pack("{s:{}}", "auto"));
	else if (s != NULL && strcmp(s, "required") == 0)
		json_object_set_new(t->tool_config, "toolChoice", json_pack("{s:{}}", "any"));
	else if (name != NULL)
		json_object_set_new(t->tool_config, "toolChoice",
		    json_pack("{s:{s:s}}", "tool", "name", name));
	else
		return oa_bad(t, "tool_choice", "'tool_choice' must be \"none\", "
		    "\"auto\", \"required\" or {\"type\": \"function\", "
		    "\"function\": {\"name\": ...}}");
	return 0;
}

/* The forced tool that answers in JSON: its input is the answer. */
static void
oa_json_tool(struct oa_tr *t, const char *name, const json_t *desc, json_t *schema)
{
	json_t	*spec = json_pack("{s:s, s:s, s:{s:o}}", "name", name, "description",
	    "Give the answer as this tool's input.", "inputSchema", "json", schema);

	if (json_is_string(desc))
		json_object_set(spec, "description", (json_t *)desc);
	t->tool_config = json_pack("{s:[{s:o}], s:{s:{s:s}}}", "tools", "toolSpec", spec,
	    "toolChoice", "tool", "name", name);
}

static int
oa_json_schema(struct oa_tr *t, const json_t *rf)
{
	const json_t	*js = json_object_get(rf, "json_schema");
	const json_t	*schema = oa_get(js, "schema");
	const char	*name = json_string_value(json_object_get(js, "name"));

	if (name == NULL || (schema != NULL && !json_is_object(schema)))
		return oa_bad(t, "response_format", "'response_format.json_schema' "
		    "needs a name and a schema object");
	if (json_is_true(oa_get(js, "strict")))
		return oa_bad(t, "response_format", "'response_format.json_schema.strict' "
		    "is not supported: Bedrock does not enforce the schema on the "
		    "model's output (send strict: false)");
	oa_json_tool(t, name, oa_get(js, "description"), schema != NULL ?
	    json_incref((json_t *)schema) : json_pack("{s:s}", "type", "object"));
	t->out->json_tool = json_string_value(json_object_get(js, "name"));
	return 0;
}

static int
oa_response_format(struct oa_tr *t)
{
	const json_t	*rf = oa_get(t->root, "response_format");
	const char	*type = json_string_value(json_object_get(rf, "type"));

	if (rf == NULL || (type != NULL && strcmp(type, "text") == 0))
		return 0;
	if (type == NULL || (strcmp(type, "json_object") && strcmp(type, "json_schema")))
		return oa_bad(t, "response_format", "'response_format.type' must be "
		    "text, json_object or json_schema");
	if (t->tool_config != NULL)
		return oa_bad(t, "response_format", "response_format %s cannot be "
		    "combined with tools on Bedrock: it is served by making the model "
		    "call one tool", type);
	if (strcmp(type, "json_schema") == 0)
		return oa_json_schema(t, rf);
	oa_json_tool(t, OA_JSON_TOOL, NULL, json_pack("{s:s}", "type", "object"));
	t->out->json_tool = OA_JSON_TOOL;
	return 0;
}

/* ---- metadata, choices, streaming ------------------------------------------------ */

static int
oa_meta_put(struct oa_tr *t, const char *param, const char *k, const json_t *v)
{
	if (!json_is_string(v) || strlen(k) == 0 || strlen(k) > OA_MAX_META_KEY ||
	    json_string_length(v) > OA_MAX_META_VALUE)
		return oa_bad(t, param, "'%s' values must be strings of at most %d "
		    "characters, keys 1 to %d characters", param, OA_MAX_META_VALUE,
		    OA_MAX_META_KEY);
	if (json_object_size(t->metadata) >= OA_MAX_METADATA && !json_object_get(t->metadata, k))
		return oa_bad(t, param, "At most %d metadata pairs (user included)",
		    OA_MAX_METADATA);
	json_object_set(t->metadata, k, (json_t *)v);
	return 0;
}

/* metadata (a map of strings) and user go to requestMetadata, where the
 * policy sees them; "class" and "conversation_id" steer routing as in
 * Converse. */
static int
oa_metadata(struct oa_tr *t)
{
	const json_t	*md = oa_get(t->root, "metadata"), *user = oa_get(t->root, "user");
	const char	*key;
	json_t		*v;

	if (md != NULL && !json_is_object(md))
		return oa_bad(t, "metadata", "'metadata' must be a map of strings");
	json_object_foreach((json_t *)md, key, v)
		if (oa_meta_put(t, "metadata", key, v) != 0)
			return -1;
	return user != NULL ? oa_meta_put(t, "user", "user", user) : 0;
}

static int
oa_stream(struct oa_tr *t)
{
	const json_t	*s = oa_get(t->root, "stream"), *so = oa_get(t->root, "stream_options");
	const char	*key;
	json_t		*v;

	if (s != NULL && !json_is_boolean(s))
		return oa_bad(t, "stream", "'stream' must be a boolean");
	t->out->stream = json_is_true(s);
	if (so == NULL)
		return 0;
	if (!t->out->stream || !json_is_object(so))
		return oa_bad(t, "stream_options", "'stream_options' is only allowed "
		    "with stream: true, as an object");
	json_object_foreach((json_t *)so, key, v) {
		if (strcmp(key, "include_usage") != 0 || !json_is_boolean(v))
			return oa_bad(t, "stream_options", "'stream_options' takes "
			    "include_usage (a boolean) only");
		t->out->include_usage = json_is_true(v);
	}
	return 0;
}

/* Members accepted only with the value that changes nothing. */
static int
oa_defaults(struct oa_tr *t)
{
	static const char *const zero[] = { "frequency_penalty", "presence_penalty" };
	static const char *const no[] = { "logprobs", "store" };
	const json_t	*v;
	size_t		 i;

	if ((v = oa_get(t->root, "n")) != NULL && (!json_is_integer(v) ||
	    json_integer_value(v) != 1))
		return oa_bad(t, "n", "n > 1 is not supported: tiergate routes each "
		    "request to one model and returns one choice (send n: 1)");
	for (i = 0; i < 2; i++)
		if ((v = oa_get(t->root, zero[i])) != NULL &&
		    (!json_is_number(v) || json_number_value(v) != 0))
			return oa_bad(t, zero[i], "'%s' is not supported by Bedrock's "
			    "Converse API (only 0 is accepted)", zero[i]);
	for (i = 0; i < 2; i++)
		if ((v = oa_get(t->root, no[i])) != NULL && !json_is_false(v))
			return oa_bad(t, no[i], "'%s' is not supported (only false is "
			    "accepted)", no[i]);
	if ((v = oa_get(t->root, "parallel_tool_calls")) != NULL && !json_is_true(v))
		return oa_bad(t, "parallel_tool_calls", "parallel_tool_calls false "
		    "cannot be enforced on Bedrock (only true is accepted)");
	return 0;
}

/* Every member must be one this file translates. */
static int
oa_known(struct oa_tr *t)
{
	static const char *const known[] = { "model", "messages", "max_tokens",
	    "max_completion_tokens", "temperature", "top_p", "stop", "tools",
	    "tool_choice", "parallel_tool_calls", "response_format", "user",
	    "metadata", "n", "stream", "stream_options", "frequency_penalty",
	    "presence_penalty", "logprobs", "store", NULL };
	const char	*key;
	json_t		*v;
	size_t		 i;

	json_object_foreach(t->root, key, v) {
		for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
			;
		if (known[i] == NULL && !json_is_null(v))
			return oa_bad(t, key, "Unrecognized request argument supplied: %s "
			    "(tiergate cannot honour it on Bedrock)", key);
	}
	if (!json_is_string(json_object_get(t->root, "model")) ||
	    json_string_length(json_object_get(t->root, "model")) == 0 ||
	    json_string_length(json_object_get(t->root, "model")) > OA_MAX_MODEL)
		return oa_bad(t, "model", "'model' must be a router id or a model id "
		    "(at most %d characters)", OA_MAX_MODEL);
	t->out->model = json_string_value(json_object_get(t->root, "model"));
	return 0;
}

/* The Converse request from what the steps gathered. */
static void
oa_assemble(struct oa_tr *t)
{
	json_t	*c = json_pack("{s:O}", "messages", t->messages);

	if (json_array_size(t->system) > 0)
		json_object_set(c, "system", t->system);
	if (json_object_size(t->inference) > 0)
		json_object_set(c, "inferenceConfig", t->inference);
	if (json_object_size(t->metadata) > 0)
		json_object_set(c, "requestMetadata", t->metadata);
	if (t->tool_config != NULL)
		json_object_set(c, "toolConfig", t->tool_config);
	t->out->converse = c;
}

enum oa_err
oa_chat_from_json(json_t *root, struct oa_chat *out, struct oa_fault *f)
{
	struct oa_tr	 t = { root, out, f, json_array(), json_array(), json_object(),
	    json_object(), NULL };
	enum oa_err	 e = OA_E_FIELD;

	memset(out, 0, sizeof(*out));
	f->param[0] = f->message[0] = '\0';
	out->root = root;
	if (root == NULL || t.messages == NULL || t.system == NULL || t.inference == NULL ||
	    t.metadata == NULL) {
		e = OA_E_NOMEM;
		goto fail;
	}
	if (oa_known(&t) || oa_defaults(&t) || oa_messages(&t) || oa_max_tokens(&t) ||
	    oa_unit(&t, "temperature", "temperature", 2) || oa_unit(&t, "top_p", "topP", 1) ||
	    oa_stop(&t) || oa_tools(&t) || oa_tool_choice(&t) || oa_response_format(&t) ||
	    oa_metadata(&t) || oa_stream(&t))
		goto fail;
	oa_assemble(&t);
	e = out->converse != NULL ? OA_OK : OA_E_NOMEM;
fail:
	json_decref(t.messages);
	json_decref(t.system);
	json_decref(t.inference);
	json_decref(t.metadata);
	json_decref(t.tool_config);
	if (e != OA_OK)
		oa_chat_free(out);
	return e;
}

void
oa_chat_free(struct oa_chat *c)
{
	json_decref(c->converse);
	json_decref(c->root);
	memset(c, 0, sizeof(*c));
}
