/*
 * decision.h - what the gateway decided for one request and what it cost.
 *
 * route.c fills one struct tg_decision per request; stats.c counts it and
 * declog.c writes it as one JSON line.  Every string is borrowed for the
 * duration of those calls only.
 */
#ifndef TG_DECISION_H
#define TG_DECISION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TG_MAX_CANDIDATES 16

/* Why the fallback model served instead of the policy's choice. */
enum tg_fallback {
	TG_FB_NONE = 0,		/* the policy's choice served */
	TG_FB_NO_PREDICTION,	/* the predictor could not score the request */
	TG_FB_POLICY_ERROR,	/* the policy raised an error or returned garbage */
	TG_FB_POLICY_LIMIT,	/* the policy hit its instruction or memory limit */
	TG_FB_UPSTREAM,		/* the chosen model failed upstream after retries */
	TG_FB_LOW_CONFIDENCE,	/* the policy served the fallback model while the
				   prediction's confidence was below the router's
				   min_confidence (tiergate.bedrock's rule) */
	TG_FB__MAX
};

/* Upstream failure classes, for error counters. */
enum tg_upstream_err {
	TG_UP_OK = 0,
	TG_UP_THROTTLED,	/* 429 ThrottlingException */
	TG_UP_UNAVAILABLE,	/* 503 ServiceUnavailable / ModelNotReady */
	TG_UP_INTERNAL,		/* 500 */
	TG_UP_TIMEOUT,		/* 408 ModelTimeout, or our own timeout */
	TG_UP_CONNECT,		/* connection refused / reset */
	TG_UP_BAD_RESPONSE,	/* too large, truncated, not JSON */
	TG_UP_CLIENT,		/* other 4xx from Bedrock (validation, access) */
	TG_UP__MAX
};

/*
 * Why a request was refused before any model was called.  A refused
 * request is counted apart (stats.c): never as a model, spend or unpriced.
 */
enum tg_reject {
	TG_RJ_NONE = 0,		/* not refused: a model was called */
	TG_RJ_AUTH,		/* missing, malformed or wrong credentials */
	TG_RJ_METHOD,		/* the HTTP method is not the operation's */
	TG_RJ_HEADERS,		/* too many request headers */
	TG_RJ_BODY_SIZE,	/* the body is over max_body_bytes */
	TG_RJ_BODY,		/* the body could not be read */
	TG_RJ_OPERATION,	/* no such operation under /model/{id}/ */
	TG_RJ_MODEL_ID,		/* the model id breaks Bedrock's grammar */
	TG_RJ_UNKNOWN_MODEL,	/* no such router, or a model passthrough refuses */
	TG_RJ_ACCOUNT,		/* a router ARN of an account not configured */
	TG_RJ_VALIDATION,	/* the request body is not a valid request */
	TG_RJ_POLICY,		/* the router's policy refused the request */
	TG_RJ_UNRECORDED,	/* refused, in a log line older than this field */
	TG_RJ__MAX
};

struct tg_candidate {
	const char	*model;		/* Bedrock model id */
	double		 quality;	/* predicted, 0..1; valid when has_quality */
	int		 has_quality;
	int		 priced;
	double		 price_in;	/* $ per 1M tokens */
	double		 price_out;
	double		 est_cost;	/* estimated $ for this request; valid when priced */
};

struct tg_decision {
	time_t		 time;		/* wall clock, seconds */
	const char	*request_id;
	const char	*router;	/* router id, or "" for a passthrough model */
	const char	*tenant;	/* API key's tenant, "" when anonymous */
	const char	*request_class;	/* "" when none */
	const char	*api;		/* "converse", "converse-stream", "invoke", ... */
	struct tg_candidate cand[TG_MAX_CANDIDATES];
	size_t		 ncand;
	const char	*chosen;	/* the policy's choice (NULL: none) */
	const char	*model;		/* the model that answered (NULL: none) */
	const char	*reason;
	enum tg_fallback fallback;
	enum tg_upstream_err upstream_err;
	double		 threshold;	/* response_quality_difference used */
	int		 has_confidence; /* the predictor has a "(confidence)" head */
	double		 confidence;	/* 0..1, valid when has_confidence */
	double		 min_confidence; /* router's min_confidence, 0 = off */
	uint64_t	 input_tokens;
	uint64_t	 output_tokens;
	uint64_t	 cache_read_tokens;
	uint64_t	 cache_write_tokens;
	int		 cost_known;	/* the answering model is priced */
	double		 cost;		/* $ actually spent */
	int		 cf_known;	/* the counterfactual model is priced */
	double		 cf_cost;	/* same tokens on the router's priciest model */
	const char	*cf_model;
	uint64_t	 upstream_us;	/* time spent waiting on Bedrock */
	uint64_t	 overhead_us;	/* tiergate's own time */
	int		 status;	/* HTTP status sent to the client */
	enum tg_reject	 reject;	/* refused before a model was called */
	int		 attempts;	/* upstream attempts made */
	int		 interrupted;	/* a stream cut short (upstream, cap, deadline,
					 * client): tokens are those relayed so far */
	const char	*prompt;	/* only when log_prompts is on, else NULL */
};

const char	*tg_fallback_name(enum tg_fallback);	/* "no_prediction", ... */
const char	*tg_upstream_err_name(enum tg_upstream_err); /* "throttled", ... */
const char	*tg_reject_name(enum tg_reject);	/* "auth", "validation", ... */
/* The enum value of a name tg_reject_name() returns; TG_RJ_NONE if none. */
enum tg_reject	 tg_reject_parse(const char *);

#endif
