/*
 * train_shared.c - the shared signal of `tiergate train`: one prompt-level
 * booster learnt from every labelled model of every source, the per-model
 * placement on it, the reference heads "(weak)"/"(strong)" and the
 * "(confidence)" head.  Design and measurements: predictor/README-training.md,
 * "One signal for every model".
 *
 * Targets.  Label kinds differ by family (a family is the part of a record's
 * `source` before the first '/': "mmlu", "dcrouter", "alpacaeval"): right or
 * wrong, a task metric in 0..1, or (families named by --pairwise) the
 * probability of beating a reference model's answer, which is taken on the
 * logit scale.  Within one family every model gets an ability, its mean
 * label over the family's training records; a record's raw target is the
 * least-squares slope of its labels on those abilities ("on this prompt,
 * how much better do stronger models do"), and the raw targets are
 * standardised per family (mean 0, sd 1 over the family's training
 * records).  Every family then weighs the same in the shared booster.  With
 * two models (MMLU) the slope is (y_strong - y_weak) / (a_strong - a_weak).
 */
#include "autoconf.h"

#ifdef HAVE_XGBOOST

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_impl.h"

#define CONF_BASE	3.0	/* "(confidence)" margin of an in-range prompt */
#define CONF_STEP	0.5	/* margin lost per feature step out of range */
#define MIN_ABILITY_SHARE 0.5	/* a model needs labels on half the family */

static double
label_value(const struct record *r, float s)
{
	double p = fmin(0.98, fmax(0.02, s));

	return r->pairwise ? log(p / (1 - p)) : s;
}

static int
counted(const struct record *r, int want)
{
	return want < 0 || r->dev == want;
}

/* Mean label per model over the family's counted records; NaN for models
 * that label less than MIN_ABILITY_SHARE of them or never vary. */
static double *
abilities(const struct dataset *ds, int fam, int want)
{
	double *a = calloc(ds->nallnames, sizeof(double)),
	    *sq = calloc(ds->nallnames, sizeof(double));
	size_t *cnt = calloc(ds->nallnames, sizeof(size_t)), i, k, nrec = 0;
	const struct all_score *s;
	double v;

	if (a == NULL || sq == NULL || cnt == NULL)
		goto fail;
	for (i = 0; i < ds->n; i++) {
		if (ds->r[i].fam != fam || !counted(&ds->r[i], want))
			continue;
		nrec++;
		for (k = 0; k < ds->r[i].all_n; k++) {
			s = &ds->all[ds->r[i].all_off + k];
			v = label_value(&ds->r[i], s->score);
			a[s->model] += v;
			sq[s->model] += v * v;
			cnt[s->model]++;
		}
	}
	for (k = 0; k < ds->nallnames; k++) {
		v = cnt[k] ? a[k] / (double)cnt[k] : 0;
		a[k] = (double)cnt[k] < MIN_ABILITY_SHARE * (double)nrec || cnt[k] < 2 ||
		    sq[k] / (double)cnt[k] - v * v < 1e-9 ? NAN : v;
	}
	free(sq);
	free(cnt);
	return a;
fail:
	free(a);
	free(sq);
	free(cnt);
	return NULL;
}

/* Slope of one record's labels on the models' abilities; NaN with fewer
 * than two models of known ability. */
static double
record_slope(const struct dataset *ds, const struct record *r, const double *a)
{
	const struct all_score *s;
	double sa = 0, sy = 0, num = 0, den = 0, da;
	size_t k, n = 0;

	for (k = 0; k < r->all_n; k++) {
		s = &ds->all[r->all_off + k];
		if (!isnan(a[s->model]))
			sa += a[s->model], sy += label_value(r, s->score), n++;
	}
	if (n < 2)
		return NAN;
	for (k = 0; k < r->all_n; k++) {
		s = &ds->all[r->all_off + k];
		if (isnan(a[s->model]))
			continue;
		da = a[s->model] - sa / (double)n;
		num += da * (label_value(r, s->score) - sy / (double)n);
		den += da * da;
	}
	return den > 1e-12 ? num / den : NAN;
}

/* Standardise the family's raw targets by their counted records. */
static void
standardise(struct dataset *ds, int fam, int want)
{
	double sum = 0, sq = 0, m, sd;
	size_t i, n = 0;

	for (i = 0; i < ds->n; i++)
		if (ds->r[i].fam == fam && counted(&ds->r[i], want) && !isnan(ds->r[i].gap))
			sum += ds->r[i].gap, sq += (double)ds->r[i].gap * ds->r[i].gap, n++;
	m = n ? sum / (double)n : 0;
	sd = n > 1 ? sqrt(fmax(0, sq / (double)n - m * m)) : 0;
	for (i = 0; i < ds->n; i++)
		if (ds->r[i].fam == fam)
			ds->r[i].gap = sd > 1e-9 ? (float)((ds->r[i].gap - m) / sd) : NAN;
}

void
shared_targets(struct dataset *ds, int want)
{
	double *a;
	size_t i;
	int f;

	for (f = 0; f < (int)ds->nfams; f++) {
		if ((a = abilities(ds, f, want)) == NULL)
			return;
		for (i = 0; i < ds->n; i++)
			if (ds->r[i].fam == f)
				ds->r[i].gap = (float)record_slope(ds, &ds->r[i], a);
		free(a);
		standardise(ds, f, want);
	}
}

/* Weight of every row: each family weighs the same in total (a pairwise
 * family pairwise_weight of that), rows of a family alike; mean 1. */
static void
row_weights(const struct dataset *ds, const struct train_opts *o, int want, float *w)
{
	double famw[MAX_FAMILIES] = { 0 }, total = 0;
	size_t i, k, famn[MAX_FAMILIES] = { 0 }, n = 0;
	int pair[MAX_FAMILIES] = { 0 };

	for (i = 0; i < ds->n; i++)
		if (!isnan(ds->r[i].gap) && counted(&ds->r[i], want))
			famn[ds->r[i].fam]++, pair[ds->r[i].fam] = ds->r[i].pairwise, n++;
	for (k = 0; k < ds->nfams; k++)
		if (famn[k] > 0)
			famw[k] = pair[k] ? o->pairwise_weight : 1, total += famw[k];
	for (n = 0, i = 0; i < ds->n; i++)
		if (!isnan(ds->r[i].gap) && counted(&ds->r[i], want))
			w[n++] = (float)(famw[ds->r[i].fam] / (double)famn[ds->r[i].fam]);
	for (k = 0; k < n; k++)
		w[k] = (float)(w[k] * (double)n / total);
}

/* Rows with a target (and a weight), dense features only. */
static DMatrixHandle
shared_matrix(const struct dataset *ds, const struct train_opts *o, int want, size_t *nrows)
{
	DMatrixHandle h = NULL;
	float *x = NULL, *y = NULL, *w = NULL;
	size_t i, n = 0;

	for (i = 0; i < ds->n; i++)
		n += !isnan(ds->r[i].gap) && counted(&ds->r[i], want);
	*nrows = n;
	if (n == 0 || (x = malloc(n * PRED_NDENSE * sizeof(float))) == NULL ||
	    (y = malloc(n * sizeof(float))) == NULL || (w = malloc(n * sizeof(float))) == NULL)
		goto fail;
	for (n = 0, i = 0; i < ds->n; i++)
		if (!isnan(ds->r[i].gap) && counted(&ds->r[i], want)) {
			memcpy(x + n * PRED_NDENSE, ds->r[i].f, PRED_NDENSE * sizeof(float));
			y[n++] = ds->r[i].gap;
		}
	row_weights(ds, o, want, w);
	XGB(XGDMatrixCreateFromMat(x, n, PRED_NDENSE, NAN, &h));
	XGB(XGDMatrixSetFloatInfo(h, "label", y, n));
	XGB(XGDMatrixSetFloatInfo(h, "weight", w, n));
	free(x), free(y), free(w);
	return h;
fail:
	if (h != NULL)
		XGDMatrixFree(h);
	free(x), free(y), free(w);
	return NULL;
}

BoosterHandle
shared_train(const struct dataset *ds, const struct train_opts *o, int want)
{
	DMatrixHandle h;
	BoosterHandle b;
	size_t n;

	if ((h = shared_matrix(ds, o, want, &n)) == NULL) {
		fprintf(stderr, "train: no record has a shared-signal target\n");
		return NULL;
	}
	fprintf(stderr, "train: shared signal: %zu records of %zu families\n", n, ds->nfams);
	b = train_booster(o, h, "(shared)", want < 0 ? "all data  " : "train split",
	    "reg:squarederror", o->shared_rounds, 0);
	XGDMatrixFree(h);
	return b;
}

float *
shared_values(BoosterHandle b, const struct dataset *ds)
{
	DMatrixHandle h = NULL;
	float *x, *g = NULL;
	size_t i;

	if ((x = malloc(ds->n * PRED_NDENSE * sizeof(float))) == NULL)
		return NULL;
	for (i = 0; i < ds->n; i++)
		memcpy(x + i * PRED_NDENSE, ds->r[i].f, PRED_NDENSE * sizeof(float));
	if (XGDMatrixCreateFromMat(x, ds->n, PRED_NDENSE, NAN, &h) == 0)
		g = xgb_predict(b, h, ds->n, 0);
	if (h != NULL)
		XGDMatrixFree(h);
	free(x);
	return g;
}

/* Newton's method for y ~ sigmoid(beta + gamma * g), labels in 0..1. */
static void
logistic_fit(const double *g, const double *y, size_t n, double *beta, double *gamma)
{
	double b = 0, c = 0, p, w, gb, gc, h00, h01, h11, det;
	size_t i;
	int it;

	for (it = 0; it < 50; it++) {
		gb = gc = h00 = h01 = h11 = 0;
		for (i = 0; i < n; i++) {
			p = 1 / (1 + exp(-(b + c * g[i])));
			w = p * (1 - p) + 1e-9;
			gb += p - y[i], gc += (p - y[i]) * g[i];
			h00 += w, h01 += w * g[i], h11 += w * g[i] * g[i];
		}
		h00 += 1e-6, h11 += 1e-6;
		det = h00 * h11 - h01 * h01;
		if (!(fabs(det) > 1e-12))
			break;
		b -= (h11 * gb - h01 * gc) / det;
		c -= (h00 * gc - h01 * gb) / det;
	}
	*beta = b;
	*gamma = c;
}

int
shared_fit(const struct dataset *ds, int m, const float *g, int want,
    double *beta, double *gamma)
{
	double *gs = malloc(ds->n * sizeof(double)), *ys = malloc(ds->n * sizeof(double));
	size_t i, n = 0;

	if (gs == NULL || ys == NULL) {
		free(gs), free(ys);
		return -1;
	}
	for (i = 0; i < ds->n; i++)
		if (!isnan(ds->r[i].score[m]) && !isnan(g[i]) && counted(&ds->r[i], want)) {
			gs[n] = g[i];
			ys[n++] = ds->r[i].score[m];
		}
	if (n > 0)
		logistic_fit(gs, ys, n, beta, gamma);
	free(gs), free(ys);
	return n > 0 ? 0 : -1;
}

/* A copy of tree t with every leaf multiplied by k. */
static json_t *
scaled_tree(const json_t *t, double k)
{
	json_t *c = json_deep_copy(t), *cond, *left;
	size_t i;

	cond = json_object_get(c, "split_conditions");
	left = json_object_get(c, "left_children");
	for (i = 0; i < json_array_size(cond); i++)
		if (json_integer_value(json_array_get(left, i)) == -1)
			json_array_set_new(cond, i, json_real((float)(k *
			    json_number_value(json_array_get(cond, i)))));
	return c;
}

json_t *
shared_head(const json_t *shared, const char *name, double beta, double gamma,
    const json_t *residual)
{
	const json_t *t;
	json_t *trees = json_array();
	double bm = beta + gamma * json_number_value(json_object_get(shared, "base_margin"));
	size_t i;

	json_array_foreach(json_object_get(shared, "trees"), i, t)
		json_array_append_new(trees, scaled_tree(t, gamma));
	json_array_foreach(json_object_get(residual, "trees"), i, t)
		json_array_append(trees, (json_t *)t);
	return json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:o}", "name", name,
	    "objective", "reg:logistic", "base_score", (double)(float)(1 / (1 + exp(-bm))),
	    "base_margin", (double)(float)bm, "shared_beta", beta, "shared_gamma", gamma,
	    "trees", trees);
}

int
shared_dump(const struct dataset *ds, const char *path)
{
	FILE *fp = fopen(path, "w");
	json_t *line;
	size_t i;
	int rc = 0;

	if (fp == NULL) {
		fprintf(stderr, "train: %s: cannot write\n", path);
		return -1;
	}
	for (i = 0; i < ds->n && rc == 0; i++) {
		if (isnan(ds->r[i].gap))
			continue;
		line = json_pack("{s:s, s:s, s:f}", "id", ds->r[i].id != NULL ? ds->r[i].id : "",
		    "source", ds->groups[ds->r[i].group], "target", (double)ds->r[i].gap);
		rc = line == NULL || json_dumpf(line, fp, JSON_COMPACT | JSON_REAL_PRECISION(7)) ||
		    fputc('\n', fp) == EOF;
		json_decref(line);
	}
	if (fclose(fp) != 0 || rc != 0) {
		fprintf(stderr, "train: %s: cannot write\n", path);
		return -1;
	}
	return 0;
}

/* ---- "(confidence)": steps out of every dense feature's training range -- */

static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/* A one-split tree: f[feat] < thr goes left. */
static json_t *
step_tree(int feat, double thr, double left, double right)
{
	return json_pack("{s:[i,i,i], s:[f,f,f], s:[i,i,i], s:[i,i,i], s:[i,i,i]}",
	    "split_indices", feat, 0, 0,
	    "split_conditions", (double)(float)thr, (double)(float)left, (double)(float)right,
	    "left_children", 1, -1, -1, "right_children", 2, -1, -1,
	    "default_left", 1, 0, 0);
}

/* Trees of one feature: above 1.5 x its 99.5th percentile (+1) and again
 * at 4 times that, below half its 0.5th percentile. */
static void
feature_steps(json_t *trees, int j, float lo, float hi)
{
	double up = 1.5 * hi + 1;

	json_array_append_new(trees, step_tree(j, up, 0, -CONF_STEP));
	json_array_append_new(trees, step_tree(j, 4 * up, 0, -CONF_STEP));
	if (lo > 0)
		json_array_append_new(trees, step_tree(j, lo / 2, -CONF_STEP, 0));
}

/* Pure size counts (bytes, tokens, words, lines, sentences, distinct
 * words, system/assistant/last-message sizes, letters, punctuation,
 * spaces): a longer prompt of the usual kind is not "unlike the training
 * data", so they take no part in the confidence. */
static int
size_feature(int j)
{
	static const int size[] = { 0, 1, 2, 3, 4, 5, 9, 13, 14, 15, 16, 37, 40, 42 };
	size_t i;

	for (i = 0; i < sizeof(size) / sizeof(size[0]); i++)
		if (size[i] == j)
			return 1;
	return 0;
}

json_t *
confidence_head(const struct dataset *ds)
{
	float *v = malloc(ds->n * sizeof(float));
	json_t *trees = json_array(), *ranges = json_array();
	size_t i, n;
	int j;

	if (v == NULL || ds->n == 0)
		goto fail;
	for (j = 0; j < PRED_NDENSE; j++) {
		for (n = 0, i = 0; i < ds->n; i++)
			v[n++] = ds->r[i].f[j];
		qsort(v, n, sizeof(float), cmp_float);
		if (!size_feature(j))
			feature_steps(trees, j, v[n / 200], v[n - 1 - n / 200]);
		json_array_append_new(ranges, json_pack("[f,f]", (double)v[n / 200],
		    (double)v[n - 1 - n / 200]));
	}
	free(v);
	return json_pack("{s:s, s:s, s:f, s:f, s:o, s:o}", "name", PRED_HEAD_CONFIDENCE,
	    "objective", "reg:logistic", "base_score", (double)(float)(1 / (1 + exp(-CONF_BASE))),
	    "base_margin", CONF_BASE, "ranges", ranges, "trees", trees);
fail:
	free(v);
	json_decref(trees);
	json_decref(ranges);
	return NULL;
}

#endif /* HAVE_XGBOOST */
