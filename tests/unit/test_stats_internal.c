/*
 * test_stats_internal.c - the states of gateway/stats.c that a black-box
 * test cannot reach on purpose: a key or tenant slot whose creator was
 * killed (or stalled) at each step of its claim, a ring writer stalled
 * across the reuse of its bucket by a newer lap, a saturating word, and the
 * wrap of the lap tags.  Includes stats.c itself to see its layout.
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

static void
mkkey(struct stats_key *k, const char *model)
{
	memset(k, 0, sizeof(*k));
	strcpy(k->router, "rt");
	strcpy(k->model, model);
}

static uint64_t
key_hash(const struct stats_key *k)
{
	return fnv1a(fnv1a(fnv1a(FNV_BASIS, k->router), k->model), k->class_);
}

/* Lifetime requests of every key named `model`, and how many keys. */
static uint64_t
key_requests(struct stats *st, const char *model, size_t *nkeys)
{
	struct stats_counts	 c;
	struct stats_key	 k;
	size_t			 i;

	memset(&c, 0, sizeof(c));
	*nkeys = 0;
	for (i = 0; i < stats_nkeys(st); i++)
		if (stats_key(st, i, &k) == 0 && strcmp(k.model, model) == 0) {
			stats_key_lifetime(st, i, &c);
			(*nkeys)++;
		}
	return c.c[STATS_C_REQUESTS];
}

/* A creator killed right after its claiming CAS: the next user finishes
 * the claim at once (no waiting), and the key has exactly one index. */
static void
test_claim_killed_after_cas(void)
{
	struct stats		*st = fresh();
	struct stats_key	 k;
	struct tg_decision	 d;
	struct sh_keyslot	*s;
	uint64_t		 h;
	size_t			 n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	mkkey(&k, "m1");
	h = key_hash(&k);
	s = &st->f->keyslots[h % STATS_KEY_SLOTS];
	s->word = SLOT_WORD(h, SLOT_CLAIMING);
	mkdec(&d, "m1");
	stats_record(st, &d, T0);
	CU_ASSERT_EQUAL(s->word, SLOT_WORD(h, SLOT_READY));
	stats_record(st, &d, T0);
	CU_ASSERT_EQUAL(key_requests(st, "m1", &n), 2);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(stats_nkeys(st), 1);
	stats_close(st);
}

/* A creator killed after taking its dense index, before writing the key
 * and publishing: a helper finds the same index (none is lost). */
static void
test_claim_killed_after_index(void)
{
	struct stats		*st = fresh();
	struct stats_key	 k;
	struct tg_decision	 d;
	uint64_t		 h;
	uint32_t		 slot;
	size_t			 n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	mkkey(&k, "m1");
	h = key_hash(&k);
	slot = (uint32_t)(h % STATS_KEY_SLOTS);
	st->f->keyslots[slot].word = SLOT_WORD(h, SLOT_CLAIMING);
	st->f->key_owner[0] = slot + 1;		/* nkeys not raised yet */
	mkdec(&d, "m2");			/* another key takes index 1 */
	stats_record(st, &d, T0);
	mkdec(&d, "m1");
	stats_record(st, &d, T0);
	CU_ASSERT_EQUAL(st->f->keyslots[slot].idx, 0);
	CU_ASSERT_EQUAL(key_requests(st, "m1", &n), 1);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(stats_nkeys(st), 2);
	stats_close(st);
}

/* A creator that was only stalled and finishes after a helper did: it
 * writes the same bytes and its publishing CAS fails harmlessly. */
static void
test_claim_stalled_creator(void)
{
	struct stats		*st = fresh();
	struct stats_key	 k;
	struct tg_decision	 d;
	uint64_t		 h;
	uint32_t		 slot;
	size_t			 n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	mkkey(&k, "m1");
	h = key_hash(&k);
	slot = (uint32_t)(h % STATS_KEY_SLOTS);
	CU_ASSERT_EQUAL(slot_take(&st->f->keyslots[slot].word, h),
	    SLOT_WORD(h, SLOT_CLAIMING));	/* the creator claims, stalls */
	mkdec(&d, "m1");
	stats_record(st, &d, T0);		/* a helper finishes it */
	key_finish(st, slot, h, &k);		/* the creator resumes */
	CU_ASSERT_EQUAL(key_index(st, &k), 0);
	CU_ASSERT_EQUAL(key_requests(st, "m1", &n), 1);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(stats_nkeys(st), 1);
	stats_close(st);
}

/* The same for tenants: a killed claim is finished by the next user. */
static void
test_tenant_claim_killed(void)
{
	struct stats	*st = fresh();
	struct tg_decision d;
	char		 name[STATS_TENANT_LEN] = "acme";
	uint64_t	 h = fnv1a(FNV_BASIS, name);

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	st->f->tslots[h % STATS_TENANT_SLOTS].word = SLOT_WORD(h, SLOT_CLAIMING);
	mkdec(&d, "m1");
	stats_record(st, &d, T0);
	stats_record(st, &d, T0);
	CU_ASSERT_EQUAL(stats_ntenants(st), 1);
	CU_ASSERT_DOUBLE_EQUAL(stats_tenant_spend_today(st, "acme", T0), 0.002, 1e-12);
	stats_close(st);
}

/*
 * The bug of layout 2: a writer of minute m passes the bucket check, is
 * descheduled, and the bucket is reclaimed by minute m + NMINUTES and
 * written to.  When the stalled writer resumes, its adds must neither land
 * in the new minute nor wipe it.
 */
static void
test_stalled_ring_writer(void)
{
	struct stats		*st = fresh();
	struct tg_decision	 d;
	struct stats_counts	 g;
	struct sh_bucket	*b;
	struct delta		 dl;
	uint64_t		 m = (uint64_t)T0 / 60, m2 = m + STATS_NMINUTES;
	uint64_t		 old = ring_tag(m, STATS_NMINUTES);

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	mkdec(&d, "m1");
	stats_record(st, &d, (time_t)m * 60);		/* minute m: 1 */
	stats_record(st, &d, (time_t)m2 * 60);		/* reclaimed: 1 */
	stats_record(st, &d, (time_t)m2 * 60);		/* 2 */
	b = &st->f->minutes[m % STATS_NMINUTES];
	delta_fill(&dl, &d);
	/* the stalled writer of minute m resumes past its hint check */
	CU_ASSERT(tadd_counts(&b->global, old, &dl) > 0);
	CU_ASSERT(tadd_row(b->rows[0], old, &dl) > 0);
	memset(&g, 0, sizeof(g));
	CU_ASSERT_EQUAL(stats_bucket_read(st, STATS_MINUTE, m2, &g, NULL, 0), 1);
	CU_ASSERT_EQUAL(g.c[STATS_C_REQUESTS], 2);
	CU_ASSERT_EQUAL(g.c[STATS_C_COST], 2000000);
	CU_ASSERT_EQUAL(g.status[2], 2);
	/* the old minute is gone, and a late writer of it is dropped */
	memset(&g, 0, sizeof(g));
	CU_ASSERT_EQUAL(stats_bucket_read(st, STATS_MINUTE, m, &g, NULL, 0), 0);
	CU_ASSERT_EQUAL(stats_dropped(st), 0);
	stats_record(st, &d, (time_t)m * 60);
	CU_ASSERT_EQUAL(stats_dropped(st), 1);
	memset(&g, 0, sizeof(g));
	stats_bucket_read(st, STATS_MINUTE, m2, &g, NULL, 0);
	CU_ASSERT_EQUAL(g.c[STATS_C_REQUESTS], 2);
	stats_close(st);
}

/* A word of an older lap is reset and added to in one step; a word of a
 * newer lap is left alone; a full word saturates without touching its
 * tag. */
static void
test_tagged_word(void)
{
	uint64_t	 w = 0;

	CU_ASSERT_EQUAL(tadd(&w, 7, 5), 0);
	CU_ASSERT_EQUAL(tval(&w, 7), 5);
	CU_ASSERT_EQUAL(tadd(&w, 7, 3), 0);
	CU_ASSERT_EQUAL(tval(&w, 7), 8);
	CU_ASSERT_EQUAL(tval(&w, 6), 0);
	CU_ASSERT_EQUAL(tadd(&w, 8, 2), 0);		/* newer lap: replaces */
	CU_ASSERT_EQUAL(tval(&w, 8), 2);
	CU_ASSERT_EQUAL(tval(&w, 7), 0);
	CU_ASSERT_EQUAL(tadd(&w, 7, 100), 1);		/* older lap: dropped */
	CU_ASSERT_EQUAL(tval(&w, 8), 2);
	CU_ASSERT_EQUAL(tadd(&w, 8, VAL_MAX), 1);	/* saturates */
	CU_ASSERT_EQUAL(tval(&w, 8), VAL_MAX);
	CU_ASSERT_EQUAL(w >> VAL_BITS, 8);
	CU_ASSERT_EQUAL(tadd(&w, 8, 0), 0);
}

/* Tags wrap: 1 follows TAG_LAPS; 0 (never written) is older than all. */
static void
test_tag_wrap(void)
{
	CU_ASSERT(tag_newer(1, TAG_LAPS));
	CU_ASSERT(!tag_newer(TAG_LAPS, 1));
	CU_ASSERT(tag_newer(5, 4));
	CU_ASSERT(!tag_newer(4, 4));
	CU_ASSERT(tag_newer(1, 0));
	CU_ASSERT(tag_newer(TAG_LAPS, 0));
	CU_ASSERT_EQUAL(ring_tag(0, STATS_NMINUTES), 1);
	CU_ASSERT_EQUAL(ring_tag((uint64_t)TAG_LAPS * STATS_NMINUTES, STATS_NMINUTES), 1);
	CU_ASSERT_EQUAL(ring_tag(STATS_NMINUTES - 1, STATS_NMINUTES), 1);
	CU_ASSERT_EQUAL(ring_tag(STATS_NMINUTES, STATS_NMINUTES), 2);
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
	CU_add_test(s, "a key claim killed after its CAS", test_claim_killed_after_cas);
	CU_add_test(s, "a key claim killed after its index", test_claim_killed_after_index);
	CU_add_test(s, "a stalled key creator", test_claim_stalled_creator);
	CU_add_test(s, "a tenant claim killed", test_tenant_claim_killed);
	CU_add_test(s, "a ring writer stalled across reuse", test_stalled_ring_writer);
	CU_add_test(s, "tagged words", test_tagged_word);
	CU_add_test(s, "tag wrap", test_tag_wrap);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	unlink(path);
	return failures == 0 ? 0 : 1;
}
