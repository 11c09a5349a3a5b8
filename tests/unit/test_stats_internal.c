/*
 * test_stats_internal.c - the crash-recovery paths of gateway/stats.c that
 * a black-box test cannot reach on purpose: a key slot whose creator died
 * while claiming it, and a ring bucket whose zeroer died while resetting
 * it.  Includes stats.c itself to see its layout.
 */
#include "../../gateway/stats.c"

#include <CUnit/Basic.h>

#define T0	((time_t)1795366800)

static char	 path[] = "/tmp/test_stats_internal.XXXXXX";

static struct stats *
fresh(void)
{
	char	 err[512];

	unlink(path);
	return stats_open(path, err, sizeof(err));
}

static void
mkdec(struct tg_decision *d, const char *model)
{
	memset(d, 0, sizeof(*d));
	d->router = "rt";
	d->model = model;
	d->request_class = "";
	d->tenant = "acme";
	d->cost_known = d->cf_known = 1;
	d->cost = 0.001;
	d->cf_cost = 0.002;
	d->status = 200;
}

static uint64_t
ns_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
test_dead_claimer(void)
{
	struct stats		*st = fresh();
	struct stats_key	 k;
	struct tg_decision	 d;
	struct stats_counts	 c;
	struct sh_keyslot	*s;
	uint64_t		 h, t;
	size_t			 i, n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	memset(&k, 0, sizeof(k));
	strcpy(k.router, "rt");
	strcpy(k.model, "m1");
	h = fnv1a(fnv1a(fnv1a(FNV_BASIS, k.router), k.model), k.class_);
	s = &st->f->keyslots[h % STATS_KEY_SLOTS];
	s->state = SLOT_CLAIMING;	/* its creator was killed mid-claim */
	mkdec(&d, "m1");
	stats_record(st, &d, T0);
	CU_ASSERT_EQUAL(s->state, SLOT_DEAD);
	t = ns_now();
	stats_record(st, &d, T0);	/* no more waiting on the dead slot */
	CU_ASSERT(ns_now() - t < 200000);
	memset(&c, 0, sizeof(c));
	for (i = 0; i < stats_nkeys(st); i++)
		if (stats_key(st, i, &k) == 0 && strcmp(k.model, "m1") == 0) {
			stats_key_lifetime(st, i, &c);
			n++;
		}
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(c.c[STATS_C_REQUESTS], 2);
	stats_close(st);
}

static void
test_dead_zeroer(void)
{
	struct stats		*st = fresh();
	struct tg_decision	 d;
	struct stats_counts	 g;
	struct sh_bucket	*b;
	uint64_t		*stamp, m = (uint64_t)T0 / 60;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	mkdec(&d, "m1");
	stats_record(st, &d, T0 - STATS_NMINUTES * 60);	/* old data in the slot */
	b = &st->f->minutes[m % STATS_NMINUTES];
	stamp = &st->f->min_stamp[m % STATS_NMINUTES];
	CU_ASSERT_EQUAL(b->global.c[STATS_C_REQUESTS], 1);
	/* a writer of minute m died half way through zeroing the bucket */
	*stamp = (m + 1) | BUSY;
	stats_record(st, &d, T0);
	CU_ASSERT_EQUAL(*stamp, m + 1);
	memset(&g, 0, sizeof(g));
	CU_ASSERT_EQUAL(stats_bucket_read(st, STATS_MINUTE, m, &g, NULL, 0), 1);
	CU_ASSERT_EQUAL(g.c[STATS_C_REQUESTS], 1);	/* old data gone, not blocked */

	/* the generation wraps without ever clearing BUSY by carry */
	*stamp = (m + 1) | BUSY | GEN_MASK;
	b->global.c[STATS_C_REQUESTS] = 77;
	stats_record(st, &d, T0);
	CU_ASSERT_EQUAL(*stamp, m + 1);
	CU_ASSERT_EQUAL(b->global.c[STATS_C_REQUESTS], 1);

	/* an older unit than the bucket's is dropped, never added */
	CU_ASSERT_EQUAL(ring_enter(stamp, m - 1, NULL, 0, NULL, 0), 0);
	stats_close(st);
}

int
main(void)
{
	CU_pSuite	 s;
	unsigned	 failures;
	int		 fd;

	if ((fd = mkstemp(path)) == -1)
		return 99;
	close(fd);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("stats internals", NULL, NULL);
	CU_add_test(s, "a key slot whose creator died", test_dead_claimer);
	CU_add_test(s, "a bucket whose zeroer died", test_dead_zeroer);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	unlink(path);
	return failures == 0 ? 0 : 1;
}
