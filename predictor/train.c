/*
 * train.c - `tiergate train`: learn one gradient-boosted tree ensemble per
 * model with the XGBoost C API and write a tiergate model JSON.
 *
 * Design (documented in predictor/README-training.md):
 * - one shared booster learns, from every labelled model of every source,
 *   how much a stronger model helps on a prompt (train_shared.c); every
 *   model that has absolute labels (right/wrong, a task metric) gets a head
 *   placed on it (beta + gamma * shared) plus a few residual trees of its
 *   own, objective reg:logistic on the 0..1 quality score; reference heads
 *   "(weak)"/"(strong)" and "(confidence)" are added (pred.h);
 *   --shared-rounds 0 trains one independent booster per model instead;
 * - sources listed by --exclude-sources / --exclude-file are left out;
 * - the dev set is chosen by group (the record's "source"), per family of
 *   records that share one set of scored models, deterministically from
 *   --seed; dev metrics are printed, then the final boosters are retrained
 *   on all the data (--final train keeps the train-split boosters);
 * - nthread is fixed (--threads, default 1) and the seed is set, so two
 *   runs with the same inputs write the same file.
 */
#include "autoconf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pred_impl.h"
#include "usage.h"

#ifndef HAVE_XGBOOST

int
pred_cmd_train(int argc, char **argv)
{
	fprintf(stderr, "tiergate train: training is disabled in this build "
	    "(configure did not find XGBoost; install libxgboost-dev and rebuild)\n");
	return 2;
}

#else /* HAVE_XGBOOST */

#include <ctype.h>

#include "train_impl.h"

/* ---- options ------------------------------------------------------------------ */

/* Split "a,b,c" into o->models; argv is left untouched. */
static const char *
split_models(struct train_opts *o, const char *list)
{
	size_t n;

	while (*list) {
		n = strcspn(list, ",");
		if (o->nmodels == PRED_MAX_MODELS || n == 0 || n >= PRED_MAX_NAME)
			return "a comma-separated list of at most 32 names";
		memcpy(o->models[o->nmodels], list, n);
		o->models[o->nmodels++][n] = '\0';
		list += n + (list[n] == ',');
	}
	return o->nmodels > 0 ? NULL : "a comma-separated list of at most 32 names";
}

/* A number in [lo, hi] (an integer when isint) into *out; NULL, or what
 * the value must be (in buf). */
static const char *
num_opt(const char *v, double lo, double hi, int isint, double *out,
    char *buf, size_t bufsz)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	if (errno || *end || end == v || *out < lo || *out > hi ||
	    (isint && *out != (double)(unsigned)*out)) {
		snprintf(buf, bufsz, "must be %s in [%g, %g]",
		    isint ? "an integer" : "a number", lo, hi);
		return buf;
	}
	return NULL;
}

static const char *
uint_opt(const char *v, unsigned lo, unsigned hi, unsigned *out,
    char *buf, size_t bufsz)
{
	const char *why;
	double d;

	if ((why = num_opt(v, lo, hi, 1, &d, buf, bufsz)) == NULL)
		*out = (unsigned)d;
	return why;
}

/* Options that take a file, a name or a list. */
static const char *
parse_text(struct train_opts *o, const char *k, char *v, int *known)
{
	*known = 1;
	if (!strcmp(k, "--data"))
		return o->ndata < MAX_DATA ? (o->data[o->ndata++] = v, NULL) :
		    "at most 16 files";
	if (!strcmp(k, "--out"))
		return o->out = v, NULL;
	if (!strcmp(k, "--name"))
		return o->name = v, NULL;
	if (!strcmp(k, "--xgb-dir"))
		return o->xgb_dir = v, NULL;
	if (!strcmp(k, "--dev-preds"))
		return o->dev_preds = v, NULL;
	if (!strcmp(k, "--dump-targets"))
		return o->dump_targets = v, NULL;
	if (!strcmp(k, "--dev-groups"))
		return o->dev_groups = v, NULL;
	if (!strcmp(k, "--exclude-sources"))
		return o->exclude = v, NULL;
	if (!strcmp(k, "--exclude-file"))
		return o->exclude_file = v, NULL;
	if (!strcmp(k, "--pairwise"))
		return o->pairwise = v, NULL;
	if (!strcmp(k, "--models"))
		return split_models(o, v);
	if (!strcmp(k, "--final"))
		return !strcmp(v, "all") ? (o->final_all = 1, NULL) :
		    !strcmp(v, "train") ? (o->final_all = 0, NULL) :
		    "must be all or train";
	*known = 0;
	return NULL;
}

/* One option and its value: NULL when set, else what is wrong with the
 * value (*known = 0: not an option of train). */
static const char *
parse_one(struct train_opts *o, const char *k, char *v, int *known,
    char *buf, size_t bufsz)
{
	const char *why = parse_text(o, k, v, known);

	if (*known)
		return why;
	*known = 1;
	if (!strcmp(k, "--seed"))
		return uint_opt(v, 0, 2147483647u, &o->seed, buf, bufsz);
	if (!strcmp(k, "--rounds"))
		return uint_opt(v, 1, 5000, &o->rounds, buf, bufsz);
	if (!strcmp(k, "--shared-rounds"))
		return uint_opt(v, 0, 5000, &o->shared_rounds, buf, bufsz);
	if (!strcmp(k, "--head-rounds"))
		return uint_opt(v, 0, 5000, &o->head_rounds, buf, bufsz);
	if (!strcmp(k, "--depth"))
		return uint_opt(v, 1, 12, &o->depth, buf, bufsz);
	if (!strcmp(k, "--threads"))
		return uint_opt(v, 1, 256, &o->threads, buf, bufsz);
	if (!strcmp(k, "--eta"))
		return num_opt(v, 1e-4, 1, 0, &o->eta, buf, bufsz);
	if (!strcmp(k, "--dev-frac"))
		return num_opt(v, 0, 0.9, 0, &o->dev_frac, buf, bufsz);
	if (!strcmp(k, "--subsample"))
		return num_opt(v, 0.05, 1, 0, &o->subsample, buf, bufsz);
	if (!strcmp(k, "--colsample"))
		return num_opt(v, 0.01, 1, 0, &o->colsample, buf, bufsz);
	if (!strcmp(k, "--min-child"))
		return num_opt(v, 0, 1e6, 0, &o->min_child, buf, bufsz);
	if (!strcmp(k, "--pairwise-weight"))
		return num_opt(v, 0, 100, 0, &o->pairwise_weight, buf, bufsz);
	if (!strcmp(k, "--lambda"))
		return num_opt(v, 0, 1e6, 0, &o->lambda, buf, bufsz);
	if (!strcmp(k, "--alpha"))
		return num_opt(v, 0, 1e6, 0, &o->alpha, buf, bufsz);
	if (!strcmp(k, "--gamma"))
		return num_opt(v, 0, 1e6, 0, &o->gamma, buf, bufsz);
	*known = 0;
	return NULL;
}

/* Returns 0, or 2 after printing a usage error. */
static int
parse_opts(int argc, char **argv, struct train_opts *o)
{
	const char	*why;
	char		 buf[128];
	int		 i, known;

	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->rounds = 120;
	o->depth = 5;
	o->threads = 1;
	o->eta = 0.08;
	o->dev_frac = 0.2;
	o->subsample = 0.8;
	o->colsample = 0.5;
	o->min_child = 8;
	o->lambda = 4;
	o->final_all = 1;
	o->shared_rounds = 200;
	o->head_rounds = 60;
	o->pairwise_weight = 0.1;
	for (i = 1; i < argc; i += 2) {
		why = parse_one(o, argv[i], i + 1 < argc ? argv[i + 1] : "",
		    &known, buf, sizeof(buf));
		if (!known)
			return tg_usage_error("train", argv[i][0] == '-' ?
			    "unrecognized option '%s'" : "unexpected argument "
			    "'%s'", argv[i]);
		if (i + 1 >= argc)
			return tg_usage_error("train", "option '%s' requires an "
			    "argument", argv[i]);
		if (why != NULL)
			return tg_usage_error("train", "%s %s: %s", argv[i],
			    argv[i + 1], why);
	}
	if (o->ndata == 0)
		return tg_usage_error("train", "missing --data FILE.jsonl");
	if (o->out == NULL)
		return tg_usage_error("train", "missing --out MODEL.json");
	return 0;
}

/* ---- reading the data --------------------------------------------------------- */

static int
name_index(struct dataset *ds, const struct train_opts *o, const char *name)
{
	size_t i;

	for (i = 0; i < ds->nnames; i++)
		if (!strcmp(ds->names[i], name))
			return (int)i;
	if (o->nmodels > 0 || ds->nnames == PRED_MAX_MODELS)
		return -1;	/* not selected, or too many */
	if ((ds->names[ds->nnames] = strdup(name)) == NULL)
		return -1;
	return (int)ds->nnames++;
}

static int
group_index(struct dataset *ds, const char *src)
{
	char **g;
	size_t i;

	for (i = ds->ngroups; i > 0; i--)
		if (!strcmp(ds->groups[i - 1], src))
			return (int)(i - 1);
	if ((g = realloc(ds->groups, (ds->ngroups + 1) * sizeof(*g))) == NULL)
		return -1;
	ds->groups = g;
	if ((g[ds->ngroups] = strdup(src)) == NULL)
		return -1;
	return (int)ds->ngroups++;
}

static struct record *
new_record(struct dataset *ds)
{
	struct record *r;
	size_t i;

	if (ds->n == ds->cap) {
		if (ds->cap >= MAX_RECORDS ||
		    (r = realloc(ds->r, (ds->cap ? 2 * ds->cap : 1024) * sizeof(*r))) == NULL)
			return NULL;
		ds->r = r;
		ds->cap = ds->cap ? 2 * ds->cap : 1024;
	}
	r = &ds->r[ds->n];
	for (i = 0; i < PRED_MAX_MODELS; i++)
		r->score[i] = NAN;
	r->dev = 0;
	r->id = NULL;
	r->gap = NAN;
	return r;
}

/* The earlier turns of a record, if any, as a borrowed string array. */
static size_t
record_turns(const json_t *turns, const char **out, size_t max)
{
	const json_t *t;
	size_t i, n = 0;

	if (!json_is_array(turns))
		return 0;
	json_array_foreach(turns, i, t)
		if (json_is_string(t) && n < max)
			out[n++] = json_string_value(t);
	return n;
}

/* Whether s starts with one of the comma-separated prefixes of list. */
static int
prefix_in_list(const char *list, const char *s)
{
	size_t n;

	while (list != NULL && *list) {
		n = strcspn(list, ",");
		if (n > 0 && strncmp(s, list, n) == 0)
			return 1;
		list += n + (list[n] == ',');
	}
	return 0;
}

static int
source_excluded(const struct train_opts *o, const char *text, const char *src)
{
	return prefix_in_list(o->exclude, src) || pred_excluded(text, src, 0);
}

/* The label family of a source: the part before its first '/'. */
static int
family_index(struct dataset *ds, const char *src)
{
	size_t i, n = strcspn(src, "/");

	for (i = 0; i < ds->nfams; i++)
		if (strlen(ds->fams[i]) == n && !strncmp(ds->fams[i], src, n))
			return (int)i;
	if (ds->nfams == MAX_FAMILIES || (ds->fams[ds->nfams] = strndup(src, n)) == NULL)
		return -1;
	return (int)ds->nfams++;
}

static int
all_index(struct dataset *ds, const char *name)
{
	size_t i;

	for (i = 0; i < ds->nallnames; i++)
		if (!strcmp(ds->allnames[i], name))
			return (int)i;
	if (ds->nallnames == MAX_ALL_NAMES || (ds->allnames[ds->nallnames] = strdup(name)) == NULL)
		return -1;
	return (int)ds->nallnames++;
}

static int
add_all_score(struct dataset *ds, struct record *r, int model, float score)
{
	struct all_score *a;

	if (ds->nall == ds->capall) {
		if ((a = realloc(ds->all, (ds->capall ? 2 * ds->capall : 4096) * sizeof(*a))) == NULL)
			return -1;
		ds->all = a;
		ds->capall = ds->capall ? 2 * ds->capall : 4096;
	}
	ds->all[ds->nall].model = (uint16_t)model;
	ds->all[ds->nall++].score = score;
	r->all_n++;
	return 0;
}

/* One score of a record: into the shared signal's table, and into the
 * record's head scores unless the record is pairwise. */
static int
record_score(struct dataset *ds, const struct train_opts *o, const char *exfile,
    struct record *r, const char *name, float v)
{
	int idx, am;

	if (pred_excluded(exfile, name, 1))
		return 0;
	if ((am = all_index(ds, name)) < 0 || add_all_score(ds, r, am, v) == -1)
		return -1;
	if (!r->pairwise && (idx = name_index(ds, o, name)) >= 0) {
		r->score[idx] = v;
		return 1;
	}
	return r->pairwise;	/* a pairwise record counts for the shared signal */
}

/* Parse one JSONL line into a record; returns 1 kept, 0 skipped, -1 error. */
static int
parse_record(struct dataset *ds, const struct train_opts *o, const char *exfile,
    const char *line, size_t len)
{
	const json_t *prompt, *scores, *src, *v;
	const char *turns[64], *name, *source;
	struct record *r;
	json_t *doc;
	int k, kept = 0, rc = 0;

	if ((doc = json_loadb(line, len, 0, NULL)) == NULL)
		return 0;
	prompt = json_object_get(doc, "prompt");
	scores = json_object_get(doc, "scores");
	src = json_object_get(doc, "source");
	source = json_is_string(src) ? json_string_value(src) : "";
	if (!json_is_string(prompt) || !json_is_object(scores))
		goto done;
	if (source_excluded(o, exfile, source)) {
		ds->excluded++;
		goto done;
	}
	if ((r = new_record(ds)) == NULL || (r->group = group_index(ds, source)) < 0 ||
	    (r->fam = family_index(ds, source)) < 0) {
		rc = -1;
		goto done;
	}
	r->pairwise = prefix_in_list(o->pairwise, source);
	r->all_off = ds->nall;
	r->all_n = 0;
	json_object_foreach((json_t *)scores, name, v) {
		if (!json_is_number(v))
			continue;
		if ((k = record_score(ds, o, exfile, r,
		    name, (float)fmin(1, fmax(0, json_number_value(v))))) < 0) {
			rc = -1;
			goto done;
		}
		kept |= k;
	}
	if (!kept) {
		ds->nall = r->all_off;
		goto done;
	}
	pred_features_prompt(json_string_value(prompt), json_string_length(prompt), turns,
	    record_turns(json_object_get(doc, "turns"), turns, 64), r->f);
	v = json_object_get(doc, "id");
	if ((o->dev_preds != NULL || o->dump_targets != NULL) && json_is_string(v) &&
	    (r->id = strdup(json_string_value(v))) == NULL) {
		rc = -1;
		goto done;
	}
	ds->n++;
	rc = 1;
done:
	json_decref(doc);
	return rc;
}

static int
read_file(struct dataset *ds, const struct train_opts *o, const char *exfile, size_t k)
{
	char *buf = NULL, *p, *nl, msg[512];
	size_t len, before = ds->n;
	int rc = 0;

	if (pred_read_file(o->data[k], 1u << 30, &buf, &len, msg, sizeof(msg)) != PRED_OK) {
		fprintf(stderr, "train: %s\n", msg);
		return -1;
	}
	pred_sha256_hex(buf, len, ds->sha[k]);
	for (p = buf; p < buf + len && rc >= 0; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(buf + len - p))) == NULL)
			nl = buf + len;
		if ((size_t)(nl - p) > MAX_LINE || (rc = parse_record(ds, o, exfile, p, (size_t)(nl - p))) < 0)
			fprintf(stderr, "train: %s: record too long or out of memory\n", o->data[k]);
	}
	free(buf);
	ds->nread[k] = ds->n - before;
	fprintf(stderr, "train: %s: %zu records\n", o->data[k], ds->nread[k]);
	return rc < 0 ? -1 : 0;
}

/* ---- dev split by group --------------------------------------------------------- */

static uint32_t
mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	return h ^ (h >> 16);
}

static uint32_t
str_hash(const char *s, uint32_t seed)
{
	uint32_t h = 2166136261u ^ seed;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return mix32(h);
}

/* Bitmask of the models a record scores: its "family". */
static uint32_t
family(const struct record *r, size_t nnames)
{
	uint32_t m = 0;
	size_t i;

	for (i = 0; i < nnames; i++)
		if (!isnan(r->score[i]))
			m |= 1u << i;
	return m;
}

/* Within one family, mark whole groups as dev, in seeded hash order, until
 * dev_frac of the family's records are dev; at least one group stays in
 * training. */
static void
split_family(struct dataset *ds, uint32_t fam, double frac, unsigned seed)
{
	size_t i, total = 0, dev = 0, *cnt = calloc(ds->ngroups, sizeof(size_t));
	int g, best, left;

	if (cnt == NULL)
		return;
	for (i = 0; i < ds->n; i++)
		if (family(&ds->r[i], ds->nnames) == fam)
			cnt[ds->r[i].group]++, total++;
	for (left = 0, g = 0; g < (int)ds->ngroups; g++)
		left += cnt[g] > 0;
	while ((double)dev < frac * (double)total && left > 1) {
		for (best = -1, g = 0; g < (int)ds->ngroups; g++)
			if (cnt[g] > 0 && (best < 0 ||
			    str_hash(ds->groups[g], seed) < str_hash(ds->groups[best], seed)))
				best = g;
		for (i = 0; i < ds->n; i++)
			if (ds->r[i].group == best && family(&ds->r[i], ds->nnames) == fam)
				ds->r[i].dev = 1;
		dev += cnt[best];
		cnt[best] = 0;
		left--;
	}
	free(cnt);
}

static int
has_dev(const struct train_opts *o)
{
	return o->dev_frac > 0 || o->dev_groups != NULL;
}

/* Whether name is one of the comma-separated list's entries. */
static int
in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list, *q;

	for (;;) {
		q = strchr(p, ',');
		if ((size_t)((q ? q : p + strlen(p)) - p) == n && strncmp(p, name, n) == 0)
			return 1;
		if (q == NULL)
			return 0;
		p = q + 1;
	}
}

/* --dev-groups names the dev groups; otherwise split every family by
 * dev_frac, seeded. */
static void
split_dev(struct dataset *ds, const struct train_opts *o)
{
	uint32_t fams[64];
	size_t i, j, nf = 0;

	if (o->dev_groups != NULL) {
		for (i = 0; i < ds->n; i++)
			ds->r[i].dev = in_list(o->dev_groups, ds->groups[ds->r[i].group]);
		return;
	}

	for (i = 0; i < ds->n; i++) {
		uint32_t f = family(&ds->r[i], ds->nnames);
		for (j = 0; j < nf && fams[j] != f; j++)
			;
		if (j == nf && nf < 64)
			fams[nf++] = f;
	}
	for (j = 0; j < nf && o->dev_frac > 0; j++)
		split_family(ds, fams[j], o->dev_frac, o->seed);
}

/* ---- metrics --------------------------------------------------------------------- */

struct pair_sort {
	float	s;
	int	y;
};

static int
cmp_pair(const void *a, const void *b)
{
	float x = ((const struct pair_sort *)a)->s, y = ((const struct pair_sort *)b)->s;

	return x < y ? -1 : x > y;
}

/* AUC of score s for binary labels y (ties get average rank); NaN if one
 * class is empty. */
static double
auc(struct pair_sort *p, size_t n)
{
	double rank_sum = 0, npos = 0;
	size_t i, j, k;

	qsort(p, n, sizeof(*p), cmp_pair);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && p[j].s == p[i].s; j++)
			;
		for (k = i; k < j; k++)
			if (p[k].y)
				rank_sum += (double)(i + j + 1) / 2.0, npos++;
	}
	if (npos == 0 || npos == (double)n)
		return NAN;
	return (rank_sum - npos * (npos + 1) / 2) / (npos * ((double)n - npos));
}

struct metrics {
	double	logloss, rmse, auc;
	size_t	n;
};

static struct metrics
score_metrics(const float *pred, const float *label, size_t n)
{
	struct metrics m = { 0, 0, NAN, n };
	struct pair_sort *p = calloc(n ? n : 1, sizeof(*p));
	double q, y;
	size_t i;

	for (i = 0; i < n; i++) {
		q = fmin(1 - 1e-7, fmax(1e-7, pred[i]));
		y = label[i];
		m.logloss -= y * log(q) + (1 - y) * log(1 - q);
		m.rmse += (pred[i] - y) * (pred[i] - y);
		if (p != NULL)
			p[i].s = pred[i], p[i].y = y >= 0.5;
	}
	if (n > 0) {
		m.logloss /= (double)n;
		m.rmse = sqrt(m.rmse / (double)n);
	}
	if (p != NULL)
		m.auc = auc(p, n);
	free(p);
	return m;
}

/* ---- XGBoost ------------------------------------------------------------------- */

/* How a head is placed on the shared signal: base margin beta + gamma *
 * g[record]; g NULL = an independent booster over all features. */
struct head_fit {
	const float	*g;
	double		 beta, gamma;
};

static int
row_wanted(const struct record *r, size_t m, int want)
{
	return !isnan(r->score[m]) && (want < 0 || r->dev == want);
}

/* Base margins of the matrix's rows (hf->g set). */
static int
set_margins(DMatrixHandle h, const struct dataset *ds, size_t m, int want,
    const struct head_fit *hf, size_t n)
{
	float *bm = malloc((n ? n : 1) * sizeof(float));
	size_t i, k = 0;
	int rc;

	if (bm == NULL)
		return -1;
	for (i = 0; i < ds->n; i++)
		if (row_wanted(&ds->r[i], m, want))
			bm[k++] = (float)(hf->beta + hf->gamma * hf->g[i]);
	rc = XGDMatrixSetFloatInfo(h, "base_margin", bm, n);
	free(bm);
	return rc;
}

/* Rows of model m (scored, and dev == want or want < 0) as a dense matrix:
 * the dense features with base margins for a shared-signal head, all
 * features otherwise. */
static DMatrixHandle
make_matrix(const struct dataset *ds, size_t m, int want, const struct head_fit *hf,
    size_t *nrows)
{
	DMatrixHandle h = NULL;
	float *x = NULL, *y = NULL;
	size_t i, n = 0, nc = hf->g != NULL ? PRED_NDENSE : PRED_NFEATURES;

	for (i = 0; i < ds->n; i++)
		n += row_wanted(&ds->r[i], m, want);
	*nrows = n;
	if (n == 0 || (x = malloc(n * nc * sizeof(float))) == NULL ||
	    (y = malloc(n * sizeof(float))) == NULL)
		goto fail;
	for (n = 0, i = 0; i < ds->n; i++)
		if (row_wanted(&ds->r[i], m, want)) {
			memcpy(x + n * nc, ds->r[i].f, nc * sizeof(float));
			y[n++] = ds->r[i].score[m];
		}
	XGB(XGDMatrixCreateFromMat(x, n, nc, NAN, &h));
	XGB(XGDMatrixSetFloatInfo(h, "label", y, n));
	if (hf->g != NULL)
		XGB(set_margins(h, ds, m, want, hf, n));
	free(x);
	free(y);
	return h;
fail:
	if (h != NULL)
		XGDMatrixFree(h);
	free(x);
	free(y);
	return NULL;
}

static double
mean_label(DMatrixHandle h)
{
	const float *y;
	bst_ulong n, i;
	double s = 0;

	if (XGDMatrixGetFloatInfo(h, "label", &n, &y) != 0 || n == 0)
		return 0.5;
	for (i = 0; i < n; i++)
		s += y[i];
	return fmin(0.98, fmax(0.02, s / (double)n));
}

/* A booster of `rounds` rounds on dtrain with the options' settings;
 * base_score = the labels' mean when base_from_labels (rows that carry a
 * base_margin ignore it).  Caller frees with XGBoosterFree(). */
BoosterHandle
train_booster(const struct train_opts *o, DMatrixHandle dtrain, const char *name,
    const char *what, const char *objective, unsigned rounds, int base_from_labels)
{
	BoosterHandle b = NULL;
	char v[64];
	unsigned it;

	XGB(XGBoosterCreate(&dtrain, 1, &b));
#define P(k, fmt, x) do { snprintf(v, sizeof(v), fmt, x); XGB(XGBoosterSetParam(b, k, v)); } while (0)
	P("objective", "%s", objective);
	P("tree_method", "%s", "hist");
	P("max_depth", "%u", o->depth);
	P("eta", "%.17g", o->eta);
	P("subsample", "%.17g", o->subsample);
	P("colsample_bytree", "%.17g", o->colsample);
	P("min_child_weight", "%.17g", o->min_child);
	P("lambda", "%.17g", o->lambda);
	P("alpha", "%.17g", o->alpha);
	P("gamma", "%.17g", o->gamma);
	P("base_score", "%.9g", base_from_labels ? mean_label(dtrain) : 0.5);
	P("nthread", "%u", o->threads);
	P("seed", "%u", o->seed);
#undef P
	for (it = 0; it < rounds; it++) {
		XGB(XGBoosterUpdateOneIter(b, (int)it, dtrain));
		if ((it + 1) % 40 == 0 || it + 1 == rounds)
			fprintf(stderr, "\rtrain: %-32s %s round %u/%u", name, what, it + 1, rounds);
	}
	fputc('\n', stderr);
	return b;
fail:
	if (b != NULL)
		XGBoosterFree(b);
	return NULL;
}

/* ---- converting XGBoost's JSON into ours ------------------------------------------ */

/* Renumber one XGBoost tree breadth-first from the root (so children come
 * after parents, as our loader requires) into the five compact arrays. */
static json_t *
convert_tree(const json_t *xt)
{
	const json_t *L = json_object_get(xt, "left_children"),
	    *R = json_object_get(xt, "right_children"),
	    *S = json_object_get(xt, "split_indices"),
	    *C = json_object_get(xt, "split_conditions"),
	    *D = json_object_get(xt, "default_left");
	size_t n = json_array_size(L), head = 0, tail = 1, k;
	json_int_t *queue = NULL, l, r, id;
	json_t *t = NULL, *a[5] = { 0 };
	int i;

	if (n == 0 || json_array_size(R) != n || json_array_size(S) != n ||
	    json_array_size(C) != n || json_array_size(D) != n ||
	    (queue = calloc(n, sizeof(*queue))) == NULL)
		goto fail;
	for (i = 0; i < 5; i++)
		if ((a[i] = json_array()) == NULL)
			goto fail;
	queue[0] = 0;
	while (head < tail) {
		id = queue[head++];
		l = json_integer_value(json_array_get(L, (size_t)id));
		r = json_integer_value(json_array_get(R, (size_t)id));
		if (l != -1 && (tail + 2 > n || l < 0 || r < 0 || (size_t)l >= n || (size_t)r >= n))
			goto fail;
		k = tail;
		if (l != -1) {
			queue[tail++] = l;
			queue[tail++] = r;
		}
		json_array_append_new(a[0], json_integer(l == -1 ? 0 :
		    json_integer_value(json_array_get(S, (size_t)id))));
		json_array_append_new(a[1], json_real((float)json_number_value(json_array_get(C, (size_t)id))));
		json_array_append_new(a[2], json_integer(l == -1 ? -1 : (json_int_t)k));
		json_array_append_new(a[3], json_integer(l == -1 ? -1 : (json_int_t)k + 1));
		json_array_append_new(a[4], json_integer(json_integer_value(json_array_get(D, (size_t)id)) != 0));
	}
	t = json_pack("{s:o, s:o, s:o, s:o, s:o}", "split_indices", a[0], "split_conditions", a[1],
	    "left_children", a[2], "right_children", a[3], "default_left", a[4]);
	free(queue);
	return t;
fail:
	for (i = 0; i < 5; i++)
		json_decref(a[i]);
	free(queue);
	return NULL;
}

/* Our JSON for a booster: reg:logistic (base_score in 0..1, margin its
 * logit) or reg:squarederror (margin = base_score). */
json_t *
convert_booster(BoosterHandle b, const char *name, const char *objective)
{
	const char *buf;
	bst_ulong len;
	json_t *doc = NULL, *out = NULL, *jt, *t;
	const json_t *learner, *bs, *trees;
	double base;
	size_t i;
	int logistic;

	XGB(XGBoosterSaveModelToBuffer(b, "{\"format\": \"json\"}", &len, &buf));
	if ((doc = json_loadb(buf, len, 0, NULL)) == NULL)
		goto fail;
	learner = json_object_get(doc, "learner");
	bs = json_object_get(json_object_get(learner, "learner_model_param"), "base_score");
	trees = json_object_get(json_object_get(json_object_get(learner,
	    "gradient_booster"), "model"), "trees");
	if (!json_is_string(bs) || !json_is_array(trees))
		goto fail;
	base = strtod(json_string_value(bs), NULL);
	logistic = strcmp(objective, "reg:logistic") == 0;
	if ((logistic && !(base > 0 && base < 1)) || (jt = json_array()) == NULL)
		goto fail;
	out = json_pack("{s:s, s:s, s:f, s:f, s:o}", "name", name, "objective", objective,
	    "base_score", (double)(float)base, "base_margin",
	    (double)(float)(logistic ? log(base / (1 - base)) : base), "trees", jt);
	json_array_foreach(trees, i, t) {
		json_t *ct = convert_tree(t);
		if (ct == NULL || json_array_append_new(jt, ct) == -1)
			goto fail;
	}
	json_decref(doc);
	return out;
fail:
	fprintf(stderr, "train: cannot convert the XGBoost model of %s\n", name);
	json_decref(doc);
	json_decref(out);
	return NULL;
}

/* ---- per model --------------------------------------------------------------------- */

/* XGBoost's own predictions (margins when `margin`) for a matrix; caller
 * frees. */
float *
xgb_predict(BoosterHandle b, DMatrixHandle h, size_t n, int margin)
{
	const float *res;
	bst_ulong len;
	float *out;

	if (XGBoosterPredict(b, h, margin ? 1 : 0, 0, 0, &len, &res) != 0 || len != n ||
	    (out = malloc(n * sizeof(float))) == NULL)
		return NULL;
	memcpy(out, res, n * sizeof(float));
	return out;
}

/* Dev predictions of model m for all records (NaN where not dev/scored). */
struct result {
	json_t		*model;
	json_t		*dev;		/* dev metrics object */
	float		*devpred;	/* ds->n entries */
	double		 beta, gamma;	/* placement on the shared signal */
	int		 placed;
};

static int
dev_eval(const struct dataset *ds, size_t m, BoosterHandle b, const struct head_fit *hf,
    struct result *res)
{
	DMatrixHandle h;
	float *pred = NULL, *lab = NULL;
	struct metrics mt;
	size_t n, i, k;

	if ((h = make_matrix(ds, m, 1, hf, &n)) == NULL)
		return 0;	/* no dev rows for this model */
	if ((pred = xgb_predict(b, h, n, 0)) == NULL || (lab = malloc(n * sizeof(float))) == NULL)
		goto fail;
	for (k = 0, i = 0; i < ds->n; i++)
		if (!isnan(ds->r[i].score[m]) && ds->r[i].dev) {
			res->devpred[i] = pred[k];
			lab[k++] = ds->r[i].score[m];
		}
	mt = score_metrics(pred, lab, n);
	fprintf(stderr, "train: %-32s dev n=%zu logloss=%.4f rmse=%.4f auc=%.4f\n",
	    ds->names[m], n, mt.logloss, mt.rmse, mt.auc);
	res->dev = json_pack("{s:i, s:f, s:f, s:f}", "n", (json_int_t)n, "logloss", mt.logloss,
	    "rmse", mt.rmse, "auc", isnan(mt.auc) ? -1.0 : mt.auc);
	free(pred);
	free(lab);
	XGDMatrixFree(h);
	return 0;
fail:
	free(pred);
	free(lab);
	XGDMatrixFree(h);
	return -1;
}

static int
save_xgb(const struct train_opts *o, BoosterHandle b, const char *name)
{
	char path[4096];

	if (o->xgb_dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.json", o->xgb_dir, name);
	if (XGBoosterSaveModel(b, path) != 0) {
		fprintf(stderr, "train: %s: %s\n", path, XGBGetLastError());
		return -1;
	}
	return 0;
}

/* The head of model m on the records `want` selects (0: the training
 * split, with dev metrics; -1: all).  With a shared signal the head is
 * placed on it and gets head_rounds residual trees over the dense
 * features; without, an independent booster of `rounds`. */
static int
train_model(const struct dataset *ds, const struct train_opts *o, size_t m, int want,
    const struct head_fit *hf, const json_t *shared, struct result *res)
{
	DMatrixHandle h = NULL;
	BoosterHandle b = NULL;
	json_t *resid = NULL;
	size_t n;
	int rc = -1;

	if ((h = make_matrix(ds, m, want, hf, &n)) == NULL ||
	    (b = train_booster(o, h, ds->names[m], want < 0 ? "all data  " : "train split",
	    "reg:logistic", hf->g != NULL ? o->head_rounds : o->rounds, hf->g == NULL)) == NULL ||
	    (want == 0 && dev_eval(ds, m, b, hf, res) == -1))
		goto done;
	if (save_xgb(o, b, ds->names[m]) == -1 ||
	    (resid = convert_booster(b, ds->names[m], "reg:logistic")) == NULL)
		goto done;
	json_decref(res->model);
	res->model = hf->g == NULL ? json_incref(resid) :
	    shared_head(shared, ds->names[m], hf->beta, hf->gamma, resid);
	res->beta = hf->beta, res->gamma = hf->gamma, res->placed = hf->g != NULL;
	rc = res->model != NULL ? 0 : -1;
done:
	json_decref(resid);
	if (b != NULL)
		XGBoosterFree(b);
	if (h != NULL)
		XGDMatrixFree(h);
	return rc;
}

/* ---- pair metric and output ----------------------------------------------------------- */

/* For the weak/strong pair: AUC of (q_strong - q_weak) for "the strong
 * model scored higher", over dev records where the two differ. */
static json_t *
pair_metric(const struct dataset *ds, struct result *res, const char *weak, const char *strong)
{
	struct pair_sort *p;
	size_t i, n = 0;
	int w = -1, s = -1;
	double a;

	for (i = 0; i < ds->nnames; i++) {
		if (!strcmp(ds->names[i], weak))
			w = (int)i;
		if (!strcmp(ds->names[i], strong))
			s = (int)i;
	}
	if (w < 0 || s < 0 || (p = calloc(ds->n, sizeof(*p))) == NULL)
		return NULL;
	for (i = 0; i < ds->n; i++)
		if (ds->r[i].dev && !isnan(res[s].devpred[i]) && !isnan(res[w].devpred[i]) &&
		    ds->r[i].score[s] != ds->r[i].score[w]) {
			p[n].s = res[s].devpred[i] - res[w].devpred[i];
			p[n++].y = ds->r[i].score[s] > ds->r[i].score[w];
		}
	a = auc(p, n);
	free(p);
	fprintf(stderr, "train: pair %s/%s dev: %zu records differ, AUC(strong wins) = %.4f\n",
	    weak, strong, n, a);
	return json_pack("{s:s, s:s, s:i, s:f}", "weak", weak, "strong", strong,
	    "n", (json_int_t)n, "auc_strong_wins", isnan(a) ? -1.0 : a);
}

/* The names of the groups held out as dev, in first-seen order. */
static json_t *
dev_sources(const struct dataset *ds)
{
	json_t *a = json_array();
	char *done = calloc(ds->ngroups ? ds->ngroups : 1, 1);
	size_t i;

	for (i = 0; done != NULL && i < ds->n; i++)
		if (ds->r[i].dev && !done[ds->r[i].group]) {
			done[ds->r[i].group] = 1;
			json_array_append_new(a, json_string(ds->groups[ds->r[i].group]));
		}
	free(done);
	return a;
}

static json_t *
shared_info(const struct dataset *ds, const struct train_opts *o)
{
	json_t *fams = json_array();
	size_t i;

	for (i = 0; i < ds->nfams; i++)
		json_array_append_new(fams, json_string(ds->fams[i]));
	return json_pack("{s:i, s:i, s:f, s:s?, s:s?, s:s?, s:i, s:o}",
	    "shared_rounds", (json_int_t)o->shared_rounds, "head_rounds", (json_int_t)o->head_rounds,
	    "pairwise_weight", o->pairwise_weight,
	    "pairwise", o->pairwise, "exclude_sources", o->exclude,
	    "exclude_file", o->exclude_file, "excluded_records", (json_int_t)ds->excluded,
	    "families", fams);
}

static json_t *
train_info(const struct dataset *ds, const struct train_opts *o, struct result *res)
{
	json_t *data = json_array(), *dev = json_object(), *pair;
	size_t i;

	for (i = 0; i < o->ndata; i++)
		json_array_append_new(data, json_pack("{s:s, s:s, s:i}", "file",
		    strrchr(o->data[i], '/') ? strrchr(o->data[i], '/') + 1 : o->data[i],
		    "sha256", ds->sha[i], "records", (json_int_t)ds->nread[i]));
	for (i = 0; i < ds->nnames; i++)
		if (res[i].dev != NULL)
			json_object_set(dev, ds->names[i], res[i].dev);
	pair = pair_metric(ds, res, "mixtral-8x7b-instruct", "gpt-4-1106-preview");
	if (pair != NULL)
		json_object_set_new(dev, "pair", pair);
	return json_pack("{s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:s, s:i, s:o, s:o, s:o, s:o}",
	    "seed", (json_int_t)o->seed, "rounds", (json_int_t)o->rounds, "depth", (json_int_t)o->depth,
	    "eta", o->eta, "subsample", o->subsample, "colsample_bytree", o->colsample,
	    "min_child_weight", o->min_child, "lambda", o->lambda, "alpha", o->alpha,
	    "gamma", o->gamma, "dev_frac", o->dev_frac, "final", o->final_all ? "all" : "train",
	    "threads", (json_int_t)o->threads, "data", data, "dev", dev,
	    "dev_sources", dev_sources(ds), "shared", shared_info(ds, o));
}

/* "(weak)" and "(strong)": the shared signal placed as the reference pair
 * is, without residual trees; nothing when either model has no head. */
static void
reference_heads(const struct dataset *ds, const struct result *res, const json_t *shared,
    json_t *models)
{
	static const char *const ref[2][2] = {
		{ PRED_HEAD_WEAK, "mixtral-8x7b-instruct" },
		{ PRED_HEAD_STRONG, "gpt-4-1106-preview" },
	};
	size_t i, m;
	int found[2] = { -1, -1 };

	for (i = 0; i < 2; i++)
		for (m = 0; m < ds->nnames; m++)
			if (!strcmp(ds->names[m], ref[i][1]) && res[m].placed)
				found[i] = (int)m;
	if (shared == NULL)
		return;
	if (found[0] < 0 || found[1] < 0)
		fprintf(stderr, "train: no labels of %s and %s: the reference heads are the "
		    "raw shared signal (weak: sigmoid(-g), strong: 0.5)\n", ref[0][1], ref[1][1]);
	for (i = 0; i < 2; i++)
		json_array_append_new(models, shared_head(shared, ref[i][0],
		    found[i] >= 0 ? res[found[i]].beta : 0,
		    found[i] >= 0 ? res[found[i]].gamma : i == 0 ? -1 : 0, NULL));
}

static int
write_model(const struct dataset *ds, const struct train_opts *o, struct result *res,
    const json_t *shared)
{
	json_t *models = json_array(), *doc;
	size_t i;
	int rc;

	for (i = 0; i < ds->nnames; i++)
		json_array_append(models, res[i].model);
	reference_heads(ds, res, shared, models);
	if (shared != NULL)
		json_array_append_new(models, confidence_head(ds));
	doc = json_pack("{s:s, s:i, s:i, s:i, s:s, s:o, s:o}", "format", PRED_MODEL_FORMAT,
	    "version", PRED_MODEL_VERSION, "schema_version", PRED_SCHEMA_VERSION,
	    "nfeatures", PRED_NFEATURES, "name", o->name ? o->name : "model",
	    "models", models, "train", train_info(ds, o, res));
	if (doc == NULL)
		return -1;
	rc = json_dump_file(doc, o->out, JSON_COMPACT | JSON_REAL_PRECISION(9) |
	    JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (rc != 0)
		fprintf(stderr, "train: cannot write %s\n", o->out);
	return rc;
}

/* One JSON line per dev record: id, source, true scores, dev predictions
 * (of the train-split boosters), for offline routing metrics. */
static int
write_dev_preds(const struct dataset *ds, const struct train_opts *o, const struct result *res)
{
	FILE *fp;
	json_t *line, *sc, *pr;
	size_t i, m;
	int rc = 0;

	if (o->dev_preds == NULL)
		return 0;
	if ((fp = fopen(o->dev_preds, "w")) == NULL) {
		fprintf(stderr, "train: %s: %s\n", o->dev_preds, strerror(errno));
		return -1;
	}
	for (i = 0; i < ds->n && rc == 0; i++) {
		if (!ds->r[i].dev)
			continue;
		sc = json_object();
		pr = json_object();
		for (m = 0; m < ds->nnames; m++)
			if (!isnan(ds->r[i].score[m])) {
				json_object_set_new(sc, ds->names[m], json_real(ds->r[i].score[m]));
				json_object_set_new(pr, ds->names[m], json_real(res[m].devpred[i]));
			}
		line = json_pack("{s:s?, s:s, s:o, s:o, s:f}", "id", ds->r[i].id, "source",
		    ds->groups[ds->r[i].group], "scores", sc, "pred", pr,
		    "chars", (double)ds->r[i].f[0]);
		rc = line == NULL || json_dumpf(line, fp, JSON_COMPACT | JSON_REAL_PRECISION(7)) ||
		    fputc('\n', fp) == EOF;
		json_decref(line);
	}
	if (fclose(fp) != 0 || rc != 0) {
		fprintf(stderr, "train: cannot write %s\n", o->dev_preds);
		return -1;
	}
	return 0;
}

/* ---- the command ------------------------------------------------------------------------ */

static void
dataset_free(struct dataset *ds)
{
	size_t i;

	for (i = 0; i < ds->nnames; i++)
		free(ds->names[i]);
	for (i = 0; i < ds->ngroups; i++)
		free(ds->groups[i]);
	for (i = 0; i < ds->n; i++)
		free(ds->r[i].id);
	for (i = 0; i < ds->nallnames; i++)
		free(ds->allnames[i]);
	for (i = 0; i < ds->nfams; i++)
		free(ds->fams[i]);
	free(ds->groups);
	free(ds->r);
	free(ds->all);
}

static int
load_data(struct dataset *ds, const struct train_opts *o)
{
	char *exfile = NULL, msg[512];
	size_t i, len;
	int rc = -1;

	if (o->exclude_file != NULL && pred_read_file(o->exclude_file, 1u << 20, &exfile,
	    &len, msg, sizeof(msg)) != PRED_OK) {
		fprintf(stderr, "train: --exclude-file: %s\n", msg);
		return -1;
	}
	for (i = 0; i < o->nmodels; i++)
		if ((ds->names[ds->nnames++] = strdup(o->models[i])) == NULL)
			goto done;
	for (i = 0; i < o->ndata; i++)
		if (read_file(ds, o, exfile, i) == -1)
			goto done;
	if (ds->excluded > 0)
		fprintf(stderr, "train: %zu records left out by --exclude-sources/--exclude-file\n",
		    ds->excluded);
	if (ds->n == 0 || ds->nnames == 0) {
		fprintf(stderr, "train: no usable records\n");
		goto done;
	}
	split_dev(ds, o);
	rc = 0;
done:
	free(exfile);
	return rc;
}

/* One pass over the records `want` selects: the shared signal (unless
 * --shared-rounds 0), then every head placed on it. */
static int
train_pass(struct dataset *ds, const struct train_opts *o, int want,
    struct result *res, json_t **shared)
{
	BoosterHandle sb = NULL;
	struct head_fit hf = { NULL, 0, 0 };
	float *g = NULL;
	size_t m;
	int rc = -1;

	json_decref(*shared);
	*shared = NULL;
	if (o->shared_rounds > 0) {
		shared_targets(ds, want);
		if (want < 0 && o->dump_targets != NULL && shared_dump(ds, o->dump_targets) == -1)
			goto done;
		if ((sb = shared_train(ds, o, want)) == NULL || (g = shared_values(sb, ds)) == NULL ||
		    save_xgb(o, sb, "(shared)") == -1 ||
		    (*shared = convert_booster(sb, "(shared)", "reg:squarederror")) == NULL)
			goto done;
	}
	for (m = 0; m < ds->nnames; m++) {
		hf.g = g;
		if (g != NULL && shared_fit(ds, (int)m, g, want, &hf.beta, &hf.gamma) == -1)
			goto done;
		if (train_model(ds, o, m, want, &hf, *shared, &res[m]) == -1)
			goto done;
	}
	rc = 0;
done:
	if (sb != NULL)
		XGBoosterFree(sb);
	free(g);
	return rc;
}

/* Train-split pass for the dev metrics, then the final pass on all data
 * (unless --final train, or there is no dev set). */
static int
train_all(struct dataset *ds, const struct train_opts *o, struct result *res, json_t **shared)
{
	if (has_dev(o) && train_pass(ds, o, 0, res, shared) == -1)
		return -1;
	if (!has_dev(o) || o->final_all)
		return train_pass(ds, o, -1, res, shared);
	return 0;
}

int
pred_cmd_train(int argc, char **argv)
{
	struct train_opts o;
	struct dataset ds = { 0 };
	struct result res[PRED_MAX_MODELS] = { { 0 } };
	struct timespec t0, t1;
	json_t *shared = NULL;
	size_t m, i;
	int rc = 1;

	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (load_data(&ds, &o) == -1)
		goto done;
	for (i = 0, m = 0; i < ds.n; i++)
		m += ds.r[i].dev;
	fprintf(stderr, "train: %zu records, %zu groups, %zu models, %zu dev records\n",
	    ds.n, ds.ngroups, ds.nnames, m);
	for (m = 0; m < ds.nnames; m++) {
		if ((res[m].devpred = malloc(ds.n * sizeof(float))) == NULL)
			goto done;
		for (i = 0; i < ds.n; i++)
			res[m].devpred[i] = NAN;
	}
	if (train_all(&ds, &o, res, &shared) == -1)
		goto done;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (write_model(&ds, &o, res, shared) != 0 ||
	    write_dev_preds(&ds, &o, res) != 0)
		goto done;
	fprintf(stderr, "train: wrote %s (%zu models) in %lds\n", o.out, ds.nnames,
	    (long)(t1.tv_sec - t0.tv_sec));
	rc = 0;
done:
	for (m = 0; m < PRED_MAX_MODELS; m++) {
		json_decref(res[m].model);
		json_decref(res[m].dev);
		free(res[m].devpred);
	}
	json_decref(shared);
	dataset_free(&ds);
	return rc;
}

#endif /* HAVE_XGBOOST */
