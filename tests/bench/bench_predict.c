/*
 * bench_predict.c - how long the gateway spends predicting per request,
 * and how the compiled trees compare with XGBoost's own single-row predict.
 * Not part of `make check` (it is built by it, so that it keeps compiling);
 * run it with tests/bench/bench-predict.sh.  Method in tests/bench/README.md.
 *
 * 1. Full path: pred_features_converse_for() on a parsed Converse request
 *    (the features the model reads, as the gateway computes them: the
 *    default model reads the 68 dense ones only; "all feat" is the whole
 *    580-feature vector, "used feat" what the gateway computes)
 *    (system prompt + one user message) and pred_predict() with the
 *    compiled-in default model (all its models), or pred_predict_subset()
 *    of the two models a router compares (as the gateway does), for 200,
 *    2 000 and 20 000-byte prompts of real text (prompts from the data
 *    file joined until long enough).
 *    Each call is timed alone with CLOCK_MONOTONIC; the median and the
 *    90th percentile over all calls are printed.
 * 2. Trees: the same feature vectors through (a) the compiled default
 *    model, all its models in one pred_predict() call, and (b) XGBoost:
 *    the same trees (read from MODEL.json, the source of the compiled
 *    default) rebuilt as one XGBoost booster per model, each called once
 *    per request with XGBoosterPredictFromDense on a 1-row matrix.  The
 *    two must agree (max abs difference printed); the ratio of medians is
 *    the speed-up.
 *
 * Uses predictor/pred_impl.h (private) to read the loaded trees.
 */
#include "autoconf.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#ifdef HAVE_XGBOOST
#include <xgboost/c_api.h>
#endif

#include "benchlib.h"
#include "pred.h"
#include "pred_impl.h"

#define NSIZES		3
#define MAX_PROMPT	20000

static const size_t sizes[NSIZES] = { 200, 2000, 20000 };

/* Used when no data file is given: the same paragraph repeated. */
static const char fallback_text[] =
    "A ball is thrown upward at 12 m/s from a 20 m tall building. Ignoring "
    "air resistance, how long does it take to reach the ground, and what is "
    "its speed on impact? Explain each step, then give the final answer in "
    "seconds and metres per second.\n";

struct sample {
	char	*prompt;
	size_t	 len;
	json_t	*req;			/* Converse request */
	float	 f[PRED_NFEATURES];
};

/* Sorts t and returns its q-quantile (nearest rank). */
#define quantile(t, n, q)	bench_quantile((t), (n), (q))
#define now_ns()		bench_now_ns()

/* ---- prompts ------------------------------------------------------------- */

/* Appends prompts of the data file (one JSON record per line) to buf
 * until it holds cap bytes; returns the bytes held. */
static size_t
fill_from_data(const char *path, char *buf, size_t cap)
{
	FILE		*f;
	char		*line = NULL;
	size_t		 size = 0, len = 0, n;
	json_t		*r, *p;

	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return 0;
	while (len < cap && getline(&line, &size, f) > 0) {
		if ((r = json_loads(line, 0, NULL)) == NULL)
			continue;
		if (json_is_string(p = json_object_get(r, "prompt"))) {
			n = json_string_length(p);
			n = n > cap - len ? cap - len : n;
			memcpy(buf + len, json_string_value(p), n);
			len += n;
			if (len < cap)
				buf[len++] = '\n';
		}
		json_decref(r);
	}
	free(line);
	fclose(f);
	return len;
}

/* Cuts at most want bytes without splitting a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t want)
{
	while (want > 0 && ((unsigned char)s[want] & 0xc0) == 0x80)
		want--;
	return want;
}

static int
make_samples(const char *data, struct sample *s)
{
	static char	 text[MAX_PROMPT + 1];
	size_t		 have, i, n;

	have = fill_from_data(data, text, MAX_PROMPT);
	while (have < MAX_PROMPT) {
		n = sizeof(fallback_text) - 1;
		n = n > MAX_PROMPT - have ? MAX_PROMPT - have : n;
		memcpy(text + have, fallback_text, n);
		have += n;
	}
	text[MAX_PROMPT] = '\0';
	for (i = 0; i < NSIZES; i++) {
		s[i].len = utf8_cut(text, sizes[i]);
		if ((s[i].prompt = strndup(text, s[i].len)) == NULL)
			return -1;
		s[i].req = json_pack("{s:[{s:s}],s:[{s:s,s:[{s:s%}]}]}",
		    "system", "text", "You are a helpful assistant.",
		    "messages", "role", "user", "content", "text",
		    s[i].prompt, s[i].len);
		if (s[i].req == NULL)
			return -1;
		pred_features_converse(s[i].req, s[i].f);
	}
	return 0;
}

/* ---- the full predict path ------------------------------------------------ */

static volatile float sink;

/* Median ns of features + prediction for sample k: every model when
 * n == 0, else only the models idx[0..n) (as a router scores its
 * candidates).  When p90 is not NULL it gets the 90th percentile. */
static uint64_t
time_full(const struct pred_model *m, const struct sample *sk, const size_t *idx,
    size_t n, size_t calls, uint64_t *t, uint64_t *p90)
{
	float		 f[PRED_NFEATURES], q[PRED_MAX_MODELS];
	uint64_t	 t0;
	size_t		 i;

	for (i = 0; i < calls; i++) {
		t0 = now_ns();
		pred_features_converse_for(sk->req, f, pred_model_features_used(m));
		if (n == 0)
			pred_predict(m, f, q);
		else
			pred_predict_subset(m, f, idx, n, q);
		t[i] = now_ns() - t0;
		sink = q[idx[0]];
	}
	if (p90 != NULL)
		*p90 = quantile(t, calls, 0.9);
	return quantile(t, calls, 0.5);
}

/* The heads a router would score: MMLU's pair when the model has it,
 * else the first two, and the "(confidence)" head that the gateway
 * scores with every request when the model has one. */
static size_t
router_pair(const struct pred_model *m, size_t idx[3])
{
	ssize_t	 w = pred_model_find(m, "mixtral-8x7b-instruct");
	ssize_t	 s = pred_model_find(m, "gpt-4-1106-preview");
	ssize_t	 c = pred_model_find(m, PRED_HEAD_CONFIDENCE);
	size_t	 n = pred_model_count(m) >= 2 ? 2 : 1;

	idx[0] = w >= 0 ? (size_t)w : 0;
	idx[1] = s >= 0 ? (size_t)s : 1;
	if (c >= 0)
		idx[n++] = (size_t)c;
	return n;
}

/* Median ns of the features [0, used) of sample sk. */
static uint64_t
time_features(const struct sample *sk, size_t used, size_t calls, uint64_t *t)
{
	float		 f[PRED_NFEATURES];
	uint64_t	 t0;
	size_t		 i;

	for (i = 0; i < calls; i++) {
		t0 = now_ns();
		pred_features_converse_for(sk->req, f, used);
		t[i] = now_ns() - t0;
		sink = f[0];
	}
	return quantile(t, calls, 0.5);
}

static void
bench_full(const struct pred_model *m, struct sample *s, size_t calls,
    uint64_t *t)
{
	float		 q[PRED_MAX_MODELS];
	uint64_t	 t0;
	size_t		 i, k, idx[3], n = router_pair(m, idx);

	printf("%-9s %11s %11s %11s %11s %11s %11s %11s\n", "prompt", "full p50",
	    "full p90", n == 3 ? "2+conf p50" : "2-model p50", "all feat", "used feat", "trees",
	    n == 3 ? "2+conf trees" : "2 trees");
	for (k = 0; k < NSIZES; k++) {
		uint64_t	 p50, p90, p50sub, feat, used, trees, trees2;

		p50 = time_full(m, &s[k], idx, 0, calls, t, &p90);
		p50sub = time_full(m, &s[k], idx, n, calls, t, NULL);
		feat = time_features(&s[k], PRED_NFEATURES, calls, t);
		used = time_features(&s[k], pred_model_features_used(m), calls, t);
		for (i = 0; i < calls; i++) {
			t0 = now_ns();
			pred_predict(m, s[k].f, q);
			t[i] = now_ns() - t0;
			sink = q[0];
		}
		trees = quantile(t, calls, 0.5);
		for (i = 0; i < calls; i++) {
			t0 = now_ns();
			pred_predict_subset(m, s[k].f, idx, n, q);
			t[i] = now_ns() - t0;
			sink = q[idx[0]];
		}
		trees2 = quantile(t, calls, 0.5);
		printf("%6zu B  %8llu ns %8llu ns %8llu ns %8llu ns %8llu ns %8llu ns %8llu ns\n",
		    s[k].len, (unsigned long long)p50, (unsigned long long)p90,
		    (unsigned long long)p50sub, (unsigned long long)feat, (unsigned long long)used,
		    (unsigned long long)trees, (unsigned long long)trees2);
	}
}

/* ---- XGBoost on the same trees -------------------------------------------- */

#ifdef HAVE_XGBOOST

#define XGB_OK(call, what) do {						\
	if ((call) != 0) {						\
		fprintf(stderr, "bench_predict: %s: %s\n", (what),	\
		    XGBGetLastError());					\
		goto fail;						\
	}								\
} while (0)

static size_t
tree_nodes(const struct pred_trees *tr, size_t t)
{
	return (t + 1 < tr->ntrees ? tr->roots[t + 1] : tr->nnodes) -
	    tr->roots[t];
}

/* Breadth-first order of a tree's nodes: XGBoost's CPU predictor takes
 * the right child to be left + 1 (GetNextNode: LeftChild() + !(x < cond)),
 * which breadth-first numbering guarantees.  old[k] is the source index of
 * new node k, neu[i] the new index of source node i. */
static void
bfs_order(const struct pred_node *nd, size_t n, int32_t *old, int32_t *neu)
{
	size_t	 head = 0, tail = 1;

	old[0] = 0;
	neu[0] = 0;
	while (head < tail && tail < n) {
		const struct pred_node	*x = &nd[old[head++]];

		if (x->left < 0)
			continue;
		neu[x->left] = (int32_t)tail;
		old[tail++] = x->left;
		neu[x->right] = (int32_t)tail;
		old[tail++] = x->right;
	}
}

/* Appends integer v to the array member key of j. */
static void
push_int(json_t *j, const char *key, json_int_t v)
{
	json_array_append_new(json_object_get(j, key), json_integer(v));
}

static void
push_real(json_t *j, const char *key, double v)
{
	json_array_append_new(json_object_get(j, key), json_real(v));
}

/* One tree in XGBoost 1.x JSON (doc/json-schema.rst, RegTree), numbered
 * breadth-first; leaves carry their value in split_conditions. */
static json_t *
xgb_tree(const struct pred_trees *tr, size_t t)
{
	const struct pred_node	*nd = tr->nodes + tr->roots[t], *x;
	size_t			 n = tree_nodes(tr, t), k;
	int32_t			*old = calloc(n, sizeof(*old));
	int32_t			*neu = calloc(n, sizeof(*neu));
	int32_t			*parent = calloc(n, sizeof(*parent));
	json_t			*j;

	bfs_order(nd, n, old, neu);
	parent[0] = 2147483647;
	for (k = 0; k < n; k++)
		if (nd[old[k]].left >= 0) {
			parent[neu[nd[old[k]].left]] = (int32_t)k;
			parent[neu[nd[old[k]].right]] = (int32_t)k;
		}
	j = json_pack("{s:[],s:[],s:[],s:[],s:[],s:[],s:[],s:[],s:[],s:[],"
	    "s:[],s:[],s:[],s:[],s:I}", "base_weights", "default_left",
	    "left_children", "right_children", "split_conditions",
	    "split_indices", "split_type", "parents", "loss_changes",
	    "sum_hessian", "categories", "categories_nodes",
	    "categories_segments", "categories_sizes", "id", (json_int_t)t);
	for (k = 0; k < n; k++) {
		x = &nd[old[k]];
		push_real(j, "base_weights", x->value);
		push_int(j, "default_left", x->default_left);
		push_int(j, "left_children", x->left < 0 ? -1 : neu[x->left]);
		push_int(j, "right_children", x->left < 0 ? -1 : neu[x->right]);
		push_real(j, "split_conditions", x->value);
		push_int(j, "split_indices", x->left < 0 ? 0 : x->feat);
		push_int(j, "split_type", 0);
		push_int(j, "parents", parent[k]);
		push_real(j, "loss_changes", 0);
		push_real(j, "sum_hessian", 1);
	}
	free(old);
	free(neu);
	free(parent);
	json_object_set_new(j, "tree_param", json_pack("{s:s,s:o,s:o,s:s}",
	    "num_deleted", "0", "num_feature", json_sprintf("%d", PRED_NFEATURES),
	    "num_nodes", json_sprintf("%zu", n), "size_leaf_vector", "0"));
	return j;
}

/* The whole booster document, objective reg:squarederror so that the
 * output is the raw margin (base_score = our base margin); the logistic
 * transform is applied outside, as XGBoost's binary:logistic would. */
static char *
xgb_model_json(const struct pred_trees *tr)
{
	json_t	*trees = json_array(), *info = json_array(), *doc;
	char	*s;
	size_t	 t;

	for (t = 0; t < tr->ntrees; t++) {
		json_array_append_new(trees, xgb_tree(tr, t));
		json_array_append_new(info, json_integer(0));
	}
	doc = json_pack("{s:{s:{},s:[],s:[],s:{s:{s:{s:s,s:o,s:s},s:o,s:o},s:s},"
	    "s:{s:o,s:s,s:s,s:o,s:s},s:{s:s,s:{s:s}}},s:[iii]}",
	    "learner", "attributes", "feature_names", "feature_types",
	    "gradient_booster", "model", "gbtree_model_param",
	    "num_parallel_tree", "1", "num_trees", json_sprintf("%zu", tr->ntrees),
	    "size_leaf_vector", "0", "tree_info", info, "trees", trees,
	    "name", "gbtree", "learner_model_param",
	    "base_score", json_sprintf("%.9g", (double)tr->base_margin),
	    "boost_from_average", "0", "num_class", "0",
	    "num_feature", json_sprintf("%d", PRED_NFEATURES), "num_target", "1",
	    "objective", "name", "reg:squarederror", "reg_loss_param",
	    "scale_pos_weight", "1", "version", 1, 7, 4);
	if (doc == NULL)
		return NULL;
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return s;
}

static BoosterHandle
xgb_booster(const struct pred_trees *tr)
{
	BoosterHandle	 b = NULL;
	char		*doc = xgb_model_json(tr);

	if (doc == NULL)
		return NULL;
	XGB_OK(XGBoosterCreate(NULL, 0, &b), "XGBoosterCreate");
	XGB_OK(XGBoosterLoadModelFromBuffer(b, doc, strlen(doc)),
	    "XGBoosterLoadModelFromBuffer");
	XGB_OK(XGBoosterSetParam(b, "nthread", "1"), "nthread");
	free(doc);
	return b;
fail:
	free(doc);
	if (b != NULL)
		XGBoosterFree(b);
	return NULL;
}

static const char xgb_config[] = "{\"type\": 0, \"training\": false, "
    "\"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false, "
    "\"missing\": NaN, \"cache_id\": 0}";

/* XGBoost's quality for model i on f: one single-row predict.  -1 on an
 * XGBoost error. */
static int
xgb_predict(BoosterHandle b, const char *iface, float *margin)
{
	bst_ulong const	*shape;
	bst_ulong	 dim;
	const float	*out;

	if (XGBoosterPredictFromDense(b, iface, xgb_config, NULL, &shape,
	    &dim, &out) != 0)
		return -1;
	*margin = out[0];
	return 0;
}

static float
transform(const struct pred_trees *tr, float margin)
{
	return tr->transform == PRED_T_LOGISTIC ? pred_sigmoid(margin) : margin;
}

/* Max |ours - XGBoost| over the samples, all models; ours is either the
 * JSON model itself (checks the conversion) or the compiled default
 * (checks that the default was built from this JSON). */
static double
xgb_check(const struct pred_model *def, const struct pred_model *json,
    BoosterHandle *b, struct sample *s, char (*iface)[160])
{
	float	 q[PRED_MAX_MODELS], m;
	double	 d, max = 0;
	size_t	 k, i;

	for (k = 0; k < NSIZES; k++) {
		pred_predict(def, s[k].f, q);
		for (i = 0; i < json->count; i++) {
			if (xgb_predict(b[i], iface[k], &m) == -1) {
				fprintf(stderr, "bench_predict: XGBoost: %s\n",
				    XGBGetLastError());
				return INFINITY;
			}
			d = fabs((double)q[i] - transform(&json->trees[i], m));
			max = d > max ? d : max;
		}
	}
	return max;
}

static void
bench_xgb(const struct pred_model *def, const struct pred_model *json,
    BoosterHandle *b, struct sample *s, char (*iface)[160], size_t calls,
    uint64_t *t)
{
	float		 q[PRED_MAX_MODELS], m = 0;
	uint64_t	 t0, ours, theirs;
	size_t		 i, k, j;

	printf("\n%-9s %14s %14s %14s %8s\n", "features", "compiled p50",
	    "xgboost p50", "xgb/model p50", "ratio");
	for (k = 0; k < NSIZES; k++) {
		for (i = 0; i < calls; i++) {
			t0 = now_ns();
			pred_predict(def, s[k].f, q);
			t[i] = now_ns() - t0;
			sink = q[0];
		}
		ours = quantile(t, calls, 0.5);
		for (i = 0; i < calls; i++) {
			t0 = now_ns();
			for (j = 0; j < json->count; j++)
				xgb_predict(b[j], iface[k], &m);
			t[i] = now_ns() - t0;
			sink = m;
		}
		theirs = quantile(t, calls, 0.5);
		printf("%6zu B  %11llu ns %11llu ns %11llu ns %7.1fx\n", s[k].len,
		    (unsigned long long)ours, (unsigned long long)theirs,
		    (unsigned long long)(theirs / json->count),
		    (double)theirs / (double)(ours ? ours : 1));
	}
}

static void
describe(const struct pred_model *json)
{
	size_t	 i, trees = 0, nodes = 0;

	for (i = 0; i < json->count; i++) {
		trees += json->trees[i].ntrees;
		nodes += json->trees[i].nnodes;
	}
	printf("\nmodel: %s, %zu models, %zu trees, %zu nodes\n",
	    pred_model_version(json), json->count, trees, nodes);
}

static int
run_xgb(const char *path, struct sample *s, size_t calls, uint64_t *t)
{
	struct pred_model	*json = NULL;
	BoosterHandle		 b[PRED_MAX_MODELS] = { 0 };
	char			 iface[NSIZES][160], msg[256] = "";
	enum pred_err		 err;
	size_t			 i;
	int			 rc = -1;

	if ((json = pred_model_load_json(path, &err, msg, sizeof(msg))) == NULL) {
		fprintf(stderr, "bench_predict: %s: %s\n", path, msg);
		return -1;
	}
	describe(json);
	for (i = 0; i < json->count; i++)
		if ((b[i] = xgb_booster(&json->trees[i])) == NULL)
			goto fail;
	for (i = 0; i < NSIZES; i++)
		snprintf(iface[i], sizeof(iface[i]), "{\"data\": [%llu, true], "
		    "\"shape\": [1, %d], \"typestr\": \"<f4\", \"version\": 3}",
		    (unsigned long long)(uintptr_t)s[i].f, PRED_NFEATURES);
	printf("max |interpreted %s - xgboost|: %.3g\n", path,
	    xgb_check(json, json, b, s, iface));
	printf("max |compiled default - xgboost|: %.3g\n",
	    xgb_check(pred_model_default(), json, b, s, iface));
	bench_xgb(pred_model_default(), json, b, s, iface, calls, t);
	rc = 0;
fail:
	for (i = 0; i < PRED_MAX_MODELS; i++)
		if (b[i] != NULL)
			XGBoosterFree(b[i]);
	pred_model_free(json);
	return rc;
}
#endif /* HAVE_XGBOOST */

int
main(int argc, char *argv[])
{
	struct sample	 s[NSIZES] = { { 0 } };
	const char	*model = argc > 1 ? argv[1] : NULL;
	const char	*data = argc > 2 ? argv[2] : NULL;
	size_t		 calls = argc > 3 ? strtoul(argv[3], NULL, 10) : 100000;
	uint64_t	*t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (calls < 1 || (t = malloc(calls * sizeof(*t))) == NULL ||
	    make_samples(data, s) == -1) {
		fprintf(stderr, "usage: bench_predict [MODEL.json [DATA.jsonl "
		    "[CALLS]]]\n");
		return 1;
	}
	printf("default model %s, %zu calls per figure, median ns per call\n\n",
	    pred_model_version(pred_model_default()), calls);
	bench_full(pred_model_default(), s, calls, t);
#ifdef HAVE_XGBOOST
	if (model != NULL && run_xgb(model, s, calls, t) == -1)
		return 1;
#else
	(void)model;
	printf("\nXGBoost not built in: no comparison\n");
#endif
	return 0;
}
