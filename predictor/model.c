/*
 * model.c - the tree-ensemble runtime: model JSON parsing and validation,
 * the tree interpreter, compiled-model descriptors and .so loading.
 *
 * A model file is untrusted input (an operator may point the config at a
 * truncated or foreign file), so everything is checked before use: sizes,
 * index ranges, children after parents (no cycles), schema version,
 * feature count and the model list.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "pred_impl.h"

const char *
pred_strerror(enum pred_err e)
{
	switch (e) {
	case PRED_OK:		return "success";
	case PRED_E_NOMEM:	return "out of memory";
	case PRED_E_IO:		return "cannot read or write the model file";
	case PRED_E_FORMAT:	return "not a valid tiergate model (corrupt or truncated)";
	case PRED_E_SCHEMA:	return "model was built for another feature schema";
	case PRED_E_MODELS:	return "model list is empty, too long, duplicated or incomplete";
	case PRED_E_DLOPEN:	return "cannot load the compiled model";
	case PRED_E_TOOBIG:	return "model file too large";
	}
	return "unknown predictor error";
}

/* Set *err and format msg; returns e for `return fail(...)` chains. */
static enum pred_err
fail(enum pred_err e, char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (msg != NULL && msglen > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return e;
}

float
pred_sigmoid(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

void
pred_sha256_hex(const void *buf, size_t len, char hex[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t i;

	SHA256(buf, len, md);
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

enum pred_err
pred_read_file(const char *path, size_t cap, char **bufp, size_t *lenp,
    char *msg, size_t msglen)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t got = 0;
	enum pred_err e;
	int fd;

	*bufp = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return fail(PRED_E_IO, msg, msglen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		e = fail(PRED_E_IO, msg, msglen, "%s: not a regular file", path);
		goto fail;
	}
	if ((size_t)st.st_size > cap) {
		e = fail(PRED_E_TOOBIG, msg, msglen, "%s: %lld bytes, cap is %zu",
		    path, (long long)st.st_size, cap);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		e = fail(PRED_E_NOMEM, msg, msglen, "%s: out of memory", path);
		goto fail;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	if (got != (size_t)st.st_size) {
		e = fail(PRED_E_IO, msg, msglen, "%s: short read", path);
		goto fail;
	}
	buf[got] = '\0';
	close(fd);
	*bufp = buf;
	*lenp = got;
	return PRED_OK;
fail:
	free(buf);
	close(fd);
	return e;
}

/* ---- model list checks (shared by JSON and compiled models) -------------- */

static enum pred_err
check_names(const char *const *names, size_t n, char *msg, size_t msglen)
{
	size_t i, j;

	if (n == 0 || n > PRED_MAX_MODELS)
		return fail(PRED_E_MODELS, msg, msglen,
		    "model list has %zu entries (1..%d allowed)", n, PRED_MAX_MODELS);
	for (i = 0; i < n; i++) {
		if (names[i] == NULL || names[i][0] == '\0' ||
		    strlen(names[i]) >= PRED_MAX_NAME)
			return fail(PRED_E_MODELS, msg, msglen,
			    "model name #%zu is missing, empty or too long", i);
		for (j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return fail(PRED_E_MODELS, msg, msglen,
				    "model \"%s\" is listed twice", names[i]);
	}
	return PRED_OK;
}

/* ---- JSON models ----------------------------------------------------------- */

static void
trees_free(struct pred_trees *t)
{
	free(t->roots);
	free(t->nodes);
}

/* Fetch the five parallel arrays of one tree and check they agree. */
static int
tree_arrays(const json_t *tree, const json_t *a[5], size_t *n)
{
	static const char *keys[5] = { "split_indices", "split_conditions",
	    "left_children", "right_children", "default_left" };
	int i;

	for (i = 0; i < 5; i++) {
		a[i] = json_object_get(tree, keys[i]);
		if (!json_is_array(a[i]))
			return -1;
	}
	*n = json_array_size(a[0]);
	for (i = 1; i < 5; i++)
		if (json_array_size(a[i]) != *n)
			return -1;
	return *n > 0 ? 0 : -1;
}

/* Append one tree's nodes at t->nodes[t->nnodes..]; checks every index.
 * Returns 0, -1 when the tree is malformed, -2 when out of memory. */
static int
tree_parse(struct pred_trees *t, const json_t *tree, size_t nfeat)
{
	const json_t *a[5];
	struct pred_node *nd;
	json_int_t l, r, f;
	size_t n, i;

	if (tree_arrays(tree, a, &n) == -1 || n > PRED_MAX_NODES - t->nnodes)
		return -1;
	if ((nd = realloc(t->nodes, (t->nnodes + n) * sizeof(*nd))) == NULL)
		return -2;
	t->nodes = nd;
	nd += t->nnodes;
	for (i = 0; i < n; i++) {
		f = json_integer_value(json_array_get(a[0], i));
		l = json_integer_value(json_array_get(a[2], i));
		r = json_integer_value(json_array_get(a[3], i));
		if (!json_is_number(json_array_get(a[1], i)) ||
		    !json_is_integer(json_array_get(a[2], i)) ||
		    !json_is_integer(json_array_get(a[3], i)) ||
		    !json_is_integer(json_array_get(a[0], i)))
			return -1;
		if ((l == -1) != (r == -1))
			return -1;
		if (l != -1 && (l <= (json_int_t)i || r <= (json_int_t)i ||
		    l >= (json_int_t)n || r >= (json_int_t)n || f < 0 || f >= (json_int_t)nfeat))
			return -1;
		nd[i].feat = l == -1 ? -1 : (int32_t)f;
		nd[i].value = (float)json_number_value(json_array_get(a[1], i));
		nd[i].left = (int32_t)l;
		nd[i].right = (int32_t)r;
		nd[i].default_left = json_is_true(json_array_get(a[4], i)) ||
		    json_integer_value(json_array_get(a[4], i)) != 0;
		if (!isfinite(nd[i].value))
			return -1;
	}
	t->nnodes += n;
	return 0;
}

static enum pred_err
trees_parse(struct pred_trees *t, const json_t *m, size_t nfeat, char *msg, size_t msglen)
{
	const json_t *name, *obj, *base, *trees, *tree;
	size_t i;
	int rc;

	name = json_object_get(m, "name");
	obj = json_object_get(m, "objective");
	base = json_object_get(m, "base_margin");
	trees = json_object_get(m, "trees");
	if (!json_is_string(name) || json_string_length(name) >= PRED_MAX_NAME ||
	    !json_is_string(obj) || !json_is_number(base) || !json_is_array(trees) ||
	    json_array_size(trees) > PRED_MAX_TREES)
		return fail(PRED_E_FORMAT, msg, msglen,
		    "a model entry lacks name, objective, base_margin or trees");
	snprintf(t->name, sizeof(t->name), "%s", json_string_value(name));
	snprintf(t->objective, sizeof(t->objective), "%s", json_string_value(obj));
	if (strcmp(t->objective, "reg:logistic") == 0 ||
	    strcmp(t->objective, "binary:logistic") == 0)
		t->transform = PRED_T_LOGISTIC;
	else if (strcmp(t->objective, "reg:squarederror") == 0)
		t->transform = PRED_T_IDENTITY;
	else
		return fail(PRED_E_FORMAT, msg, msglen, "model \"%s\": unsupported objective \"%s\"",
		    t->name, t->objective);
	t->base_margin = (float)json_number_value(base);
	t->ntrees = json_array_size(trees);
	if ((t->roots = calloc(t->ntrees + 1, sizeof(*t->roots))) == NULL)
		return fail(PRED_E_NOMEM, msg, msglen, "out of memory");
	json_array_foreach(trees, i, tree) {
		t->roots[i] = t->nnodes;
		rc = json_is_object(tree) ? tree_parse(t, tree, nfeat) : -1;
		if (rc == -2)
			return fail(PRED_E_NOMEM, msg, msglen, "out of memory");
		if (rc != 0)
			return fail(PRED_E_FORMAT, msg, msglen,
			    "model \"%s\": tree %zu is malformed", t->name, i);
	}
	return PRED_OK;
}

/* Check the header fields of a model document. */
static enum pred_err
check_header(const json_t *doc, char *msg, size_t msglen)
{
	const json_t *fmt = json_object_get(doc, "format");
	json_int_t schema, nfeat;

	if (!json_is_string(fmt) || strcmp(json_string_value(fmt), PRED_MODEL_FORMAT) != 0)
		return fail(PRED_E_FORMAT, msg, msglen, "\"format\" is not \"%s\"", PRED_MODEL_FORMAT);
	if (json_integer_value(json_object_get(doc, "version")) != PRED_MODEL_VERSION)
		return fail(PRED_E_FORMAT, msg, msglen, "unsupported model file version");
	schema = json_integer_value(json_object_get(doc, "schema_version"));
	nfeat = json_integer_value(json_object_get(doc, "nfeatures"));
	if (schema != PRED_SCHEMA_VERSION || nfeat != PRED_NFEATURES)
		return fail(PRED_E_SCHEMA, msg, msglen,
		    "feature schema %lld with %lld features, this build has schema %d with %d",
		    (long long)schema, (long long)nfeat, PRED_SCHEMA_VERSION, PRED_NFEATURES);
	if (!json_is_array(json_object_get(doc, "models")))
		return fail(PRED_E_FORMAT, msg, msglen, "\"models\" is not an array");
	return PRED_OK;
}

static enum pred_err
models_parse(struct pred_model *pm, const json_t *models, char *msg, size_t msglen)
{
	const json_t *m;
	enum pred_err e;
	size_t i, n = json_array_size(models);

	if (n == 0 || n > PRED_MAX_MODELS)
		return fail(PRED_E_MODELS, msg, msglen,
		    "model list has %zu entries (1..%d allowed)", n, PRED_MAX_MODELS);
	if ((pm->trees = calloc(n, sizeof(*pm->trees))) == NULL)
		return fail(PRED_E_NOMEM, msg, msglen, "out of memory");
	json_array_foreach(models, i, m) {
		pm->count = i + 1;
		if (!json_is_object(m))
			return fail(PRED_E_FORMAT, msg, msglen, "models[%zu] is not an object", i);
		if ((e = trees_parse(&pm->trees[i], m, PRED_NFEATURES, msg, msglen)) != PRED_OK)
			return e;
		pm->names[i] = pm->trees[i].name;
	}
	return check_names(pm->names, pm->count, msg, msglen);
}

struct pred_model *
pred_model_parse(const char *buf, size_t len, const char *name_hint,
    enum pred_err *errp, char *msg, size_t msglen)
{
	struct pred_model *pm = NULL;
	json_error_t jerr;
	json_t *doc = NULL;
	const json_t *name;
	enum pred_err e;
	char hex[65];

	if ((doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		e = fail(PRED_E_FORMAT, msg, msglen, "not JSON (line %d: %s)", jerr.line, jerr.text);
		goto fail;
	}
	if (!json_is_object(doc)) {
		e = fail(PRED_E_FORMAT, msg, msglen, "not a JSON object");
		goto fail;
	}
	if ((e = check_header(doc, msg, msglen)) != PRED_OK)
		goto fail;
	if ((pm = calloc(1, sizeof(*pm))) == NULL) {
		e = fail(PRED_E_NOMEM, msg, msglen, "out of memory");
		goto fail;
	}
	if ((e = models_parse(pm, json_object_get(doc, "models"), msg, msglen)) != PRED_OK)
		goto fail;
	name = json_object_get(doc, "name");
	pred_sha256_hex(buf, len, hex);
	snprintf(pm->version, sizeof(pm->version), "%.*s-%.12s", PRED_MAX_NAME - 1,
	    json_is_string(name) ? json_string_value(name) : name_hint, hex);
	pm->features_used = pred_trees_features_used(pm);
	json_decref(doc);
	return pm;
fail:
	json_decref(doc);
	pred_model_free(pm);
	if (errp != NULL)
		*errp = e;
	return NULL;
}

struct pred_model *
pred_model_load_json(const char *path, enum pred_err *errp, char *msg, size_t msglen)
{
	struct pred_model *pm;
	char *buf = NULL, sub[256];
	size_t len;
	enum pred_err e;

	if ((e = pred_read_file(path, PRED_MAX_FILE, &buf, &len, msg, msglen)) != PRED_OK) {
		if (errp != NULL)
			*errp = e;
		return NULL;
	}
	pm = pred_model_parse(buf, len, "model", errp, sub, sizeof(sub));
	if (pm == NULL)
		fail(PRED_E_FORMAT, msg, msglen, "%s: %s", path, sub);
	free(buf);
	return pm;
}

/* ---- compiled models ------------------------------------------------------- */

enum pred_err
pred_model_wrap(const struct pred_compiled *c, struct pred_model *pm, char *msg, size_t msglen)
{
	enum pred_err e;
	int i;

	if (c->magic != PRED_COMPILED_MAGIC || c->abi < PRED_COMPILED_ABI_MIN ||
	    c->abi > PRED_COMPILED_ABI)
		return fail(PRED_E_FORMAT, msg, msglen, "not a tiergate compiled model (ABI %u)", c->abi);
	if (c->schema_version != PRED_SCHEMA_VERSION || c->nfeatures != PRED_NFEATURES)
		return fail(PRED_E_SCHEMA, msg, msglen,
		    "feature schema %d with %d features, this build has schema %d with %d",
		    c->schema_version, c->nfeatures, PRED_SCHEMA_VERSION, PRED_NFEATURES);
	if (c->nmodels <= 0 || c->nmodels > PRED_MAX_MODELS || c->names == NULL)
		return fail(PRED_E_MODELS, msg, msglen, "model list has %d entries", c->nmodels);
	if ((e = check_names(c->names, (size_t)c->nmodels, msg, msglen)) != PRED_OK)
		return e;
	if (c->predict == NULL || c->predict_subset == NULL || c->version == NULL)
		return fail(PRED_E_FORMAT, msg, msglen, "descriptor lacks predict or version");
	memset(pm, 0, sizeof(*pm));
	pm->count = (size_t)c->nmodels;
	for (i = 0; i < c->nmodels; i++)
		pm->names[i] = c->names[i];
	snprintf(pm->version, sizeof(pm->version), "%s", c->version);
	pm->compiled = c;
	pm->features_used = c->abi >= 3 && c->features_used >= 0 &&
	    c->features_used <= PRED_NFEATURES ? (size_t)c->features_used : PRED_NFEATURES;
	return PRED_OK;
}

/* dlopen a private copy of path, so that a file rewritten in place never
 * changes code we are running, and dlopen never returns a cached handle
 * for a path it loaded before.  Returns the handle or NULL. */
static void *
dlopen_copy(const char *path, char *msg, size_t msglen)
{
	char *buf = NULL, tmp[4096];
	const char *dir = getenv("TMPDIR");
	void *dl = NULL;
	size_t len;
	int fd = -1;

	if (pred_read_file(path, PRED_MAX_FILE, &buf, &len, msg, msglen) != PRED_OK)
		return NULL;
	snprintf(tmp, sizeof(tmp), "%s/tiergate-model-XXXXXX", dir && *dir ? dir : "/tmp");
	if ((fd = mkstemp(tmp)) == -1 || write(fd, buf, len) != (ssize_t)len) {
		fail(PRED_E_IO, msg, msglen, "%s: cannot make a private copy: %s",
		    path, strerror(errno));
		goto done;
	}
	if ((dl = dlopen(tmp, RTLD_NOW | RTLD_LOCAL)) == NULL)
		fail(PRED_E_DLOPEN, msg, msglen, "%s: %s", path, dlerror());
done:
	if (fd != -1) {
		close(fd);
		unlink(tmp);
	}
	free(buf);
	return dl;
}

struct pred_model *
pred_model_load_so(const char *path, enum pred_err *errp, char *msg, size_t msglen)
{
	struct pred_model *pm = NULL;
	const struct pred_compiled *c;
	char sub[512];
	void *dl;
	enum pred_err e = PRED_E_DLOPEN;

	sub[0] = '\0';
	if ((dl = dlopen_copy(path, msg, msglen)) == NULL)
		goto fail;
	if ((c = dlsym(dl, PRED_COMPILED_SYMBOL)) == NULL) {
		e = fail(PRED_E_FORMAT, msg, msglen, "%s: no symbol %s (not a tiergate model)",
		    path, PRED_COMPILED_SYMBOL);
		goto fail;
	}
	if ((pm = calloc(1, sizeof(*pm))) == NULL) {
		e = fail(PRED_E_NOMEM, msg, msglen, "out of memory");
		goto fail;
	}
	if ((e = pred_model_wrap(c, pm, sub, sizeof(sub))) != PRED_OK) {
		fail(e, msg, msglen, "%s: %s", path, sub);
		goto fail;
	}
	pm->dl = dl;
	return pm;
fail:
	free(pm);
	if (dl != NULL)
		dlclose(dl);
	if (errp != NULL)
		*errp = e;
	return NULL;
}

/* ---- using a model ----------------------------------------------------------- */

void
pred_model_free(struct pred_model *pm)
{
	size_t i;

	if (pm == NULL || pm->is_static)
		return;
	if (pm->trees != NULL)
		for (i = 0; i < pm->count; i++)
			trees_free(&pm->trees[i]);
	free(pm->trees);
	if (pm->dl != NULL)
		dlclose(pm->dl);
	free(pm);
}

size_t
pred_model_count(const struct pred_model *pm)
{
	return pm->count;
}

const char *
pred_model_name(const struct pred_model *pm, size_t i)
{
	return i < pm->count ? pm->names[i] : NULL;
}

ssize_t
pred_model_find(const struct pred_model *pm, const char *name)
{
	size_t i;

	for (i = 0; i < pm->count; i++)
		if (strcmp(pm->names[i], name) == 0)
			return (ssize_t)i;
	return -1;
}

const char *
pred_model_version(const struct pred_model *pm)
{
	return pm->version;
}

size_t
pred_model_features_used(const struct pred_model *pm)
{
	return pm->features_used;
}

size_t
pred_trees_features_used(const struct pred_model *pm)
{
	size_t m, k, used = 0;
	const struct pred_trees *t;

	for (m = 0; pm->trees != NULL && m < pm->count; m++) {
		t = &pm->trees[m];
		for (k = 0; k < t->nnodes; k++)
			if (t->nodes[k].left >= 0 && (size_t)t->nodes[k].feat + 1 > used)
				used = (size_t)t->nodes[k].feat + 1;
	}
	return used;
}

/* The margin of one tree-set: base margin plus every tree's leaf, summed in
 * float in tree order, as XGBoost does. */
static float
trees_margin(const struct pred_trees *t, const float *f)
{
	const struct pred_node *nd;
	float sum = t->base_margin, v;
	size_t k;
	int32_t i;

	for (k = 0; k < t->ntrees; k++) {
		nd = t->nodes + t->roots[k];
		i = 0;
		while (nd[i].left >= 0) {
			v = f[nd[i].feat];
			if (isnan(v))
				i = nd[i].default_left ? nd[i].left : nd[i].right;
			else
				i = v < nd[i].value ? nd[i].left : nd[i].right;
		}
		sum += nd[i].value;
	}
	return sum;
}

void
pred_predict(const struct pred_model *pm, const float f[PRED_NFEATURES], float *quality)
{
	size_t i;
	float m;

	if (pm->compiled != NULL) {
		pm->compiled->predict(f, quality);
		return;
	}
	for (i = 0; i < pm->count; i++) {
		m = trees_margin(&pm->trees[i], f);
		quality[i] = pm->trees[i].transform == PRED_T_LOGISTIC ? pred_sigmoid(m) : m;
	}
}

void
pred_predict_subset(const struct pred_model *pm, const float f[PRED_NFEATURES],
    const size_t *idx, size_t n, float *quality)
{
	size_t k, m = 0, sub[PRED_MAX_MODELS];
	float v;

	for (k = 0; k < n && m < PRED_MAX_MODELS; k++)
		if (idx[k] < pm->count)
			sub[m++] = idx[k];
	if (pm->compiled != NULL) {
		pm->compiled->predict_subset(f, sub, m, quality);
		return;
	}
	for (k = 0; k < m; k++) {
		v = trees_margin(&pm->trees[sub[k]], f);
		quality[sub[k]] = pm->trees[sub[k]].transform == PRED_T_LOGISTIC ? pred_sigmoid(v) : v;
	}
}

static double
logit_clamped(float q)
{
	double p = q < 1e-6f ? 1e-6 : q > 1 - 1e-6f ? 1 - 1e-6 : q;

	return log(p / (1 - p));
}

float
pred_quality_at_strength(float q_weak, float q_strong, double s)
{
	double m;

	if (isnan(q_weak) || isnan(q_strong) || isnan(s))
		return NAN;
	m = (1 - s) * logit_clamped(q_weak) + s * logit_clamped(q_strong);
	return (float)(1 / (1 + exp(-m)));
}
