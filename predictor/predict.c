/*
 * predict.c - the `tiergate predict` and `tiergate eval` commands: read
 * labelled prompts (JSON Lines, one record per line, schema in
 * predictor/README.md), run the predictor on each, and print per-record
 * scores or RouteLLM's routing metrics (eval.c) for the tiergate router
 * next to a random and a prompt-length-only router.
 *
 * The data file is untrusted input: every line has a byte cap, every field
 * a type check, and a bad line is an error naming its line number (or,
 * with --skip-bad, is skipped and counted on stderr).
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "eval.h"
#include "pred.h"
#include "pred_impl.h"
#include "usage.h"

#define PT_LINE_MAX	(16u << 20)	/* bytes of one JSONL record */
#define PT_TURNS_MAX	256		/* earlier turns read per record */
#define PT_PREFIX_MAX	64		/* --sources prefixes */
#define PT_PRICE_RATIO	20.0		/* default strong:weak price ratio */
#define PT_QUALITY_GOAL	0.95		/* cost saving at 95% of strong */
#define PT_SEED		0		/* random router seed (RouteLLM: 0) */
#define PT_PLACED_W	PRED_MAX_MODELS		/* quality[] slot: weak by strength */
#define PT_PLACED_S	(PRED_MAX_MODELS + 1)	/* quality[] slot: strong by strength */

/* Exit statuses of both commands. */
#define PT_EXIT_OK	0
#define PT_EXIT_FAIL	1	/* I/O error or bad data */
#define PT_EXIT_USAGE	2	/* bad arguments, unknown model name */

/* What the command line asked for. */
struct pt_opts {
	const char	*cmd;		/* "predict" or "eval", for messages */
	const char	*data;
	const char	*model;		/* NULL: compiled-in default */
	char		*pair;		/* copy of "WEAK,STRONG", split */
	const char	*weak, *strong;
	char		*sources;	/* copy of "PREFIX,...", split */
	const char	*prefix[PT_PREFIX_MAX];
	size_t		 nprefix;
	char		*exclude;	/* --exclude-sources copy, split */
	const char	*exprefix[PT_PREFIX_MAX];
	size_t		 nexprefix;
	const char	*exclude_file;
	char		*exfile;	/* its text: source prefix lines */
	char		*strength;	/* --strength copy: NAME=S,... */
	double		 sw, ss;	/* strengths of weak and strong, NAN = none */
	double		 price_ratio;
	int		 dev_only;	/* only train.dev_sources of --model */
	double		 calibrate;	/* share, or NAN when not calibrating */
	size_t		 nbins;
	int		 json;
	int		 skip_bad;
};

/* The loaded model and the indexes of the pair in its output. */
struct pt_ctx {
	struct pt_opts		 o;
	const struct pred_model	*model;
	struct pred_model	*owned;		/* model to free, or NULL */
	size_t			 iw, is;	/* pair indexes in quality[] */
	ssize_t			 iref[2];	/* "(weak)", "(strong)" heads, -1 = none */
	/* model outputs, then the two placed by --strength (PT_PLACED_W/S) */
	float			 quality[PRED_MAX_MODELS + 2];
	float			 f[PRED_NFEATURES];
	size_t			 lineno, bad, filtered;
	size_t			 unlabelled;	/* eval: no label for the pair */
	json_t			*dev;		/* --dev-only source names */
};

/* One parsed record: borrowed pointers into its json_t. */
struct pt_rec {
	json_t		*root;
	json_t		*id;
	const char	*source;
	const char	*prompt;
	size_t		 plen;
	const char	*turns[PT_TURNS_MAX];
	size_t		 nturns;
	size_t		 chars;		/* bytes of prompt and turns */
	double		 label_w, label_s; /* NAN when absent */
};

/* Per-record columns for eval, grown by doubling. */
struct pt_cols {
	size_t		 n, cap;
	double		*score, *qw, *qs, *len;
	double		*gap;		/* relative gap, q_strong / q_weak - 1 */
};

/* ---- arguments ---------------------------------------------------------- */

static int
usage(const char *cmd)
{
	tg_usage(stderr, cmd);
	return PT_EXIT_USAGE;
}

/* Splits "a,b,c" in place into at most max pointers; -1 on an empty
 * element or too many. */
static int
split_list(char *s, const char **out, size_t max, size_t *n)
{
	char	*tok;

	for (*n = 0; (tok = strsep(&s, ",")) != NULL; (*n)++) {
		if (*tok == '\0' || *n == max)
			return -1;
		out[*n] = tok;
	}
	return 0;
}

static int
parse_double(const char *s, double *out)
{
	char	*end;

	errno = 0;
	*out = strtod(s, &end);
	return (errno != 0 || end == s || *end != '\0' || !isfinite(*out))
	    ? -1 : 0;
}

enum { OPT_DATA = 1, OPT_PAIR, OPT_MODEL, OPT_RATIO, OPT_JSON, OPT_SOURCES,
    OPT_CALIBRATE, OPT_BINS, OPT_SKIP, OPT_DEV, OPT_EXCLUDE, OPT_EXFILE,
    OPT_STRENGTH };

static const struct option long_opts[] = {
	{ "data",	 required_argument, NULL, OPT_DATA },
	{ "pair",	 required_argument, NULL, OPT_PAIR },
	{ "model",	 required_argument, NULL, OPT_MODEL },
	{ "price-ratio", required_argument, NULL, OPT_RATIO },
	{ "json",	 no_argument,	    NULL, OPT_JSON },
	{ "sources",	 required_argument, NULL, OPT_SOURCES },
	{ "calibrate",	 required_argument, NULL, OPT_CALIBRATE },
	{ "bins",	 required_argument, NULL, OPT_BINS },
	{ "skip-bad",	 no_argument,	    NULL, OPT_SKIP },
	{ "dev-only",	 no_argument,	    NULL, OPT_DEV },
	{ "exclude-sources", required_argument, NULL, OPT_EXCLUDE },
	{ "exclude-file", required_argument, NULL, OPT_EXFILE },
	{ "strength",	 required_argument, NULL, OPT_STRENGTH },
	{ NULL, 0, NULL, 0 }
};

/* Keeps a private copy of a list argument (split in place later), so
 * that argv is left untouched; a repeated option replaces the earlier. */
static int
set_copy(char **dst, const char *arg)
{
	free(*dst);
	if ((*dst = strdup(arg)) == NULL) {
		fprintf(stderr, "tiergate: out of memory\n");
		return -1;
	}
	return 0;
}

static void
opts_free(struct pt_opts *o)
{
	free(o->pair);
	free(o->sources);
	free(o->exclude);
	free(o->exfile);
	free(o->strength);
}

/* Applies one option; -1 on a bad value (message printed). */
static int
set_opt(struct pt_opts *o, int c, char *arg)
{
	double	 d;

	switch (c) {
	case OPT_DATA:	  o->data = arg; return 0;
	case OPT_PAIR:	  return set_copy(&o->pair, arg);
	case OPT_MODEL:	  o->model = arg; return 0;
	case OPT_JSON:	  o->json = 1; return 0;
	case OPT_SOURCES: return set_copy(&o->sources, arg);
	case OPT_SKIP:	  o->skip_bad = 1; return 0;
	case OPT_DEV:	  o->dev_only = 1; return 0;
	case OPT_EXCLUDE: return set_copy(&o->exclude, arg);
	case OPT_EXFILE:  o->exclude_file = arg; return 0;
	case OPT_STRENGTH: return set_copy(&o->strength, arg);
	case OPT_RATIO:
		if (parse_double(arg, &o->price_ratio) == 0 && o->price_ratio >= 1)
			return 0;
		fprintf(stderr, "tiergate %s: --price-ratio wants a number >= 1\n", o->cmd);
		return -1;
	case OPT_CALIBRATE:
		if (parse_double(arg, &o->calibrate) == 0 &&
		    o->calibrate >= 0 && o->calibrate <= 1)
			return 0;
		fprintf(stderr, "tiergate %s: --calibrate wants a share in 0..1\n", o->cmd);
		return -1;
	case OPT_BINS:
		if (parse_double(arg, &d) == 0 && d >= 1 &&
		    d <= EVAL_NBINS_MAX && d == floor(d)) {
			o->nbins = (size_t)d;
			return 0;
		}
		fprintf(stderr, "tiergate %s: --bins wants an integer in 1..%d\n",
		    o->cmd, EVAL_NBINS_MAX);
		return -1;
	}
	return -1;
}

/* --strength NAME=S,...: the strengths of the pair's members (others are
 * ignored).  -1 on a malformed entry. */
static int
parse_strengths(struct pt_opts *o)
{
	const char	*ent[PRED_MAX_MODELS];
	char		*eq;
	double		 v;
	size_t		 i, n;

	o->sw = o->ss = NAN;
	if (o->strength == NULL)
		return 0;
	if (split_list(o->strength, ent, PRED_MAX_MODELS, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((eq = strrchr(ent[i], '=')) == NULL || eq == ent[i])
			return -1;
		*eq = '\0';
		if (parse_double(eq + 1, &v) == -1 || v < -1 || v > 2)
			return -1;
		if (strcmp(ent[i], o->weak) == 0)
			o->sw = v;
		if (strcmp(ent[i], o->strong) == 0)
			o->ss = v;
	}
	return 0;
}

/* Checks what getopt cannot: required options and list syntax. */
static int
check_opts(struct pt_opts *o)
{
	const char	*two[2];
	size_t		 n;

	if (o->data == NULL || o->pair == NULL) {
		fprintf(stderr, "tiergate %s: --data and --pair are required\n", o->cmd);
		return -1;
	}
	if (split_list(o->pair, two, 2, &n) == -1 || n != 2 ||
	    strcmp(two[0], two[1]) == 0) {
		fprintf(stderr, "tiergate %s: --pair wants two different model "
		    "names, WEAK,STRONG\n", o->cmd);
		return -1;
	}
	o->weak = two[0];
	o->strong = two[1];
	if (o->sources != NULL && split_list(o->sources, o->prefix,
	    PT_PREFIX_MAX, &o->nprefix) == -1) {
		fprintf(stderr, "tiergate %s: --sources wants at most %d "
		    "non-empty prefixes\n", o->cmd, PT_PREFIX_MAX);
		return -1;
	}
	if (o->exclude != NULL && split_list(o->exclude, o->exprefix,
	    PT_PREFIX_MAX, &o->nexprefix) == -1) {
		fprintf(stderr, "tiergate %s: --exclude-sources wants at most %d "
		    "non-empty prefixes\n", o->cmd, PT_PREFIX_MAX);
		return -1;
	}
	if (parse_strengths(o) == -1) {
		fprintf(stderr, "tiergate %s: --strength wants NAME=S,... with S "
		    "in -1..2\n", o->cmd);
		return -1;
	}
	return 0;
}

/* Returns 0; -1 after a message (the caller prints the usage); -2 after
 * a message and the usage. */
static int
parse_args(int argc, char **argv, int is_eval, struct pt_opts *o)
{
	int	 c;

	memset(o, 0, sizeof(*o));
	o->cmd = is_eval ? "eval" : "predict";
	o->price_ratio = PT_PRICE_RATIO;
	o->calibrate = NAN;
	o->nbins = EVAL_NBINS_DEFAULT;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return tg_getopt_error(o->cmd, c, argv), -2;
		if (!is_eval && (c == OPT_RATIO || c == OPT_JSON ||
		    c == OPT_CALIBRATE || c == OPT_BINS))
			return tg_usage_error(o->cmd, "option '%s' is only for "
			    "tiergate eval", argv[optind - 1]), -2;
		if (set_opt(o, c, optarg) == -1)
			return -1;
	}
	if (optind != argc)
		return tg_usage_error(o->cmd, "unexpected argument '%s'",
		    argv[optind]), -2;
	return check_opts(o);
}

/* ---- the model ---------------------------------------------------------- */

static int
has_suffix(const char *s, const char *suffix)
{
	size_t	 n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void
list_models(FILE *f, const struct pred_model *m)
{
	size_t	 i;

	for (i = 0; i < pred_model_count(m); i++)
		fprintf(f, "%s%s", i ? ", " : "", pred_model_name(m, i));
	fputc('\n', f);
}

/* Finds one pair member: its own head, or (when --strength names it and
 * the model has the reference heads) the slot of its placed quality.  On
 * failure names the known models. */
static int
find_model(struct pt_ctx *c, const char *name, double strength, size_t placed,
    size_t *idx)
{
	ssize_t	 i = pred_model_find(c->model, name);

	if (i >= 0 && (size_t)i < PRED_MAX_MODELS) {
		*idx = (size_t)i;
		return 0;
	}
	if (!isnan(strength) && c->iref[0] >= 0 && c->iref[1] >= 0) {
		*idx = placed;
		return 0;
	}
	if (!isnan(strength))
		fprintf(stderr, "tiergate %s: model %s has no reference heads "
		    "(%s, %s) to place '%s' by --strength\n", c->o.cmd,
		    pred_model_version(c->model), PRED_HEAD_WEAK, PRED_HEAD_STRONG, name);
	fprintf(stderr, "tiergate %s: model %s does not know '%s'; it knows: ",
	    c->o.cmd, pred_model_version(c->model), name);
	list_models(stderr, c->model);
	return -1;
}

/*
 * --dev-only: the sources `tiergate train` held out as its dev set, which
 * it records in the model JSON as train.dev_sources.  Evaluating a model
 * on data it was trained on says nothing about new traffic, so metrics
 * are reported on these groups only, with a model trained without them
 * (`tiergate train --final train`).  Returns an exit status.
 */
static int
load_dev(struct pt_ctx *c)
{
	json_t		*doc = NULL, *dev;
	json_error_t	 je;
	size_t		 i;
	int		 rc = PT_EXIT_USAGE;

	if (c->o.model == NULL || has_suffix(c->o.model, ".so")) {
		fprintf(stderr, "tiergate %s: --dev-only needs --model "
		    "MODEL.json written by tiergate train\n", c->o.cmd);
		return PT_EXIT_USAGE;
	}
	if ((doc = json_load_file(c->o.model, 0, &je)) == NULL)
		goto fail;
	dev = json_object_get(json_object_get(doc, "train"), "dev_sources");
	if (!json_is_array(dev) || json_array_size(dev) == 0)
		goto fail;
	for (i = 0; i < json_array_size(dev); i++)
		if (!json_is_string(json_array_get(dev, i)))
			goto fail;
	c->dev = json_incref(dev);
	rc = PT_EXIT_OK;
fail:
	if (rc != PT_EXIT_OK)
		fprintf(stderr, "tiergate %s: %s records no dev split "
		    "(train.dev_sources); retrain it with tiergate train\n",
		    c->o.cmd, c->o.model);
	json_decref(doc);
	return rc;
}

/* --exclude-file: read it whole (1 MiB cap); its source lines are matched
 * by pred_excluded(). */
static int
load_exclusions(struct pt_ctx *c)
{
	FILE	*f;
	size_t	 n;

	if (c->o.exclude_file == NULL)
		return PT_EXIT_OK;
	if ((f = fopen(c->o.exclude_file, "r")) == NULL ||
	    (c->o.exfile = calloc(1, (1u << 20) + 1)) == NULL) {
		fprintf(stderr, "tiergate %s: %s: %s\n", c->o.cmd, c->o.exclude_file,
		    strerror(errno));
		if (f != NULL)
			fclose(f);
		return PT_EXIT_FAIL;
	}
	n = fread(c->o.exfile, 1, 1u << 20, f);
	fclose(f);
	c->o.exfile[n] = '\0';
	return PT_EXIT_OK;
}

/* Loads --model (or takes the default) and resolves the pair.  Returns
 * an exit status. */
static int
load_model(struct pt_ctx *c)
{
	enum pred_err	 err;
	char		 msg[512] = "";

	if (c->o.model == NULL)
		c->model = pred_model_default();
	else {
		c->owned = has_suffix(c->o.model, ".so") ?
		    pred_model_load_so(c->o.model, &err, msg, sizeof(msg)) :
		    pred_model_load_json(c->o.model, &err, msg, sizeof(msg));
		if (c->owned == NULL) {
			fprintf(stderr, "tiergate %s: %s: %s\n", c->o.cmd,
			    c->o.model, msg[0] ? msg : pred_strerror(err));
			return PT_EXIT_FAIL;
		}
		c->model = c->owned;
	}
	c->iref[0] = pred_model_find(c->model, PRED_HEAD_WEAK);
	c->iref[1] = pred_model_find(c->model, PRED_HEAD_STRONG);
	if (find_model(c, c->o.weak, c->o.sw, PT_PLACED_W, &c->iw) == -1 ||
	    find_model(c, c->o.strong, c->o.ss, PT_PLACED_S, &c->is) == -1)
		return PT_EXIT_USAGE;
	if (load_exclusions(c) != PT_EXIT_OK)
		return PT_EXIT_FAIL;
	return c->o.dev_only ? load_dev(c) : PT_EXIT_OK;
}

/* ---- reading records ---------------------------------------------------- */

/* Reads one line (without its newline) into *buf, at most cap bytes.
 * Returns 1 on a line, 0 at end of file, -1 on a line over the cap or a
 * read error (errno says which: EFBIG or the stdio error). */
static int
read_line(FILE *f, char **buf, size_t *size, size_t cap, size_t *len)
{
	int	 ch;
	char	*nb;

	*len = 0;
	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (*len + 1 >= cap) {
			while ((ch = getc(f)) != EOF && ch != '\n')
				;
			errno = EFBIG;
			return -1;
		}
		if (*len + 1 >= *size) {
			if ((nb = realloc(*buf, *size ? *size * 2 : 4096)) == NULL)
				return -1;
			*buf = nb;
			*size = *size ? *size * 2 : 4096;
		}
		(*buf)[(*len)++] = (char)ch;
	}
	if (ferror(f))
		return -1;
	if (ch == EOF && *len == 0)
		return 0;
	if (*buf != NULL)
		(*buf)[*len] = '\0';
	return 1;
}

/* A label in scores{}, or NAN when absent; -1 when present but not a
 * number in 0..1. */
static int
get_label(json_t *scores, const char *name, double *out)
{
	json_t	*v = scores ? json_object_get(scores, name) : NULL;

	*out = NAN;
	if (v == NULL)
		return 0;
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return (*out >= 0 && *out <= 1) ? 0 : -1;
}

static const char *
get_turns(json_t *turns, struct pt_rec *r)
{
	size_t	 i;
	json_t	*t;

	if (turns == NULL)
		return NULL;
	if (!json_is_array(turns))
		return "\"turns\" is not an array";
	if (json_array_size(turns) > PT_TURNS_MAX)
		return "too many \"turns\"";
	json_array_foreach(turns, i, t) {
		if (!json_is_string(t))
			return "a turn is not a string";
		r->turns[r->nturns++] = json_string_value(t);
		r->chars += json_string_length(t);
	}
	return NULL;
}

/* Validates the record's fields (borrowed into r); NULL or the reason. */
static const char *
check_rec(const struct pt_opts *o, struct pt_rec *r)
{
	json_t	*p, *s, *scores;

	if (!json_is_object(r->root))
		return "not a JSON object";
	r->id = json_object_get(r->root, "id");
	if (r->id != NULL && !json_is_string(r->id) && !json_is_integer(r->id))
		return "\"id\" is not a string or integer";
	s = json_object_get(r->root, "source");
	if (s != NULL && !json_is_string(s))
		return "\"source\" is not a string";
	r->source = s ? json_string_value(s) : "";
	if (!json_is_string(p = json_object_get(r->root, "prompt")))
		return "\"prompt\" is missing or not a string";
	r->prompt = json_string_value(p);
	r->plen = r->chars = json_string_length(p);
	scores = json_object_get(r->root, "scores");
	if (scores != NULL && !json_is_object(scores))
		return "\"scores\" is not an object";
	if (get_label(scores, o->weak, &r->label_w) == -1 ||
	    get_label(scores, o->strong, &r->label_s) == -1)
		return "a score of the pair is not a number in 0..1";
	return get_turns(json_object_get(r->root, "turns"), r);
}

/* Parses line into r (caller json_decref()s r->root).  NULL or reason. */
static const char *
parse_rec(const struct pt_opts *o, const char *line, size_t len,
    struct pt_rec *r, json_error_t *je)
{
	memset(r, 0, sizeof(*r));
	r->root = json_loadb(line, len, JSON_REJECT_DUPLICATES, je);
	if (r->root == NULL)
		return je->text;
	return check_rec(o, r);
}

static int
in_dev(const json_t *dev, const char *source)
{
	size_t	 i;

	for (i = 0; i < json_array_size(dev); i++)
		if (strcmp(json_string_value(json_array_get(dev, i)), source) == 0)
			return 1;
	return 0;
}

static int
source_excluded(const struct pt_ctx *c, const char *source)
{
	size_t	 i;

	for (i = 0; i < c->o.nexprefix; i++)
		if (strncmp(source, c->o.exprefix[i], strlen(c->o.exprefix[i])) == 0)
			return 1;
	return c->o.exfile != NULL && pred_excluded(c->o.exfile, source, 0);
}

/* --sources prefixes and --dev-only names must both accept the source,
 * and no --exclude-sources / --exclude-file entry may name it. */
static int
source_wanted(const struct pt_ctx *c, const char *source)
{
	size_t	 i;

	if (c->dev != NULL && !in_dev(c->dev, source))
		return 0;
	if (source_excluded(c, source))
		return 0;
	if (c->o.nprefix == 0)
		return 1;
	for (i = 0; i < c->o.nprefix; i++)
		if (strncmp(source, c->o.prefix[i], strlen(c->o.prefix[i])) == 0)
			return 1;
	return 0;
}

/* Reports a bad line.  Returns -1 when it is fatal (no --skip-bad). */
static int
bad_line(struct pt_ctx *c, const char *why)
{
	c->bad++;
	if (c->o.skip_bad)
		return 0;
	fprintf(stderr, "tiergate %s: %s:%zu: %s\n", c->o.cmd, c->o.data,
	    c->lineno, why);
	return -1;
}

/* Runs the model on r and stores the pair's predicted qualities. */
static void
predict_rec(struct pt_ctx *c, const struct pt_rec *r)
{
	pred_features_prompt(r->prompt, r->plen, r->nturns ? r->turns : NULL,
	    r->nturns, c->f);
	pred_predict(c->model, c->f, c->quality);
	if (c->iw == PT_PLACED_W)
		c->quality[PT_PLACED_W] = pred_quality_at_strength(c->quality[c->iref[0]],
		    c->quality[c->iref[1]], c->o.sw);
	if (c->is == PT_PLACED_S)
		c->quality[PT_PLACED_S] = pred_quality_at_strength(c->quality[c->iref[0]],
		    c->quality[c->iref[1]], c->o.ss);
}

typedef int (*pt_each)(struct pt_ctx *, const struct pt_rec *, void *);

/* Reads every record of o.data, calls fn on each wanted one (after
 * prediction).  Returns an exit status. */
static int
for_each_rec(struct pt_ctx *c, pt_each fn, void *arg)
{
	FILE		*f = NULL;
	char		*line = NULL;
	size_t		 size = 0, len;
	struct pt_rec	 r = { 0 };
	json_error_t	 je;
	const char	*why;
	int		 rc, ret = PT_EXIT_FAIL;

	if ((f = fopen(c->o.data, "r")) == NULL) {
		fprintf(stderr, "tiergate %s: %s: %s\n", c->o.cmd, c->o.data,
		    strerror(errno));
		goto fail;
	}
	while ((rc = read_line(f, &line, &size, PT_LINE_MAX, &len)) == 1) {
		c->lineno++;
		if (len == 0)
			continue;
		why = parse_rec(&c->o, line, len, &r, &je);
		if (why != NULL && bad_line(c, why) == -1)
			goto fail;
		if (why == NULL && !source_wanted(c, r.source))
			c->filtered++;
		else if (why == NULL) {
			predict_rec(c, &r);
			if (fn(c, &r, arg) == -1)
				goto fail;
		}
		json_decref(r.root);
		r.root = NULL;
	}
	if (rc == -1) {
		c->lineno++;
		fprintf(stderr, "tiergate %s: %s:%zu: %s\n", c->o.cmd,
		    c->o.data, c->lineno, errno == EFBIG ?
		    "line longer than the 16 MiB cap" : strerror(errno));
		goto fail;
	}
	ret = PT_EXIT_OK;
fail:
	json_decref(r.root);
	free(line);
	if (f != NULL)
		fclose(f);
	return ret;
}

static void
report_skipped(const struct pt_ctx *c)
{
	if (c->bad > 0)
		fprintf(stderr, "tiergate %s: skipped %zu bad line%s of %s\n",
		    c->o.cmd, c->bad, c->bad == 1 ? "" : "s", c->o.data);
}

/* ---- predict ------------------------------------------------------------ */

static json_t *
pair_obj(const struct pt_opts *o, double w, double s)
{
	json_t	*obj = json_object();

	json_object_set_new(obj, o->weak, json_real(w));
	json_object_set_new(obj, o->strong, json_real(s));
	return obj;
}

/* One output line: id, source, score, predicted quality, and the labels
 * when the record has both. */
static int
print_prediction(struct pt_ctx *c, const struct pt_rec *r, void *arg)
{
	json_t	*out;
	double	 qw = c->quality[c->iw], qs = c->quality[c->is];
	int	 rc;

	out = json_object();
	json_object_set(out, "id", r->id ? r->id : json_null());
	json_object_set_new(out, "source", json_string(r->source));
	json_object_set_new(out, "score", json_real(qs - qw));
	json_object_set_new(out, "quality", pair_obj(&c->o, qw, qs));
	if (!isnan(r->label_w) && !isnan(r->label_s))
		json_object_set_new(out, "labels",
		    pair_obj(&c->o, r->label_w, r->label_s));
	json_object_set_new(out, "chars", json_integer((json_int_t)r->chars));
	rc = json_dumpf(out, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(7));
	json_decref(out);
	if (rc == -1 || putchar('\n') == EOF)
		return -1;
	return 0;
}

static int
cmd_start(int argc, char **argv, int is_eval, struct pt_ctx *c)
{
	int	 rc;

	memset(c, 0, sizeof(*c));
	if ((rc = parse_args(argc, argv, is_eval, &c->o)) != 0)
		return rc == -2 ? PT_EXIT_USAGE : usage(c->o.cmd);
	return load_model(c);
}

/* `tiergate predict`: argv[0] is the command name. */
int
pred_cmd_predict(int argc, char **argv)
{
	struct pt_ctx	*c;
	int		 rc;

	if ((c = malloc(sizeof(*c))) == NULL)
		return PT_EXIT_FAIL;
	if ((rc = cmd_start(argc, argv, 0, c)) == PT_EXIT_OK)
		rc = for_each_rec(c, print_prediction, NULL);
	if (rc == PT_EXIT_OK && fflush(stdout) == EOF)
		rc = PT_EXIT_FAIL;
	report_skipped(c);
	json_decref(c->dev);
	pred_model_free(c->owned);
	opts_free(&c->o);
	free(c);
	return rc;
}

/* ---- eval --------------------------------------------------------------- */

static int
cols_grow(struct pt_cols *t)
{
	size_t	 cap = t->cap ? t->cap * 2 : 1024;
	double	**col[] = { &t->score, &t->qw, &t->qs, &t->len, &t->gap };
	double	 *p;
	size_t	  i;

	for (i = 0; i < sizeof(col) / sizeof(col[0]); i++) {
		if ((p = realloc(*col[i], cap * sizeof(double))) == NULL)
			return -1;
		*col[i] = p;
	}
	t->cap = cap;
	return 0;
}

static void
cols_free(struct pt_cols *t)
{
	free(t->score);
	free(t->qw);
	free(t->qs);
	free(t->len);
	free(t->gap);
}

/* The relative gap the default policy compares with the router's
 * response_quality_difference (lua-policies/default.lua: strong when
 * q_strong > q_weak * (1 + rqd / 100)), capped where q_weak is not > 0. */
static double
rel_gap(double qw, double qs)
{
	if (qw > 0)
		return qs / qw - 1;
	return qs > 0 ? 1e9 : 0;
}

/* Keeps a record's score, labels and length.  A record without labels
 * for both models of the pair is not an error (a file may hold several
 * model families): it is counted and left out. */
static int
collect(struct pt_ctx *c, const struct pt_rec *r, void *arg)
{
	struct pt_cols	*t = arg;

	if (isnan(r->label_w) || isnan(r->label_s)) {
		c->unlabelled++;
		return 0;
	}
	if (t->n == t->cap && cols_grow(t) == -1) {
		fprintf(stderr, "tiergate %s: out of memory\n", c->o.cmd);
		return -1;
	}
	t->score[t->n] = (double)c->quality[c->is] - (double)c->quality[c->iw];
	t->qw[t->n] = r->label_w;
	t->qs[t->n] = r->label_s;
	t->len[t->n] = (double)r->chars;
	t->gap[t->n] = rel_gap(c->quality[c->iw], c->quality[c->is]);
	t->n++;
	return 0;
}

/* The figures of one router. */
struct pt_router {
	const char		*name;
	const double		*score;
	struct eval_metrics	 m;
	double			 share95, saving95;
	double			 table[11];	/* strong share 0, 10, ..., 100% */
};

static enum eval_err
eval_router(const struct pt_opts *o, const struct pt_cols *t,
    struct pt_router *r)
{
	double		 shares[11];
	size_t		 i;
	enum eval_err	 e;

	for (i = 0; i < 11; i++)
		shares[i] = (double)i / 10;
	if ((e = eval_routellm(r->score, t->qw, t->qs, t->n, o->nbins,
	    &r->m)) != EVAL_OK)
		return e;
	if ((e = eval_cost_saving(&r->m, PT_QUALITY_GOAL, o->price_ratio,
	    &r->share95, &r->saving95)) != EVAL_OK)
		return e;
	return eval_share_table(r->score, t->qw, t->qs, t->n, shares, 11,
	    r->table);
}

/* JSON number, or null for NaN/inf (APGR when weak == strong). */
static json_t *
jnum(double d)
{
	return isfinite(d) ? json_real(d) : json_null();
}

static json_t *
router_json(const struct pt_router *r)
{
	json_t	*o = json_object(), *curve = json_array(), *tab = json_array();
	size_t	 i;

	for (i = 0; i < r->m.npoints; i++)
		json_array_append_new(curve, json_pack("{s:o,s:o,s:o}",
		    "threshold", jnum(r->m.points[i].threshold),
		    "strong_pct", jnum(r->m.points[i].strong_pct),
		    "quality", jnum(r->m.points[i].perf / 100)));
	for (i = 0; i < 11; i++)
		json_array_append_new(tab, json_pack("{s:i,s:o}",
		    "strong_pct", (int)(i * 10), "quality", jnum(r->table[i])));
	json_object_set_new(o, "apgr", jnum(r->m.apgr));
	json_object_set_new(o, "cpt50", jnum(r->m.cpt50));
	json_object_set_new(o, "cpt80", jnum(r->m.cpt80));
	json_object_set_new(o, "cpt20", jnum(r->m.cpt20));
	json_object_set_new(o, "auc", jnum(r->m.auc / 100));
	json_object_set_new(o, "strong_share_at_95", jnum(r->share95));
	json_object_set_new(o, "cost_saving_at_95", jnum(r->saving95));
	json_object_set_new(o, "curve", curve);
	json_object_set_new(o, "quality_by_share", tab);
	return o;
}

static int
print_eval_json(const struct pt_ctx *c, const struct pt_cols *t,
    const struct pt_router *r, size_t nr)
{
	json_t	*out, *routers = json_object();
	size_t	 i;
	int	 rc;

	for (i = 0; i < nr; i++)
		json_object_set_new(routers, r[i].name, router_json(&r[i]));
	out = json_pack("{s:s,s:I,s:I,s:I,s:I,s:b,s:s,s:s,s:s,s:o,s:o,s:f,s:f,s:I,s:o}",
	    "data", c->o.data, "records", (json_int_t)t->n,
	    "skipped", (json_int_t)c->bad, "filtered", (json_int_t)c->filtered,
	    "unlabelled", (json_int_t)c->unlabelled,
	    "dev_only", c->dev != NULL, "model", pred_model_version(c->model),
	    "weak", c->o.weak, "strong", c->o.strong,
	    "weak_quality", jnum(r[0].m.weak_perf / 100),
	    "strong_quality", jnum(r[0].m.strong_perf / 100),
	    "price_ratio", c->o.price_ratio, "quality_goal", PT_QUALITY_GOAL,
	    "bins", (json_int_t)c->o.nbins, "routers", routers);
	if (out == NULL)
		return -1;
	rc = json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(10));
	json_decref(out);
	return (rc == -1 || putchar('\n') == EOF) ? -1 : 0;
}

static void
print_eval_text(const struct pt_ctx *c, const struct pt_cols *t,
    const struct pt_router *r, size_t nr)
{
	size_t	 i, j;

	printf("data      %s: %zu records", c->o.data, t->n);
	if (c->filtered)
		printf(" (%zu more outside %s)", c->filtered, c->dev ?
		    "the model's dev split" : "--sources");
	if (c->unlabelled)
		printf(" (%zu more without scores for the pair)", c->unlabelled);
	printf("\nmodel     %s\nweak      %-32s mean quality %.4f\n"
	    "strong    %-32s mean quality %.4f\n\n", pred_model_version(c->model),
	    c->o.weak, r[0].m.weak_perf / 100, c->o.strong,
	    r[0].m.strong_perf / 100);
	printf("%-10s %7s %9s %9s   %-s\n", "router", "APGR", "CPT(50%)",
	    "CPT(80%)", "at 95% of strong quality");
	for (i = 0; i < nr; i++)
		printf("%-10s %7.4f %8.2f%% %8.2f%%   %5.1f%% strong calls, "
		    "cost saving %.1f%% (price ratio %g)\n", r[i].name,
		    r[i].m.apgr, r[i].m.cpt50, r[i].m.cpt80,
		    r[i].share95 * 100, r[i].saving95 * 100, c->o.price_ratio);
	printf("\nmean quality by strong share (top scores to %s):\n%-7s",
	    c->o.strong, "share");
	for (i = 0; i < nr; i++)
		printf(" %9s", r[i].name);
	for (j = 0; j < 11; j++) {
		printf("\n%5zu%%  ", j * 10);
		for (i = 0; i < nr; i++)
			printf(" %9.4f", r[i].table[j]);
	}
	printf("\n");
}

/* The shortest %g form of d that reads back as d, so that an operator can
 * paste the threshold into a config without moving the cut. */
static const char *
exact(double d, char *buf, size_t len)
{
	int	 prec;

	for (prec = 6; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return buf;
	}
	snprintf(buf, len, "%.17g", d);
	return buf;
}

/*
 * Two equivalent cuts for SHARE: a threshold on `score` (strong when
 * score > threshold), and the router's response_quality_difference for
 * the default policy (strong when the strong model's predicted quality
 * exceeds the weak one's by more than rqd percent of it).
 */
static int
calibrate(const struct pt_ctx *c, const struct pt_cols *t)
{
	double		 thr, got, rqd, rgot;
	enum eval_err	 e;
	char		 b1[32], b2[32];

	if ((e = eval_calibrate(t->score, t->n, c->o.calibrate, &thr,
	    &got)) != EVAL_OK || (e = eval_calibrate(t->gap, t->n,
	    c->o.calibrate, &rqd, &rgot)) != EVAL_OK) {
		fprintf(stderr, "tiergate eval: %s\n", eval_strerror(e));
		return PT_EXIT_FAIL;
	}
	exact(thr, b1, sizeof(b1));
	exact(rqd * 100, b2, sizeof(b2));
	if (c->o.json)
		printf("{\"share\": %.6g, \"records\": %zu, \"threshold\": %s, "
		    "\"achieved\": %.9g, \"rule\": \"strong when score > "
		    "threshold\", \"response_quality_difference\": %s, "
		    "\"rqd_achieved\": %.9g}\n", c->o.calibrate, t->n, b1, got,
		    b2, rgot);
	else
		printf("for %.2f%% of %zu records to %s:\n"
		    "  score threshold %s sends %.2f%% (strong when score > "
		    "threshold)\n"
		    "  response_quality_difference %s sends %.2f%% (default "
		    "policy: strong when predicted quality is more than that "
		    "many percent better)\n", c->o.calibrate * 100, t->n,
		    c->o.strong, b1, got * 100, b2, rgot * 100);
	return PT_EXIT_OK;
}

/* Runs the three routers on the collected columns and prints them. */
static int
evaluate(const struct pt_ctx *c, const struct pt_cols *t)
{
	struct pt_router	*r = NULL;
	double			*rnd = NULL;
	enum eval_err		 e = EVAL_NOMEM;
	size_t			 i;
	int			 rc = PT_EXIT_FAIL;

	if ((r = calloc(3, sizeof(*r))) == NULL ||
	    (rnd = malloc(t->n * sizeof(*rnd))) == NULL)
		goto fail;
	eval_random_scores(rnd, t->n, PT_SEED);
	r[0].name = "tiergate", r[0].score = t->score;
	r[1].name = "random", r[1].score = rnd;
	r[2].name = "length", r[2].score = t->len;
	for (i = 0; i < 3; i++)
		if ((e = eval_router(&c->o, t, &r[i])) != EVAL_OK)
			goto fail;
	if (c->o.json)
		rc = print_eval_json(c, t, r, 3) == 0 ? PT_EXIT_OK : PT_EXIT_FAIL;
	else {
		print_eval_text(c, t, r, 3);
		rc = PT_EXIT_OK;
	}
	e = EVAL_OK;
fail:
	if (e != EVAL_OK)
		fprintf(stderr, "tiergate eval: %s\n", eval_strerror(e));
	free(rnd);
	free(r);
	return rc;
}

/* `tiergate eval`: argv[0] is the command name. */
int
pred_cmd_eval(int argc, char **argv)
{
	struct pt_ctx	*c;
	struct pt_cols	 t = { 0 };
	int		 rc;

	if ((c = malloc(sizeof(*c))) == NULL)
		return PT_EXIT_FAIL;
	if ((rc = cmd_start(argc, argv, 1, c)) == PT_EXIT_OK)
		rc = for_each_rec(c, collect, &t);
	report_skipped(c);
	if (rc == PT_EXIT_OK && t.n == 0) {
		fprintf(stderr, "tiergate eval: %s: no records with scores for "
		    "%s and %s\n", c->o.data, c->o.weak, c->o.strong);
		rc = PT_EXIT_FAIL;
	}
	if (rc == PT_EXIT_OK)
		rc = isnan(c->o.calibrate) ? evaluate(c, &t) : calibrate(c, &t);
	if (rc == PT_EXIT_OK && fflush(stdout) == EOF)
		rc = PT_EXIT_FAIL;
	cols_free(&t);
	json_decref(c->dev);
	pred_model_free(c->owned);
	opts_free(&c->o);
	free(c);
	return rc;
}
