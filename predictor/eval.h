/*
 * eval.h - routing-quality metrics over a weak/strong model pair, computed
 * exactly as RouteLLM does (lm-sys/RouteLLM, routellm/evals/benchmarks.py
 * and routellm/evals/evaluate.py), plus the operator-facing figures
 * tiergate adds: cost saving at a quality target, quality versus strong
 * share, and threshold calibration.
 *
 * Everything here is pure computation on caller-owned arrays: no I/O, no
 * global state.  Functions that need scratch space allocate it and free it
 * before returning; they report allocation failure as EVAL_NOMEM.
 *
 * Conventions, as RouteLLM: score[i] is the router's "strong win rate" for
 * record i (larger = strong model more needed); performance is the mean
 * quality times 100 ("accuracy" in percent); strong share is in percent.
 */
#ifndef TG_EVAL_H
#define TG_EVAL_H

#include <stddef.h>
#include <stdint.h>

/* RouteLLM's --num-results default: 10 quantile bins, 11 thresholds. */
#define EVAL_NBINS_DEFAULT	10
/* Upper bound on bins, so that the curve lives in a fixed-size struct. */
#define EVAL_NBINS_MAX		100

enum eval_err {
	EVAL_OK = 0,	/* success */
	EVAL_EMPTY,	/* no records */
	EVAL_BADARG,	/* argument out of range (bins, share, ratio, NaN) */
	EVAL_NOMEM,	/* scratch allocation failed */
};

const char	*eval_strerror(enum eval_err);

/* One point of the call-performance curve: routing with one threshold. */
struct eval_point {
	double	 threshold;	/* quantile of the scores */
	double	 strong_pct;	/* share of records sent to strong, 0..100 */
	double	 perf;		/* mean quality of the routed answers, x100 */
};

/* RouteLLM's metrics for one router on one data set. */
struct eval_metrics {
	size_t		  n;		/* records */
	double		  weak_perf;	/* all-weak performance, x100 */
	double		  strong_perf;	/* all-strong performance, x100 */
	size_t		  npoints;	/* nbins + 1 */
	struct eval_point points[EVAL_NBINS_MAX + 1]; /* sorted by strong_pct */
	double		  auc;		/* area under perf(strong share 0..1) */
	double		  apgr;		/* average performance gap recovered */
	double		  cpt20, cpt50, cpt80; /* strong-call %, 0..100 */
};

/* numpy.interp(x, xp, fp) for one x, including numpy's behaviour on an xp
 * that is not increasing (binary search with guess 0).  len >= 1. */
double		 eval_np_interp(double x, const double *xp, const double *fp,
		    size_t len);
/* numpy.trapz(y, x): pairwise-summed trapezoids, as numpy.add.reduce. */
double		 eval_np_trapz(const double *y, const double *x, size_t len);
/* pandas.qcut(score, nbins, retbins=True)[1]: nbins + 1 linear quantiles
 * of score, duplicates kept.  sorted is score sorted ascending. */
void		 eval_qcut_bins(const double *sorted, size_t n, size_t nbins,
		    double *bins);

/* The full RouteLLM evaluation of one router: thresholds, curve, AUC,
 * APGR, CPT(20/50/80%).  q_weak/q_strong are each record's quality
 * (0..1) under the weak and the strong model. */
enum eval_err	 eval_routellm(const double *score, const double *q_weak,
		    const double *q_strong, size_t n, size_t nbins,
		    struct eval_metrics *out);
/* CPT(pct): strong-call % needed to reach weak + pct*(strong - weak)
 * performance, by numpy.interp over the curve (evaluate.py). */
double		 eval_cpt(const struct eval_metrics *, double pct);

/* Strong share (0..1) needed for the curve to reach frac of the strong
 * model's performance, interpolated as CPT, and the saving against sending
 * everything to strong when the weak model costs 1/price_ratio of it:
 * saving = 1 - (share + (1 - share) / price_ratio).  Returns EVAL_BADARG
 * on frac outside (0, 1] or price_ratio < 1. */
enum eval_err	 eval_cost_saving(const struct eval_metrics *, double frac,
		    double price_ratio, double *share, double *saving);

/* Mean quality (0..1) when the round(share * n) records with the largest
 * scores go to strong (ties broken by input order), for each of nshares
 * shares in [0, 1].  Not a RouteLLM metric: an exact top-k table. */
enum eval_err	 eval_share_table(const double *score, const double *q_weak,
		    const double *q_strong, size_t n, const double *shares,
		    size_t nshares, double *quality);

/* Threshold t such that routing "score > t goes to strong" sends share
 * (0..1) of these records to strong: the midpoint between the k-th and
 * (k+1)-th largest scores, k = round(share * n).  When both are equal
 * (a tie), t is on whichever side of the tied block comes closer to share
 * (midway to the next distinct score).  *achieved is the share that t
 * really sends. */
enum eval_err	 eval_calibrate(const double *score, size_t n, double share,
		    double *threshold, double *achieved);

/* n uniform [0, 1) scores from splitmix64(seed): the random router. */
void		 eval_random_scores(double *out, size_t n, uint64_t seed);

/* ---- commands (predict.c) ------------------------------------------------
 * argv[0] is the command name; the return value is the exit status:
 * 0 success, 1 I/O error or bad data, 2 usage error or unknown model. */
int		 pred_cmd_predict(int argc, char **argv); /* `tiergate predict` */
int		 pred_cmd_eval(int argc, char **argv);	  /* `tiergate eval` */

#endif
