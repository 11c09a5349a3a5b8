/*
 * train_impl.h - private to `tiergate train` (train.c, train_shared.c):
 * the options, the loaded data set, and the XGBoost helpers both use.
 */
#ifndef TG_TRAIN_IMPL_H
#define TG_TRAIN_IMPL_H

#include <xgboost/c_api.h>

#include "pred_impl.h"

#define MAX_DATA	16		/* --data files */
#define MAX_LINE	(16u << 20)	/* bytes per JSONL record */
#define MAX_RECORDS	5000000
#define MAX_ALL_NAMES	512		/* model names of the shared signal */
#define MAX_FAMILIES	64		/* label families (source prefixes) */

struct train_opts {
	const char	*data[MAX_DATA];
	size_t		 ndata;
	const char	*out, *name, *xgb_dir, *dev_preds;
	const char	*dump_targets;	/* --dump-targets FILE */
	const char	*dev_groups;	/* --dev-groups: comma list, or NULL */
	const char	*exclude;	/* --exclude-sources: comma list, or NULL */
	const char	*exclude_file;	/* --exclude-file */
	const char	*pairwise;	/* --pairwise: comma list of source prefixes */
	char		 models[PRED_MAX_MODELS][PRED_MAX_NAME];
	size_t		 nmodels;
	unsigned	 seed, rounds, depth, threads;
	unsigned	 shared_rounds, head_rounds;	/* 0 shared = no shared signal */
	double		 pairwise_weight;	/* a pairwise family's weight in the shared signal */
	double		 eta, dev_frac, subsample, colsample, min_child, lambda, alpha, gamma;
	int		 final_all;
};

/* One labelled score of the shared signal: any model of the record, head
 * or not (AlpacaEval has 69). */
struct all_score {
	uint16_t	 model;		/* index into dataset.allnames */
	float		 score;
};

struct record {
	float		 f[PRED_NFEATURES];
	float		 score[PRED_MAX_MODELS];	/* NaN: not scored */
	float		 gap;		/* shared-signal target, NaN: none */
	int		 group;
	int		 dev;
	int		 fam;		/* label family (source prefix) */
	int		 pairwise;	/* scores are win probabilities vs a reference */
	size_t		 all_off, all_n;	/* into dataset.all */
	char		*id;		/* for --dev-preds */
};

struct dataset {
	struct record	*r;
	size_t		 n, cap;
	char		*names[PRED_MAX_MODELS];	/* models with a head */
	size_t		 nnames;
	char		*allnames[MAX_ALL_NAMES];	/* every model seen */
	size_t		 nallnames;
	struct all_score *all;
	size_t		 nall, capall;
	char		*fams[MAX_FAMILIES];
	size_t		 nfams;
	char		**groups;
	size_t		 ngroups;
	size_t		 excluded;	/* records dropped by --exclude-* */
	char		 sha[MAX_DATA][65];
	size_t		 nread[MAX_DATA];
};

#define XGB(call) do { if ((call) != 0) { \
	fprintf(stderr, "train: XGBoost: %s\n", XGBGetLastError()); goto fail; } } while (0)

/* train.c */
BoosterHandle	 train_booster(const struct train_opts *, DMatrixHandle,
		    const char *name, const char *what, const char *objective,
		    unsigned rounds, int base_from_labels);
json_t		*convert_booster(BoosterHandle, const char *name, const char *objective);
float		*xgb_predict(BoosterHandle, DMatrixHandle, size_t n, int margin);

/* train_shared.c: the shared signal (README-training.md, "One signal for
 * every model").  shared_targets() sets every record's gap target from
 * the non-dev records (want = 0) or all records (want = -1). */
void		 shared_targets(struct dataset *, int want);
BoosterHandle	 shared_train(const struct dataset *, const struct train_opts *, int want);
/* Shared-signal value of every record (ds->n entries); caller frees. */
float		*shared_values(BoosterHandle, const struct dataset *);
/* beta, gamma of model m (m < nnames) or of the labels of allnames[am]
 * (m < 0): logistic fit of the labels on the shared signal. */
int		 shared_fit(const struct dataset *, int m, const float *g, int want,
		    double *beta, double *gamma);
/* A head: base margin beta + gamma * shared + the residual trees (may be NULL). */
json_t		*shared_head(const json_t *shared, const char *name, double beta,
		    double gamma, const json_t *residual);
json_t		*confidence_head(const struct dataset *);
/* One JSON line per record with a target: id, source, target. */
int		 shared_dump(const struct dataset *, const char *path);

#endif
