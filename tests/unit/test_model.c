/*
 * test_model.c - the tree-ensemble runtime against XGBoost and itself:
 * compiled code == JSON interpreter == XGBoost's own predictions; corrupt,
 * truncated and mismatched model files (JSON and .so) are rejected with a
 * clear error; the loader keeps the old model on a bad file and picks up
 * a good one.  Needs a C compiler at test time for the .so cases ($CC or cc).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#ifdef HAVE_XGBOOST
#include <xgboost/c_api.h>
#endif

#include "pred.h"

#define NROWS_PER_FILE	600
#define MAXROWS		(2 * NROWS_PER_FILE)

static char	 tmpdir[] = "/tmp/tg-test-model-XXXXXX";
static char	 srcdir[2048];
static float	*rows;		/* nrows * PRED_NFEATURES */
static size_t	 nrows;

static const char *
path(const char *name)
{
	static char buf[64][4096];	/* enough for every path one test holds */
	static int k;

	k = (k + 1) % 64;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmpdir, name);
	return buf[k];
}

static const char *
src(const char *name)
{
	static char buf[8][4096];	/* a test may hold a few at once */
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", srcdir, name);
	return buf[k];
}

/* Features of the first records of both shipped data files. */
static int
load_rows(void)
{
	static const char *files[2] = { "predictor/data/mmlu.jsonl", "predictor/data/dcrouter.jsonl" };
	json_error_t e;
	json_t *doc;
	FILE *fp;
	char *line = NULL;
	size_t cap = 0, got, k;
	const char *p;

	if ((rows = malloc(MAXROWS * PRED_NFEATURES * sizeof(float))) == NULL)
		return -1;
	for (k = 0; k < 2; k++) {
		if ((fp = fopen(src(files[k]), "r")) == NULL)
			return -1;
		for (got = 0; got < NROWS_PER_FILE && getline(&line, &cap, fp) > 0; got++) {
			if ((doc = json_loads(line, 0, &e)) == NULL)
				return -1;
			p = json_string_value(json_object_get(doc, "prompt"));
			pred_features_prompt(p, strlen(p), NULL, 0, rows + nrows++ * PRED_NFEATURES);
			json_decref(doc);
		}
		fclose(fp);
	}
	free(line);
	return 0;
}

/* Max |a - b| of two models' predictions over all rows, by model name. */
static double
max_diff(const struct pred_model *a, const struct pred_model *b)
{
	float qa[PRED_MAX_MODELS], qb[PRED_MAX_MODELS];
	double d = 0;
	size_t i, m;
	ssize_t j;

	CU_ASSERT_EQUAL_FATAL(pred_model_count(a), pred_model_count(b));
	for (i = 0; i < nrows; i++) {
		pred_predict(a, rows + i * PRED_NFEATURES, qa);
		pred_predict(b, rows + i * PRED_NFEATURES, qb);
		for (m = 0; m < pred_model_count(a); m++) {
			j = pred_model_find(b, pred_model_name(a, m));
			CU_ASSERT_FATAL(j >= 0);
			d = fmax(d, fabs((double)qa[m] - qb[j]));
			CU_ASSERT(qa[m] >= 0 && qa[m] <= 1);
			CU_ASSERT(qb[j] >= 0 && qb[j] <= 1);
		}
	}
	return d;
}

/* A small variant of default.json: first `ntrees` trees per model, the
 * first `nmodels` models (0 = all), and a name. */
static void
write_variant(const char *out, const char *name, size_t ntrees, size_t nmodels)
{
	json_t *doc = json_load_file(src("predictor/models/default.json"), 0, NULL), *models, *m;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	models = json_object_get(doc, "models");
	while (nmodels > 0 && json_array_size(models) > nmodels)
		json_array_remove(models, json_array_size(models) - 1);
	json_array_foreach(models, i, m) {
		json_t *t = json_object_get(m, "trees");
		while (json_array_size(t) > ntrees)
			json_array_remove(t, json_array_size(t) - 1);
	}
	json_object_set_new(doc, "name", json_string(name));
	CU_ASSERT_EQUAL_FATAL(json_dump_file(doc, out, JSON_COMPACT | JSON_REAL_PRECISION(9)), 0);
	json_decref(doc);
}

static int
compile_so(const char *json, const char *so)
{
	char *argv[] = { "compile-model", (char *)json, "--so", "-o", (char *)so, NULL };

	return pred_cmd_compile_model(5, argv);
}

static void
write_file(const char *p, const char *data, size_t len)
{
	FILE *fp = fopen(p, "wb");

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_EQUAL(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static void
expect_json_reject(const char *file, enum pred_err want)
{
	enum pred_err e = PRED_OK;
	char msg[512] = "";
	struct pred_model *pm = pred_model_load_json(file, &e, msg, sizeof(msg));

	CU_ASSERT_PTR_NULL(pm);
	CU_ASSERT_EQUAL(e, want);
	CU_ASSERT(strlen(msg) > 10);
	if (e != want)
		fprintf(stderr, "\n  %s: got %d (%s), want %d\n", file, e, msg, want);
	pred_model_free(pm);
}

/* ---- tests -------------------------------------------------------------------- */

/* default_model.c, compiled into the library, was generated from the
 * shipped default.json and predicts exactly what the interpreter does. */
static void
test_default_equals_json(void)
{
	enum pred_err e;
	char msg[512];
	struct pred_model *pm = pred_model_load_json(src("predictor/models/default.json"), &e,
	    msg, sizeof(msg));
	const struct pred_model *def = pred_model_default();

	CU_ASSERT_PTR_NOT_NULL_FATAL(pm);
	CU_ASSERT_STRING_EQUAL(pred_model_version(pm), pred_model_version(def));
	CU_ASSERT(strncmp(pred_model_version(def), "default-", 8) == 0);
	CU_ASSERT(pred_model_find(def, "gpt-4-1106-preview") >= 0);
	CU_ASSERT(pred_model_find(def, "mixtral-8x7b-instruct") >= 0);
	CU_ASSERT(pred_model_find(def, "qwen2.5-7b-instruct") >= 0);
	CU_ASSERT_EQUAL(pred_model_find(def, "no-such-model"), -1);
	CU_ASSERT(nrows >= 1000);
	CU_ASSERT(max_diff(pm, def) <= 1e-6);
	/* the shipped model splits on the dense features only, so the gateway
	 * computes no n-grams for it; the compiled descriptor says the same */
	CU_ASSERT_EQUAL(pred_model_features_used(pm), PRED_NDENSE);
	CU_ASSERT_EQUAL(pred_model_features_used(def), PRED_NDENSE);
	pred_model_free(pm);
	pred_model_free((struct pred_model *)def);	/* no-op */
	CU_ASSERT_PTR_NOT_NULL(pred_model_name(pred_model_default(), 0));
}

/* pred_predict_subset() writes exactly the requested entries, each equal
 * to pred_predict()'s, skips indices out of range, and leaves the rest
 * alone: for a compiled model and for the interpreter. */
static void
check_subset(const struct pred_model *pm)
{
	size_t idx[4] = { 0, 0, 0, 1000 }, n = pred_model_count(pm), i, k;
	float all[PRED_MAX_MODELS], sub[PRED_MAX_MODELS];

	CU_ASSERT_FATAL(n >= 3);
	idx[0] = n - 1;
	idx[1] = 1;
	for (i = 0; i < nrows; i += 7) {
		pred_predict(pm, rows + i * PRED_NFEATURES, all);
		for (k = 0; k < PRED_MAX_MODELS; k++)
			sub[k] = -1.0f;
		pred_predict_subset(pm, rows + i * PRED_NFEATURES, idx, 4, sub);
		for (k = 0; k < n; k++) {
			if (k == n - 1 || k == 1 || k == 0) {
				CU_ASSERT_EQUAL(sub[k], all[k]);
			} else {
				CU_ASSERT_EQUAL(sub[k], -1.0f);
			}
		}
		CU_ASSERT_EQUAL(sub[PRED_MAX_MODELS - 1], -1.0f);
		pred_predict_subset(pm, rows + i * PRED_NFEATURES, idx, 0, sub);
	}
}

static void
test_predict_subset(void)
{
	enum pred_err e;
	char msg[512];
	struct pred_model *pm = pred_model_load_json(src("predictor/models/default.json"), &e,
	    msg, sizeof(msg));

	CU_ASSERT_PTR_NOT_NULL_FATAL(pm);
	check_subset(pred_model_default());
	check_subset(pm);
	pred_model_free(pm);
}

/* A freshly trained model: XGBoost's own predictions == our interpreter
 * == freshly generated C compiled into a .so. */
static void
test_xgboost_equal(void)
{
#ifdef HAVE_XGBOOST
	char *targv[] = { "train", "--data", (char *)src("predictor/data/dcrouter.jsonl"),
	    "--out", (char *)path("fresh.json"), "--rounds", "12", "--depth", "4",
	    "--dev-frac", "0.3", "--xgb-dir", tmpdir, "--models",
	    "qwen2.5-7b-instruct,codegemma-7b", "--name", "fresh", "--shared-rounds", "0", NULL };
	struct pred_model *pj, *ps;
	float *nanrows, *clean;
	DMatrixHandle dm;
	BoosterHandle b;
	const float *out;
	bst_ulong len;
	float q[PRED_MAX_MODELS];
	char bpath[4096], msg[512];
	double d = 0;
	size_t i, m;
	enum pred_err e;

	CU_ASSERT_EQUAL_FATAL(pred_cmd_train((int)(sizeof(targv) / sizeof(targv[0])) - 1, targv), 0);
	pj = pred_model_load_json(path("fresh.json"), &e, msg, sizeof(msg));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pj);
	CU_ASSERT_EQUAL_FATAL(compile_so(path("fresh.json"), path("fresh.so")), 0);
	ps = pred_model_load_so(path("fresh.so"), &e, msg, sizeof(msg));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	CU_ASSERT_STRING_EQUAL(pred_model_version(pj), pred_model_version(ps));
	CU_ASSERT(pred_model_features_used(pj) > 0);
	CU_ASSERT_EQUAL(pred_model_features_used(pj), pred_model_features_used(ps));
	/* every other row gets missing values, which follow default_left */
	if ((nanrows = malloc(nrows * PRED_NFEATURES * sizeof(float))) == NULL)
		CU_FAIL_FATAL("out of memory");
	memcpy(nanrows, rows, nrows * PRED_NFEATURES * sizeof(float));
	for (i = 0; i < nrows * PRED_NFEATURES; i += 7)
		if ((i / PRED_NFEATURES) % 2 == 1)
			nanrows[i] = NAN;
	clean = rows;
	rows = nanrows;
	CU_ASSERT_EQUAL_FATAL(XGDMatrixCreateFromMat(rows, nrows, PRED_NFEATURES, NAN, &dm), 0);
	for (m = 0; m < pred_model_count(pj); m++) {
		snprintf(bpath, sizeof(bpath), "%s/%s.json", tmpdir, pred_model_name(pj, m));
		CU_ASSERT_EQUAL_FATAL(XGBoosterCreate(NULL, 0, &b), 0);
		CU_ASSERT_EQUAL_FATAL(XGBoosterLoadModel(b, bpath), 0);
		CU_ASSERT_EQUAL_FATAL(XGBoosterPredict(b, dm, 0, 0, 0, &len, &out), 0);
		CU_ASSERT_EQUAL_FATAL(len, nrows);
		for (i = 0; i < nrows; i++) {
			pred_predict(pj, rows + i * PRED_NFEATURES, q);
			d = fmax(d, fabs((double)q[m] - out[i]));
		}
		XGBoosterFree(b);
	}
	XGDMatrixFree(dm);
	fprintf(stderr, "\n  XGBoost vs interpreter: max |diff| %.3g over %zu rows x %zu models\n",
	    d, nrows, pred_model_count(pj));
	CU_ASSERT(d <= 1e-5);
	d = max_diff(pj, ps);
	fprintf(stderr, "  interpreter vs compiled .so: max |diff| %.3g (half the rows with NaNs)\n", d);
	CU_ASSERT(d <= 1e-6);
	rows = clean;
	free(nanrows);
	d = max_diff(pj, ps);
	CU_ASSERT(d <= 1e-6);
	pred_model_free(pj);
	pred_model_free(ps);
#else
	fprintf(stderr, "\n  skipped: built without XGBoost\n");
#endif
}

#ifdef HAVE_XGBOOST
/* XGBoost's prediction of one saved booster for a dense-feature matrix
 * (margins when `margin`), with base margins bm (or none). */
static void
xgb_dense(const char *file, const float *bm, int margin, float *res)
{
	float *x = malloc(nrows * 68 * sizeof(float));
	DMatrixHandle dm;
	BoosterHandle b;
	const float *out;
	bst_ulong len;
	char bpath[4096];
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	for (i = 0; i < nrows; i++)
		memcpy(x + i * 68, rows + i * PRED_NFEATURES, 68 * sizeof(float));
	CU_ASSERT_EQUAL_FATAL(XGDMatrixCreateFromMat(x, nrows, 68, NAN, &dm), 0);
	if (bm != NULL)
		CU_ASSERT_EQUAL_FATAL(XGDMatrixSetFloatInfo(dm, "base_margin", bm, nrows), 0);
	snprintf(bpath, sizeof(bpath), "%s/%s.json", tmpdir, file);
	CU_ASSERT_EQUAL_FATAL(XGBoosterCreate(NULL, 0, &b), 0);
	CU_ASSERT_EQUAL_FATAL(XGBoosterLoadModel(b, bpath), 0);
	CU_ASSERT_EQUAL_FATAL(XGBoosterPredict(b, dm, margin, 0, 0, &len, &out), 0);
	CU_ASSERT_EQUAL_FATAL(len, nrows);
	memcpy(res, out, nrows * sizeof(float));
	XGBoosterFree(b);
	XGDMatrixFree(dm);
	free(x);
}
#endif

/* A model with the shared signal: every head equals XGBoost's residual
 * booster predicted from base margin beta + gamma * (shared booster's
 * margin), as train_shared.c composes it; the reference and confidence
 * heads are there. */
static void
test_xgboost_equal_shared(void)
{
#ifdef HAVE_XGBOOST
	char *targv[] = { "train", "--data", (char *)src("predictor/data/dcrouter.jsonl"),
	    "--data", (char *)src("predictor/data/mmlu.jsonl"),
	    "--out", (char *)path("shared.json"), "--rounds", "12", "--depth", "3",
	    "--shared-rounds", "15", "--head-rounds", "6", "--dev-frac", "0",
	    "--xgb-dir", tmpdir, "--models",
	    "mixtral-8x7b-instruct,gpt-4-1106-preview,codegemma-7b", "--name", "shared", NULL };
	float *g = malloc(nrows * sizeof(float)), *bm = malloc(nrows * sizeof(float)),
	    *p = malloc(nrows * sizeof(float)), q[PRED_MAX_MODELS];
	struct pred_model *pj;
	json_t *doc, *hm;
	double beta, gamma, d = 0;
	size_t i, m;
	char msg[512];
	enum pred_err e;

	CU_ASSERT_FATAL(g != NULL && bm != NULL && p != NULL);
	CU_ASSERT_EQUAL_FATAL(pred_cmd_train((int)(sizeof(targv) / sizeof(targv[0])) - 1, targv), 0);
	pj = pred_model_load_json(path("shared.json"), &e, msg, sizeof(msg));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pj);
	CU_ASSERT(pred_model_find(pj, PRED_HEAD_WEAK) >= 0);
	CU_ASSERT(pred_model_find(pj, PRED_HEAD_STRONG) >= 0);
	CU_ASSERT(pred_model_find(pj, PRED_HEAD_CONFIDENCE) >= 0);
	doc = json_load_file(path("shared.json"), 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	xgb_dense("(shared)", NULL, 1, g);
	for (m = 0; m < 3; m++) {
		hm = json_array_get(json_object_get(doc, "models"), m);
		beta = json_number_value(json_object_get(hm, "shared_beta"));
		gamma = json_number_value(json_object_get(hm, "shared_gamma"));
		for (i = 0; i < nrows; i++)
			bm[i] = (float)(beta + gamma * g[i]);
		xgb_dense(json_string_value(json_object_get(hm, "name")), bm, 0, p);
		for (i = 0; i < nrows; i++) {
			pred_predict(pj, rows + i * PRED_NFEATURES, q);
			d = fmax(d, fabs((double)q[m] - p[i]));
		}
	}
	fprintf(stderr, "\n  XGBoost (shared + residual) vs interpreter: max |diff| %.3g\n", d);
	CU_ASSERT(d <= 1e-5);
	json_decref(doc);
	pred_model_free(pj);
	free(g), free(bm), free(p);
#else
	fprintf(stderr, "\n  skipped: built without XGBoost\n");
#endif
}

static void
test_codegen_deterministic(void)
{
	char *a1[] = { "compile-model", (char *)src("predictor/models/default.json"), "-o",
	    (char *)path("d1.c"), NULL };
	char *a2[] = { "compile-model", (char *)src("predictor/models/default.json"), "-o",
	    (char *)path("d2.c"), NULL };
	char cmd[8192];

	CU_ASSERT_EQUAL_FATAL(pred_cmd_compile_model(4, a1), 0);
	CU_ASSERT_EQUAL_FATAL(pred_cmd_compile_model(4, a2), 0);
	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", path("d1.c"), path("d2.c"));
	CU_ASSERT_EQUAL(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "grep -q 'GENERATED by .tiergate compile-model. from default.json' '%s'",
	    path("d1.c"));
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static void
test_json_rejects(void)
{
	json_t *doc, *m0;
	char *buf;
	FILE *fp;
	long n;

	write_variant(path("small.json"), "small", 3, 0);
	write_file(path("garbage.json"), "\x7f" "ELF not a model", 16);
	expect_json_reject(path("garbage.json"), PRED_E_FORMAT);
	expect_json_reject(path("missing.json"), PRED_E_IO);
	/* truncated: first half of a valid file */
	fp = fopen(path("small.json"), "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n);
	CU_ASSERT_EQUAL_FATAL(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	write_file(path("trunc.json"), buf, (size_t)n / 2);
	free(buf);
	expect_json_reject(path("trunc.json"), PRED_E_FORMAT);

#define VARIANT(file, edit, want) do { \
	doc = json_load_file(path("small.json"), 0, NULL); \
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc); \
	m0 = json_array_get(json_object_get(doc, "models"), 0); \
	(void)m0; edit; \
	json_dump_file(doc, path(file), JSON_COMPACT); \
	json_decref(doc); \
	expect_json_reject(path(file), want); } while (0)

	VARIANT("schema.json", json_object_set_new(doc, "schema_version", json_integer(99)), PRED_E_SCHEMA);
	VARIANT("nfeat.json", json_object_set_new(doc, "nfeatures", json_integer(10)), PRED_E_SCHEMA);
	VARIANT("format.json", json_object_set_new(doc, "format", json_string("other")), PRED_E_FORMAT);
	VARIANT("empty.json", json_object_set_new(doc, "models", json_array()), PRED_E_MODELS);
	VARIANT("dup.json", json_array_append(json_object_get(doc, "models"), m0), PRED_E_MODELS);
	VARIANT("cycle.json", json_array_set_new(json_object_get(json_array_get(json_object_get(m0,
	    "trees"), 0), "left_children"), 0, json_integer(0)), PRED_E_FORMAT);
	VARIANT("feat.json", json_array_set_new(json_object_get(json_array_get(json_object_get(m0,
	    "trees"), 0), "split_indices"), 0, json_integer(100000)), PRED_E_FORMAT);
	VARIANT("obj.json", json_object_set_new(m0, "objective", json_string("rank:pairwise")),
	    PRED_E_FORMAT);
	VARIANT("notree.json", json_object_del(m0, "trees"), PRED_E_FORMAT);
#undef VARIANT
}

static void
expect_so_reject(const char *file, enum pred_err want)
{
	enum pred_err e = PRED_OK;
	char msg[512] = "";
	struct pred_model *pm = pred_model_load_so(file, &e, msg, sizeof(msg));

	CU_ASSERT_PTR_NULL(pm);
	CU_ASSERT_EQUAL(e, want);
	CU_ASSERT(strstr(msg, file) != NULL);
	if (e != want)
		fprintf(stderr, "\n  %s: got %d (%s), want %d\n", file, e, msg, want);
	pred_model_free(pm);
}

static int
cc(const char *c, const char *so)
{
	char cmd[8192];
	const char *compiler = getenv("CC");

	snprintf(cmd, sizeof(cmd), "%s -shared -fPIC -o '%s' '%s' -lm",
	    compiler && *compiler ? compiler : "cc", so, c);
	return system(cmd);
}

/* Replace the first `from` in file by `to`. */
static void
patch(const char *file, const char *from, const char *to)
{
	char *buf, *p;
	FILE *fp = fopen(file, "rb");
	long n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	CU_ASSERT_EQUAL_FATAL(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	p = strstr(buf, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	fp = fopen(file, "wb");
	fwrite(buf, 1, (size_t)(p - buf), fp);
	fputs(to, fp);
	fputs(p + strlen(from), fp);
	fclose(fp);
	free(buf);
}

/* A descriptor of ABI 2 (before features_used) still loads, and is taken
 * to read every feature; an ABI this build does not know is refused. */
static void
test_so_abi(char **gen, const char *want)
{
	enum pred_err e;
	char msg[512], old[128];
	struct pred_model *pm;

	CU_ASSERT_EQUAL_FATAL(pred_cmd_compile_model(4, gen), 0);
	snprintf(old, sizeof(old), "u, 2, %d, %d, ", PRED_SCHEMA_VERSION, PRED_NFEATURES);
	patch(path("schema.c"), want, old);
	CU_ASSERT_EQUAL_FATAL(cc(path("schema.c"), path("abi2.so")), 0);
	pm = pred_model_load_so(path("abi2.so"), &e, msg, sizeof(msg));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pm);
	CU_ASSERT_EQUAL(pred_model_features_used(pm), PRED_NFEATURES);
	pred_model_free(pm);
	snprintf(old, sizeof(old), "u, 99, %d, %d, ", PRED_SCHEMA_VERSION, PRED_NFEATURES);
	CU_ASSERT_EQUAL_FATAL(pred_cmd_compile_model(4, gen), 0);
	patch(path("schema.c"), want, old);
	CU_ASSERT_EQUAL_FATAL(cc(path("schema.c"), path("abi99.so")), 0);
	expect_so_reject(path("abi99.so"), PRED_E_FORMAT);
}

static void
test_so_rejects(void)
{
	char *gen[] = { "compile-model", (char *)path("small.json"), "-o", (char *)path("schema.c"), NULL };
	char want[128], bad[128];

	write_variant(path("small.json"), "small", 3, 0);
	write_file(path("notelf.so"), "this is not a shared object\n", 28);
	expect_so_reject(path("notelf.so"), PRED_E_DLOPEN);
	expect_so_reject(path("missing.so"), PRED_E_DLOPEN);
	write_file(path("nosym.c"), "int tiergate_something_else = 1;\n", 33);
	CU_ASSERT_EQUAL_FATAL(cc(path("nosym.c"), path("nosym.so")), 0);
	expect_so_reject(path("nosym.so"), PRED_E_FORMAT);
	/* the descriptor of a model built for another feature schema */
	CU_ASSERT_EQUAL_FATAL(pred_cmd_compile_model(4, gen), 0);
	snprintf(want, sizeof(want), "u, %d, %d, %d, ", PRED_COMPILED_ABI, PRED_SCHEMA_VERSION,
	    PRED_NFEATURES);
	snprintf(bad, sizeof(bad), "u, %d, 99, %d, ", PRED_COMPILED_ABI, PRED_NFEATURES);
	patch(path("schema.c"), want, bad);
	CU_ASSERT_EQUAL_FATAL(cc(path("schema.c"), path("schema.so")), 0);
	expect_so_reject(path("schema.so"), PRED_E_SCHEMA);
	test_so_abi(gen, want);
	/* duplicated model names */
	CU_ASSERT_EQUAL_FATAL(pred_cmd_compile_model(4, gen), 0);
	patch(path("schema.c"), "\t\"gpt-4-1106-preview\",", "\t\"mixtral-8x7b-instruct\",");
	CU_ASSERT_EQUAL_FATAL(cc(path("schema.c"), path("dup.so")), 0);
	expect_so_reject(path("dup.so"), PRED_E_MODELS);
}

/* Atomically replace live.so by file (as an operator's deploy would). */
static void
deploy(const char *file)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && mv '%s' '%s'", file, path("next.tmp"),
	    path("next.tmp"), path("live.so"));
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
}

static void
test_loader(void)
{
	const char *req_ok[2] = { "gpt-4-1106-preview", "qwen2.5-7b-instruct" };
	const char *req_bad[1] = { "no-such-model" };
	struct pred_loader *l;
	const struct pred_model *m;
	char err[512], va[160];

	write_variant(path("alpha.json"), "alpha", 2, 0);
	write_variant(path("beta.json"), "beta", 3, 0);
	write_variant(path("one.json"), "one", 2, 1);
	CU_ASSERT_EQUAL_FATAL(compile_so(path("alpha.json"), path("alpha.so")), 0);
	CU_ASSERT_EQUAL_FATAL(compile_so(path("beta.json"), path("beta.so")), 0);
	CU_ASSERT_EQUAL_FATAL(compile_so(path("one.json"), path("one.so")), 0);
	write_file(path("corrupt.so"), "\x7f" "ELF\x02\x01\x01 truncated", 18);

	l = pred_loader_new(NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_PTR_EQUAL(pred_loader_get(l), pred_model_default());
	pred_loader_free(l);
	CU_ASSERT_PTR_NULL(pred_loader_new(path("corrupt.so"), err, sizeof(err)));
	CU_ASSERT(strstr(err, "corrupt.so") != NULL);

	deploy(path("alpha.so"));
	l = pred_loader_new(path("live.so"), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(pred_loader_require(l, req_ok, 2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(pred_loader_require(l, req_bad, 0, err, sizeof(err)), 0);
	m = pred_loader_get(l);
	snprintf(va, sizeof(va), "%s", pred_model_version(m));
	CU_ASSERT(strncmp(va, "alpha-", 6) == 0);

	deploy(path("corrupt.so"));		/* rejected: keeps alpha */
	sleep(2);
	CU_ASSERT_STRING_EQUAL(pred_model_version(pred_loader_get(l)), va);
	CU_ASSERT_EQUAL(pred_loader_reloads(l), 0);
	deploy(path("one.so"));			/* lacks required models: keeps alpha */
	sleep(2);
	CU_ASSERT_STRING_EQUAL(pred_model_version(pred_loader_get(l)), va);
	deploy(path("beta.so"));		/* good: picked up */
	sleep(2);
	m = pred_loader_get(l);
	CU_ASSERT(strncmp(pred_model_version(m), "beta-", 5) == 0);
	CU_ASSERT_EQUAL(pred_loader_reloads(l), 1);
	/* the old model is still valid memory */
	CU_ASSERT(max_diff(m, m) == 0);
	CU_ASSERT_EQUAL(pred_loader_require(l, req_bad, 1, err, sizeof(err)), -1);
	CU_ASSERT(strstr(err, "no-such-model") != NULL);
	pred_loader_free(l);
}

int
main(void)
{
	const char *top = getenv("top_srcdir");
	CU_pSuite s;
	char cmd[4200];
	int fails;

	snprintf(srcdir, sizeof(srcdir), "%s", top && *top ? top : ".");
	if (mkdtemp(tmpdir) == NULL || load_rows() == -1) {
		fprintf(stderr, "test_model: cannot set up (tmpdir or %s/predictor/data)\n", srcdir);
		return 99;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("model", NULL, NULL);
	CU_add_test(s, "default_model.c == default.json", test_default_equals_json);
	CU_add_test(s, "pred_predict_subset == pred_predict", test_predict_subset);
	CU_add_test(s, "XGBoost == interpreter == compiled", test_xgboost_equal);
	CU_add_test(s, "shared signal: XGBoost == interpreter", test_xgboost_equal_shared);
	CU_add_test(s, "code generation is deterministic", test_codegen_deterministic);
	CU_add_test(s, "bad JSON models rejected", test_json_rejects);
	CU_add_test(s, "bad .so models rejected", test_so_rejects);
	CU_add_test(s, "loader keeps old, takes new", test_loader);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = (int)CU_get_number_of_failures();
	CU_cleanup_registry();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_model: could not remove %s\n", tmpdir);
	free(rows);
	return fails ? 1 : 0;
}
