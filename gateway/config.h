/*
 * config.h - the gateway's configuration, loaded from one JSON file.
 *
 * The file format is documented in man/tiergate.conf.5.  A struct tg_config
 * is immutable once loaded and shared read-only by every worker thread.
 */
#ifndef TG_CONFIG_H
#define TG_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Per-million-token prices in US dollars.  `priced` is 0 when the operator
 * (or the shipped table) does not know the price: such a model is reported
 * as "unpriced", never as costing $0. */
struct tg_price {
	int	 priced;
	double	 input;		/* $ per 1M input tokens */
	double	 output;	/* $ per 1M output tokens */
	double	 cache_read;	/* $ per 1M cache-read input tokens */
	double	 cache_write;	/* $ per 1M cache-write input tokens */
};

/* A Bedrock model the gateway may invoke. */
struct tg_model {
	char		*id;		/* Bedrock model id, inference profile or ARN */
	char		*predictor;	/* predictor output used as its quality, or NULL */
	int		 has_strength;	/* "strength" given */
	double		 strength;	/* place on the predictor's reference scale:
					   0 = mixtral-8x7b-instruct, 1 =
					   gpt-4-1106-preview (TG_STRENGTH_MIN..MAX) */
	char		*provider;	/* "anthropic", "meta", ...: InvokeModel body family */
	char		*name;		/* display name ("Claude 3 Haiku"), or NULL */
	struct tg_price	 price;
};

/* The range "strength" is checked against: beyond it the extrapolation of
 * the two reference heads means little. */
#define TG_STRENGTH_MIN		(-0.5)
#define TG_STRENGTH_MAX		1.5

/*
 * min_confidence of a router that does not set it.  Measured with the
 * default model (predictor/README-training.md, "Confidence"): below 0.5
 * are 0-0.09% of the training records and 0.05-0.32% of a label family
 * left out of training, and every prompt of another kind tried (another
 * script, emoji, a code dump); long prompts of the usual kind score 0.6
 * and more.  Change it here and in tiergate.conf(5) together.
 */
#define TG_DEFAULT_MIN_CONFIDENCE	0.5

/* A prompt router, mirroring Bedrock's CreatePromptRouter. */
struct tg_router {
	char	 *id;			/* used as modelId by clients */
	char	 *name;
	char	 *description;
	char	 *arn;			/* arn:aws:bedrock:REGION:ACCOUNT:prompt-router/ID */
	size_t	 *models;		/* indexes into tg_config.models */
	size_t	  nmodels;
	size_t	  fallback;		/* index into tg_config.models */
	double	  rqd;			/* response_quality_difference, 0..100 */
	double	  min_confidence;	/* 0..1: below it the fallback serves */
	char	 *policy;		/* Lua policy file (absolute path) */
	time_t	  created;		/* config "created_at", for GetPromptRouter */
};

/* Where upstream credentials come from. */
enum tg_cred_source {
	TG_CRED_AUTO = 0,	/* bearer token, then env, then shared file */
	TG_CRED_ENV,		/* AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY */
	TG_CRED_PROFILE,	/* shared credentials file, named profile */
	TG_CRED_BEARER,		/* AWS_BEARER_TOKEN_BEDROCK */
};

/* Which model ids that name no router are sent to Bedrock as they are. */
enum tg_passthrough {
	TG_PT_NONE = 0,		/* none: only routers */
	TG_PT_KNOWN,		/* models in "models" or the price table */
	TG_PT_ANY,		/* any id in Bedrock's model-id grammar */
};

struct tg_limits {
	size_t	 max_body_bytes;	/* request body cap */
	size_t	 max_json_depth;	/* request JSON nesting cap */
	size_t	 max_upstream_bytes;	/* Bedrock response cap */
	size_t	 max_headers;		/* request header count cap */
	size_t	 policy_memory_bytes;	/* Lua heap per state */
	uint64_t policy_instructions;	/* Lua instructions per decision */
};

struct tg_config {
	char			*path;		/* file it was loaded from */
	char			*region;
	char			*endpoint;	/* base URL; NULL: https://bedrock-runtime.REGION.amazonaws.com */
	char			*account_id;	/* for router ARNs */
	enum tg_cred_source	 cred_source;
	char			*profile;	/* for TG_CRED_PROFILE; NULL: AWS_PROFILE or "default" */
	char			*credentials_file; /* NULL: AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials */
	long			 connect_timeout_ms;
	long			 timeout_ms;
	int			 retries;	/* extra attempts after the first */
	long			 retry_base_ms;
	long			 retry_cap_ms;
	long			 deadline_ms;	/* all attempts of a request, fallback included */
	long			 stream_max_seconds; /* a stream's whole length */
	int			 threads;
	enum tg_passthrough	 passthrough;
	char			**accounts;	/* router ARNs must name one of these */
	size_t			 naccounts;	/* 0: any account (none configured) */
	char			**known_ids;	/* the price table's model ids */
	char			**known_names;	/* and their display names (NULL: none) */
	size_t			 nknown;
	char			*api_keys_file;
	char			*admin_token_sha256; /* hex; NULL: admin API disabled */
	char			*log_path;	/* NULL or "-": stderr */
	char			*log_level;	/* "error", "warning", "info", "debug" */
	char			*decision_log;	/* NULL: no decision log */
	int			 log_prompts;	/* put prompt text in the decision log */
	char			*stats_path;	/* NULL: no shared stats */
	char			*predictor_model; /* shared object; NULL: compiled-in default */
	struct tg_limits	 limits;
	struct tg_model		*models;
	size_t			 nmodels;
	struct tg_router	*routers;
	size_t			 nrouters;
};

/*
 * Load and validate the config at `path`.  On success returns a new config
 * (caller frees with config_free()).  On failure returns NULL and writes
 * "file:line:col: key: message" into errbuf.
 */
struct tg_config	*config_load(const char *path, char *errbuf, size_t errlen);
void			 config_free(struct tg_config *);

const struct tg_model	*config_model(const struct tg_config *, const char *id);
ssize_t			 config_model_index(const struct tg_config *, const char *id);
/* Resolve a client's modelId (already percent-decoded): a router id or a
 * router ARN.  Returns NULL when it names no router. */
const struct tg_router	*config_router(const struct tg_config *, const char *model_id);
/* 1 when `account` (12 digits) may appear in a router ARN. */
int			 config_account_ok(const struct tg_config *, const char *account);
/* 1 when model id `id` is in "models" or the price table. */
int			 config_model_known(const struct tg_config *, const char *id);
/* The display name of model `id` ("models" first, then the price table);
 * NULL when neither names it.  Borrowed from the config. */
const char		*config_model_name(const struct tg_config *, const char *id);

#endif
