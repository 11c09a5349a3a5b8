/*
 * eval.c - RouteLLM's router metrics, replicated step by step, and the
 * operator figures built on the same curve.  Pure computation; see eval.h.
 *
 * Reference: lm-sys/RouteLLM, routellm/evals/benchmarks.py (MMLU.evaluate:
 * thresholds from pd.qcut(strong_win_rates, num_results, retbins=True),
 * selection ">= threshold" except "> threshold" for the last one,
 * performance = sum(results) / len(results) * 100) and
 * routellm/evals/evaluate.py (generate_results: curve sorted by
 * strong_percentage, CPT by np.interp, AUC and APGR by np.trapz).  The
 * numpy and pandas primitives they call are reproduced below so that the
 * floating-point steps are the same, not merely the formulas.
 */
#include "autoconf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

/* numpy/_core/src/umath/loops_utils.h.src: PW_BLOCKSIZE. */
#define NP_PW_BLOCKSIZE		128
/* numpy/_core/src/multiarray/compiled_base.c: LIKELY_IN_CACHE_SIZE. */
#define NP_LIKELY_IN_CACHE	8

const char *
eval_strerror(enum eval_err e)
{
	switch (e) {
	case EVAL_OK:
		return "success";
	case EVAL_EMPTY:
		return "no records to evaluate";
	case EVAL_BADARG:
		return "argument out of range";
	case EVAL_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

/*
 * numpy's binary_search_with_guess (compiled_base.c): the index i with
 * arr[i] <= key < arr[i + 1], -1 below, len above.  Kept verbatim in
 * logic because np.interp's answer on a non-monotonic xp depends on it.
 */
static long
np_search(double key, const double *arr, long len, long guess)
{
	long	 imin = 0, imax = len, i, imid;

	if (key > arr[len - 1])
		return len;
	if (key < arr[0])
		return -1;
	if (len <= 4) {
		for (i = 1; i < len && key >= arr[i]; i++)
			;
		return i - 1;
	}
	if (guess > len - 3)
		guess = len - 3;
	if (guess < 1)
		guess = 1;
	if (key < arr[guess]) {
		if (key >= arr[guess - 1])
			return guess - 1;
		imax = guess - 1;
		if (guess > NP_LIKELY_IN_CACHE &&
		    key >= arr[guess - NP_LIKELY_IN_CACHE])
			imin = guess - NP_LIKELY_IN_CACHE;
	} else {
		if (key < arr[guess + 1])
			return guess;
		if (key < arr[guess + 2])
			return guess + 1;
		imin = guess + 2;
		if (guess < len - NP_LIKELY_IN_CACHE - 1 &&
		    key < arr[guess + NP_LIKELY_IN_CACHE])
			imax = guess + NP_LIKELY_IN_CACHE;
	}
	while (imin < imax) {
		imid = imin + ((imax - imin) >> 1);
		if (key >= arr[imid])
			imin = imid + 1;
		else
			imax = imid;
	}
	return imin - 1;
}

/* arr_interp (compiled_base.c) for a single x with default left/right. */
double
eval_np_interp(double x, const double *xp, const double *fp, size_t len)
{
	long	 j, n = (long)len;
	double	 slope, r;

	if (len == 1)
		return fp[0];
	if (isnan(x))
		return x;
	j = np_search(x, xp, n, 0);
	if (j == -1)
		return fp[0];
	if (j >= n - 1)
		return fp[n - 1];
	if (xp[j] == x)
		return fp[j];
	slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
	r = slope * (x - xp[j]) + fp[j];
	if (isnan(r)) {
		r = slope * (x - xp[j + 1]) + fp[j + 1];
		if (isnan(r) && fp[j] == fp[j + 1])
			r = fp[j];
	}
	return r;
}

/* DOUBLE_pairwise_sum (loops_utils.h.src): numpy's add.reduce. */
static double
np_pairwise_sum(const double *a, size_t n)
{
	double	 r[8], res = 0.;
	size_t	 i, j, n2;

	if (n < 8) {
		for (i = 0; i < n; i++)
			res += a[i];
		return res;
	}
	if (n <= NP_PW_BLOCKSIZE) {
		memcpy(r, a, sizeof(r));
		for (i = 8; i < n - (n % 8); i += 8)
			for (j = 0; j < 8; j++)
				r[j] += a[i + j];
		res = ((r[0] + r[1]) + (r[2] + r[3])) +
		    ((r[4] + r[5]) + (r[6] + r[7]));
		for (; i < n; i++)
			res += a[i];
		return res;
	}
	n2 = n / 2;
	n2 -= n2 % 8;
	return np_pairwise_sum(a, n2) + np_pairwise_sum(a + n2, n - n2);
}

/* np.trapz: add.reduce(diff(x) * (y[1:] + y[:-1]) / 2.0), initial 0. */
double
eval_np_trapz(const double *y, const double *x, size_t len)
{
	double	 d[EVAL_NBINS_MAX + 1];
	size_t	 i;

	if (len < 2 || len > EVAL_NBINS_MAX + 2)
		return 0.;
	for (i = 0; i + 1 < len; i++)
		d[i] = (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0;
	return 0. + np_pairwise_sum(d, len - 1);
}

/* numpy _lerp (lib/_function_base_impl.py): the t >= 0.5 branch
 * interpolates from b, which keeps monotonicity at the right end. */
static double
np_lerp(double a, double b, double t)
{
	double	 diff = b - a;

	if (t >= 0.5)
		return b - diff * (1 - t);
	return a + diff * t;
}

/*
 * pd.qcut(x, q, retbins=True) (pandas/core/reshape/tile.py): quantiles =
 * np.linspace(0, 1, q + 1), then Series.quantile(quantiles), which calls
 * np.percentile(values, quantiles * 100.0) (pandas/core/array_algos/
 * quantile.py), which divides by 100 again and uses method "linear":
 * virtual index (n - 1) * q, _lerp between the neighbours.
 */
void
eval_qcut_bins(const double *sorted, size_t n, size_t nbins, double *bins)
{
	size_t	 k, lo, hi;
	double	 step = 1.0 / (double)nbins, q, vi;

	for (k = 0; k <= nbins; k++) {
		q = k == nbins ? 1.0 : (double)k * step;
		q = q * 100.0 / 100;
		vi = (double)(n - 1) * q;
		if (vi >= (double)(n - 1)) {
			bins[k] = sorted[n - 1];
			continue;
		}
		lo = (size_t)floor(vi);
		hi = lo + 1;
		bins[k] = np_lerp(sorted[lo], sorted[hi], vi - (double)lo);
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One threshold of MMLU.evaluate: ">=" except "> " for the last one. */
static void
curve_point(const double *score, const double *qw, const double *qs,
    size_t n, double thr, int last, struct eval_point *p)
{
	double	 sum = 0;
	size_t	 i, strong = 0;
	int	 sel;

	for (i = 0; i < n; i++) {
		sel = last ? score[i] > thr : score[i] >= thr;
		strong += sel != 0;
		sum += sel ? qs[i] : qw[i];
	}
	p->threshold = thr;
	p->perf = sum / (double)n * 100;
	p->strong_pct = (double)strong / (double)n * 100;
}

static double
mean_x100(const double *q, size_t n)
{
	double	 sum = 0;
	size_t	 i;

	for (i = 0; i < n; i++)
		sum += q[i];
	return sum / (double)n * 100;
}

/* df.sort_values(by=["strong_percentage"]); equal shares are equal
 * points (nested selections), so stability does not matter. */
static void
sort_points(struct eval_point *p, size_t np)
{
	struct eval_point	 t;
	size_t			 i, j;

	for (i = 1; i < np; i++) {
		t = p[i];
		for (j = i; j > 0 && p[j - 1].strong_pct > t.strong_pct; j--)
			p[j] = p[j - 1];
		p[j] = t;
	}
}

/* evaluate.py auc_metric and apgr_metric. */
static void
area_metrics(struct eval_metrics *m)
{
	double	 x[EVAL_NBINS_MAX + 1], y[EVAL_NBINS_MAX + 1];
	double	 w[EVAL_NBINS_MAX + 1], s[EVAL_NBINS_MAX + 1];
	double	 weak_auc, strong_auc;
	size_t	 i;

	for (i = 0; i < m->npoints; i++) {
		x[i] = m->points[i].strong_pct / 100;
		y[i] = m->points[i].perf;
		w[i] = m->weak_perf;
		s[i] = m->strong_perf;
	}
	m->auc = eval_np_trapz(y, x, m->npoints);
	weak_auc = eval_np_trapz(w, x, m->npoints);
	strong_auc = eval_np_trapz(s, x, m->npoints);
	m->apgr = (m->auc - weak_auc) / (strong_auc - weak_auc);
}

double
eval_cpt(const struct eval_metrics *m, double pct)
{
	double	 xp[EVAL_NBINS_MAX + 1], fp[EVAL_NBINS_MAX + 1];
	size_t	 i;

	for (i = 0; i < m->npoints; i++) {
		xp[i] = m->points[i].perf;
		fp[i] = m->points[i].strong_pct;
	}
	return eval_np_interp(pct * (m->strong_perf - m->weak_perf) +
	    m->weak_perf, xp, fp, m->npoints);
}

enum eval_err
eval_routellm(const double *score, const double *q_weak,
    const double *q_strong, size_t n, size_t nbins, struct eval_metrics *m)
{
	double	 *sorted = NULL, bins[EVAL_NBINS_MAX + 1];
	size_t	  k;

	if (n == 0)
		return EVAL_EMPTY;
	if (nbins < 1 || nbins > EVAL_NBINS_MAX)
		return EVAL_BADARG;
	if ((sorted = malloc(n * sizeof(*sorted))) == NULL)
		return EVAL_NOMEM;
	memcpy(sorted, score, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	eval_qcut_bins(sorted, n, nbins, bins);
	free(sorted);

	memset(m, 0, sizeof(*m));
	m->n = n;
	m->npoints = nbins + 1;
	for (k = 0; k <= nbins; k++)
		curve_point(score, q_weak, q_strong, n, bins[k], k == nbins,
		    &m->points[k]);
	sort_points(m->points, m->npoints);
	m->weak_perf = mean_x100(q_weak, n);
	m->strong_perf = mean_x100(q_strong, n);
	area_metrics(m);
	m->cpt20 = eval_cpt(m, 0.2);
	m->cpt50 = eval_cpt(m, 0.5);
	m->cpt80 = eval_cpt(m, 0.8);
	return EVAL_OK;
}

enum eval_err
eval_cost_saving(const struct eval_metrics *m, double frac,
    double price_ratio, double *share, double *saving)
{
	double	 xp[EVAL_NBINS_MAX + 1], fp[EVAL_NBINS_MAX + 1], s;
	size_t	 i;

	if (!(frac > 0 && frac <= 1) || !(price_ratio >= 1) || m->npoints == 0)
		return EVAL_BADARG;
	for (i = 0; i < m->npoints; i++) {
		xp[i] = m->points[i].perf;
		fp[i] = m->points[i].strong_pct;
	}
	if (m->weak_perf >= frac * m->strong_perf)
		s = 0;
	else
		s = eval_np_interp(frac * m->strong_perf, xp, fp,
		    m->npoints) / 100;
	*share = s;
	*saving = 1 - (s + (1 - s) / price_ratio);
	return EVAL_OK;
}

/* A record's score and index, for ranking without global state. */
struct ranked {
	double	 score;
	size_t	 idx;
};

/* Descending score, ties in input order. */
static int
cmp_rank(const void *a, const void *b)
{
	const struct ranked	*x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Record indexes by descending score.  Caller frees *out. */
static enum eval_err
rank_desc(const double *score, size_t n, size_t **out)
{
	struct ranked	*r;
	size_t		*idx, i;

	r = malloc(n * sizeof(*r));
	idx = malloc(n * sizeof(*idx));
	if (r == NULL || idx == NULL) {
		free(r);
		free(idx);
		return EVAL_NOMEM;
	}
	for (i = 0; i < n; i++) {
		r[i].score = score[i];
		r[i].idx = i;
	}
	qsort(r, n, sizeof(*r), cmp_rank);
	for (i = 0; i < n; i++)
		idx[i] = r[i].idx;
	free(r);
	*out = idx;
	return EVAL_OK;
}

enum eval_err
eval_share_table(const double *score, const double *q_weak,
    const double *q_strong, size_t n, const double *shares, size_t nshares,
    double *quality)
{
	size_t		*idx = NULL, i, j, k;
	enum eval_err	 e;
	double		 sum;

	if (n == 0)
		return EVAL_EMPTY;
	for (j = 0; j < nshares; j++)
		if (!(shares[j] >= 0 && shares[j] <= 1))
			return EVAL_BADARG;
	if ((e = rank_desc(score, n, &idx)) != EVAL_OK)
		return e;
	for (j = 0; j < nshares; j++) {
		k = (size_t)llround(shares[j] * (double)n);
		sum = 0;
		for (i = 0; i < n; i++)
			sum += i < k ? q_strong[idx[i]] : q_weak[idx[i]];
		quality[j] = sum / (double)n;
	}
	free(idx);
	return EVAL_OK;
}

static double
share_above(const double *score, size_t n, double t)
{
	size_t	 i, c = 0;

	for (i = 0; i < n; i++)
		c += score[i] > t;
	return (double)c / (double)n;
}

/* The midpoint between v and the largest score below it, or just below v
 * when nothing is below. */
static double
below(const double *score, size_t n, double v)
{
	double	 next = -HUGE_VAL;
	size_t	 i;

	for (i = 0; i < n; i++)
		if (score[i] < v && score[i] > next)
			next = score[i];
	return isinf(next) ? nextafter(v, -HUGE_VAL) : next + (v - next) / 2;
}

/* On a tie at the cut, take whichever side of the tied block is closer to
 * the requested share; on equal distance the cheaper (fewer strong). */
static double
cut_on_tie(const double *score, size_t n, double v, double share)
{
	double	 b = below(score, n, v);

	if (fabs(share_above(score, n, b) - share) <
	    fabs(share_above(score, n, v) - share))
		return b;
	return v;
}

enum eval_err
eval_calibrate(const double *score, size_t n, double share,
    double *threshold, double *achieved)
{
	double	*desc = NULL, t;
	size_t	 i, k;

	if (n == 0)
		return EVAL_EMPTY;
	if (!(share >= 0 && share <= 1))
		return EVAL_BADARG;
	if ((desc = malloc(n * sizeof(*desc))) == NULL)
		return EVAL_NOMEM;
	for (i = 0; i < n; i++)
		desc[i] = -score[i];
	qsort(desc, n, sizeof(*desc), cmp_double);
	for (i = 0; i < n; i++)
		desc[i] = -desc[i];
	k = (size_t)llround(share * (double)n);
	if (k == 0)
		t = desc[0];
	else if (k == n)
		t = below(score, n, desc[n - 1]);
	else if (desc[k - 1] == desc[k])
		t = cut_on_tie(score, n, desc[k], share);
	else
		t = desc[k] + (desc[k - 1] - desc[k]) / 2;
	free(desc);
	*threshold = t;
	*achieved = share_above(score, n, t);
	return EVAL_OK;
}

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t	 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
eval_random_scores(double *out, size_t n, uint64_t seed)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		out[i] = (double)(splitmix64(&seed) >> 11) * 0x1.0p-53;
}
