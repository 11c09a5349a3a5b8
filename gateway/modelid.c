/*
 * modelid.c - Bedrock's grammar of a modelId: what the `modelId` member of
 * Converse and InvokeModel accepts (bedrock-runtime service model, shape
 * ConversationalModelId, 1..2048 characters), as pure functions.
 *
 * The service model writes the grammar as one regular expression with
 * these alternatives, each taken here as matching the whole id:
 *   model id        [a-z0-9-]{1,63}[.][a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63})
 *   plain id        ([0-9a-zA-Z][_-]?)+  or  [a-zA-Z0-9-:.]+
 *                   (inference profile ids, router ids)
 *   ARNs            arn:aws(-[^:]+)?:bedrock:REGION: followed by
 *                   :foundation-model/MODEL-ID, or ACCOUNT: followed by
 *                   custom-model/MODEL-ID-ish/[a-z0-9]{12},
 *                   imported-model/, provisioned-model/,
 *                   custom-model-deployment/ ([a-z0-9]{12}),
 *                   inference-profile/, application-inference-profile/
 *                   ([a-zA-Z0-9-:.]+), prompt/[0-9a-zA-Z]{10}(:[0-9]{1,5})?,
 *                   (default-)?prompt-router/[a-zA-Z0-9-:.]+
 *                   (REGION [a-z0-9-]{1,20}, ACCOUNT [0-9]{12});
 *                   arn:aws:sagemaker:[a-z0-9-]+:ACCOUNT:endpoint/[a-zA-Z0-9-]+
 * Anything else (a '/', '%', NUL, CR or LF in a plain id, "../..", a URL)
 * is not a model id and never leaves tiergate.
 */
#include "autoconf.h"

#include <string.h>

#include "modelid.h"

#define LOWER_DIGIT_DASH	"abcdefghijklmnopqrstuvwxyz0123456789-"
#define ALNUM	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define PROFILE_CHARS	ALNUM "-:."

/* 1 when s[0..n) are all in set and lo <= n <= hi. */
static int
run(const char *s, size_t n, const char *set, size_t lo, size_t hi)
{
	size_t	 i;

	if (n < lo || n > hi)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return 0;
	return 1;
}

static int
all(const char *s, const char *set, size_t lo, size_t hi)
{
	return run(s, strlen(s), set, lo, hi);
}

/* [a-z0-9-]{1,63}[.][a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63}) */
static int
foundation_id(const char *s)
{
	const char	*dot = strchr(s, '.'), *rest, *sep;

	if (dot == NULL || !run(s, (size_t)(dot - s), LOWER_DIGIT_DASH, 1, 63))
		return 0;
	rest = dot + 1;
	if ((sep = strpbrk(rest, ".:")) == NULL)
		return all(rest, LOWER_DIGIT_DASH, 2, 126);
	return run(rest, (size_t)(sep - rest), LOWER_DIGIT_DASH, 1, 63) &&
	    all(sep + 1, LOWER_DIGIT_DASH, 1, 63);
}

/* ([0-9a-zA-Z][_-]?)+ */
static int
underscore_id(const char *s)
{
	if (*s == '\0')
		return 0;
	while (*s != '\0') {
		if (strchr(ALNUM, *s) == NULL)
			return 0;
		s++;
		if (*s == '_' || *s == '-')
			s++;
	}
	return 1;
}

/* "custom-model/" rest: [a-z0-9-]{1,63}[.][a-z0-9-]{1,63}/[a-z0-9]{12} */
static int
custom_model(const char *s)
{
	const char	*dot = strchr(s, '.'), *slash = strchr(s, '/');

	return dot != NULL && slash != NULL && dot < slash &&
	    run(s, (size_t)(dot - s), LOWER_DIGIT_DASH, 1, 63) &&
	    run(dot + 1, (size_t)(slash - dot - 1), LOWER_DIGIT_DASH, 1, 63) &&
	    all(slash + 1, "abcdefghijklmnopqrstuvwxyz0123456789", 12, 12);
}

/* prompt/[0-9a-zA-Z]{10}(:[0-9]{1,5})? */
static int
prompt_id(const char *s)
{
	return run(s, 10, ALNUM, 10, 10) &&
	    (s[10] == '\0' || (s[10] == ':' && all(s + 11, "0123456789", 1, 5)));
}

/* The resource after "ACCOUNT:" of a bedrock ARN; sets out->kind. */
static int
arn_resource(const char *s, struct modelid *out)
{
	static const struct { const char *type; enum modelid_kind kind; } types[] = {
		{ "inference-profile/", MODELID_PROFILE_ARN },
		{ "application-inference-profile/", MODELID_OTHER_ARN },
		{ "prompt-router/", MODELID_ROUTER_ARN },
		{ "default-prompt-router/", MODELID_ROUTER_ARN },
	};
	static const char *const twelve[] = { "imported-model/", "provisioned-model/",
	    "custom-model-deployment/" };
	size_t	 i, n;

	out->resource = strchr(s, '/') != NULL ? strchr(s, '/') + 1 : "";
	out->kind = MODELID_OTHER_ARN;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strncmp(s, types[i].type, n = strlen(types[i].type)) == 0) {
			out->kind = types[i].kind;
			return all(s + n, PROFILE_CHARS, 1, 2048);
		}
	for (i = 0; i < sizeof(twelve) / sizeof(twelve[0]); i++)
		if (strncmp(s, twelve[i], n = strlen(twelve[i])) == 0)
			return all(s + n, "abcdefghijklmnopqrstuvwxyz0123456789", 12, 12);
	if (strncmp(s, "custom-model/", 13) == 0)
		return custom_model(s + 13);
	if (strncmp(s, "prompt/", 7) == 0)
		return prompt_id(s + 7);
	return 0;
}

/* arn:aws(-[^:]+)?:bedrock:REGION:(ACCOUNT:resource | :foundation-model/ID) */
static int
bedrock_arn(const char *s, struct modelid *out)
{
	const char	*p = s + 7, *c;

	if (*p == '-') {
		if ((c = strchr(p, ':')) == NULL || c == p + 1)
			return 0;
		p = c;
	}
	if (strncmp(p, ":bedrock:", 9) != 0)
		return 0;
	p += 9;
	if ((c = strchr(p, ':')) == NULL || !run(p, (size_t)(c - p), LOWER_DIGIT_DASH, 1, 20))
		return 0;
	memcpy(out->region, p, (size_t)(c - p));
	out->region[c - p] = '\0';
	p = c + 1;
	if (strncmp(p, ":foundation-model/", 18) == 0) {
		out->kind = MODELID_FOUNDATION_ARN;
		out->resource = p + 18;
		return foundation_id(p + 18);
	}
	if (!run(p, 12, "0123456789", 12, 12) || p[12] != ':')
		return 0;
	memcpy(out->account, p, 12);
	out->account[12] = '\0';
	return arn_resource(p + 13, out);
}

/* arn:aws:sagemaker:[a-z0-9-]+:[0-9]{12}:endpoint/[a-zA-Z0-9-]+ */
static int
sagemaker_arn(const char *s, struct modelid *out)
{
	const char	*p = s + 18, *c = strchr(p, ':');

	if (c == NULL || !run(p, (size_t)(c - p), LOWER_DIGIT_DASH, 1, 2048) ||
	    !run(c + 1, 12, "0123456789", 12, 12) || strncmp(c + 13, ":endpoint/", 10) != 0)
		return 0;
	memcpy(out->account, c + 1, 12);
	out->account[12] = '\0';
	out->kind = MODELID_OTHER_ARN;
	out->resource = c + 23;
	return all(c + 23, ALNUM "-", 1, 2048);
}

int
modelid_parse(const char *id, struct modelid *out)
{
	int	 ok;

	memset(out, 0, sizeof(*out));
	out->resource = id;
	if (id == NULL || strlen(id) < 1 || strlen(id) > MODELID_MAX)
		return -1;
	if (strncmp(id, "arn:aws:sagemaker:", 18) == 0)
		ok = sagemaker_arn(id, out);
	else if (strncmp(id, "arn:aws", 7) == 0 && (id[7] == ':' || id[7] == '-') &&
	    strstr(id, ":bedrock:") != NULL)
		ok = bedrock_arn(id, out);
	else
		ok = 0;
	if (!ok) {		/* "arn:..." without a '/' is still a plain id */
		memset(out, 0, sizeof(*out));
		out->kind = MODELID_PLAIN;
		out->resource = id;
		ok = all(id, PROFILE_CHARS, 1, MODELID_MAX) || underscore_id(id);
	}
	if (!ok)
		out->kind = MODELID_INVALID;
	return ok ? 0 : -1;
}
