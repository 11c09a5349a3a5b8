/*
 * admin.h - the read-only admin API (/admin/api/...) and /metrics, served by
 * the gateway itself.  Schemas: docs/admin-api.md.
 */
#ifndef TG_ADMIN_H
#define TG_ADMIN_H

#include "http.h"

struct tg_config;
struct stats;
struct declog;

/*
 * Answer req if its path is /metrics or under /admin/api/: returns 1 when
 * it handled (and answered) the request, 0 when the path is not its own
 * (nothing was sent).  stats and declog may be NULL (the endpoints that
 * need them answer 503); the version strings may be NULL.
 *
 * Every answer requires the admin token (Authorization: Bearer, or
 * x-tiergate-admin-token) whose SHA-256 matches cfg->admin_token_sha256,
 * compared in constant time; 401 in Bedrock's error shape otherwise, 404
 * when no admin token is configured.
 */
struct tg_router;
struct stats_whatif_policy;

/* How the what-if replays a router's own policy: open() fills *out (0),
 * or fails (-1, message in err: the what-if is then threshold-only);
 * close() releases it.  The gateway passes gateway/policy_whatif.c's. */
struct admin_policy_hooks {
	int	(*open)(const struct tg_config *, const struct tg_router *,
		    struct stats_whatif_policy *out, char *err, size_t errlen);
	void	(*close)(struct stats_whatif_policy *);
};

int	admin_handle(struct tg_req *, const struct tg_config *, struct stats *,
	    struct declog *, const char *predictor_version, const char *policy_version,
	    const struct admin_policy_hooks *);

/* 1 when `token` hashes to the hex SHA-256 `sha256_hex` (constant time). */
int	admin_token_ok(const char *token, const char *sha256_hex);

#endif
