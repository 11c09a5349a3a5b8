/*
 * decision.c - names of the decision enums, as they appear in the decision
 * log, the stats JSON and Prometheus labels.
 */
#include "autoconf.h"

#include <string.h>

#include "decision.h"

static const char *const fallback_names[TG_FB__MAX] = {
	[TG_FB_NONE] = "none",
	[TG_FB_NO_PREDICTION] = "no_prediction",
	[TG_FB_POLICY_ERROR] = "policy_error",
	[TG_FB_POLICY_LIMIT] = "policy_limit",
	[TG_FB_UPSTREAM] = "upstream",
	[TG_FB_LOW_CONFIDENCE] = "low_confidence",
};

static const char *const upstream_names[TG_UP__MAX] = {
	[TG_UP_OK] = "ok",
	[TG_UP_THROTTLED] = "throttled",
	[TG_UP_UNAVAILABLE] = "unavailable",
	[TG_UP_INTERNAL] = "internal",
	[TG_UP_TIMEOUT] = "timeout",
	[TG_UP_CONNECT] = "connect",
	[TG_UP_BAD_RESPONSE] = "bad_response",
	[TG_UP_CLIENT] = "client",
};

static const char *const reject_names[TG_RJ__MAX] = {
	[TG_RJ_NONE] = "none",
	[TG_RJ_AUTH] = "auth",
	[TG_RJ_METHOD] = "method",
	[TG_RJ_HEADERS] = "headers",
	[TG_RJ_BODY_SIZE] = "body_size",
	[TG_RJ_BODY] = "body",
	[TG_RJ_OPERATION] = "operation",
	[TG_RJ_MODEL_ID] = "model_id",
	[TG_RJ_UNKNOWN_MODEL] = "unknown_model",
	[TG_RJ_ACCOUNT] = "account",
	[TG_RJ_VALIDATION] = "validation",
	[TG_RJ_POLICY] = "policy",
	[TG_RJ_UNRECORDED] = "unrecorded",
};

const char *
tg_fallback_name(enum tg_fallback f)
{
	return f < TG_FB__MAX ? fallback_names[f] : "unknown";
}

const char *
tg_upstream_err_name(enum tg_upstream_err e)
{
	return e < TG_UP__MAX ? upstream_names[e] : "unknown";
}

const char *
tg_reject_name(enum tg_reject r)
{
	return r < TG_RJ__MAX ? reject_names[r] : "unknown";
}

enum tg_reject
tg_reject_parse(const char *s)
{
	int	 i;

	for (i = 1; s != NULL && i < TG_RJ__MAX; i++)
		if (strcmp(reject_names[i], s) == 0)
			return (enum tg_reject)i;
	return TG_RJ_NONE;
}
