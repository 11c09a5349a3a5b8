/*
 * admin.c - HTTP handlers of /admin/api/... and /metrics: authentication,
 * parameter parsing, then one http_send_*() with a document built by
 * stats_api.c / stats_decisions.c / metrics.c.
 *
 * The admin token never leaves this file: it is hashed, compared in
 * constant time with the configured digest, and never logged or echoed.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "admin.h"
#include "config.h"
#include "declog.h"
#include "log.h"
#include "stats_api.h"

#define TOKEN_MAX	1024

static int
hex_decode(const char *hex, unsigned char *out, size_t n)
{
	size_t	 i;
	int	 hi, lo;

	if (hex == NULL || strlen(hex) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		hi = isxdigit((unsigned char)hex[2 * i]) ? hex[2 * i] : -1;
		lo = isxdigit((unsigned char)hex[2 * i + 1]) ? hex[2 * i + 1] : -1;
		if (hi < 0 || lo < 0)
			return -1;
		hi = isdigit(hi) ? hi - '0' : tolower(hi) - 'a' + 10;
		lo = isdigit(lo) ? lo - '0' : tolower(lo) - 'a' + 10;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
admin_token_ok(const char *token, const char *sha256_hex)
{
	unsigned char	 want[32], got[EVP_MAX_MD_SIZE];
	unsigned int	 glen = 0;

	if (token == NULL || hex_decode(sha256_hex, want, sizeof(want)) == -1 ||
	    strlen(token) > TOKEN_MAX ||
	    EVP_Digest(token, strlen(token), got, &glen, EVP_sha256(), NULL) != 1 ||
	    glen != sizeof(want))
		return 0;
	return CRYPTO_memcmp(want, got, sizeof(want)) == 0;
}

/* The token the client presented, or NULL. */
static const char *
admin_token(const struct tg_req *req)
{
	const char	*v;

	v = http_header(req, "Authorization");
	if (v != NULL && strncasecmp(v, "Bearer ", 7) == 0) {
		for (v += 7; *v == ' '; v++)
			;
		return v;
	}
	return http_header(req, "x-tiergate-admin-token");
}

/* 0 when the request may proceed, else the status already sent. */
static int
admin_auth(struct tg_req *req, const struct tg_config *cfg)
{
	const char	*tok;

	if (cfg->admin_token_sha256 == NULL) {
		http_send_error(req, 404, "ResourceNotFoundException",
		    "admin API disabled: set admin_token_sha256 in the config");
		return 404;
	}
	if ((tok = admin_token(req)) == NULL || *tok == '\0') {
		http_send_error(req, 401, "UnauthorizedException", "admin token required");
		return 401;
	}
	if (!admin_token_ok(tok, cfg->admin_token_sha256)) {
		log_warn("admin: request %s with an invalid admin token", req->request_id);
		http_send_error(req, 401, "UnauthorizedException", "invalid admin token");
		return 401;
	}
	return 0;
}

/* Parse an optional non-negative decimal parameter into *out; -1 when it
 * is present but not a number in [min, max]. */
static int
query_num(struct tg_req *req, const char *name, long long min, long long max,
    long long *out)
{
	char		 buf[32], *end;
	const char	*v;
	long long	 n;

	if ((v = http_query(req, name, buf, sizeof(buf))) == NULL || *v == '\0')
		return 0;
	if (!isdigit((unsigned char)*v))
		return -1;
	n = strtoll(v, &end, 10);
	if (*end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int
send_doc(struct tg_req *req, json_t *doc, const char *err)
{
	if (doc == NULL) {
		log_err("admin: %s", err);
		return http_send_error(req, 500, "InternalServerException", "%s", err);
	}
	return http_send_json(req, 200, doc);
}

static int
do_stats(struct tg_req *req, struct stats *st, const char *pv, const char *polv)
{
	char		 win[16], err[256];
	const char	*w;
	json_t		*doc;

	if (st == NULL)
		return http_send_error(req, 503, "ServiceUnavailableException",
		    "stats are not enabled (stats_path)");
	w = http_query(req, "window", win, sizeof(win));
	doc = stats_api_stats(st, w != NULL && *w != '\0' ? w : NULL, time(NULL),
	    pv, polv, err, sizeof(err));
	if (doc == NULL)
		return http_send_error(req, 400, "ValidationException", "%s", err);
	return http_send_json(req, 200, doc);
}

static int
do_decisions(struct tg_req *req, struct declog *dl)
{
	long long	 limit = 50, before = -1;
	char		 err[256];

	if (dl == NULL)
		return http_send_error(req, 503, "ServiceUnavailableException",
		    "the decision log is not enabled (decision_log)");
	if (query_num(req, "limit", 1, STATS_API_MAX_LIMIT, &limit) == -1)
		return http_send_error(req, 400, "ValidationException",
		    "limit must be an integer from 1 to %d", STATS_API_MAX_LIMIT);
	if (query_num(req, "before", 0, INT64_MAX, &before) == -1)
		return http_send_error(req, 400, "ValidationException",
		    "before must be a cursor returned as next_before");
	return send_doc(req, stats_api_decisions(declog_path(dl), (int)limit, before,
	    time(NULL), err, sizeof(err)), err);
}

/* The router's own policy for the what-if; NULL (threshold rule only)
 * without hooks, for an unknown router or a policy that does not load. */
static const struct stats_whatif_policy *
whatif_policy(const struct admin_policy_hooks *h, const struct tg_config *cfg,
    const char *router, struct stats_whatif_policy *wp)
{
	const struct tg_router	*r = cfg != NULL ? config_router(cfg, router) : NULL;
	char			 err[256];

	if (h == NULL || r == NULL || r->policy == NULL)
		return NULL;
	if (h->open(cfg, r, wp, err, sizeof(err)) != 0) {
		log_warn("what-if for router %s: its policy does not load (%s); "
		    "threshold rule only", r->id, err);
		return NULL;
	}
	return wp;
}

static int
do_whatif(struct tg_req *req, const struct tg_config *cfg, struct declog *dl,
    const struct admin_policy_hooks *h)
{
	const struct stats_whatif_policy *pol;
	struct stats_whatif_policy wp;
	long long	 last = STATS_API_WHATIF_DEFAULT;
	char		 rbuf[256], err[256];
	const char	*router;
	json_t		*doc;
	int		 status = 500;

	if (dl == NULL)
		return http_send_error(req, 503, "ServiceUnavailableException",
		    "the decision log is not enabled (decision_log)");
	if ((router = http_query(req, "router", rbuf, sizeof(rbuf))) == NULL || *router == '\0')
		return http_send_error(req, 400, "ValidationException",
		    "router is required");
	if (query_num(req, "last", 1, STATS_API_WHATIF_MAX, &last) == -1)
		return http_send_error(req, 400, "ValidationException",
		    "last must be an integer from 1 to %d", STATS_API_WHATIF_MAX);
	pol = whatif_policy(h, cfg, router, &wp);
	doc = stats_api_whatif(declog_path(dl), cfg, router, (size_t)last, time(NULL),
	    pol, &status, err, sizeof(err));
	if (pol != NULL)
		h->close(&wp);
	if (doc == NULL && status == 404)
		return http_send_error(req, 404, "ResourceNotFoundException", "%s", err);
	return send_doc(req, doc, err);
}

static int
do_metrics(struct tg_req *req, struct stats *st)
{
	char	*text;
	size_t	 len;
	int	 rc;

	if (st == NULL)
		return http_send_error(req, 503, "ServiceUnavailableException",
		    "stats are not enabled (stats_path)");
	if ((text = metrics_text(st, &len)) == NULL)
		return http_send_error(req, 500, "InternalServerException", "out of memory");
	rc = http_send_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
	free(text);
	return rc;
}

static int
admin_route(struct tg_req *req, const struct tg_config *cfg, struct stats *st,
    struct declog *dl, const char *pv, const char *polv, const struct admin_policy_hooks *h)
{
	const char	*p = req->path;

	if (strcmp(p, "/metrics") == 0)
		return do_metrics(req, st);
	p += strlen("/admin/api/");
	if (strcmp(p, "stats") == 0)
		return do_stats(req, st, pv, polv);
	if (strcmp(p, "decisions") == 0)
		return do_decisions(req, dl);
	if (strcmp(p, "whatif") == 0)
		return do_whatif(req, cfg, dl, h);
	if (strcmp(p, "routers") == 0)
		return http_send_json(req, 200, stats_api_routers(cfg, time(NULL)));
	return http_send_error(req, 404, "ResourceNotFoundException",
	    "no such admin endpoint");
}

int
admin_handle(struct tg_req *req, const struct tg_config *cfg, struct stats *st,
    struct declog *dl, const char *pv, const char *polv, const struct admin_policy_hooks *h)
{
	if (req->path == NULL || (strcmp(req->path, "/metrics") != 0 &&
	    strncmp(req->path, "/admin/api/", strlen("/admin/api/")) != 0))
		return 0;
	if (admin_auth(req, cfg) != 0)
		return 1;
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		http_send_error(req, 405, "ValidationException",
		    "the admin API is read-only: use GET");
		return 1;
	}
	http_add_header(req, "Cache-Control", "no-store");
	admin_route(req, cfg, st, dl, pv, polv, h);
	return 1;
}
