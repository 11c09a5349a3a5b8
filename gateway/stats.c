/*
 * stats.c - the shared stats file: layout, creation, lock-free updates and
 * raw readers.  See stats.h for the contract.
 *
 * Concurrency rules, which are the point of this file:
 *  - No lock is ever taken.  Counters are uint64 words updated with
 *    __atomic_fetch_add; a process killed at any instruction leaves every
 *    word either updated or not.
 *  - Dimension tables (keys, tenants) are open-addressed; a slot is claimed
 *    by CAS on its state (EMPTY -> CLAIMING), filled, then published
 *    (READY, release).  A concurrent creator of the same key waits a bounded
 *    time for READY and then compares; if the claimer died, the waiter
 *    probes on (the slot is lost, never shared half-written).  Dense indexes
 *    come from a fetch_add, so ring rows of keys never used are all zero.
 *  - Ring buckets carry the unit number they hold (stamp = unit + 1).  The
 *    first writer of a new unit CASes the old stamp to unit|BUSY, zeroes the
 *    bucket and publishes the stamp (release); writers of that unit add only
 *    after seeing the published stamp (acquire).  A writer whose unit is
 *    older than the bucket's drops its update (counted in `dropped`).  A
 *    bucket left BUSY by a killed zeroer is taken over after a bounded wait.
 *  - Known, accepted imprecision (rings only; lifetime counters are exact):
 *    a writer stalled for longer than a ring's span between reading the
 *    stamp and adding lands in the newer unit; a zeroer that was only slow,
 *    not dead, can wipe adds made after a takeover.
 */
#include "autoconf.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"

#define STATS_MAGIC		"TGSTATS\n"
#define STATS_KEY_SLOTS		256
#define STATS_TENANT_SLOTS	512
#define STATS_NSTICKY		4096
#define STATS_CONV_LEN		64
#define SPIN_NS			(20 * 1000000)	/* wait for a peer before presuming it dead */
#define SPIN_LOOPS		1000000		/* bound on CAS retries */
#define BUSY			(UINT64_C(1) << 63)

enum { SLOT_EMPTY = 0, SLOT_CLAIMING, SLOT_READY, SLOT_DEAD };

struct sh_header {
	char		magic[8];
	uint32_t	layout;
	uint32_t	header_size;
	uint64_t	file_size;
	uint32_t	geometry[12];	/* see geometry_fill() */
	uint64_t	created;
	uint64_t	nkeys;		/* dense key indexes handed out */
	uint64_t	ntenants;
	uint64_t	dropped;
	uint64_t	reserved[20];
};

struct sh_keyslot {
	uint32_t	state;
	uint32_t	idx;
	uint64_t	hash;
	struct stats_key key;
};

struct sh_keyrec {
	uint32_t	ready;
	uint32_t	pad;
	struct stats_key key;
	struct stats_counts life;
};

struct sh_tslot {
	uint32_t	state;
	uint32_t	idx;
	uint64_t	hash;
	char		name[STATS_TENANT_LEN];
};

struct sh_row {
	uint64_t	stamp;
	uint64_t	c[STATS_C__MAX];
};

struct sh_tenant {
	uint32_t	ready;
	uint32_t	pad;
	char		name[STATS_TENANT_LEN];
	uint64_t	life[STATS_C__MAX];
	struct sh_row	hours[STATS_NHOURS];
	struct sh_row	days[STATS_NDAYS];
};

/* A minute or day bucket; its stamp lives in a separate dense array so a
 * reader scanning a window touches one page per 512 stamps, not one per
 * bucket. */
struct sh_bucket {
	struct stats_counts global;
	uint64_t	rows[STATS_MAX_KEYS][STATS_C__MAX];
};

struct sh_sticky {
	uint64_t	check;		/* hash of the rest; 0: empty */
	uint64_t	idhash;		/* hash of the full conversation id */
	int64_t		t;
	char		conv[STATS_CONV_LEN];
	char		model[STATS_MODEL_LEN];
};

struct sh_file {
	struct sh_header	hdr;
	struct sh_keyslot	keyslots[STATS_KEY_SLOTS];
	struct sh_keyrec	keys[STATS_MAX_KEYS];
	struct sh_tslot		tslots[STATS_TENANT_SLOTS];
	struct sh_tenant	tenants[STATS_MAX_TENANTS];
	struct sh_sticky	sticky[STATS_NSTICKY];
	uint64_t		day_stamp[STATS_NDAYS];
	uint64_t		min_stamp[STATS_NMINUTES];
	struct sh_bucket	days[STATS_NDAYS];
	struct sh_bucket	minutes[STATS_NMINUTES];
};

struct stats {
	struct sh_file	*f;
	size_t		 size;
};

const uint64_t stats_lat_bounds_us[STATS_NLAT - 1] = {
	1, 2, 5, 10, 20, 50, 100, 200, 500,
	1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000,
	1000000, 2000000, 5000000, 10000000, 20000000, 50000000,
	100000000, 200000000, 500000000,
};

static void
geometry_fill(uint32_t g[12])
{
	g[0] = STATS_MAX_KEYS;
	g[1] = STATS_MAX_TENANTS;
	g[2] = STATS_NMINUTES;
	g[3] = STATS_NHOURS;
	g[4] = STATS_NDAYS;
	g[5] = STATS_NSTICKY;
	g[6] = STATS_NLAT;
	g[7] = STATS_C__MAX;
	g[8] = STATS_KEY_SLOTS;
	g[9] = STATS_TENANT_SLOTS;
	g[10] = TG_FB__MAX;
	g[11] = TG_UP__MAX;
}

/* --- atomics --------------------------------------------------------- */

static inline void
add(uint64_t *p, uint64_t v)
{
	if (v != 0)
		__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static inline uint64_t
ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void
zero_words(uint64_t *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		__atomic_store_n(&p[i], 0, __ATOMIC_RELAXED);
}

static void
dropped(struct stats *st)
{
	__atomic_fetch_add(&st->f->hdr.dropped, 1, __ATOMIC_RELAXED);
}

/*
 * One round of waiting for a peer: spin briefly, then yield.  Returns 1
 * once SPIN_NS have passed since round 64 (*start is the caller's clock):
 * the peer was probably killed mid-update.  Only crashes make anyone wait
 * that long, and only once per stuck slot or bucket.
 */
static int
spin_expired(unsigned int i, uint64_t *start)
{
	struct timespec	 ts;
	uint64_t	 now;

	if (i < 64)
		return 0;
	sched_yield();
	if (i % 16 != 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (i == 64)
		*start = now;
	return now - *start > SPIN_NS;
}

static uint64_t
fnv1a(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	h ^= 0xff;		/* field separator */
	return h * UINT64_C(1099511628211);
}

#define FNV_BASIS	UINT64_C(14695981039346656037)

static void
copy_trunc(char *dst, const char *src, size_t len)
{
	size_t	 n;

	n = strnlen(src, len - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* --- file creation and opening -------------------------------------- */

static void
file_init(struct sh_file *f, time_t now)
{
	struct sh_keyrec	*ov = &f->keys[STATS_MAX_KEYS - 1];
	struct sh_tenant	*tov = &f->tenants[STATS_MAX_TENANTS - 1];

	memset(&f->hdr, 0, sizeof(f->hdr));
	f->hdr.layout = STATS_LAYOUT_VERSION;
	f->hdr.header_size = sizeof(f->hdr);
	f->hdr.file_size = sizeof(*f);
	geometry_fill(f->hdr.geometry);
	f->hdr.created = (uint64_t)now;
	copy_trunc(ov->key.model, "(other)", sizeof(ov->key.model));
	ov->ready = 1;
	copy_trunc(tov->name, "(other)", sizeof(tov->name));
	tov->ready = 1;
	memcpy(f->hdr.magic, STATS_MAGIC, sizeof(f->hdr.magic));
}

/* Create a fresh file at a temporary name and link it into place; losing
 * the race to another creator is success (their file is used). */
static int
file_create(const char *path, char *err, size_t errlen)
{
	char		 tmp[4096];
	int		 fd = -1, rc = -1;
	void		*m = MAP_FAILED;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "stats file %s: path too long", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(err, errlen, "stats file %s: create: %s", tmp, strerror(errno));
		return -1;
	}
	/* every worker of the host writes it: owner and group */
	if (fchmod(fd, 0660) == -1 || ftruncate(fd, (off_t)sizeof(struct sh_file)) == -1 ||
	    (m = mmap(NULL, sizeof(struct sh_file), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0)) == MAP_FAILED) {
		snprintf(err, errlen, "stats file %s: %s", tmp, strerror(errno));
		goto fail;
	}
	file_init(m, time(NULL));
	if (msync(m, sizeof(struct sh_header), MS_SYNC) == -1 ||
	    (link(tmp, path) == -1 && errno != EEXIST)) {
		snprintf(err, errlen, "stats file %s: %s", path, strerror(errno));
		goto fail;
	}
	rc = 0;
fail:
	if (m != MAP_FAILED)
		munmap(m, sizeof(struct sh_file));
	close(fd);
	unlink(tmp);
	return rc;
}

static int
header_check(const struct sh_header *h, const char *path, char *err, size_t errlen)
{
	uint32_t	 g[12];

	geometry_fill(g);
	if (memcmp(h->magic, STATS_MAGIC, sizeof(h->magic)) != 0)
		snprintf(err, errlen, "stats file %s: not a tiergate stats file "
		    "(bad magic); refusing to touch it", path);
	else if (h->layout != STATS_LAYOUT_VERSION)
		snprintf(err, errlen, "stats file %s: layout version %u, this "
		    "tiergate uses %u; move it away (or rebuild it with "
		    "`tiergate stats rebuild`)", path, h->layout, STATS_LAYOUT_VERSION);
	else if (h->header_size != sizeof(*h) || h->file_size != sizeof(struct sh_file) ||
	    memcmp(h->geometry, g, sizeof(g)) != 0)
		snprintf(err, errlen, "stats file %s: layout geometry differs from "
		    "this build; move it away", path);
	else
		return 0;
	return -1;
}

/* Refuse anything but a stats file of this layout, header first so the
 * message says why (magic, version, geometry), then the size. */
static int
file_check(int fd, const struct stat *sb, const char *path, char *err, size_t errlen)
{
	struct sh_header	 h;

	if (S_ISREG(sb->st_mode) && (size_t)sb->st_size >= sizeof(h)) {
		if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
			snprintf(err, errlen, "stats file %s: cannot read its header", path);
			return -1;
		}
		if (header_check(&h, path, err, errlen) == -1)
			return -1;
	}
	if (!S_ISREG(sb->st_mode) || (size_t)sb->st_size != sizeof(struct sh_file)) {
		snprintf(err, errlen, "stats file %s: size %lld, expected %zu "
		    "(not a stats file of this layout); refusing to touch it",
		    path, (long long)sb->st_size, sizeof(struct sh_file));
		return -1;
	}
	return 0;
}

struct stats *
stats_open(const char *path, char *err, size_t errlen)
{
	struct stats	*st = NULL;
	struct stat	 sb;
	int		 fd = -1, tries;
	void		*m = MAP_FAILED;

	if (errlen > 0)
		err[0] = '\0';
	for (tries = 0; tries < 3 && fd == -1; tries++) {
		if ((fd = open(path, O_RDWR | O_CLOEXEC)) != -1)
			break;
		if (errno != ENOENT || file_create(path, err, errlen) == -1)
			goto sysfail;
	}
	if (fd == -1 || fstat(fd, &sb) == -1)
		goto sysfail;
	if (file_check(fd, &sb, path, err, errlen) == -1)
		goto fail;
	m = mmap(NULL, sizeof(struct sh_file), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		goto sysfail;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		goto sysfail;
	st->f = m;
	st->size = sizeof(struct sh_file);
	close(fd);
	return st;
sysfail:
	if (errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "stats file %s: %s", path, strerror(errno));
fail:
	if (m != MAP_FAILED)
		munmap(m, sizeof(struct sh_file));
	if (fd != -1)
		close(fd);
	return NULL;
}

void
stats_close(struct stats *st)
{
	if (st == NULL)
		return;
	munmap(st->f, st->size);
	free(st);
}

/* --- dimension tables ------------------------------------------------ */

/* Wait a bounded time for a CLAIMING slot to be published.  Returns
 * SLOT_READY, or SLOT_DEAD after marking a slot whose claimer seems dead
 * (lookups then skip it at once; if the claimer was only slow it still
 * publishes, and readers merge the duplicate key by name). */
static uint32_t
slot_wait(uint32_t *state)
{
	uint32_t	 st = SLOT_CLAIMING;
	uint64_t	 start = 0;
	unsigned int	 i;

	for (i = 0; !spin_expired(i, &start); i++)
		if (__atomic_load_n(state, __ATOMIC_ACQUIRE) == SLOT_READY)
			return SLOT_READY;
	if (__atomic_compare_exchange_n(state, &st, SLOT_DEAD, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return SLOT_DEAD;
	return st;
}

static uint32_t
dense_index(uint64_t *counter, uint32_t max)
{
	uint64_t	 i;

	i = __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
	return i >= max - 1 ? max - 1 : (uint32_t)i;
}

static uint32_t
key_claim(struct stats *st, struct sh_keyslot *s, uint64_t h, const struct stats_key *k)
{
	struct sh_keyrec	*rec;
	uint32_t		 idx;

	idx = dense_index(&st->f->hdr.nkeys, STATS_MAX_KEYS);
	s->hash = h;
	s->key = *k;
	s->idx = idx;
	rec = &st->f->keys[idx];
	if (idx != STATS_MAX_KEYS - 1) {
		rec->key = *k;
		__atomic_store_n(&rec->ready, 1, __ATOMIC_RELEASE);
	} else
		dropped(st);
	__atomic_store_n(&s->state, SLOT_READY, __ATOMIC_RELEASE);
	return idx;
}

static int
key_equal(const struct stats_key *a, const struct stats_key *b)
{
	return strcmp(a->router, b->router) == 0 &&
	    strcmp(a->model, b->model) == 0 && strcmp(a->class_, b->class_) == 0;
}

/* Dense index of key k, creating it; the overflow index when full. */
static uint32_t
key_index(struct stats *st, const struct stats_key *k)
{
	struct sh_keyslot	*s;
	uint64_t		 h;
	uint32_t		 i, state;

	h = fnv1a(fnv1a(fnv1a(FNV_BASIS, k->router), k->model), k->class_);
	for (i = 0; i < STATS_KEY_SLOTS; i++) {
		s = &st->f->keyslots[(h + i) % STATS_KEY_SLOTS];
		state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		if (state == SLOT_EMPTY) {
			if (__atomic_compare_exchange_n(&s->state, &state,
			    SLOT_CLAIMING, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return key_claim(st, s, h, k);
		}
		if (state == SLOT_CLAIMING)
			state = slot_wait(&s->state);
		if (state == SLOT_READY && s->hash == h && key_equal(&s->key, k))
			return s->idx;
	}
	dropped(st);
	return STATS_MAX_KEYS - 1;
}

static uint32_t
tenant_claim(struct stats *st, struct sh_tslot *s, uint64_t h, const char *name)
{
	struct sh_tenant	*t;
	uint32_t		 idx;

	idx = dense_index(&st->f->hdr.ntenants, STATS_MAX_TENANTS);
	s->hash = h;
	copy_trunc(s->name, name, sizeof(s->name));
	s->idx = idx;
	t = &st->f->tenants[idx];
	if (idx != STATS_MAX_TENANTS - 1) {
		copy_trunc(t->name, name, sizeof(t->name));
		__atomic_store_n(&t->ready, 1, __ATOMIC_RELEASE);
	} else
		dropped(st);
	__atomic_store_n(&s->state, SLOT_READY, __ATOMIC_RELEASE);
	return idx;
}

/* Dense index of tenant `name` (already truncated); creates it when
 * `create`, else returns UINT32_MAX when absent. */
static uint32_t
tenant_index(struct stats *st, const char *name, int create)
{
	struct sh_tslot	*s;
	uint64_t	 h;
	uint32_t	 i, state;

	h = fnv1a(FNV_BASIS, name);
	for (i = 0; i < STATS_TENANT_SLOTS; i++) {
		s = &st->f->tslots[(h + i) % STATS_TENANT_SLOTS];
		state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		if (state == SLOT_EMPTY) {
			if (!create)
				return UINT32_MAX;
			if (__atomic_compare_exchange_n(&s->state, &state,
			    SLOT_CLAIMING, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return tenant_claim(st, s, h, name);
		}
		if (state == SLOT_CLAIMING)
			state = slot_wait(&s->state);
		if (state == SLOT_READY && s->hash == h && strcmp(s->name, name) == 0)
			return s->idx;
	}
	if (create)
		dropped(st);
	return create ? STATS_MAX_TENANTS - 1 : UINT32_MAX;
}

/* --- rings ----------------------------------------------------------- */

/* Stamp = unit + 1 in the low bits; BUSY while a writer zeroes the bucket,
 * with a generation that a takeover bumps (see ring_enter). */
#define STAMP_LOW	((UINT64_C(1) << 48) - 1)
#define GEN_ONE		(UINT64_C(1) << 48)
#define GEN_MASK	(BUSY - GEN_ONE)

static void
ring_reset(uint64_t *stamp, uint64_t want, uint64_t *words, size_t n,
    uint64_t *words2, size_t n2)
{
	zero_words(words, n);
	zero_words(words2, n2);
	__atomic_store_n(stamp, want, __ATOMIC_RELEASE);
}

/*
 * Make the bucket with stamp *stamp hold `unit`, zeroing `n` words at
 * `words` (and `n2` at `words2`) when it is taken over from an older unit.
 * Returns 1 when the caller may add, 0 when the update must be dropped
 * (the bucket already holds a newer unit).  A bucket left BUSY by a writer
 * that died while zeroing it is taken over after a bounded wait: the
 * waiter bumps the generation with CAS (one winner) and zeroes it again.
 */
static int
ring_enter(uint64_t *stamp, uint64_t unit, uint64_t *words, size_t n,
    uint64_t *words2, size_t n2)
{
	uint64_t	 want = unit + 1, s, next, start = 0;
	unsigned int	 i, waited = 0;

	for (i = 0; i < SPIN_LOOPS; i++) {
		s = __atomic_load_n(stamp, __ATOMIC_ACQUIRE);
		if (s == want)
			return 1;
		if ((s & STAMP_LOW) > want)
			return 0;
		if ((s & STAMP_LOW) < want)
			next = want | BUSY;
		else if (!spin_expired(waited++, &start))	/* being zeroed */
			continue;
		else {				/* its zeroer looks dead */
			waited = 0;
			next = (s & ~GEN_MASK) | ((s + GEN_ONE) & GEN_MASK);
		}
		if (__atomic_compare_exchange_n(stamp, &s, next, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			ring_reset(stamp, want, words, n, words2, n2);
			return 1;
		}
	}
	return 0;
}

/* Per-record deltas, computed once and added to every place. */
struct delta {
	uint64_t	 c[STATS_C__MAX];
	int		 fb;		/* index or -1 */
	int		 err;
	int		 status;
	int		 lat_up;
	int		 lat_ov;
	uint64_t	 up_us;
	uint64_t	 ov_us;
};

static int
lat_bucket(uint64_t us)
{
	int	 i;

	for (i = 0; i < STATS_NLAT - 1; i++)
		if (us <= stats_lat_bounds_us[i])
			return i;
	return STATS_NLAT - 1;
}

static uint64_t
nano(double usd)
{
	if (!(usd > 0) || !isfinite(usd))
		return 0;
	return (uint64_t)llround(usd * 1e9);
}

static void
delta_fill(struct delta *dl, const struct tg_decision *d)
{
	memset(dl, 0, sizeof(*dl));
	dl->c[STATS_C_REQUESTS] = 1;
	dl->c[STATS_C_INPUT] = d->input_tokens;
	dl->c[STATS_C_OUTPUT] = d->output_tokens;
	dl->c[STATS_C_CACHE_READ] = d->cache_read_tokens;
	dl->c[STATS_C_CACHE_WRITE] = d->cache_write_tokens;
	if (d->cost_known)
		dl->c[STATS_C_COST] = nano(d->cost);
	else
		dl->c[STATS_C_UNPRICED] = 1;
	if (d->cf_known)
		dl->c[STATS_C_CF] = nano(d->cf_cost);
	else
		dl->c[STATS_C_CF_UNPRICED] = 1;
	if (d->cost_known && d->cf_known) {
		dl->c[STATS_C_CMP_COST] = dl->c[STATS_C_COST];
		dl->c[STATS_C_CMP_CF] = dl->c[STATS_C_CF];
		dl->c[STATS_C_CMP_REQUESTS] = 1;
	}
	if (d->model != NULL && d->cf_model != NULL && strcmp(d->model, d->cf_model) != 0)
		dl->c[STATS_C_CHEAPER] = 1;
	dl->fb = d->fallback > TG_FB_NONE && d->fallback < TG_FB__MAX ? (int)d->fallback : -1;
	dl->err = d->upstream_err > TG_UP_OK && d->upstream_err < TG_UP__MAX ?
	    (int)d->upstream_err : -1;
	dl->status = d->status >= 100 && d->status < 600 ? d->status / 100 : 0;
	dl->lat_up = lat_bucket(d->upstream_us);
	dl->lat_ov = lat_bucket(d->overhead_us);
	dl->up_us = d->upstream_us;
	dl->ov_us = d->overhead_us;
}

static void
add_row(uint64_t *row, const struct delta *dl)
{
	int	 i;

	for (i = 0; i < STATS_C__MAX; i++)
		add(&row[i], dl->c[i]);
}

static void
add_counts(struct stats_counts *sc, const struct delta *dl)
{
	add_row(sc->c, dl);
	if (dl->fb >= 0)
		add(&sc->fallback[dl->fb], 1);
	if (dl->err >= 0)
		add(&sc->upstream_err[dl->err], 1);
	add(&sc->status[dl->status], 1);
	add(&sc->lat_upstream[dl->lat_up], 1);
	add(&sc->lat_overhead[dl->lat_ov], 1);
	add(&sc->lat_upstream_sum, dl->up_us);
	add(&sc->lat_overhead_sum, dl->ov_us);
}

#define NWORDS(x)	(sizeof(x) / sizeof(uint64_t))

static void
bucket_add(struct stats *st, uint64_t *stamp, struct sh_bucket *b, uint64_t unit,
    uint32_t k, const struct delta *dl)
{
	size_t	 nk;

	nk = (size_t)__atomic_load_n(&st->f->hdr.nkeys, __ATOMIC_ACQUIRE);
	if (nk > STATS_MAX_KEYS)
		nk = STATS_MAX_KEYS;
	/* Indexes only grow, so rows at or above nk were never written in any
	 * bucket: they are already zero. */
	if (!ring_enter(stamp, unit, (uint64_t *)&b->global, NWORDS(b->global),
	    &b->rows[0][0], nk * STATS_C__MAX)) {
		dropped(st);
		return;
	}
	add_counts(&b->global, dl);
	add_row(b->rows[k], dl);
}

static void
trow_add(struct stats *st, struct sh_row *r, uint64_t unit, const struct delta *dl)
{
	if (!ring_enter(&r->stamp, unit, r->c, STATS_C__MAX, NULL, 0)) {
		dropped(st);
		return;
	}
	add_row(r->c, dl);
}

void
stats_record(struct stats *st, const struct tg_decision *d, time_t now)
{
	struct stats_key	 k;
	struct delta		 dl;
	struct sh_tenant	*t;
	uint64_t		 min, hour, day;
	uint32_t		 ki, ti;
	char			 tname[STATS_TENANT_LEN];

	if (st == NULL || now < 0)
		return;
	copy_trunc(k.router, d->router != NULL ? d->router : "", sizeof(k.router));
	copy_trunc(k.model, d->model != NULL ? d->model : "", sizeof(k.model));
	copy_trunc(k.class_, d->request_class != NULL ? d->request_class : "",
	    sizeof(k.class_));
	copy_trunc(tname, d->tenant != NULL ? d->tenant : "", sizeof(tname));
	delta_fill(&dl, d);
	min = (uint64_t)now / 60;
	hour = (uint64_t)now / 3600;
	day = (uint64_t)now / 86400;

	ki = key_index(st, &k);
	add_counts(&st->f->keys[ki].life, &dl);
	bucket_add(st, &st->f->min_stamp[min % STATS_NMINUTES],
	    &st->f->minutes[min % STATS_NMINUTES], min, ki, &dl);
	bucket_add(st, &st->f->day_stamp[day % STATS_NDAYS],
	    &st->f->days[day % STATS_NDAYS], day, ki, &dl);

	ti = tenant_index(st, tname, 1);
	t = &st->f->tenants[ti];
	add_row(t->life, &dl);
	trow_add(st, &t->hours[hour % STATS_NHOURS], hour, &dl);
	trow_add(st, &t->days[day % STATS_NDAYS], day, &dl);
}

/* --- budget readers -------------------------------------------------- */

double
stats_usd(uint64_t nanousd)
{
	return (double)nanousd / 1e9;
}

static int
row_read(const struct sh_row *r, uint64_t unit, uint64_t c[STATS_C__MAX])
{
	int	 i;

	if (__atomic_load_n(&r->stamp, __ATOMIC_ACQUIRE) != unit + 1)
		return 0;
	for (i = 0; i < STATS_C__MAX; i++)
		c[i] += ld(&r->c[i]);
	return 1;
}

double
stats_tenant_spend_today(struct stats *st, const char *tenant, time_t now)
{
	uint64_t		 c[STATS_C__MAX] = { 0 }, day, h;
	struct sh_tslot		*s;
	uint32_t		 i, state;
	char			 tname[STATS_TENANT_LEN];

	if (st == NULL || now < 0)
		return 0;
	copy_trunc(tname, tenant != NULL ? tenant : "", sizeof(tname));
	day = (uint64_t)now / 86400;
	h = fnv1a(FNV_BASIS, tname);
	/* every slot of the name: a killed creator can leave a duplicate */
	for (i = 0; i < STATS_TENANT_SLOTS; i++) {
		s = &st->f->tslots[(h + i) % STATS_TENANT_SLOTS];
		state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		if (state == SLOT_EMPTY)
			break;
		if (state == SLOT_READY && s->hash == h && strcmp(s->name, tname) == 0)
			row_read(&st->f->tenants[s->idx].days[day % STATS_NDAYS], day, c);
	}
	return stats_usd(c[STATS_C_COST]);
}

double
stats_router_spend_today(struct stats *st, const char *router, time_t now)
{
	struct sh_bucket	*b;
	uint64_t		 day, sum = 0;
	size_t			 i, nk;

	if (st == NULL || now < 0 || router == NULL)
		return 0;
	day = (uint64_t)now / 86400;
	b = &st->f->days[day % STATS_NDAYS];
	if (__atomic_load_n(&st->f->day_stamp[day % STATS_NDAYS], __ATOMIC_ACQUIRE) != day + 1)
		return 0;
	nk = stats_nkeys(st);
	for (i = 0; i < nk; i++)
		if (__atomic_load_n(&st->f->keys[i].ready, __ATOMIC_ACQUIRE) &&
		    strncmp(st->f->keys[i].key.router, router, STATS_ROUTER_LEN - 1) == 0)
			sum += ld(&b->rows[i][STATS_C_COST]);
	return stats_usd(sum);
}

/* --- sticky conversations -------------------------------------------- */

static uint64_t
sticky_check(uint64_t idhash, int64_t t, const char *model)
{
	uint64_t	 h;

	h = fnv1a(idhash ^ (uint64_t)t, model);
	return h == 0 ? 1 : h;
}

void
stats_sticky_put(struct stats *st, const char *conv, const char *model, time_t now)
{
	struct sh_sticky	*s;
	uint64_t		 idh;

	if (st == NULL || conv == NULL || model == NULL || *conv == '\0')
		return;
	idh = fnv1a(FNV_BASIS, conv);
	s = &st->f->sticky[idh % STATS_NSTICKY];
	__atomic_store_n(&s->check, 0, __ATOMIC_RELEASE);
	s->idhash = idh;
	s->t = now;
	copy_trunc(s->conv, conv, sizeof(s->conv));
	copy_trunc(s->model, model, sizeof(s->model));
	__atomic_store_n(&s->check, sticky_check(idh, now, s->model), __ATOMIC_RELEASE);
}

int
stats_sticky_get(struct stats *st, const char *conv, char *out, size_t len, time_t now)
{
	struct sh_sticky	*s, copy;
	uint64_t		 idh, chk;

	if (st == NULL || conv == NULL || len == 0)
		return 0;
	idh = fnv1a(FNV_BASIS, conv);
	s = &st->f->sticky[idh % STATS_NSTICKY];
	chk = __atomic_load_n(&s->check, __ATOMIC_ACQUIRE);
	memcpy(&copy, s, sizeof(copy));
	copy.model[sizeof(copy.model) - 1] = '\0';
	copy.conv[sizeof(copy.conv) - 1] = '\0';
	if (chk == 0 || __atomic_load_n(&s->check, __ATOMIC_ACQUIRE) != chk ||
	    sticky_check(copy.idhash, copy.t, copy.model) != chk ||
	    copy.idhash != idh || strncmp(copy.conv, conv, sizeof(copy.conv) - 1) != 0 ||
	    now - copy.t > STATS_STICKY_TTL || copy.t > now + 60)
		return 0;
	if (strlen(copy.model) >= len)
		return 0;
	memcpy(out, copy.model, strlen(copy.model) + 1);
	return 1;
}

/* --- raw readers ----------------------------------------------------- */

time_t
stats_created(struct stats *st)
{
	return (time_t)st->f->hdr.created;
}

size_t
stats_nkeys(struct stats *st)
{
	uint64_t	 n;

	n = __atomic_load_n(&st->f->hdr.nkeys, __ATOMIC_ACQUIRE);
	return n >= STATS_MAX_KEYS - 1 ? STATS_MAX_KEYS : (size_t)n;
}

int
stats_key(struct stats *st, size_t idx, struct stats_key *out)
{
	struct sh_keyrec	*r;

	if (idx >= STATS_MAX_KEYS)
		return -1;
	r = &st->f->keys[idx];
	if (!__atomic_load_n(&r->ready, __ATOMIC_ACQUIRE))
		return -1;
	*out = r->key;
	return 0;
}

static void
counts_read(struct stats_counts *out, const struct stats_counts *src)
{
	const uint64_t	*s = (const uint64_t *)src;
	uint64_t	*o = (uint64_t *)out;
	size_t		 i;

	for (i = 0; i < NWORDS(*src); i++)
		o[i] += ld(&s[i]);
}

void
stats_key_lifetime(struct stats *st, size_t idx, struct stats_counts *out)
{
	if (idx < STATS_MAX_KEYS)
		counts_read(out, &st->f->keys[idx].life);
}

int
stats_bucket_read(struct stats *st, enum stats_unit u, uint64_t unit,
    struct stats_counts *global, uint64_t (*rows)[STATS_C__MAX], size_t nrows)
{
	struct sh_bucket	*b;
	uint64_t		*stamp;
	size_t			 k;
	int			 i;

	if (u == STATS_MINUTE) {
		b = &st->f->minutes[unit % STATS_NMINUTES];
		stamp = &st->f->min_stamp[unit % STATS_NMINUTES];
	} else if (u == STATS_DAY) {
		b = &st->f->days[unit % STATS_NDAYS];
		stamp = &st->f->day_stamp[unit % STATS_NDAYS];
	} else
		return 0;
	if (__atomic_load_n(stamp, __ATOMIC_ACQUIRE) != unit + 1)
		return 0;
	if (global != NULL)
		counts_read(global, &b->global);
	for (k = 0; k < nrows && k < STATS_MAX_KEYS; k++)
		for (i = 0; i < STATS_C__MAX; i++)
			rows[k][i] += ld(&b->rows[k][i]);
	return 1;
}

size_t
stats_ntenants(struct stats *st)
{
	uint64_t	 n;

	n = __atomic_load_n(&st->f->hdr.ntenants, __ATOMIC_ACQUIRE);
	return n >= STATS_MAX_TENANTS - 1 ? STATS_MAX_TENANTS : (size_t)n;
}

int
stats_tenant_name(struct stats *st, size_t idx, char *out, size_t len)
{
	struct sh_tenant	*t;

	if (idx >= STATS_MAX_TENANTS || len == 0)
		return -1;
	t = &st->f->tenants[idx];
	if (!__atomic_load_n(&t->ready, __ATOMIC_ACQUIRE))
		return -1;
	copy_trunc(out, t->name, len < sizeof(t->name) ? len : sizeof(t->name));
	return 0;
}

void
stats_tenant_lifetime(struct stats *st, size_t idx, uint64_t c[STATS_C__MAX])
{
	int	 i;

	if (idx >= STATS_MAX_TENANTS)
		return;
	for (i = 0; i < STATS_C__MAX; i++)
		c[i] += ld(&st->f->tenants[idx].life[i]);
}

int
stats_tenant_read(struct stats *st, size_t idx, enum stats_unit u, uint64_t unit,
    uint64_t c[STATS_C__MAX])
{
	struct sh_tenant	*t;

	if (idx >= STATS_MAX_TENANTS)
		return 0;
	t = &st->f->tenants[idx];
	if (u == STATS_HOUR)
		return row_read(&t->hours[unit % STATS_NHOURS], unit, c);
	if (u == STATS_DAY)
		return row_read(&t->days[unit % STATS_NDAYS], unit, c);
	return 0;
}

uint64_t
stats_dropped(struct stats *st)
{
	return ld(&st->f->hdr.dropped);
}
