/*
 * pred_impl.h - private to predictor/: the in-memory model and the
 * helpers model.c shares with default.c, loader.c, train.c and compile.c.
 */
#ifndef TG_PRED_IMPL_H
#define TG_PRED_IMPL_H

#include "pred.h"

#define PRED_MODEL_FORMAT	"tiergate-model"
#define PRED_MODEL_VERSION	1
#define PRED_MAX_FILE		(64u << 20)	/* model JSON / .so size cap */
#define PRED_MAX_TREES		100000		/* per model */
#define PRED_MAX_NODES		(1u << 24)	/* per model, all trees */

enum pred_transform {
	PRED_T_LOGISTIC = 0,	/* quality = 1 / (1 + exp(-margin)) */
	PRED_T_IDENTITY,	/* quality = margin (reg:squarederror) */
};

/* One node of a flattened tree: an inner node when left >= 0, else a leaf
 * whose value is `value`.  Children always have larger indices than their
 * parent (checked on load), so evaluation terminates. */
struct pred_node {
	int32_t		 feat;
	float		 value;		/* split threshold, or leaf value */
	int32_t		 left, right;	/* node indices within the tree, -1 = leaf */
	uint8_t		 default_left;	/* where NaN goes */
};

/* The trees that predict one named model's quality. */
struct pred_trees {
	char			 name[PRED_MAX_NAME];
	char			 objective[32];
	float			 base_margin;	/* margin before the first tree */
	enum pred_transform	 transform;
	size_t			 ntrees;
	size_t			*roots;		/* ntrees offsets into nodes */
	struct pred_node	*nodes;
	size_t			 nnodes;
};

struct pred_model {
	size_t			 count;
	const char		*names[PRED_MAX_MODELS];
	char			 version[PRED_MAX_NAME + 24];
	int			 is_static;	/* the default: never freed */
	/* interpreted (JSON) */
	struct pred_trees	*trees;		/* count entries, or NULL */
	/* compiled (.so or built in) */
	const struct pred_compiled *compiled;
	size_t			 features_used;	/* pred_model_features_used() */
	void			*dl;
};

/* Parse a model document (already read into memory). */
struct pred_model *pred_model_parse(const char *buf, size_t len,
	    const char *name_hint, enum pred_err *err, char *msg, size_t msglen);
/* 1 + the highest feature index the interpreted trees split on. */
size_t		pred_trees_features_used(const struct pred_model *);
/* Check a compiled descriptor and wrap it; model is caller storage. */
enum pred_err	pred_model_wrap(const struct pred_compiled *, struct pred_model *,
		    char *msg, size_t msglen);
/* Read a whole file of at most `cap` bytes; caller frees *buf. */
enum pred_err	pred_read_file(const char *path, size_t cap, char **buf, size_t *len,
		    char *msg, size_t msglen);
/* Lowercase hex SHA-256 of buf into hex[65]. */
void		pred_sha256_hex(const void *buf, size_t len, char hex[65]);
/* Whether the exclusion list `text` (exclude.c: source prefixes and
 * "model:NAME" lines; NULL = empty) names s: as a model when is_model,
 * else as a source that one of its prefixes starts. */
int		pred_excluded(const char *text, const char *s, int is_model);
/* sigmoid as XGBoost computes it, in float. */
float		pred_sigmoid(float);

#endif
