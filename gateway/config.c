/*
 * config.c - load and validate the JSON config file (tiergate.conf(5)).
 *
 * Every error names the file, the line and column of the offending key and
 * the key's path, e.g. "tiergate.json:12:7: routers[0].fallback: model
 * 'x' is not one of the router's models".  Jansson reports positions only
 * for syntax errors, so for semantic ones conf_locate() walks the raw text
 * to the key (see jsonpos.c).
 */
#include "autoconf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "jsonpos.h"

#define CONF_MAX_BYTES	(4u << 20)

struct conf_ctx {
	const char	*path;
	char		*text;		/* whole file, NUL-terminated */
	json_t		*root;
	char		*err;
	size_t		 errlen;
	int		 failed;
	const char	*price_table;	/* optional prices file */
};

static void
conf_fail(struct conf_ctx *c, const char *keypath, const char *fmt, ...)
{
	char	 msg[512];
	size_t	 line = 1, col = 1;
	va_list	 ap;

	if (c->failed)
		return;		/* keep the first error: the rest often follow from it */
	c->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->text != NULL && keypath != NULL)
		jsonpos_locate(c->text, keypath, &line, &col);
	snprintf(c->err, c->errlen, "%s:%zu:%zu: %s: %s", c->path, line, col,
	    keypath != NULL && *keypath ? keypath : "(top level)", msg);
}

static char *
conf_strdup(struct conf_ctx *c, const char *s)
{
	char	*p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		conf_fail(c, NULL, "out of memory");
	return p;
}

static char *
conf_path_rel(struct conf_ctx *c, const char *p)
{
	const char	*slash = strrchr(c->path, '/');
	char		*out;

	if (p == NULL || p[0] == '/' || slash == NULL)
		return conf_strdup(c, p);
	if (asprintf(&out, "%.*s/%s", (int)(slash - c->path), c->path, p) < 0) {
		conf_fail(c, NULL, "out of memory");
		return NULL;
	}
	return out;
}

/* Reject keys the config does not know, so a typo never silently falls
 * back to a default. `known` is NULL-terminated. */
static void
conf_known_keys(struct conf_ctx *c, const json_t *obj, const char *at,
    const char *const *known)
{
	const char	*key;
	json_t		*v;
	size_t		 i;
	char		 kp[256];

	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (known[i] == NULL) {
			snprintf(kp, sizeof(kp), "%s%s%s", at, *at ? "." : "", key);
			conf_fail(c, kp, "unknown key");
			return;
		}
	}
}

static const json_t *
conf_obj(struct conf_ctx *c, const json_t *parent, const char *key, const char *kp)
{
	const json_t	*v = json_object_get(parent, key);

	if (v != NULL && !json_is_object(v)) {
		conf_fail(c, kp, "must be an object");
		return NULL;
	}
	return v;
}

static char *
conf_str(struct conf_ctx *c, const json_t *parent, const char *key,
    const char *kp, const char *def)
{
	const json_t	*v = json_object_get(parent, key);

	if (v == NULL || json_is_null(v))
		return conf_strdup(c, def);
	if (!json_is_string(v) || json_string_length(v) == 0) {
		conf_fail(c, kp, "must be a non-empty string");
		return NULL;
	}
	return conf_strdup(c, json_string_value(v));
}

static double
conf_num(struct conf_ctx *c, const json_t *parent, const char *key,
    const char *kp, double def, double min, double max)
{
	const json_t	*v = json_object_get(parent, key);
	double		 d;

	if (v == NULL)
		return def;
	if (!json_is_number(v)) {
		conf_fail(c, kp, "must be a number");
		return def;
	}
	d = json_number_value(v);
	if (d < min || d > max) {
		conf_fail(c, kp, "must be between %g and %g", min, max);
		return def;
	}
	return d;
}

static int
conf_bool(struct conf_ctx *c, const json_t *parent, const char *key,
    const char *kp, int def)
{
	const json_t	*v = json_object_get(parent, key);

	if (v == NULL)
		return def;
	if (!json_is_boolean(v)) {
		conf_fail(c, kp, "must be true or false");
		return def;
	}
	return json_is_true(v);
}

static void
conf_credentials(struct conf_ctx *c, struct tg_config *cfg)
{
	static const char *const known[] = { "source", "profile", "file", NULL };
	const json_t	*o = conf_obj(c, c->root, "credentials", "credentials");
	char		*src;

	cfg->cred_source = TG_CRED_AUTO;
	if (o == NULL)
		return;
	conf_known_keys(c, o, "credentials", known);
	src = conf_str(c, o, "source", "credentials.source", "auto");
	if (src == NULL)
		return;
	if (strcmp(src, "auto") == 0)
		cfg->cred_source = TG_CRED_AUTO;
	else if (strcmp(src, "env") == 0)
		cfg->cred_source = TG_CRED_ENV;
	else if (strcmp(src, "profile") == 0)
		cfg->cred_source = TG_CRED_PROFILE;
	else if (strcmp(src, "bearer") == 0)
		cfg->cred_source = TG_CRED_BEARER;
	else
		conf_fail(c, "credentials.source",
		    "must be \"auto\", \"env\", \"profile\" or \"bearer\"");
	free(src);
	cfg->profile = conf_str(c, o, "profile", "credentials.profile", NULL);
	src = conf_str(c, o, "file", "credentials.file", NULL);
	cfg->credentials_file = conf_path_rel(c, src);
	free(src);
}

static void
conf_upstream(struct conf_ctx *c, struct tg_config *cfg)
{
	static const char *const known[] = { "connect_timeout_ms", "timeout_ms",
	    "retries", "retry_base_ms", "retry_cap_ms", "deadline_ms",
	    "stream_max_seconds", NULL };
	const json_t	*o = conf_obj(c, c->root, "upstream", "upstream");
	const json_t	*e = o != NULL ? o : json_object();

	if (o != NULL)
		conf_known_keys(c, o, "upstream", known);
	cfg->connect_timeout_ms = conf_num(c, e, "connect_timeout_ms",
	    "upstream.connect_timeout_ms", 3000, 1, 600000);
	cfg->timeout_ms = conf_num(c, e, "timeout_ms", "upstream.timeout_ms",
	    120000, 1, 3600000);
	cfg->retries = conf_num(c, e, "retries", "upstream.retries", 2, 0, 10);
	cfg->retry_base_ms = conf_num(c, e, "retry_base_ms",
	    "upstream.retry_base_ms", 100, 1, 60000);
	cfg->retry_cap_ms = conf_num(c, e, "retry_cap_ms",
	    "upstream.retry_cap_ms", 2000, 1, 600000);
	cfg->deadline_ms = conf_num(c, e, "deadline_ms", "upstream.deadline_ms",
	    2 * cfg->timeout_ms, 1, 7200000);
	cfg->stream_max_seconds = conf_num(c, e, "stream_max_seconds",
	    "upstream.stream_max_seconds", 300, 1, 86400);
	if (o == NULL)
		json_decref((json_t *)e);
}

static void
conf_limits(struct conf_ctx *c, struct tg_config *cfg)
{
	static const char *const known[] = { "max_body_bytes", "max_json_depth",
	    "max_upstream_bytes", "max_headers", "policy_memory_bytes",
	    "policy_instructions", NULL };
	const json_t	*o = conf_obj(c, c->root, "limits", "limits");
	const json_t	*e = o != NULL ? o : json_object();
	struct tg_limits *l = &cfg->limits;

	if (o != NULL)
		conf_known_keys(c, o, "limits", known);
	l->max_body_bytes = conf_num(c, e, "max_body_bytes",
	    "limits.max_body_bytes", 4 << 20, 1024, 1 << 30);
	l->max_json_depth = conf_num(c, e, "max_json_depth",
	    "limits.max_json_depth", 32, 4, 1024);
	l->max_upstream_bytes = conf_num(c, e, "max_upstream_bytes",
	    "limits.max_upstream_bytes", 8 << 20, 1024, 1 << 30);
	l->max_headers = conf_num(c, e, "max_headers", "limits.max_headers",
	    100, 8, 10000);
	l->policy_memory_bytes = conf_num(c, e, "policy_memory_bytes",
	    "limits.policy_memory_bytes", 8 << 20, 64 << 10, 1 << 30);
	l->policy_instructions = conf_num(c, e, "policy_instructions",
	    "limits.policy_instructions", 1000000, 1000, 1e10);
	if (o == NULL)
		json_decref((json_t *)e);
}

static void
conf_logging(struct conf_ctx *c, struct tg_config *cfg)
{
	static const char *const lknown[] = { "path", "level", NULL };
	static const char *const dknown[] = { "path", "log_prompts", NULL };
	const json_t	*o;
	char		*lvl, *s;

	if ((o = conf_obj(c, c->root, "log", "log")) != NULL) {
		conf_known_keys(c, o, "log", lknown);
		s = conf_str(c, o, "path", "log.path", NULL);
		cfg->log_path = s != NULL && strcmp(s, "-") != 0 ? conf_path_rel(c, s) :
		    conf_strdup(c, s);
		free(s);
		lvl = conf_str(c, o, "level", "log.level", "info");
		if (lvl != NULL && strcmp(lvl, "error") && strcmp(lvl, "warning") &&
		    strcmp(lvl, "info") && strcmp(lvl, "debug"))
			conf_fail(c, "log.level",
			    "must be \"error\", \"warning\", \"info\" or \"debug\"");
		cfg->log_level = lvl;
	}
	if ((o = conf_obj(c, c->root, "decision_log", "decision_log")) != NULL) {
		conf_known_keys(c, o, "decision_log", dknown);
		s = conf_str(c, o, "path", "decision_log.path", NULL);
		cfg->decision_log = conf_path_rel(c, s);
		free(s);
		cfg->log_prompts = conf_bool(c, o, "log_prompts",
		    "decision_log.log_prompts", 0);
	}
}

static void
conf_price(struct conf_ctx *c, const json_t *o, const char *kp, struct tg_price *p)
{
	char	 k[256];
	const json_t *in = json_object_get(o, "input"), *out = json_object_get(o, "output");

	if (in == NULL && out == NULL)
		return;		/* no price given: stays unpriced or table price */
	if (in == NULL || out == NULL) {
		conf_fail(c, kp, "give both \"input\" and \"output\" prices, or neither");
		return;
	}
	snprintf(k, sizeof(k), "%s.input", kp);
	p->input = conf_num(c, o, "input", k, 0, 0, 1e6);
	snprintf(k, sizeof(k), "%s.output", kp);
	p->output = conf_num(c, o, "output", k, 0, 0, 1e6);
	snprintf(k, sizeof(k), "%s.cache_read", kp);
	p->cache_read = conf_num(c, o, "cache_read", k, p->input, 0, 1e6);
	snprintf(k, sizeof(k), "%s.cache_write", kp);
	p->cache_write = conf_num(c, o, "cache_write", k, p->input, 0, 1e6);
	p->priced = 1;
}

/* "anthropic.claude-..." -> "anthropic"; inference profiles carry a
 * geography first ("us.", "eu.", "apac.", "us-gov.", "global.") which is
 * skipped.  Returns a new string, or NULL when the id has no dot. */
static char *
conf_provider(const char *id)
{
	static const char *const geos[] = { "us", "eu", "apac", "us-gov", "global",
	    "ca", "jp", "au", "sa", "me", "af", NULL };
	const char	*s = strrchr(id, '/') ? strrchr(id, '/') + 1 : id;
	const char	*dot = strchr(s, '.');
	size_t		 i;

	for (i = 0; dot != NULL && strchr(dot + 1, '.') != NULL && geos[i] != NULL; i++)
		if ((size_t)(dot - s) == strlen(geos[i]) && strncmp(s, geos[i], dot - s) == 0) {
			s = dot + 1;
			break;
		}
	return (dot = strchr(s, '.')) != NULL ? strndup(s, dot - s) : NULL;
}

static void
conf_model(struct conf_ctx *c, const char *id, const json_t *o,
    const char *kp, struct tg_model *m)
{
	static const char *const known[] = { "input", "output", "cache_read",
	    "cache_write", "predictor", "strength", "provider", "name", "source", NULL };
	char	 k[512];

	if (!json_is_object(o)) {
		conf_fail(c, kp, "must be an object");
		return;
	}
	conf_known_keys(c, o, kp, known);
	m->id = conf_strdup(c, id);
	conf_price(c, o, kp, &m->price);
	snprintf(k, sizeof(k), "%s.predictor", kp);
	m->predictor = conf_str(c, o, "predictor", k, NULL);
	snprintf(k, sizeof(k), "%s.strength", kp);
	m->has_strength = json_object_get(o, "strength") != NULL;
	m->strength = conf_num(c, o, "strength", k, 0, TG_STRENGTH_MIN, TG_STRENGTH_MAX);
	snprintf(k, sizeof(k), "%s.provider", kp);
	m->provider = conf_str(c, o, "provider", k, NULL);
	snprintf(k, sizeof(k), "%s.name", kp);
	m->name = conf_str(c, o, "name", k, NULL);
	if (m->provider == NULL && (m->provider = conf_provider(id)) == NULL &&
	    strchr(id, '.') != NULL)
		conf_fail(c, NULL, "out of memory");
}

/* The price of `id` from the price table.  An entry that is not a valid
 * price fails the load: a bad number must never turn into $0. */
static void
conf_table_price(struct conf_ctx *c, const json_t *tm, const char *id,
    struct tg_price *p)
{
	struct conf_ctx	 tc = *c;
	char		 msg[512], kp[300];
	const json_t	*e = json_object_get(tm, id);

	tc.err = msg;
	tc.errlen = sizeof(msg);
	tc.text = NULL;		/* positions would be the table's, not ours */
	tc.failed = 0;
	snprintf(kp, sizeof(kp), "models[\"%s\"]", id);
	if (!json_is_object(e))
		conf_fail(&tc, kp, "must be an object");
	else
		conf_price(&tc, e, kp, p);
	if (tc.failed) {
		p->priced = 0;
		conf_fail(c, "price_table", "%s", strchr(msg, ' ') ? strchr(msg, ' ') + 1 : msg);
	}
}

/* The price table's display name of `id` (a new string), or NULL. */
static char *
conf_table_name(struct conf_ctx *c, const json_t *tm, const char *id)
{
	const char	*n = json_string_value(json_object_get(json_object_get(tm, id), "name"));

	return n != NULL ? conf_strdup(c, n) : NULL;
}

/* Models: the operator's table, with prices missing there filled from the
 * shipped price table.  Unknown prices stay unpriced. */
static void
conf_models(struct conf_ctx *c, struct tg_config *cfg, const json_t *table)
{
	const json_t	*o = conf_obj(c, c->root, "models", "models");
	const json_t	*tm = table != NULL ? json_object_get(table, "models") : NULL;
	const char	*id;
	json_t		*v;
	char		 kp[512];
	struct tg_model	*m;

	if (o == NULL || json_object_size(o) == 0) {
		conf_fail(c, "models", "at least one model is required");
		return;
	}
	if ((cfg->models = calloc(json_object_size(o), sizeof(*m))) == NULL) {
		conf_fail(c, NULL, "out of memory");
		return;
	}
	json_object_foreach((json_t *)o, id, v) {
		snprintf(kp, sizeof(kp), "models[\"%s\"]", id);
		m = &cfg->models[cfg->nmodels++];
		conf_model(c, id, v, kp, m);
		if (!m->price.priced && tm != NULL &&
		    json_object_get(tm, id) != NULL)
			conf_table_price(c, tm, id, &m->price);
		if (m->name == NULL && tm != NULL)
			m->name = conf_table_name(c, tm, id);
	}
}

static int
conf_model_ref(struct conf_ctx *c, const struct tg_config *cfg,
    const json_t *v, const char *kp, size_t *out)
{
	ssize_t	 i;

	if (!json_is_string(v)) {
		conf_fail(c, kp, "must be a model id string");
		return -1;
	}
	if ((i = config_model_index(cfg, json_string_value(v))) < 0) {
		conf_fail(c, kp, "model '%s' is not in \"models\"",
		    json_string_value(v));
		return -1;
	}
	*out = i;
	return 0;
}

/* A router's numeric settings: thresholds and its creation time. */
static void
conf_router_numbers(struct conf_ctx *c, const json_t *o, const char *kp,
    struct tg_router *r)
{
	char	 k[512];

	snprintf(k, sizeof(k), "%s.response_quality_difference", kp);
	r->rqd = conf_num(c, o, "response_quality_difference", k, 0, 0, 100);
	snprintf(k, sizeof(k), "%s.min_confidence", kp);
	r->min_confidence = conf_num(c, o, "min_confidence", k,
	    TG_DEFAULT_MIN_CONFIDENCE, 0, 1);
	snprintf(k, sizeof(k), "%s.created_at", kp);
	r->created = conf_num(c, o, "created_at", k, 1735689600, 0, 1e10);
}

static void
conf_router(struct conf_ctx *c, struct tg_config *cfg, const json_t *o,
    const char *kp, struct tg_router *r)
{
	static const char *const known[] = { "id", "name", "description",
	    "models", "fallback", "response_quality_difference", "min_confidence",
	    "policy", "created_at", NULL };
	const json_t	*ms;
	char		 k[512], *pol;
	size_t		 i, j;

	conf_known_keys(c, o, kp, known);
	snprintf(k, sizeof(k), "%s.id", kp);
	if ((r->id = conf_str(c, o, "id", k, NULL)) == NULL) {
		conf_fail(c, k, "a router needs an \"id\"");
		return;
	}
	if (r->id[0] == '\0' || strspn(r->id, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != strlen(r->id) || strlen(r->id) > 256)
		conf_fail(c, k, "must be 1-256 letters, digits, '-' or '.' (a "
		    "Bedrock model id that also fits a prompt-router ARN)");
	snprintf(k, sizeof(k), "%s.name", kp);
	r->name = conf_str(c, o, "name", k, r->id);
	snprintf(k, sizeof(k), "%s.description", kp);
	r->description = conf_str(c, o, "description", k, NULL);
	snprintf(k, sizeof(k), "%s.models", kp);
	ms = json_object_get(o, "models");
	if (!json_is_array(ms) || json_array_size(ms) < 1 ||
	    json_array_size(ms) > 16) {
		conf_fail(c, k, "must be an array of 1 to 16 model ids");
		return;
	}
	if ((r->models = calloc(json_array_size(ms), sizeof(size_t))) == NULL)
		return conf_fail(c, NULL, "out of memory");
	for (i = 0; i < json_array_size(ms); i++) {
		snprintf(k, sizeof(k), "%s.models[%zu]", kp, i);
		if (conf_model_ref(c, cfg, json_array_get(ms, i), k, &r->models[i]))
			return;
		for (j = 0; j < i; j++)
			if (r->models[j] == r->models[i])
				return conf_fail(c, k, "model listed twice");
		r->nmodels++;
	}
	snprintf(k, sizeof(k), "%s.fallback", kp);
	if (json_object_get(o, "fallback") == NULL)
		r->fallback = r->models[0];
	else if (conf_model_ref(c, cfg, json_object_get(o, "fallback"), k, &r->fallback))
		return;
	for (i = 0; i < r->nmodels && r->models[i] != r->fallback; i++)
		;
	if (i == r->nmodels)
		conf_fail(c, k, "the fallback must be one of the router's models");
	conf_router_numbers(c, o, kp, r);
	snprintf(k, sizeof(k), "%s.policy", kp);
	pol = conf_str(c, o, "policy", k, NULL);
	r->policy = pol != NULL ? conf_path_rel(c, pol) : NULL;
	free(pol);
	if (cfg->account_id != NULL && asprintf(&r->arn,
	    "arn:aws:bedrock:%s:%s:prompt-router/%s", cfg->region,
	    cfg->account_id, r->id) < 0)
		conf_fail(c, NULL, "out of memory");
}

static void
conf_routers(struct conf_ctx *c, struct tg_config *cfg)
{
	const json_t	*a = json_object_get(c->root, "routers");
	char		 kp[64];
	size_t		 i, j;

	if (a == NULL)
		return;
	if (!json_is_array(a)) {
		conf_fail(c, "routers", "must be an array");
		return;
	}
	if ((cfg->routers = calloc(json_array_size(a) + 1, sizeof(struct tg_router))) == NULL)
		return conf_fail(c, NULL, "out of memory");
	for (i = 0; i < json_array_size(a) && !c->failed; i++) {
		snprintf(kp, sizeof(kp), "routers[%zu]", i);
		if (!json_is_object(json_array_get(a, i))) {
			conf_fail(c, kp, "must be an object");
			return;
		}
		conf_router(c, cfg, json_array_get(a, i), kp, &cfg->routers[i]);
		cfg->nrouters++;
		for (j = 0; j < i && !c->failed; j++)
			if (strcmp(cfg->routers[j].id, cfg->routers[i].id) == 0) {
				snprintf(kp, sizeof(kp), "routers[%zu].id", i);
				conf_fail(c, kp, "duplicate router id '%s'",
				    cfg->routers[i].id);
			}
	}
}

/*
 * server.passthrough: "none", "known" (the default) or "any".  The key it
 * replaces, allow_passthrough, still loads: true is "known" (it used to
 * forward any id, which is now "any" and must be asked for by name), false
 * is "none"; giving both is an error.
 */
static void
conf_passthrough(struct conf_ctx *c, struct tg_config *cfg, const json_t *e)
{
	static const char *const names[] = { "none", "known", "any" };
	const json_t	*v = json_object_get(e, "passthrough");
	size_t		 i;

	cfg->passthrough = TG_PT_KNOWN;
	if (v != NULL && json_object_get(e, "allow_passthrough") != NULL) {
		conf_fail(c, "server.allow_passthrough", "replaced by server.passthrough; "
		    "give only passthrough");
		return;
	}
	if (v == NULL) {
		cfg->passthrough = conf_bool(c, e, "allow_passthrough",
		    "server.allow_passthrough", 1) ? TG_PT_KNOWN : TG_PT_NONE;
		return;
	}
	for (i = 0; i < 3; i++)
		if (json_is_string(v) && strcmp(json_string_value(v), names[i]) == 0) {
			cfg->passthrough = (enum tg_passthrough)i;
			return;
		}
	conf_fail(c, "server.passthrough", "must be \"none\", \"known\" or \"any\"");
}

static void
conf_server(struct conf_ctx *c, struct tg_config *cfg)
{
	static const char *const known[] = { "threads", "passthrough",
	    "allow_passthrough", NULL };
	const json_t	*o = conf_obj(c, c->root, "server", "server");
	const json_t	*e = o != NULL ? o : json_object();

	if (o != NULL)
		conf_known_keys(c, o, "server", known);
	cfg->threads = conf_num(c, e, "threads", "server.threads", 8, 1, 1024);
	conf_passthrough(c, cfg, e);
	if (o == NULL)
		json_decref((json_t *)e);
}

static int
conf_is_account(const json_t *v)
{
	const char	*s = json_string_value(v);

	return s != NULL && strlen(s) == 12 && strspn(s, "0123456789") == 12;
}

/* "accounts": the accounts a router ARN may name.  Default: account_id
 * when the config gives one, else any account.  Without account_id the
 * first account is the one the routers' own ARNs name. */
static void
conf_accounts(struct conf_ctx *c, struct tg_config *cfg)
{
	const json_t	*a = json_object_get(c->root, "accounts");
	size_t		 i, n;

	if (a == NULL && json_object_get(c->root, "account_id") == NULL)
		return;
	if (a != NULL && (!json_is_array(a) || json_array_size(a) < 1)) {
		conf_fail(c, "accounts", "must be an array of 12-digit account ids");
		return;
	}
	n = a != NULL ? json_array_size(a) : 1;
	if ((cfg->accounts = calloc(n, sizeof(*cfg->accounts))) == NULL)
		return conf_fail(c, NULL, "out of memory");
	for (i = 0; i < n; i++) {
		if (a != NULL && !conf_is_account(json_array_get(a, i)))
			return conf_fail(c, "accounts", "entry %zu is not a 12-digit "
			    "account id", i);
		cfg->accounts[i] = conf_strdup(c, a != NULL ?
		    json_string_value(json_array_get(a, i)) : cfg->account_id);
		cfg->naccounts++;
	}
	if (json_object_get(c->root, "account_id") == NULL && !c->failed) {
		free(cfg->account_id);	/* routers' own ARNs name the first */
		cfg->account_id = conf_strdup(c, cfg->accounts[0]);
	}
}

/* The price table's model ids, for passthrough "known". */
static void
conf_known_ids(struct conf_ctx *c, struct tg_config *cfg, const json_t *table)
{
	const json_t	*tm = table != NULL ? json_object_get(table, "models") : NULL;
	const char	*id;
	json_t		*v;

	if (!json_is_object(tm) || json_object_size(tm) == 0)
		return;
	if ((cfg->known_ids = calloc(json_object_size(tm), sizeof(char *))) == NULL ||
	    (cfg->known_names = calloc(json_object_size(tm), sizeof(char *))) == NULL)
		return conf_fail(c, NULL, "out of memory");
	json_object_foreach((json_t *)tm, id, v) {
		cfg->known_names[cfg->nknown] = conf_table_name(c, tm, id);
		cfg->known_ids[cfg->nknown++] = conf_strdup(c, id);
	}
}

static void
conf_misc(struct conf_ctx *c, struct tg_config *cfg)
{
	static const char *const path_only[] = { "path", NULL };
	static const char *const model_only[] = { "model", NULL };
	const json_t	*o;
	char		*s;

	cfg->region = conf_str(c, c->root, "region", "region", "us-east-1");
	cfg->endpoint = conf_str(c, c->root, "endpoint", "endpoint", NULL);
	if (cfg->endpoint != NULL && strncmp(cfg->endpoint, "http://", 7) &&
	    strncmp(cfg->endpoint, "https://", 8))
		conf_fail(c, "endpoint", "must start with http:// or https://");
	cfg->account_id = conf_str(c, c->root, "account_id", "account_id",
	    "000000000000");
	s = conf_str(c, c->root, "api_keys_file", "api_keys_file", NULL);
	cfg->api_keys_file = conf_path_rel(c, s);
	free(s);
	cfg->admin_token_sha256 = conf_str(c, c->root, "admin_token_sha256",
	    "admin_token_sha256", NULL);
	if (cfg->admin_token_sha256 != NULL &&
	    (strlen(cfg->admin_token_sha256) != 64 ||
	    strspn(cfg->admin_token_sha256, "0123456789abcdef") != 64))
		conf_fail(c, "admin_token_sha256",
		    "must be 64 lowercase hex digits (sha256sum of the token)");
	if ((o = conf_obj(c, c->root, "stats", "stats")) != NULL) {
		conf_known_keys(c, o, "stats", path_only);
		s = conf_str(c, o, "path", "stats.path", NULL);
		cfg->stats_path = conf_path_rel(c, s);
		free(s);
	}
	if ((o = conf_obj(c, c->root, "predictor", "predictor")) != NULL) {
		conf_known_keys(c, o, "predictor", model_only);
		s = conf_str(c, o, "model", "predictor.model", NULL);
		cfg->predictor_model = conf_path_rel(c, s);
		free(s);
	}
}

static json_t *
conf_price_table(struct conf_ctx *c)
{
	json_error_t	 je;
	json_t		*t;
	char		*s, *p;

	s = conf_str(c, c->root, "price_table", "price_table", NULL);
	if (s == NULL)
		return NULL;
	p = conf_path_rel(c, s);
	free(s);
	if (p == NULL)
		return NULL;
	if ((t = json_load_file(p, 0, &je)) == NULL)
		conf_fail(c, "price_table", "%s:%d:%d: %s", p, je.line,
		    je.column, je.text);
	else if (!json_is_object(json_object_get(t, "models")))
		conf_fail(c, "price_table", "%s: no \"models\" object", p);
	free(p);
	return t;
}

static void
conf_defaults(struct conf_ctx *c, struct tg_config *cfg)
{
	size_t	 i;

	for (i = 0; i < cfg->nrouters && !c->failed; i++)
		if (cfg->routers[i].policy == NULL &&
		    (cfg->routers[i].policy = strdup(TG_DATADIR
		    "/policies/default.lua")) == NULL)
			conf_fail(c, NULL, "out of memory");
}

static char *
conf_read(const char *path, char *err, size_t errlen)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(CONF_MAX_BYTES + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	n = fread(buf, 1, CONF_MAX_BYTES + 1, f);
	if (ferror(f) || n > CONF_MAX_BYTES) {
		snprintf(err, errlen, "%s: %s", path, ferror(f) ?
		    strerror(errno) : "larger than 4 MiB");
		free(buf);
		buf = NULL;
		goto fail;
	}
	buf[n] = '\0';
fail:
	fclose(f);
	return buf;
}

struct tg_config *
config_load(const char *path, char *err, size_t errlen)
{
	static const char *const known[] = { "region", "endpoint", "account_id",
	    "accounts", "credentials", "upstream", "server", "api_keys_file",
	    "admin_token_sha256", "log", "decision_log", "stats", "predictor",
	    "limits", "price_table", "models", "routers", "$comment", NULL };
	struct conf_ctx	 c = { .path = path, .err = err, .errlen = errlen };
	struct tg_config *cfg = NULL;
	json_t		*table = NULL;
	json_error_t	 je;

	if ((c.text = conf_read(path, err, errlen)) == NULL)
		return NULL;
	if ((c.root = json_loads(c.text, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		goto fail;
	}
	if (!json_is_object(c.root)) {
		conf_fail(&c, NULL, "the config must be a JSON object");
		goto fail;
	}
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL || (cfg->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		c.failed = 1;
		goto fail;
	}
	conf_known_keys(&c, c.root, "", known);
	conf_misc(&c, cfg);
	conf_credentials(&c, cfg);
	conf_upstream(&c, cfg);
	conf_server(&c, cfg);
	conf_accounts(&c, cfg);
	conf_limits(&c, cfg);
	conf_logging(&c, cfg);
	table = conf_price_table(&c);
	if (!c.failed)
		conf_models(&c, cfg, table);
	if (!c.failed)
		conf_known_ids(&c, cfg, table);
	if (!c.failed)
		conf_routers(&c, cfg);
	conf_defaults(&c, cfg);
	if (!c.failed && cfg->nrouters == 0 && cfg->passthrough == TG_PT_NONE)
		conf_fail(&c, "routers", "no routers and server.passthrough "
		    "is \"none\": nothing could be served");
fail:
	json_decref(table);
	json_decref(c.root);
	free(c.text);
	if (c.failed || c.root == NULL) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void
config_free(struct tg_config *cfg)
{
	size_t	 i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nmodels; i++) {
		free(cfg->models[i].id);
		free(cfg->models[i].predictor);
		free(cfg->models[i].provider);
		free(cfg->models[i].name);
	}
	for (i = 0; i < cfg->nrouters; i++) {
		free(cfg->routers[i].id);
		free(cfg->routers[i].name);
		free(cfg->routers[i].description);
		free(cfg->routers[i].arn);
		free(cfg->routers[i].models);
		free(cfg->routers[i].policy);
	}
	for (i = 0; i < cfg->naccounts; i++)
		free(cfg->accounts[i]);
	for (i = 0; i < cfg->nknown; i++) {
		free(cfg->known_ids[i]);
		free(cfg->known_names[i]);
	}
	free(cfg->accounts);
	free(cfg->known_ids);
	free(cfg->known_names);
	free(cfg->models);
	free(cfg->routers);
	free(cfg->path);
	free(cfg->region);
	free(cfg->endpoint);
	free(cfg->account_id);
	free(cfg->profile);
	free(cfg->credentials_file);
	free(cfg->api_keys_file);
	free(cfg->admin_token_sha256);
	free(cfg->log_path);
	free(cfg->log_level);
	free(cfg->decision_log);
	free(cfg->stats_path);
	free(cfg->predictor_model);
	free(cfg);
}

ssize_t
config_model_index(const struct tg_config *cfg, const char *id)
{
	size_t	 i;

	for (i = 0; i < cfg->nmodels; i++)
		if (strcmp(cfg->models[i].id, id) == 0)
			return i;
	return -1;
}

const struct tg_model *
config_model(const struct tg_config *cfg, const char *id)
{
	ssize_t	 i = config_model_index(cfg, id);

	return i < 0 ? NULL : &cfg->models[i];
}

const struct tg_router *
config_router(const struct tg_config *cfg, const char *model_id)
{
	size_t	 i;

	for (i = 0; i < cfg->nrouters; i++)
		if (strcmp(cfg->routers[i].id, model_id) == 0 ||
		    (cfg->routers[i].arn != NULL &&
		    strcmp(cfg->routers[i].arn, model_id) == 0))
			return &cfg->routers[i];
	/* Any region/account form of a router ARN names the router too. */
	if (strncmp(model_id, "arn:aws:bedrock:", 16) == 0) {
		const char *p = strstr(model_id, ":prompt-router/");
		if (p != NULL)
			for (i = 0; i < cfg->nrouters; i++)
				if (strcmp(cfg->routers[i].id, p + 15) == 0)
					return &cfg->routers[i];
	}
	return NULL;
}

int
config_account_ok(const struct tg_config *cfg, const char *account)
{
	size_t	 i;

	for (i = 0; i < cfg->naccounts; i++)
		if (strcmp(cfg->accounts[i], account) == 0)
			return 1;
	return cfg->naccounts == 0;
}

int
config_model_known(const struct tg_config *cfg, const char *id)
{
	size_t	 i;

	if (config_model_index(cfg, id) >= 0)
		return 1;
	for (i = 0; i < cfg->nknown; i++)
		if (strcmp(cfg->known_ids[i], id) == 0)
			return 1;
	return 0;
}

const char *
config_model_name(const struct tg_config *cfg, const char *id)
{
	const struct tg_model	*m = config_model(cfg, id);
	size_t			 i;

	if (m != NULL && m->name != NULL)
		return m->name;
	for (i = 0; i < cfg->nknown; i++)
		if (strcmp(cfg->known_ids[i], id) == 0)
			return cfg->known_names[i];
	return NULL;
}
