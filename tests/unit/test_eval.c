/*
 * test_eval.c - RouteLLM metrics (predictor/eval.c) against values worked
 * out by hand below, plus statistical checks on large seeded sets: a random
 * router scores APGR ~ 0.5, a perfect oracle reaches the analytic maximum.
 */
#include "autoconf.h"

#include <math.h>
#include <stdlib.h>

#include <CUnit/Basic.h>

#include "eval.h"

#define EPS	1e-9
#define NEAR(a, b)	CU_ASSERT_DOUBLE_EQUAL((a), (b), EPS)

/*
 * Fixture A, five records (score, weak quality, strong quality):
 *   r0 (0.9, 0, 1)  r1 (0.1, 1, 1)  r2 (0.5, 0, 1)  r3 (0.7, 1, 0)
 *   r4 (0.3, 0, 0)
 * all weak = (0+1+0+1+0)/5 = 40%, all strong = (1+1+1+0+0)/5 = 60%.
 *
 * qcut bins, sorted scores .1 .3 .5 .7 .9, virtual index 4*k/10:
 *   k=0 .1 | k=1 vi .4: .1+.2*.4 = .18 | k=2 vi .8: .3-.2*.2 = .26
 *   k=3 .34 | k=4 .42 | k=5 .5 | k=6 .58 | k=7 .66 | k=8 .74 | k=9 .82
 *   k=10 .9, with ">" instead of ">=".
 * Curve (strong share %, performance %):
 *   k=0: all strong                          (100, 60)
 *   k=1,2: r1 weak (1), others strong 1+1+0+0 (80, 60)
 *   k=3..5: r0,r2,r3 strong 1+1+0, r1 1, r4 0 (60, 60)
 *   k=6,7: r0,r3 strong 1+0, r1 1 r2 0 r4 0  (40, 40)
 *   k=8,9: r0 strong 1, r1 1 r2 0 r3 1 r4 0  (20, 60)
 *   k=10: none strong                        (0, 40)
 * AUC (share as a fraction): [0,.2] (40+60)/2*.2 = 10, [.2,.4] 10,
 *   [.4,.6] 10, [.6,.8] 12, [.8,1] 12, zero-width segments 0: 54.
 * APGR = (54 - 40) / (60 - 40) = 0.7.
 * CPT(x) = np.interp(40 + x*20, perf, share); perf in share order is
 *   40 60 60 40 40 60 60 60 60 60 60 (not monotonic).  numpy's search
 *   starts at guess 1: key < 60 and key >= 40, so j = 0, slope
 *   (20-0)/(60-40) = 1: CPT(20%) = 4, CPT(50%) = 10, CPT(80%) = 16.
 */
static const double a_score[] = { 0.9, 0.1, 0.5, 0.7, 0.3 };
static const double a_weak[] = { 0, 1, 0, 1, 0 };
static const double a_strong[] = { 1, 1, 1, 0, 0 };

static void
test_qcut_bins(void)
{
	const double	 sorted[] = { 0.1, 0.3, 0.5, 0.7, 0.9 };
	const double	 want[] = { .1, .18, .26, .34, .42, .5, .58, .66,
			    .74, .82, .9 };
	double		 bins[11];
	size_t		 k;

	eval_qcut_bins(sorted, 5, 10, bins);
	for (k = 0; k < 11; k++)
		NEAR(bins[k], want[k]);
}

static void
test_fixture_a(void)
{
	struct eval_metrics	 m;
	const double		 share[] = { 0, 20, 20, 40, 40, 60, 60, 60,
				    80, 80, 100 };
	const double		 perf[] = { 40, 60, 60, 40, 40, 60, 60, 60,
				    60, 60, 60 };
	size_t			 i;

	CU_ASSERT_EQUAL_FATAL(eval_routellm(a_score, a_weak, a_strong, 5, 10,
	    &m), EVAL_OK);
	CU_ASSERT_EQUAL(m.npoints, 11);
	for (i = 0; i < 11; i++) {
		NEAR(m.points[i].strong_pct, share[i]);
		NEAR(m.points[i].perf, perf[i]);
	}
	NEAR(m.weak_perf, 40);
	NEAR(m.strong_perf, 60);
	NEAR(m.auc, 54);
	NEAR(m.apgr, 0.7);
	NEAR(m.cpt20, 4);
	NEAR(m.cpt50, 10);
	NEAR(m.cpt80, 16);
}

/*
 * Cost saving at 95% on fixture A: target 0.95 * 60 = 57 > weak 40;
 * interp(57) = 17% strong (same segment as CPT).  Price ratio 20:
 * cost = .17 + .83 / 20 = .2115 of all-strong, saving .7885.
 * If the weak model already reaches the goal (frac .6: 36 <= 40), the
 * share is 0 and the saving 1 - 1/20 = .95.
 */
static void
test_cost_saving(void)
{
	struct eval_metrics	 m;
	double			 share, saving;

	CU_ASSERT_EQUAL_FATAL(eval_routellm(a_score, a_weak, a_strong, 5, 10,
	    &m), EVAL_OK);
	CU_ASSERT_EQUAL(eval_cost_saving(&m, 0.95, 20, &share, &saving), EVAL_OK);
	NEAR(share, 0.17);
	NEAR(saving, 0.7885);
	CU_ASSERT_EQUAL(eval_cost_saving(&m, 0.6, 20, &share, &saving), EVAL_OK);
	NEAR(share, 0);
	NEAR(saving, 0.95);
	CU_ASSERT_EQUAL(eval_cost_saving(&m, 0.95, 0.5, &share, &saving),
	    EVAL_BADARG);
	CU_ASSERT_EQUAL(eval_cost_saving(&m, 0, 20, &share, &saving),
	    EVAL_BADARG);
}

/*
 * Top-k table on fixture A, rank by score: r0 r3 r2 r4 r1.
 *   k=0: weak everywhere 2/5 = .4
 *   k=1 (20%): r0 strong 1; r3 1 r2 0 r4 0 r1 1 -> 3/5 = .6
 *   k=2 (40%): r0 1 r3 0; r2 0 r4 0 r1 1 -> .4
 *   k=3 (60%, and 50%: llround(2.5) = 3): r0 1 r3 0 r2 1; r4 0 r1 1 -> .6
 *   k=5 (100%): strong everywhere .6
 */
static void
test_share_table(void)
{
	const double	 shares[] = { 0, .2, .4, .5, .6, 1 };
	const double	 want[] = { .4, .6, .4, .6, .6, .6 };
	double		 q[6], bad = 1.5;
	size_t		 i;

	CU_ASSERT_EQUAL_FATAL(eval_share_table(a_score, a_weak, a_strong, 5,
	    shares, 6, q), EVAL_OK);
	for (i = 0; i < 6; i++)
		NEAR(q[i], want[i]);
	CU_ASSERT_EQUAL(eval_share_table(a_score, a_weak, a_strong, 5, &bad,
	    1, q), EVAL_BADARG);
}

/*
 * Calibration on fixture A, scores descending .9 .7 .5 .3 .1:
 *   share .4: k = 2, midpoint of .7 and .5 = .6, sends .9 .7: 40%.
 *   share 0: threshold .9 (nothing is > .9), 0%.
 *   share 1: just below .1, 100%.
 * With ties 1 1 1 0 and share .5: k = 2 falls inside the block of 1s;
 * ".5" (midway to the next score, 0) sends 75% (|.75-.5| = .25), "1"
 * sends 0% (.5): the closer one wins, .5 and 75%.
 */
static void
test_calibrate(void)
{
	const double	 ties[] = { 1, 1, 1, 0 };
	double		 t, got;

	CU_ASSERT_EQUAL(eval_calibrate(a_score, 5, 0.4, &t, &got), EVAL_OK);
	NEAR(t, 0.6);
	NEAR(got, 0.4);
	CU_ASSERT_EQUAL(eval_calibrate(a_score, 5, 0, &t, &got), EVAL_OK);
	NEAR(t, 0.9);
	NEAR(got, 0);
	CU_ASSERT_EQUAL(eval_calibrate(a_score, 5, 1, &t, &got), EVAL_OK);
	CU_ASSERT(t < 0.1 && t > 0.0999);
	NEAR(got, 1);
	CU_ASSERT_EQUAL(eval_calibrate(ties, 4, 0.5, &t, &got), EVAL_OK);
	NEAR(t, 0.5);
	NEAR(got, 0.75);
	CU_ASSERT_EQUAL(eval_calibrate(ties, 4, 1.5, &t, &got), EVAL_BADARG);
	CU_ASSERT_EQUAL(eval_calibrate(ties, 0, 0.5, &t, &got), EVAL_EMPTY);
}

/*
 * numpy.interp corner cases by hand:
 *   xp 0 10 20, fp 0 1 2: x -1 -> fp[0] 0; x 30 -> fp[2] 2; x 10 -> 1;
 *   x 15 -> 1.5; x 20 (== last) -> 2.
 *   Not monotonic, xp 0 50 10 20 30 40, fp 0..5, x 25: guess 1,
 *   25 < 50 and 25 >= 0 -> j 0, slope 1/50 -> 0.5 (a bracket search
 *   would have found 20..30 and 3.5).
 */
static void
test_np_interp(void)
{
	const double	 xp[] = { 0, 10, 20 }, fp[] = { 0, 1, 2 };
	const double	 nxp[] = { 0, 50, 10, 20, 30, 40 };
	const double	 nfp[] = { 0, 1, 2, 3, 4, 5 };

	NEAR(eval_np_interp(-1, xp, fp, 3), 0);
	NEAR(eval_np_interp(30, xp, fp, 3), 2);
	NEAR(eval_np_interp(10, xp, fp, 3), 1);
	NEAR(eval_np_interp(15, xp, fp, 3), 1.5);
	NEAR(eval_np_interp(20, xp, fp, 3), 2);
	NEAR(eval_np_interp(25, nxp, nfp, 6), 0.5);
}

/* trapz: x 0 .5 1, y 0 1 0 -> .25 + .25 = .5; y constant 3 -> 3. */
static void
test_np_trapz(void)
{
	const double	 x[] = { 0, .5, 1 }, y[] = { 0, 1, 0 };
	const double	 c[] = { 3, 3, 3 };

	NEAR(eval_np_trapz(y, x, 3), 0.5);
	NEAR(eval_np_trapz(c, x, 3), 3);
	NEAR(eval_np_trapz(c, x, 1), 0);
}

static void
test_errors(void)
{
	struct eval_metrics	 m;

	CU_ASSERT_EQUAL(eval_routellm(a_score, a_weak, a_strong, 0, 10, &m),
	    EVAL_EMPTY);
	CU_ASSERT_EQUAL(eval_routellm(a_score, a_weak, a_strong, 5, 0, &m),
	    EVAL_BADARG);
	CU_ASSERT_EQUAL(eval_routellm(a_score, a_weak, a_strong, 5,
	    EVAL_NBINS_MAX + 1, &m), EVAL_BADARG);
	CU_ASSERT_STRING_EQUAL(eval_strerror(EVAL_EMPTY),
	    "no records to evaluate");
}

/*
 * Large synthetic set: weak correct with p .5, strong with p .8,
 * independently.  Per record, strong-only gain (weak 0, strong 1) has
 * p .4, loss (weak 1, strong 0) .1.  The oracle (score = strong - weak,
 * plus a tiny jitter so that quantiles split ties) sends gains first,
 * then ties, then losses; its curve through the 11 quantile points is
 * .5 + s up to s = .4, flat .9 to s = .9, then down to .8:
 *   area .28 + .45 + .085 = .815, APGR (.815 - .5) / .3 = 1.05.
 * The random router's expected curve is the straight line: APGR .5.
 */
#define BIG_N	200000

struct big {
	double	*score, *weak, *strong;
};

static int
big_make(struct big *b)
{
	double	*u;
	size_t	 i;

	b->score = malloc(BIG_N * sizeof(double));
	b->weak = malloc(BIG_N * sizeof(double));
	b->strong = malloc(BIG_N * sizeof(double));
	u = malloc(3 * BIG_N * sizeof(double));
	if (!b->score || !b->weak || !b->strong || !u)
		return -1;
	eval_random_scores(u, 3 * BIG_N, 42);
	for (i = 0; i < BIG_N; i++) {
		b->weak[i] = u[i] < 0.5;
		b->strong[i] = u[BIG_N + i] < 0.8;
		b->score[i] = b->strong[i] - b->weak[i] +
		    1e-3 * u[2 * BIG_N + i];
	}
	free(u);
	return 0;
}

static void
big_free(struct big *b)
{
	free(b->score);
	free(b->weak);
	free(b->strong);
}

static void
test_random_and_oracle(void)
{
	struct big		 b = { 0 };
	struct eval_metrics	 m;
	double			*rnd = malloc(BIG_N * sizeof(double));
	size_t			 i;

	CU_ASSERT_FATAL(rnd != NULL && big_make(&b) == 0);
	eval_random_scores(rnd, BIG_N, 7);
	CU_ASSERT_EQUAL(eval_routellm(rnd, b.weak, b.strong, BIG_N, 10, &m),
	    EVAL_OK);
	CU_ASSERT_DOUBLE_EQUAL(m.apgr, 0.5, 0.02);
	CU_ASSERT_DOUBLE_EQUAL(m.cpt50, 50, 3);
	CU_ASSERT_EQUAL(eval_routellm(b.score, b.weak, b.strong, BIG_N, 10,
	    &m), EVAL_OK);
	CU_ASSERT_DOUBLE_EQUAL(m.apgr, 1.05, 0.02);
	CU_ASSERT(m.cpt80 < 30);
	for (i = 0; i < BIG_N; i++)
		b.score[i] = -b.score[i];
	CU_ASSERT_EQUAL(eval_routellm(b.score, b.weak, b.strong, BIG_N, 10,
	    &m), EVAL_OK);
	CU_ASSERT(m.apgr < 0);
	big_free(&b);
	free(rnd);
}

/* Same seed, same scores; all in [0, 1). */
static void
test_random_scores(void)
{
	double	 a[1000], b[1000];
	size_t	 i;
	int	 same = 1, inrange = 1;

	eval_random_scores(a, 1000, 1);
	eval_random_scores(b, 1000, 1);
	for (i = 0; i < 1000; i++) {
		same &= a[i] == b[i];
		inrange &= a[i] >= 0 && a[i] < 1;
	}
	CU_ASSERT(same);
	CU_ASSERT(inrange);
	eval_random_scores(b, 1000, 2);
	CU_ASSERT(a[0] != b[0]);
}

int
main(void)
{
	CU_pSuite	 s;
	unsigned	 failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("eval", NULL, NULL);
	CU_add_test(s, "qcut bins", test_qcut_bins);
	CU_add_test(s, "fixture A: curve, AUC, APGR, CPT", test_fixture_a);
	CU_add_test(s, "cost saving at 95%", test_cost_saving);
	CU_add_test(s, "quality by strong share", test_share_table);
	CU_add_test(s, "calibrate", test_calibrate);
	CU_add_test(s, "numpy.interp", test_np_interp);
	CU_add_test(s, "numpy.trapz", test_np_trapz);
	CU_add_test(s, "errors", test_errors);
	CU_add_test(s, "random router and oracle", test_random_and_oracle);
	CU_add_test(s, "random scores", test_random_scores);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
