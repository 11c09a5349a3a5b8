/*
 * request.c - the trust boundary: everything here parses bytes a client
 * sent.  Each check produces a message that says what is wrong so that a
 * client developer can fix the call without reading our source.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

static const char *const req_errs[] = {
	[REQ_OK] = "ok",
	[REQ_E_EMPTY] = "empty request body",
	[REQ_E_DEPTH] = "JSON nested too deeply",
	[REQ_E_JSON] = "malformed JSON",
	[REQ_E_SHAPE] = "invalid request shape",
	[REQ_E_PATH] = "invalid path",
	[REQ_E_NOMEM] = "out of memory",
};

const char *
req_strerror(enum req_err e)
{
	return e <= REQ_E_NOMEM ? req_errs[e] : "unknown error";
}

/* Deepest nesting of {} and [] outside strings; stops counting at cap+1
 * so a hostile body costs one linear pass at most. */
static size_t
req_depth(const char *s, size_t len, size_t cap)
{
	size_t	 i, d = 0, max = 0;
	int	 in_str = 0;

	for (i = 0; i < len && max <= cap; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = 0;
		} else if (s[i] == '"')
			in_str = 1;
		else if (s[i] == '{' || s[i] == '[') {
			if (++d > max)
				max = d;
		} else if ((s[i] == '}' || s[i] == ']') && d > 0)
			d--;
	}
	return max;
}

enum req_err
req_parse_json(const char *body, size_t len, size_t max_depth, json_t **out,
    char *msg, size_t msglen)
{
	json_error_t	 je;
	size_t		 i;

	*out = NULL;
	for (i = 0; i < len && isspace((unsigned char)body[i]); i++)
		;
	if (i == len) {
		snprintf(msg, msglen, "The request body is empty; a JSON object is required");
		return REQ_E_EMPTY;
	}
	if (req_depth(body, len, max_depth) > max_depth) {
		snprintf(msg, msglen, "The request JSON is nested more than %zu levels deep",
		    max_depth);
		return REQ_E_DEPTH;
	}
	if ((*out = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(msg, msglen, "Malformed input request: %s at line %d, column %d",
		    je.text, je.line, je.column);
		return REQ_E_JSON;
	}
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		snprintf(msg, msglen, "Malformed input request: the body must be a JSON object");
		return REQ_E_SHAPE;
	}
	return REQ_OK;
}

struct req_check {
	struct req_converse	*c;
	char			*msg;
	size_t			 msglen;
};

static int __attribute__((format(printf, 2, 3)))
req_bad(struct req_check *k, const char *fmt, ...)
{
	char	 where[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(where, sizeof(where), fmt, ap);
	va_end(ap);
	snprintf(k->msg, k->msglen, "1 validation error detected: %s", where);
	return -1;
}

/* Characters (not bytes) of a JSON string: Jansson guarantees UTF-8, so
 * counting the bytes that do not continue a sequence is exact. */
static size_t
req_utf8_chars(const json_t *str)
{
	const unsigned char *p = (const unsigned char *)json_string_value(str);
	size_t		 i, n = 0, len = json_string_length(str);

	for (i = 0; i < len; i++)
		n += (p[i] & 0xc0) != 0x80;
	return n;
}

/* One ContentBlock: exactly one member, of a known kind. */
static int
req_block(struct req_check *k, const json_t *b, const char *where, size_t i, size_t j)
{
	const char	*key;
	json_t		*v;

	if (!json_is_object(b) || json_object_size(b) != 1)
		return req_bad(k, "Value at '%s[%zu].content[%zu]' must be an object "
		    "with exactly one member (text, image, document, toolUse, ...)", where, i, j);
	json_object_foreach((json_t *)b, key, v) {
		if (strcmp(key, "text") == 0) {
			if (!json_is_string(v))
				return req_bad(k, "Value at '%s[%zu].content[%zu].text' must be a string",
				    where, i, j);
			k->c->text_chars += req_utf8_chars(v);
		} else if (strcmp(key, "image") == 0 || strcmp(key, "video") == 0) {
			k->c->has_images = 1;
		} else if (strcmp(key, "document") == 0) {
			k->c->has_documents = 1;
		} else if (strcmp(key, "toolUse") == 0 || strcmp(key, "toolResult") == 0) {
			k->c->has_tools = 1;
		} else if (strcmp(key, "guardContent") && strcmp(key, "cachePoint") &&
		    strcmp(key, "reasoningContent") && strcmp(key, "citationsContent"))
			return req_bad(k, "Unknown content block type at '%s[%zu].content[%zu]'",
			    where, i, j);
		if (strcmp(key, "text") != 0 && !json_is_object(v))
			return req_bad(k, "Value at '%s[%zu].content[%zu]' must be an object",
			    where, i, j);
	}
	return 0;
}

static int
req_messages(struct req_check *k, const json_t *ms)
{
	const json_t	*m, *role, *content;
	size_t		 i, j;

	if (ms == NULL)
		return req_bad(k, "Value at 'messages' failed to satisfy constraint: "
		    "Member must not be null");
	if (!json_is_array(ms))
		return req_bad(k, "Value at 'messages' must be an array");
	if (json_array_size(ms) == 0)
		return req_bad(k, "Value at 'messages' must contain at least one message");
	json_array_foreach(ms, i, m) {
		role = json_object_get(m, "role");
		content = json_object_get(m, "content");
		if (!json_is_object(m))
			return req_bad(k, "Value at '%s[%zu]' must be an object", "messages", i);
		if (!json_is_string(role) || (strcmp(json_string_value(role), "user") &&
		    strcmp(json_string_value(role), "assistant")))
			return req_bad(k, "Value at '%s[%zu].role' must be \"user\" or \"assistant\"",
			    "messages", i);
		if (!json_is_array(content))
			return req_bad(k, "Value at '%s[%zu].content' must be an array",
			    "messages", i);
		for (j = 0; j < json_array_size(content); j++)
			if (req_block(k, json_array_get(content, j), "messages", i, j))
				return -1;
	}
	k->c->turns = json_array_size(ms);
	return 0;
}

static int
req_system(struct req_check *k, const json_t *sys)
{
	const json_t	*b, *t;
	size_t		 i;

	if (sys == NULL)
		return 0;
	if (!json_is_array(sys))
		return req_bad(k, "Value at 'system' must be an array");
	json_array_foreach(sys, i, b) {
		if (!json_is_object(b))
			return req_bad(k, "Value at '%s[%zu]' must be an object", "system", i);
		if ((t = json_object_get(b, "text")) != NULL) {
			if (!json_is_string(t))
				return req_bad(k, "Value at '%s[%zu].text' must be a string",
				    "system", i);
			k->c->text_chars += req_utf8_chars(t);
		}
	}
	return 0;
}

static int
req_inference(struct req_check *k, const json_t *ic)
{
	const json_t	*v;

	if (ic == NULL)
		return 0;
	if (!json_is_object(ic))
		return req_bad(k, "Value at 'inferenceConfig' must be an object");
	if ((v = json_object_get(ic, "maxTokens")) != NULL &&
	    (!json_is_integer(v) || json_integer_value(v) < 1))
		return req_bad(k, "Value at 'inferenceConfig.maxTokens' must be an "
		    "integer >= 1");
	if ((v = json_object_get(ic, "temperature")) != NULL &&
	    (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1))
		return req_bad(k, "Value at 'inferenceConfig.temperature' must be a "
		    "number between 0 and 1");
	if ((v = json_object_get(ic, "topP")) != NULL &&
	    (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1))
		return req_bad(k, "Value at 'inferenceConfig.topP' must be a number "
		    "between 0 and 1");
	if ((v = json_object_get(ic, "stopSequences")) != NULL && !json_is_array(v))
		return req_bad(k, "Value at 'inferenceConfig.stopSequences' must be an "
		    "array of strings");
	return 0;
}

/* requestMetadata: a map of strings; "class" and "conversation_id" (or
 * "session_id") are read by the router. */
static int
req_metadata(struct req_check *k, const json_t *md)
{
	const char	*key;
	json_t		*v;

	if (md == NULL)
		return 0;
	if (!json_is_object(md))
		return req_bad(k, "Value at 'requestMetadata' must be a map of strings");
	json_object_foreach((json_t *)md, key, v) {
		if (!json_is_string(v))
			return req_bad(k, "Value at 'requestMetadata' must be a map of "
			    "strings");
		if (strcmp(key, "class") == 0)
			k->c->request_class = json_string_value(v);
		else if (strcmp(key, "conversation_id") == 0 || strcmp(key, "session_id") == 0)
			k->c->conversation_id = json_string_value(v);
	}
	return 0;
}

enum req_err
req_parse_converse(const char *body, size_t len, size_t max_depth,
    struct req_converse *out, char *msg, size_t msglen)
{
	json_t		*root;
	enum req_err	 e;

	memset(out, 0, sizeof(*out));
	out->request_class = "";
	out->conversation_id = "";
	if ((e = req_parse_json(body, len, max_depth, &root, msg, msglen)) != REQ_OK)
		return e;
	return req_converse_from_json(root, out, msg, msglen);
}

enum req_err
req_converse_from_json(json_t *root, struct req_converse *out, char *msg, size_t msglen)
{
	struct req_check k = { out, msg, msglen };
	const json_t	*tc;

	memset(out, 0, sizeof(*out));
	out->request_class = "";
	out->conversation_id = "";
	out->root = root;
	if (!json_is_object(root)) {
		req_bad(&k, "the request must be a JSON object");
		goto fail;
	}
	tc = json_object_get(out->root, "toolConfig");
	if (tc != NULL && !json_is_object(tc)) {
		req_bad(&k, "Value at 'toolConfig' must be an object");
		goto fail;
	}
	out->has_tools = tc != NULL;
	if (req_messages(&k, json_object_get(out->root, "messages")) ||
	    req_system(&k, json_object_get(out->root, "system")) ||
	    req_inference(&k, json_object_get(out->root, "inferenceConfig")) ||
	    req_metadata(&k, json_object_get(out->root, "requestMetadata")))
		goto fail;
	return REQ_OK;
fail:
	req_converse_free(out);
	return REQ_E_SHAPE;
}

void
req_converse_free(struct req_converse *c)
{
	json_decref(c->root);
	c->root = NULL;
}

static int
req_hex(int c)
{
	if (isdigit(c))
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode one percent-encoded segment [s, end) into out. */
static int
req_decode(const char *s, const char *end, char *out, size_t outlen)
{
	size_t	 o = 0;
	int	 hi, lo;

	for (; s < end; s++) {
		if (o + 1 >= outlen)
			return -1;
		if (*s == '%') {
			if (end - s < 3 || (hi = req_hex(s[1])) < 0 || (lo = req_hex(s[2])) < 0)
				return -1;
			out[o++] = hi << 4 | lo;
			s += 2;
		} else
			out[o++] = *s;
		if (out[o - 1] == '\0' || (unsigned char)out[o - 1] < 0x20 ||
		    out[o - 1] == 0x7f)
			return -1;
	}
	out[o] = '\0';
	return o > 0 ? 0 : -1;
}

int
req_percent_decode(char *s)
{
	char	 tmp[1024];

	if (strlen(s) >= sizeof(tmp) || req_decode(s, s + strlen(s), tmp, sizeof(tmp)) != 0)
		return -1;
	strcpy(s, tmp);
	return 0;
}

enum req_err
req_parse_model_path(const char *path, char *id, size_t idlen, char *action,
    size_t actlen)
{
	const char	*seg, *slash;

	if (strncmp(path, "/model/", 7) != 0)
		return REQ_E_PATH;
	seg = path + 7;
	if ((slash = strchr(seg, '/')) == NULL || slash == seg)
		return REQ_E_PATH;
	if (req_decode(seg, slash, id, idlen) != 0)
		return REQ_E_PATH;
	/* "." and ".." would be normalised away upstream (and by SigV4). */
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return REQ_E_PATH;
	if (strchr(slash + 1, '/') != NULL || strlen(slash + 1) + 1 > actlen)
		return REQ_E_PATH;
	strcpy(action, slash + 1);
	return REQ_OK;
}

int
req_encode_segment(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	 o = 0;

	for (; *s != '\0'; s++) {
		if (o + 4 > outlen)
			return -1;
		if (isalnum((unsigned char)*s) || strchr("-._~", *s) != NULL)
			out[o++] = *s;
		else {
			out[o++] = '%';
			out[o++] = hex[(unsigned char)*s >> 4];
			out[o++] = hex[(unsigned char)*s & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

/* Length of the valid UTF-8 sequence at s, or 0 when invalid. */
static size_t
req_utf8_len(const unsigned char *s)
{
	size_t	 n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

void
req_utf8_sanitize(char *s)
{
	size_t	 n;

	while (*s != '\0') {
		if ((n = req_utf8_len((unsigned char *)s)) == 0)
			*s++ = '?';
		else
			s += n;
	}
}
