/*
 * policy_cmd.c - operator commands around the policy host:
 *
 *   tiergate policy check FILE             compile, contract check, dry run
 *   tiergate policy test FILE CASES...     data-driven cases (lua-policies/README.md)
 *   tiergate replay --policy FILE [--threshold X] [--router ID]
 *                   [--config CONF] [--json] DECISIONS.jsonl
 *
 * Facts for `test` and `replay` come from one JSON shape: a case's "facts"
 * uses the decision log's key names (docs: tiergate-policy(7)), so a logged
 * decision can be pasted into a case file as it is.
 */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "log.h"
#include "policy.h"
#include "policy_facts.h"
#include "usage.h"

/* Weak, so that programs without the config module (unit tests, the
 * policy test driver) link; `replay --config` then reports it missing. */
#pragma weak config_load
#pragma weak config_free
#pragma weak config_router

#define CMD_MAX_FILE	(16u << 20)	/* cases file cap */
#define CMD_MAX_LINE	(1u << 20)	/* decision log line cap */

/* Limits for the commands: the built-in defaults, a config's, or flags. */
static struct policy_limits cmd_limits;

static struct policy *
open_policy(const char *path)
{
	struct policy	*p;
	char		 err[512];

	if ((p = policy_new(path, &cmd_limits, err, sizeof(err))) == NULL)
		fprintf(stderr, "%s: %s\n", path, err);
	return p;
}

static int
limits_from_config(const char *path)
{
	struct tg_config	*cfg;
	char			 err[512];

	if (config_load == NULL) {
		fprintf(stderr, "tiergate policy: --config is not available in "
		    "this build\n");
		return -1;
	}
	if ((cfg = config_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	cmd_limits.memory_bytes = cfg->limits.policy_memory_bytes;
	cmd_limits.instructions = cfg->limits.policy_instructions;
	config_free(cfg);
	return 0;
}

/* Leading options of `policy check|test`: --config CONF, --memory BYTES,
 * --instructions N.  Returns the index of the first operand; -2 after a
 * usage error, -1 when the config does not load (both reported). */
static int
limit_opts(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "instructions", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long	 v;
	char			*end;
	int			 ch;

	memset(&cmd_limits, 0, sizeof(cmd_limits));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:c:m:i:", opts, NULL)) != -1) {
		if (ch == '?' || ch == ':')
			return tg_getopt_error("policy", ch, argv), -2;
		if (ch == 'c' && limits_from_config(optarg) == -1)
			return -1;
		if (ch == 'm' || ch == 'i') {
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v == 0)
				return tg_usage_error("policy", "--%s must be a "
				    "positive integer, got '%s'", ch == 'm' ?
				    "memory" : "instructions", optarg), -2;
			if (ch == 'm')
				cmd_limits.memory_bytes = (size_t)v;
			else
				cmd_limits.instructions = v;
		}
	}
	return optind;
}

/* ---- policy check ----------------------------------------------------- */

int
policy_cmd_check(int argc, char **argv)
{
	static const struct tg_candidate cand[] = {
		{ "example.small", 0.70, 1, 1, 0.25, 1.25, 0.0002 },
		{ "example.medium", 0.80, 1, 1, 0.80, 4.0, 0.0006 },
		{ "example.large", 0.90, 1, 1, 3.0, 15.0, 0.0024 },
	};
	struct policy_facts	 f;
	struct policy_decision	 d;
	struct policy		*p;
	enum policy_err		 e;
	int			 i, rc = 0;

	if ((i = limit_opts(argc, argv)) < 0)
		return i == -2 ? 2 : 1;
	if (i >= argc)
		return tg_usage_error("policy", "check: missing FILE");
	argc -= i - 1;
	argv += i - 1;
	memset(&f, 0, sizeof(f));
	f.router = "check";
	f.request_class = f.tenant = f.conversation_id = f.previous_model = "";
	f.api = "converse";
	f.est_input_tokens = 150;
	f.prompt_chars = 600;
	f.turns = 1;
	f.cand = cand;
	f.ncand = 3;
	f.threshold = 10;
	f.fallback = "example.large";
	f.predictor_ok = 1;
	for (i = 1; i < argc; i++) {
		if ((p = open_policy(argv[i])) == NULL) {
			rc = 1;
			continue;
		}
		e = policy_decide(p, &f, &d);
		printf("%s: ok, version %s; sample decision: %s%s (%s)\n", argv[i],
		    policy_version(p), e == POLICY_OK ? "" : "[fallback] ",
		    d.refuse ? "refuse" : d.model, d.reason);
		policy_free(p);
	}
	return rc;
}

/* ---- policy test ------------------------------------------------------ */

static const char *const err_names[POLICY_E__MAX] = {
	"ok", "load", "contract", "runtime", "instructions", "memory",
	"result", "nomem",
};

/* Read a file (capped), blanking '#' comment lines so line numbers stay. */
static char *
read_cases(const char *path, size_t *len)
{
	FILE	*fp;
	char	*buf = NULL, *s;
	size_t	 n = 0, i;

	if ((fp = fopen(path, "r")) == NULL)
		goto fail;
	if ((buf = malloc(CMD_MAX_FILE + 1)) == NULL)
		goto fail;
	n = fread(buf, 1, CMD_MAX_FILE + 1, fp);
	if (ferror(fp) || n > CMD_MAX_FILE) {
		errno = EFBIG;
		goto fail;
	}
	buf[n] = '\0';
	for (s = buf; *s != '\0'; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : s + strlen(s)) {
		for (i = 0; s[i] == ' ' || s[i] == '\t'; i++)
			;
		if (s[i] == '#')
			for (; s[i] != '\0' && s[i] != '\n'; i++)
				s[i] = ' ';
	}
	fclose(fp);
	*len = n;
	return buf;
fail:
	fprintf(stderr, "%s: %s\n", path, strerror(errno));
	if (fp != NULL)
		fclose(fp);
	free(buf);
	return NULL;
}

struct case_run {
	int	 passed, failed;
	json_t	*defaults;
};

static int
lines_upto(const char *buf, size_t off)
{
	int	 n = 1;
	size_t	 i;

	for (i = 0; i < off; i++)
		n += buf[i] == '\n';
	return n;
}

/* Compare the decision with "expect"; print a diff into `why`. */
static int
case_check(const json_t *ex, enum policy_err e, const struct policy_decision *d,
    char *why, size_t len)
{
	const char	*s;
	json_t		*rf = json_object_get(ex, "refuse");

	if ((s = pf_jstr(ex, "error", NULL)) != NULL) {
		if (e != POLICY_OK && strcmp(s, err_names[e]) == 0)
			return 1;
		snprintf(why, len, "expected error %s, got %s", s,
		    e == POLICY_OK ? "no error" : err_names[e]);
		return 0;
	}
	if (e != POLICY_OK) {
		snprintf(why, len, "unexpected %s error", err_names[e]);
		return 0;
	}
	if (rf != NULL) {
		if (!d->refuse || d->refuse_status != (int)pf_jnum(rf, "status", 429) ||
		    strcmp(d->refuse_type, pf_jstr(rf, "type", "ThrottlingException")) != 0 ||
		    strstr(d->refuse_message, pf_jstr(rf, "message_contains", "")) == NULL) {
			snprintf(why, len, "expected refusal %d %s, got %s", (int)pf_jnum(rf, "status", 429),
			    pf_jstr(rf, "type", "ThrottlingException"), d->refuse ? "another refusal" : d->model);
			return 0;
		}
	} else if ((s = pf_jstr(ex, "model", NULL)) != NULL && (d->refuse || strcmp(s, d->model) != 0)) {
		snprintf(why, len, "expected model %s, got %s", s, d->refuse ? "a refusal" : d->model);
		return 0;
	}
	if ((s = pf_jstr(ex, "reason", NULL)) != NULL && strcmp(s, d->reason) != 0) {
		snprintf(why, len, "expected reason \"%s\"", s);
		return 0;
	}
	if ((s = pf_jstr(ex, "reason_contains", NULL)) != NULL && strstr(d->reason, s) == NULL) {
		snprintf(why, len, "expected reason containing \"%s\"", s);
		return 0;
	}
	return 1;
}

/* Run one case object `c` (or absorb a {"defaults": {...}} object). */
static void
case_run(struct policy *p, json_t *c, int line, struct case_run *r)
{
	struct policy_facts_buf	 fb;
	struct policy_decision	 d;
	enum policy_err		 e;
	json_t			*facts = NULL;
	char			 why[512], name[128];

	if (json_object_get(c, "defaults") != NULL) {
		json_object_update(r->defaults, json_object_get(c, "defaults"));
		return;
	}
	snprintf(name, sizeof(name), "%s", pf_jstr(c, "name", "(unnamed)"));
	facts = json_deep_copy(r->defaults);
	json_object_update(facts, json_object_get(c, "facts"));
	if (policy_facts_from_json(facts, &fb, why, sizeof(why)) == -1) {
		printf("FAIL line %d: %s: bad facts: %s\n", line, name, why);
		r->failed++;
	} else if (e = policy_decide(p, &fb.f, &d),
	    case_check(json_object_get(c, "expect"), e, &d, why, sizeof(why))) {
		printf("ok   line %d: %s\n", line, name);
		r->passed++;
	} else {
		printf("FAIL line %d: %s\n     %s\n     got: %s%s, reason \"%s\"\n",
		    line, name, why, e != POLICY_OK ? "error, fallback " : "",
		    d.refuse ? "refusal" : d.model, d.reason);
		r->failed++;
	}
	json_decref(facts);
}

static int
run_cases(struct policy *p, const char *path, struct case_run *r)
{
	json_error_t	 jerr;
	json_t		*c;
	char		*buf;
	size_t		 len, off = 0;

	if ((buf = read_cases(path, &len)) == NULL)
		return -1;
	for (;;) {
		off += strspn(buf + off, " \t\r\n");
		if (off >= len)
			break;
		if ((c = json_loadb(buf + off, len - off, JSON_DISABLE_EOF_CHECK, &jerr)) == NULL) {
			fprintf(stderr, "%s:%d: %s\n", path,
			    lines_upto(buf, off) + jerr.line - 1, jerr.text);
			free(buf);
			return -1;
		}
		case_run(p, c, lines_upto(buf, off), r);
		off += jerr.position;
		json_decref(c);
	}
	free(buf);
	return 0;
}

int
policy_cmd_test(int argc, char **argv)
{
	struct case_run	 r = { 0, 0, NULL };
	struct policy	*p;
	int		 i, bad = 0;

	if ((i = limit_opts(argc, argv)) < 0)
		return i == -2 ? 2 : 1;
	if (argc - i < 2)
		return tg_usage_error("policy", "test: needs FILE and at least "
		    "one CASES file");
	argc -= i - 1;
	argv += i - 1;
	if ((p = open_policy(argv[1])) == NULL)
		return 1;
	for (i = 2; i < argc; i++) {
		r.defaults = json_object();
		bad |= run_cases(p, argv[i], &r) == -1;
		json_decref(r.defaults);
	}
	policy_free(p);
	printf("%d passed, %d failed\n", r.passed, r.failed);
	return bad || r.failed > 0 || r.passed == 0;
}

int
policy_cmd(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "policy") == 0) {
		argc--;
		argv++;
	}
	if (argc >= 1 && strcmp(argv[0], "check") == 0)
		return policy_cmd_check(argc, argv);
	if (argc >= 1 && strcmp(argv[0], "test") == 0)
		return policy_cmd_test(argc, argv);
	if (argc < 1)
		return tg_usage_error("policy", "missing subcommand (check or test)");
	return tg_usage_error("policy", "unknown subcommand '%s' (check or test)",
	    argv[0]);
}

/* ---- replay ----------------------------------------------------------- */

struct model_tally {
	char	*model;
	long	 count;
	double	 cost;
};

struct replay {
	struct policy		*p;
	const char		*router;	/* filter, or NULL */
	double			 threshold;	/* < 0: as logged */
	struct tg_config	*cfg;
	long			 lines, decisions, skipped, malformed, changed;
	long			 refused, errors, unpriced, logged_unpriced;
	double			 cost, cf_cost, logged_cost;
	struct model_tally	*models;
	size_t			 nmodels;
	json_t			*spend;		/* "day\ttenant" → $ */
};

static const struct tg_candidate *
cand_find(const struct policy_facts *f, const char *model)
{
	size_t	 i;

	for (i = 0; model != NULL && i < f->ncand; i++)
		if (strcmp(f->cand[i].model, model) == 0)
			return &f->cand[i];
	return NULL;
}

/* "Everything on the strongest model": the logged cf_model when it is a
 * priced candidate, else the priced candidate with the highest estimate. */
static const struct tg_candidate *
cand_cf(const struct policy_facts *f, const char *cf_model)
{
	const struct tg_candidate	*c = cand_find(f, cf_model), *best = NULL;
	size_t				 i;

	if (c != NULL && c->priced)
		return c;
	for (i = 0; i < f->ncand; i++)
		if (f->cand[i].priced && (best == NULL || f->cand[i].est_cost > best->est_cost))
			best = &f->cand[i];
	return best;
}

static double
tok_cost(const struct tg_candidate *c, const json_t *line)
{
	return (pf_jnum(line, "input_tokens", 0) * c->price_in +
	    pf_jnum(line, "output_tokens", 0) * c->price_out) / 1e6;
}

static void
tally(struct replay *r, const char *model, double cost)
{
	size_t	 i;
	void	*np;

	for (i = 0; i < r->nmodels; i++)
		if (strcmp(r->models[i].model, model) == 0)
			break;
	if (i == r->nmodels) {
		if ((np = realloc(r->models, (i + 1) * sizeof(*r->models))) == NULL)
			return;
		r->models = np;
		r->models[i].model = strdup(model);
		r->models[i].count = 0;
		r->models[i].cost = 0;
		if (r->models[i].model == NULL)
			return;
		r->nmodels++;
	}
	r->models[i].count++;
	r->models[i].cost += cost;
}

static double
spend_get(struct replay *r, const json_t *line, const char *who, const char *name)
{
	char	 key[512];

	policy_facts_spend_key(line, who, name, key, sizeof(key));
	return pf_jnum(r->spend, key, 0);
}

static void
spend_add(struct replay *r, const json_t *line, const char *who, const char *name, double v)
{
	char	 key[512];

	policy_facts_spend_key(line, who, name, key, sizeof(key));
	json_object_set_new(r->spend, key, json_real(pf_jnum(r->spend, key, 0) + v));
}

static const char *
replay_fallback(struct replay *r, const struct policy_facts *f, const json_t *line)
{
	const struct tg_router		*rt;
	const struct tg_candidate	*c;

	if (r->cfg != NULL && (rt = config_router(r->cfg, f->router)) != NULL)
		return r->cfg->models[rt->fallback].id;
	c = cand_cf(f, pf_jstr(line, "cf_model", NULL));
	return c != NULL ? c->model : f->cand[f->ncand - 1].model;
}

static void
replay_account(struct replay *r, const json_t *line, const struct policy_facts *f,
    const char *model)
{
	const struct tg_candidate	*c = cand_find(f, model);
	const struct tg_candidate	*cf = cand_cf(f, pf_jstr(line, "cf_model", NULL));
	const struct tg_candidate	*lg = cand_find(f, pf_jstr(line, "model", NULL));
	double				 cost;

	if (c == NULL || !c->priced || cf == NULL) {
		r->unpriced++;
		tally(r, model, 0);
		return;
	}
	cost = tok_cost(c, line);
	tally(r, model, cost);
	r->cost += cost;
	r->cf_cost += tok_cost(cf, line);
	if (lg != NULL && lg->priced)
		r->logged_cost += tok_cost(lg, line);
	else
		r->logged_unpriced++;
	spend_add(r, line, "tenant", f->tenant, cost);
	spend_add(r, line, "router", f->router, cost);
}

static void
replay_line(struct replay *r, const json_t *line)
{
	struct policy_facts_buf	 fb;
	struct policy_decision	 d;
	enum policy_err		 e;
	const char		*logged;
	char			 err[256];

	if (policy_facts_from_json(line, &fb, err, sizeof(err)) == -1 ||
	    *fb.f.router == '\0' || (r->router != NULL && strcmp(r->router, fb.f.router) != 0)) {
		r->skipped++;
		return;
	}
	r->decisions++;
	if (r->threshold >= 0)
		fb.f.threshold = r->threshold;
	fb.f.predictor_ok = 0;
	for (size_t i = 0; i < fb.f.ncand; i++)
		fb.f.predictor_ok |= fb.cand[i].has_quality;
	fb.f.fallback = replay_fallback(r, &fb.f, line);
	fb.f.tenant_spend_today = spend_get(r, line, "tenant", fb.f.tenant);
	fb.f.router_spend_today = spend_get(r, line, "router", fb.f.router);
	e = policy_decide(r->p, &fb.f, &d);
	r->errors += e != POLICY_OK;
	if (e == POLICY_OK && d.refuse) {
		r->refused++;
		r->changed++;
		return;
	}
	logged = pf_jstr(line, "chosen", pf_jstr(line, "model", ""));
	r->changed += strcmp(logged, d.model) != 0;
	replay_account(r, line, &fb.f, d.model);
}

static int
replay_file(struct replay *r, const char *path)
{
	FILE	*fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char	*buf = NULL;
	size_t	 cap = 0;
	ssize_t	 n;
	json_t	*line;

	if (fp == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&buf, &cap, fp)) != -1) {
		r->lines++;
		if ((size_t)n > CMD_MAX_LINE ||
		    (line = json_loadb(buf, (size_t)n, 0, NULL)) == NULL ||
		    !json_is_object(line)) {
			r->malformed += n > 1;
			continue;
		}
		replay_line(r, line);
		json_decref(line);
	}
	free(buf);
	if (fp != stdin)
		fclose(fp);
	return 0;
}

static double
pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0;
}

static void
replay_print_json(const struct replay *r, const char *policy)
{
	json_t	*o = json_object(), *ms = json_array();
	size_t	 i;
	long	 priced = r->decisions - r->refused - r->unpriced;

	for (i = 0; i < r->nmodels; i++)
		json_array_append_new(ms, json_pack("{s:s,s:I,s:f,s:f}",
		    "model", r->models[i].model, "count", (json_int_t)r->models[i].count,
		    "share", pct((double)r->models[i].count, (double)r->decisions),
		    "cost", r->models[i].cost));
	json_object_set_new(o, "policy", json_string(policy));
	json_object_set_new(o, "policy_version", json_string(policy_version(r->p)));
	json_object_set_new(o, "threshold", r->threshold >= 0 ? json_real(r->threshold) : json_null());
	json_object_set_new(o, "lines", json_integer(r->lines));
	json_object_set_new(o, "decisions", json_integer(r->decisions));
	json_object_set_new(o, "skipped", json_integer(r->skipped));
	json_object_set_new(o, "malformed", json_integer(r->malformed));
	json_object_set_new(o, "changed", json_integer(r->changed));
	json_object_set_new(o, "refused", json_integer(r->refused));
	json_object_set_new(o, "policy_errors", json_integer(r->errors));
	json_object_set_new(o, "unpriced", json_integer(r->unpriced));
	json_object_set_new(o, "priced", json_integer(priced));
	json_object_set_new(o, "cost", json_real(r->cost));
	json_object_set_new(o, "counterfactual_cost", json_real(r->cf_cost));
	json_object_set_new(o, "savings", json_real(r->cf_cost - r->cost));
	json_object_set_new(o, "savings_pct", json_real(pct(r->cf_cost - r->cost, r->cf_cost)));
	json_object_set_new(o, "logged_cost", json_real(r->logged_cost));
	json_object_set_new(o, "logged_unpriced", json_integer(r->logged_unpriced));
	json_object_set_new(o, "logged_savings_pct",
	    json_real(pct(r->cf_cost - r->logged_cost, r->cf_cost)));
	json_object_set_new(o, "models", ms);
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	putchar('\n');
	json_decref(o);
}

static void
replay_print(const struct replay *r, const char *policy)
{
	size_t	 i;

	printf("policy %s (version %s)", policy, policy_version(r->p));
	if (r->threshold >= 0)
		printf(", threshold %g", r->threshold);
	printf("\n%ld decisions replayed (%ld skipped, %ld malformed), "
	    "%ld changed, %ld refused, %ld policy errors, %ld unpriced\n\n",
	    r->decisions, r->skipped, r->malformed, r->changed, r->refused,
	    r->errors, r->unpriced);
	printf("%-50s %8s %7s %12s\n", "model", "count", "share", "cost $");
	for (i = 0; i < r->nmodels; i++)
		printf("%-50s %8ld %6.1f%% %12.6f\n", r->models[i].model,
		    r->models[i].count, pct((double)r->models[i].count,
		    (double)r->decisions), r->models[i].cost);
	printf("\nrouted cost          $%.6f\n", r->cost);
	printf("counterfactual cost  $%.6f (everything on the strongest model)\n", r->cf_cost);
	printf("savings              $%.6f (%.1f%%)\n", r->cf_cost - r->cost,
	    pct(r->cf_cost - r->cost, r->cf_cost));
	printf("as logged            $%.6f (%.1f%% savings", r->logged_cost,
	    pct(r->cf_cost - r->logged_cost, r->cf_cost));
	if (r->logged_unpriced > 0)
		printf("; %ld logged decisions unpriced or unanswered, not counted",
		    r->logged_unpriced);
	printf(")\n");
}

static void
replay_free(struct replay *r)
{
	size_t	 i;

	for (i = 0; i < r->nmodels; i++)
		free(r->models[i].model);
	free(r->models);
	json_decref(r->spend);
	policy_free(r->p);
	if (r->cfg != NULL)
		config_free(r->cfg);
}

static int
replay_config(struct replay *r, const char *path)
{
	char	 err[512];

	if (config_load == NULL) {
		fprintf(stderr, "tiergate replay: --config is not available in "
		    "this build\n");
		return -1;
	}
	if ((r->cfg = config_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	cmd_limits.memory_bytes = r->cfg->limits.policy_memory_bytes;
	cmd_limits.instructions = r->cfg->limits.policy_instructions;
	return 0;
}

int
policy_cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "threshold", required_argument, NULL, 't' },
		{ "router", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay	 r;
	const char	*policy = NULL, *conf = NULL;
	char		*end;
	int		 ch, json = 0, rc = 1;

	memset(&r, 0, sizeof(r));
	memset(&cmd_limits, 0, sizeof(cmd_limits));
	r.threshold = -1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":p:t:r:c:j", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': policy = optarg; break;
		case 'r': r.router = optarg; break;
		case 'c': conf = optarg; break;
		case 'j': json = 1; break;
		case 't':
			r.threshold = strtod(optarg, &end);
			if (*end != '\0' || r.threshold < 0 || r.threshold > 100)
				return tg_usage_error("replay", "--threshold must "
				    "be 0..100, got '%s'", optarg);
			break;
		default: return tg_getopt_error("replay", ch, argv);
		}
	}
	if (policy == NULL)
		return tg_usage_error("replay", "missing --policy FILE");
	if (optind >= argc)
		return tg_usage_error("replay", "missing DECISIONS.jsonl (a decision log)");
	if ((r.spend = json_object()) == NULL || (conf != NULL && replay_config(&r, conf) == -1) ||
	    (r.p = open_policy(policy)) == NULL)
		goto done;
	for (; optind < argc; optind++)
		if (replay_file(&r, argv[optind]) == -1)
			goto done;
	if (json)
		replay_print_json(&r, policy);
	else
		replay_print(&r, policy);
	rc = 0;
done:
	replay_free(&r);
	return rc;
}
