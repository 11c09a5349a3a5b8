/*
 * stats_api.h - the JSON documents of the admin API (docs/admin-api.md,
 * schema version 1) and the Prometheus text of /metrics.  Pure builders:
 * no HTTP here (see admin.h), so they are unit-tested directly.
 *
 * Every json_t * returned is a new reference; the caller owns it.
 */
#ifndef TG_STATS_API_H
#define TG_STATS_API_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "config.h"
#include "stats.h"

#define STATS_API_SCHEMA	1
#define STATS_API_MAX_LIMIT	500
#define STATS_API_WHATIF_MAX	10000
#define STATS_API_WHATIF_DEFAULT 2000	/* 101 policy replays of each */

/* GET /admin/api/stats.  `window` is "1h", "24h", "7d" or "30d" (NULL:
 * "24h"); versions may be NULL.  Returns NULL with a message in err for an
 * unknown window. */
json_t	*stats_api_stats(struct stats *, const char *window, time_t now,
	    const char *predictor_version, const char *policy_version,
	    char *err, size_t errlen);

/* GET /admin/api/routers. */
json_t	*stats_api_routers(const struct tg_config *, time_t now);

/* GET /admin/api/decisions: up to `limit` lines of the log at `path`
 * starting before byte offset `before` (< 0: the end).  Returns NULL with
 * a message in err when the log cannot be read. */
json_t	*stats_api_decisions(const char *path, int limit, long long before,
	    time_t now, char *err, size_t errlen);

/*
 * A replayer of a router's own policy for the what-if, provided by the
 * caller (the gateway: gateway/policy_whatif.c), so that this module needs
 * no Lua.  add() takes one logged decision, newest first (the line is
 * borrowed; the replayer keeps a reference), returning 0 or -1 (out of
 * memory: the policy replay is then left out).  run() replays every added
 * decision at `threshold`, oldest first, calling out(arg, idx, model) with
 * idx in add() order and the model the policy picks (NULL: it refused).
 */
struct stats_whatif_policy {
	void		*ctx;
	const char	*version;	/* the policy's version, or NULL */
	int		(*add)(void *ctx, json_t *line);
	void		(*run)(void *ctx, double threshold,
			    void (*out)(void *arg, size_t idx, const char *model),
			    void *arg);
};

/* GET /admin/api/whatif for router `router_id` over the last `last`
 * decisions of the log at `path`: "points" by the threshold rule alone
 * (the default policy's), and "policy_points" by the router's own policy
 * when `pol` is not NULL.  Returns NULL with *status 404 (unknown router)
 * or 500 (log unreadable) and a message in err. */
json_t	*stats_api_whatif(const char *path, const struct tg_config *,
	    const char *router_id, size_t last, time_t now,
	    const struct stats_whatif_policy *pol, int *status,
	    char *err, size_t errlen);

/* The router's counterfactual model: the priced candidate with the highest
 * input + output price (as route.c prices it), or NULL. */
const struct tg_model *stats_api_strong_model(const struct tg_config *,
	    const struct tg_router *);

/*
 * The refusal counters of a stats file (stats_rejects.c): keys loaded once,
 * then window sums accumulated in win[] bucket by bucket (or set to the
 * lifetime counts).  Free with rejset_free(), also after a failed load.
 */
struct rejset {
	size_t			 n;
	struct stats_rkey	*keys;
	int			*valid;
	uint64_t		*win;
};
int	 rejset_load(struct stats *, struct rejset *);
void	 rejset_free(struct rejset *);
/* Add one bucket into win[]; returns that bucket's refusals. */
uint64_t rejset_bucket(struct stats *, struct rejset *, enum stats_unit, uint64_t unit);
void	 rejset_lifetime(struct stats *, struct rejset *);
uint64_t rejset_total(const struct rejset *);
/* The "rejected" object of the stats document, from win[]. */
json_t	*rejset_json(const struct rejset *);

/* GET /metrics: Prometheus text format 0.0.4 in a malloc'd buffer (caller
 * frees), length in *len.  Returns NULL on allocation failure. */
char	*metrics_text(struct stats *, size_t *len);

#endif
