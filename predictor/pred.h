/*
 * pred.h - the quality predictor: prompt features, tree-ensemble runtime
 * (JSON interpreter, compiled C, shared objects), hot-reloading holder,
 * and the `train` / `compile-model` commands.
 *
 * A model is an ensemble: for every model name it knows (e.g.
 * "gpt-4-1106-preview") it predicts the quality of that model's answer to a
 * prompt, in 0..1.  The feature vector is fixed and documented in
 * predictor/FEATURES.md; PRED_SCHEMA_VERSION changes whenever it does, and
 * every model file records the schema it was trained on.
 */
#ifndef TG_PRED_H
#define TG_PRED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#define PRED_SCHEMA_VERSION	2	/* bump when the feature vector changes */
#define PRED_NFEATURES		580	/* see predictor/FEATURES.md */
#define PRED_NDENSE		68	/* dense features: indices 0..67, then n-grams */
#define PRED_MAX_MODELS		32	/* model names per ensemble */
#define PRED_MAX_NAME		128	/* bytes of a model name, with the NUL */

enum pred_err {
	PRED_OK = 0,		/* success */
	PRED_E_NOMEM,		/* out of memory */
	PRED_E_IO,		/* file missing, unreadable, or write failed */
	PRED_E_FORMAT,		/* not a tiergate model, corrupt or truncated */
	PRED_E_SCHEMA,		/* feature schema version or count differs */
	PRED_E_MODELS,		/* model list empty, too long, duplicated, or
				   missing a required model */
	PRED_E_DLOPEN,		/* dlopen/dlsym of a compiled model failed */
	PRED_E_TOOBIG,		/* model file above its size cap */
};
const char	*pred_strerror(enum pred_err);

/* ---- features (features.c) ---------------------------------------------- */

/* Features of a validated Converse request body (a Jansson object): the
 * system blocks' and all messages' text blocks are read; images, documents,
 * video, toolConfig tools, toolUse and toolResult blocks are counted, not
 * read.  Never fails on odd input (wrong types are skipped); returns 0, or
 * -1 only when req is not an object (out is then all zero). */
int	 pred_features_converse(const json_t *req, float out[PRED_NFEATURES]);
/* The same, for a model that reads only features [0, used)
 * (pred_model_features_used()): when used <= PRED_NDENSE the hashed
 * n-grams are not computed and stay 0, the dense features are the same
 * as pred_features_converse()'s.  Otherwise identical to it. */
int	 pred_features_converse_for(const json_t *req, float out[PRED_NFEATURES],
	    size_t used);

/* Features of a training record: the prompt and optional earlier user turns
 * (oldest first).  Same code path as pred_features_converse(). */
void	 pred_features_prompt(const char *prompt, size_t len,
	    const char *const *turns, size_t nturns, float out[PRED_NFEATURES]);

/* Rough token estimate (BPE-like: words, digit runs, punctuation, bytes of
 * non-ASCII text), used by features and by the gateway for cost estimates. */
size_t	 pred_estimate_tokens(const char *text, size_t len);

/* ---- models (model.c, default.c) ---------------------------------------- */

struct pred_model;	/* an ensemble: one predicted quality per known model */

/* The model compiled into the binary from predictor/models/default.json.
 * Never NULL; lives forever. */
const struct pred_model *pred_model_default(void);

/* Load a model JSON (written by `tiergate train`) and interpret its trees:
 * for train, eval and tests.  On failure returns NULL, sets *err and writes
 * a one-line reason to msg (both may be NULL).  Caller frees with
 * pred_model_free(). */
struct pred_model *pred_model_load_json(const char *path, enum pred_err *err,
	    char *msg, size_t msglen);

/* dlopen a model compiled by `tiergate compile-model` into a shared object
 * and check its descriptor: ABI, schema version, feature count, model list.
 * Same error contract as pred_model_load_json().  Caller frees with
 * pred_model_free() (which dlcloses). */
struct pred_model *pred_model_load_so(const char *path, enum pred_err *err,
	    char *msg, size_t msglen);

void		 pred_model_free(struct pred_model *);	/* no-op for the default */
size_t		 pred_model_count(const struct pred_model *);
const char	*pred_model_name(const struct pred_model *, size_t i);
/* Index of `name`, or -1 when the model does not know it. */
ssize_t		 pred_model_find(const struct pred_model *, const char *name);
/* e.g. "default-3fa2c1d09e4b" (name and SHA-256 prefix of the JSON). */
const char	*pred_model_version(const struct pred_model *);
/* 1 + the highest feature index any of the model's trees splits on (0 for
 * a model of constants): the features the gateway must compute for it. */
size_t		 pred_model_features_used(const struct pred_model *);

/* Predicted quality in 0..1 for each of the pred_model_count() models,
 * in pred_model_name() order.  Thread-safe, allocation-free. */
void		 pred_predict(const struct pred_model *,
		    const float f[PRED_NFEATURES], float quality[/*count*/]);
/* Only the models idx[0..n): writes quality[idx[k]] for every k and leaves
 * the other entries untouched (indices as pred_model_find() returns them;
 * an index >= pred_model_count() is skipped).  Costs 1/count of
 * pred_predict() per model scored: a router scores its 2-3 candidates,
 * not every model the ensemble knows.  Thread-safe, allocation-free. */
void		 pred_predict_subset(const struct pred_model *,
		    const float f[PRED_NFEATURES], const size_t *idx, size_t n,
		    float quality[/*count*/]);

/* ---- reference heads (schema of the shared signal, README-training.md) ---
 * A model trained with the shared signal carries, besides one head per
 * labelled model, three heads whose names start with '(' (never a Bedrock
 * model id):
 *   "(weak)", "(strong)"  the shared signal placed at the two reference
 *                         strengths 0 and 1 (mixtral-8x7b-instruct and
 *                         gpt-4-1106-preview, the pair every label family
 *                         can be related to);
 *   "(confidence)"        0..1: how much the prompt looks like the
 *                         training data (1 = inside every feature's
 *                         training range).
 * They are ordinary heads: compiled, scored and reloaded as any other, so
 * the gateway scores them with pred_predict_subset() beside a router's
 * candidates.  A model without them (older files) simply lacks them:
 * pred_model_find() returns -1. */
#define PRED_HEAD_WEAK		"(weak)"
#define PRED_HEAD_STRONG	"(strong)"
#define PRED_HEAD_CONFIDENCE	"(confidence)"

/* Quality of a model that has no head of its own, placed by its strength
 * on the reference scale: sigmoid((1 - s) * logit(q_weak) + s *
 * logit(q_strong)), so s = 0 is the "(weak)" head, 1 the "(strong)" one,
 * and values outside 0..1 extrapolate.  q_weak and q_strong are the two
 * heads' predictions for the same prompt; NaN in, NaN out. */
float		 pred_quality_at_strength(float q_weak, float q_strong, double strength);

/* ---- the hot-reloadable holder for the gateway (loader.c) ---------------- */

struct pred_loader;

/* so_path NULL → the default model, never reloaded.  Otherwise the shared
 * object is loaded now (failure → NULL and a message in err) and reloaded
 * when its mtime or size changes.  pred_loader_get() is thread-safe and
 * cheap: it looks at the file at most once a second; on a corrupt or
 * mismatched new file it logs a clear error with log_err() and keeps
 * serving the previous model.  Models are never freed while the loader
 * lives, so a pointer returned by pred_loader_get() stays valid until
 * pred_loader_free(). */
struct pred_loader	*pred_loader_new(const char *so_path, char *err, size_t errlen);
/* Names every model loaded from now on must know (e.g. all candidates of
 * all routers): checked against the current model (returns -1 and writes
 * err when it lacks one) and against every reload (a reload lacking one is
 * rejected).  Call before serving; not thread-safe against get(). */
int			 pred_loader_require(struct pred_loader *,
			    const char *const *names, size_t n, char *err, size_t errlen);
const struct pred_model	*pred_loader_get(struct pred_loader *);
/* How many reloads succeeded since pred_loader_new() (for logs/metrics). */
unsigned		 pred_loader_reloads(const struct pred_loader *);
void			 pred_loader_free(struct pred_loader *);

/* ---- commands (train.c, compile.c) --------------------------------------- */

int	pred_cmd_train(int argc, char **argv);		/* `tiergate train ...` */
int	pred_cmd_compile_model(int argc, char **argv);	/* `tiergate compile-model ...` */

/* ---- the ABI of compiled models (compile.c writes it, model.c reads it) --
 * A compiled model exports one object of this type named
 * PRED_COMPILED_SYMBOL.  The generated C repeats this definition verbatim
 * so that it compiles with nothing but a C compiler. */
#define PRED_COMPILED_SYMBOL	"tiergate_model_v1"
#define PRED_COMPILED_MAGIC	0x74676d31u	/* "tgm1" */
#define PRED_COMPILED_ABI	3	/* 3 added features_used; 2 is still loaded */
#define PRED_COMPILED_ABI_MIN	2
struct pred_compiled {
	uint32_t	  magic;		/* PRED_COMPILED_MAGIC */
	uint32_t	  abi;			/* PRED_COMPILED_ABI */
	int		  schema_version;	/* PRED_SCHEMA_VERSION it was trained on */
	int		  nfeatures;		/* PRED_NFEATURES it was trained on */
	int		  nmodels;
	const char *const *names;		/* nmodels model names */
	const char	 *version;		/* "<name>-<sha256 prefix of the json>" */
	void		(*predict)(const float *f, float *quality);
	/* quality[idx[k]] for k < n; idx[k] < nmodels (checked by the caller) */
	void		(*predict_subset)(const float *f, const size_t *idx,
			    size_t n, float *quality);
	/* ABI 3: 1 + the highest feature index any tree splits on */
	int		  features_used;
};

#endif
