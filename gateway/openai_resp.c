/*
 * openai_resp.c - a Converse answer as a Chat Completions answer: text
 * blocks join into message.content, toolUse blocks become tool_calls (or,
 * for the tool that serves response_format, the content itself), the stop
 * reason becomes finish_reason, usage is counted as OpenAI counts it.
 * system_fingerprint is left out (there is none to give); the routing facts
 * go in the "tiergate" member, which OpenAI's SDKs ignore.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "openai_impl.h"

const char *
oa_finish_reason(const char *stop_reason)
{
	static const char *const map[][2] = { { "end_turn", "stop" },
	    { "stop_sequence", "stop" }, { "max_tokens", "length" },
	    { "tool_use", "tool_calls" }, { "content_filtered", "content_filter" },
	    { "guardrail_intervened", "content_filter" } };
	size_t	 i;

	for (i = 0; stop_reason != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], stop_reason) == 0)
			return map[i][1];
	return "stop";
}

json_t *
oa_usage(const struct oa_facts *f)
{
	uint64_t	 prompt = f->input_tokens + f->cache_read_tokens + f->cache_write_tokens;

	return json_pack("{s:I, s:I, s:I, s:{s:I}}",
	    "prompt_tokens", (json_int_t)prompt,
	    "completion_tokens", (json_int_t)f->output_tokens,
	    "total_tokens", (json_int_t)(prompt + f->output_tokens),
	    "prompt_tokens_details", "cached_tokens", (json_int_t)f->cache_read_tokens);
}

json_t *
oa_extension(const struct oa_facts *f)
{
	return json_pack("{s:s?, s:s?, s:s?}", "router", f->router, "model", f->model,
	    "reason", f->reason);
}

/* A toolUse block as a tool call {"id", "type", "function": {name, arguments}}. */
static json_t *
oa_tool_call(const json_t *tu)
{
	char	*args = json_dumps(json_object_get(tu, "input"), JSON_COMPACT | JSON_ENCODE_ANY);
	json_t	*c;

	c = json_pack("{s:s?, s:s, s:{s:s?, s:s}}", "id",
	    json_string_value(json_object_get(tu, "toolUseId")), "type", "function",
	    "function", "name", json_string_value(json_object_get(tu, "name")),
	    "arguments", args != NULL ? args : "{}");
	free(args);
	return c;
}

/* Is `tu` the call of the response_format tool? */
static int
oa_is_json_tool(const json_t *tu, const struct oa_facts *f)
{
	const char	*name = json_string_value(json_object_get(tu, "name"));

	return f->json_tool != NULL && name != NULL && strcmp(name, f->json_tool) == 0;
}

/* The answer's one text block, the common case, or NULL. */
static json_t *
oa_only_text(const json_t *content)
{
	json_t	*t = json_object_get(json_array_get(content, 0), "text");

	return json_array_size(content) == 1 && json_is_string(t) &&
	    json_string_length(t) > 0 ? t : NULL;
}

/* message.content and message.tool_calls from the Converse content blocks;
 * *json_answer is set when the response_format tool answered. */
static json_t *
oa_message(const json_t *content, const struct oa_facts *f, int *json_answer)
{
	json_t		*msg, *calls = json_array(), *b, *tu;
	char		*text = NULL, *s, *grown;
	size_t		 i, len = 0, n;

	json_array_foreach(content, i, b) {
		s = NULL;
		if ((tu = json_object_get(b, "toolUse")) != NULL && oa_is_json_tool(tu, f)) {
			s = json_dumps(json_object_get(tu, "input"), JSON_COMPACT | JSON_ENCODE_ANY);
			*json_answer = 1;
		} else if (tu != NULL)
			json_array_append_new(calls, oa_tool_call(tu));
		else if (json_is_string(json_object_get(b, "text")))
			s = strdup(json_string_value(json_object_get(b, "text")));
		if (s != NULL && (n = strlen(s)) > 0 &&
		    (grown = realloc(text, len + n + 1)) != NULL) {
			memcpy(grown + len, s, n + 1);
			text = grown;
			len += n;
		}
		free(s);
	}
	msg = json_pack("{s:s, s:s?, s:n}", "role", "assistant", "content", text, "refusal");
	if (json_array_size(calls) > 0)
		json_object_set(msg, "tool_calls", calls);
	json_decref(calls);
	free(text);
	return msg;
}

json_t *
oa_completion(const json_t *answer, const struct oa_facts *f)
{
	const json_t	*content = json_object_get(json_object_get(json_object_get(answer,
	    "output"), "message"), "content");
	const char	*finish;
	json_t		*msg;
	int		 json_answer = 0;

	if (!json_is_array(content))
		return NULL;
	if ((msg = oa_only_text(content)) != NULL)	/* no copy of the text */
		msg = json_pack("{s:s, s:O, s:n}", "role", "assistant", "content", msg, "refusal");
	else
		msg = oa_message(content, f, &json_answer);
	finish = oa_finish_reason(json_string_value(json_object_get(answer, "stopReason")));
	if (json_answer && strcmp(finish, "tool_calls") == 0)
		finish = "stop";
	return json_pack("{s:s, s:s, s:I, s:s, s:[{s:i, s:o, s:n, s:s}], s:o, s:o}",
	    "id", f->id, "object", "chat.completion", "created", (json_int_t)f->created,
	    "model", f->model, "choices", "index", 0, "message", msg, "logprobs",
	    "finish_reason", finish, "usage", oa_usage(f), "tiergate", oa_extension(f));
}
