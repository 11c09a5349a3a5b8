/*
 * stats.c - the shared stats file: layout, creation, lock-free updates and
 * raw readers.  See stats.h for the contract.
 *
 * Concurrency rules, which are the point of this file.  Nobody ever waits
 * for anybody, and nothing guesses from elapsed time whether a peer is
 * dead: a process can be descheduled for any time at any instruction, or
 * killed there, and the others neither block nor lose counts for it.
 *
 *  - Lifetime counters are uint64 words updated with __atomic_fetch_add; a
 *    process killed at any instruction leaves every word either updated or
 *    not.
 *
 *  - Ring buckets (minutes, days; tenant hours and days) are reused, so a
 *    count must never land in, or be wiped from, the wrong unit.  Layout 2
 *    zeroed a bucket in place and took over a bucket whose zeroer seemed
 *    dead after 20 ms; a zeroer that was only descheduled then wiped adds
 *    made after the takeover, and a writer descheduled between checking the
 *    bucket's stamp and adding landed in the next lap.  Both lost or moved
 *    counts under CPU contention.  Since layout 3 every ring word carries
 *    its own identity: the high TAG_BITS hold the ring lap of the unit whose
 *    count it is (1 + lap % TAG_LAPS; 0 = never written), the low VAL_BITS
 *    the count.  A writer changes a word with one CAS: same lap, add; older
 *    lap, replace with its own value (the reset and the add are one atomic
 *    step, so there is no zeroing phase to be interrupted or to help
 *    finish); newer lap, drop.  A writer of any lap therefore only ever
 *    changes its own lap's words, however long it was stalled, and a reader
 *    of unit u counts only words tagged with u's lap.  A killed writer loses
 *    the adds it had not made yet: its own request, never completed.
 *    Each bucket also has a hint word, the highest unit + 1 entered
 *    (monotonic CAS-max).  Readers use it to skip, without touching the
 *    bucket's pages, buckets never written for their unit and buckets a
 *    newer unit has claimed; writers of an older unit drop their update
 *    (counted in `dropped`) once a newer one has entered.
 *    52-bit values hold 4.5e15 (nano-dollars: $4.5M per key and unit;
 *    microseconds: 52,000 requests in flight around the clock for a day);
 *    a word that would overflow saturates and counts a drop.
 *
 *  - Dimension tables (keys, tenants, refusal keys) are open-addressed.  A slot's state
 *    word (state | hash) goes EMPTY -> CLAIMING by CAS; from then on every
 *    process that wants the same hash helps finish the claim instead of
 *    waiting: it finds or takes the slot's dense index in the owner array
 *    (first free position, by CAS, after scanning for one the slot already
 *    owns, so helpers agree on one index), writes the key words (identical
 *    bytes from every helper), then CASes CLAIMING -> READY.  A creator
 *    killed half way leaves a claim the next user finishes; no index is
 *    ever lost or duplicated.  A different key with the same 62-bit hash
 *    could only garble a name, never counts: lookups compare the names.
 */
#include "autoconf.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"

#define STATS_MAGIC		"TGSTATS\n"
#define STATS_KEY_SLOTS		256
#define STATS_TENANT_SLOTS	512
#define STATS_REJECT_SLOTS	256
#define STATS_NSTICKY		4096
#define STATS_CONV_LEN		64

/* Slot state words: (hash & ~3) | state; 0 is EMPTY. */
#define SLOT_EMPTY		0
#define SLOT_CLAIMING		1
#define SLOT_READY		2
#define SLOT_WORD(h, state)	(((h) & ~UINT64_C(3)) | (state))

/* Tagged ring words: tag (lap) in the high bits, count in the low bits. */
#define TAG_BITS		12
#define VAL_BITS		(64 - TAG_BITS)
#define VAL_MAX			((UINT64_C(1) << VAL_BITS) - 1)
#define TAG_LAPS		((UINT64_C(1) << TAG_BITS) - 1)	/* tags 1..4095 */

#define NGEOMETRY		14

struct sh_header {
	char		magic[8];
	uint32_t	layout;
	uint32_t	header_size;
	uint64_t	file_size;
	uint32_t	geometry[NGEOMETRY];	/* see geometry_fill() */
	uint64_t	created;
	uint64_t	nkeys;		/* 1 + highest dense key index taken */
	uint64_t	ntenants;
	uint64_t	dropped;
	uint64_t	nrejects;
	uint64_t	reserved[18];
};

struct sh_keyslot {
	uint64_t	word;		/* SLOT_WORD */
	uint32_t	idx;
	uint32_t	pad;
	struct stats_key key;
};

struct sh_keyrec {
	uint32_t	ready;
	uint32_t	pad;
	struct stats_key key;
	struct stats_counts life;	/* plain counters */
};

struct sh_tslot {
	uint64_t	word;		/* SLOT_WORD */
	uint32_t	idx;
	uint32_t	pad;
	char		name[STATS_TENANT_LEN];
};

struct sh_rslot {
	uint64_t	word;		/* SLOT_WORD */
	uint32_t	idx;
	uint32_t	pad;
	struct stats_rkey key;
};

struct sh_rejrec {
	uint32_t	ready;
	uint32_t	pad;
	struct stats_rkey key;
	uint64_t	life;		/* plain counter */
};

struct sh_row {
	uint64_t	hint;		/* highest unit + 1 entered */
	uint64_t	c[STATS_C__MAX];	/* tagged */
};

struct sh_tenant {
	uint32_t	ready;
	uint32_t	pad;
	char		name[STATS_TENANT_LEN];
	uint64_t	life[STATS_C__MAX];	/* plain counters */
	struct sh_row	hours[STATS_NHOURS];
	struct sh_row	days[STATS_NDAYS];
};

/* A minute or day bucket, every word tagged; its hint lives in a separate
 * dense array so a reader scanning a window touches one page per 512
 * hints, not one per bucket. */
struct sh_bucket {
	struct stats_counts global;
	uint64_t	rows[STATS_MAX_KEYS][STATS_C__MAX];
	uint64_t	rejects[STATS_MAX_REJECTS];	/* refusals per key */
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
	uint32_t		key_owner[STATS_MAX_KEYS];	/* slot + 1; 0 free */
	struct sh_keyrec	keys[STATS_MAX_KEYS];
	struct sh_tslot		tslots[STATS_TENANT_SLOTS];
	uint32_t		tenant_owner[STATS_MAX_TENANTS];
	struct sh_tenant	tenants[STATS_MAX_TENANTS];
	struct sh_rslot		rslots[STATS_REJECT_SLOTS];
	uint32_t		reject_owner[STATS_MAX_REJECTS];
	struct sh_rejrec	rejects[STATS_MAX_REJECTS];
	struct sh_sticky	sticky[STATS_NSTICKY];
	uint64_t		day_hint[STATS_NDAYS];
	uint64_t		min_hint[STATS_NMINUTES];
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
geometry_fill(uint32_t g[NGEOMETRY])
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
	g[12] = STATS_MAX_REJECTS;
	g[13] = STATS_REJECT_SLOTS;
}

/* --- atomics --------------------------------------------------------- */

/*
 * Progress of a resumable stats_record_resume() on this thread, NULL for
 * stats_record().  Every add of a record has a number: its part (key,
 * minute, day, tenant lifetime, hour, day) times CUR_PART plus its rank in
 * the part, counted whether or not it changes a word, so the numbers do
 * not depend on the values or on what a part dropped; *done is one past
 * the highest number made.
 */
#define CUR_PART	128
#define CUR_DROP	(CUR_PART - 1)	/* rank of a part's dropped() */

struct cursor {
	uint32_t	*done;
	uint32_t	 part, rank;
};

static __thread struct cursor *rec_cur;

/* 1 when the next add of the record was made before: skip it. */
static int
cur_skip(uint32_t rank)
{
	if (rec_cur == NULL)
		return 0;
	return rec_cur->part * CUR_PART + rank < __atomic_load_n(rec_cur->done, __ATOMIC_RELAXED);
}

static void
cur_made(uint32_t rank)
{
	if (rec_cur != NULL)
		__atomic_store_n(rec_cur->done, rec_cur->part * CUR_PART + rank + 1, __ATOMIC_RELAXED);
}

static uint32_t
cur_next(void)
{
	return rec_cur != NULL ? rec_cur->rank++ : 0;
}

static void
cur_part(uint32_t part)
{
	if (rec_cur != NULL) {
		rec_cur->part = part;
		rec_cur->rank = 0;
	}
}

static inline void
add(uint64_t *p, uint64_t v)
{
	uint32_t	 r = cur_next();

	if (v == 0 || cur_skip(r))
		return;
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
	cur_made(r);
}

static inline uint64_t
ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void
dropped(struct stats *st)
{
	if (cur_skip(CUR_DROP))
		return;
	__atomic_fetch_add(&st->f->hdr.dropped, 1, __ATOMIC_RELAXED);
	cur_made(CUR_DROP);
}

/* Raise *p to at least v. */
static void
atomic_max(uint64_t *p, uint64_t v)
{
	uint64_t	 cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (cur < v && !__atomic_compare_exchange_n(p, &cur, v, 1,
	    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
}

/* Copy n bytes (a multiple of 8) into or out of the mapping word by word
 * with atomic stores or loads: helpers may write the same bytes at once.
 * dst (store) or src (load) is 8-aligned; the other side need not be. */
static void
words_store(void *dst, const void *src, size_t n)
{
	uint64_t	*d = dst, w;
	size_t		 i;

	for (i = 0; i < n / 8; i++) {
		memcpy(&w, (const char *)src + i * 8, 8);
		__atomic_store_n(&d[i], w, __ATOMIC_RELAXED);
	}
}

static void
words_load(void *dst, const void *src, size_t n)
{
	const uint64_t	*s = src;
	uint64_t	 w;
	size_t		 i;

	for (i = 0; i < n / 8; i++) {
		w = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
		memcpy((char *)dst + i * 8, &w, 8);
	}
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
	struct sh_rejrec	*rov = &f->rejects[STATS_MAX_REJECTS - 1];

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
	copy_trunc(rov->key.router, "(other)", sizeof(rov->key.router));
	rov->ready = 1;
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
	uint32_t	 g[NGEOMETRY];

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

_Static_assert(sizeof(struct stats_key) % 8 == 0, "key copied by words");
_Static_assert(STATS_TENANT_LEN % 8 == 0, "tenant name copied by words");

/*
 * The dense index owned by slot number `slot` in owner[0 .. max - 2]:
 * the position already holding slot + 1, else the first free one, taken
 * by CAS.  Positions are taken in order and never freed, so every helper
 * of one slot meets the same position (a helper only passes a position
 * that holds another slot).  Raises *count past it.  Returns max - 1 (the
 * overflow index) when every position is taken.
 */
static uint32_t
owner_index(uint32_t *owner, uint32_t max, uint32_t slot, uint64_t *count)
{
	uint32_t	 i, o;

	for (i = 0; i < max - 1; i++) {
		o = __atomic_load_n(&owner[i], __ATOMIC_ACQUIRE);
		if (o == 0 && __atomic_compare_exchange_n(&owner[i], &o, slot + 1, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			o = slot + 1;
		if (o == slot + 1) {
			atomic_max(count, (uint64_t)i + 1);
			return i;
		}
	}
	return max - 1;
}

/*
 * Make slot word *w, claimed (CLAIMING) or wanted (EMPTY) for hash h, the
 * caller's.  Returns the state word seen afterwards: READY|h when the slot
 * is (now) published for h, so the caller must finish the claim whenever
 * this returns CLAIMING|h first.
 */
static uint64_t
slot_take(uint64_t *w, uint64_t h)
{
	uint64_t	 cur = __atomic_load_n(w, __ATOMIC_ACQUIRE);

	if (cur == SLOT_EMPTY && __atomic_compare_exchange_n(w, &cur,
	    SLOT_WORD(h, SLOT_CLAIMING), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		cur = SLOT_WORD(h, SLOT_CLAIMING);
	return cur;
}

/* Publish a claim (any helper; losing the CAS means another did it). */
static void
slot_publish(uint64_t *w, uint64_t h)
{
	uint64_t	 cur = SLOT_WORD(h, SLOT_CLAIMING);

	__atomic_compare_exchange_n(w, &cur, SLOT_WORD(h, SLOT_READY), 0,
	    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/* Finish the claim of key slot number n for k (claimer or helper). */
static void
key_finish(struct stats *st, uint32_t n, uint64_t h, const struct stats_key *k)
{
	struct sh_keyslot	*s = &st->f->keyslots[n];
	struct sh_keyrec	*rec;
	uint32_t		 idx;

	idx = owner_index(st->f->key_owner, STATS_MAX_KEYS, n, &st->f->hdr.nkeys);
	words_store(&s->key, k, sizeof(*k));
	__atomic_store_n(&s->idx, idx, __ATOMIC_RELAXED);
	rec = &st->f->keys[idx];
	if (idx != STATS_MAX_KEYS - 1) {
		words_store(&rec->key, k, sizeof(*k));
		__atomic_store_n(&rec->ready, 1, __ATOMIC_RELEASE);
	} else
		dropped(st);
	slot_publish(&s->word, h);
}

static int
key_equal(const struct stats_key *a, const struct stats_key *b)
{
	return strcmp(a->router, b->router) == 0 &&
	    strcmp(a->model, b->model) == 0 && strcmp(a->class_, b->class_) == 0;
}

/* 1 when published slot s holds key k. */
static int
key_at(const struct sh_keyslot *s, const struct stats_key *k)
{
	struct stats_key	 cur;

	words_load(&cur, &s->key, sizeof(cur));
	return key_equal(&cur, k);
}

/* Dense index of key k (strings NUL-terminated within their fields),
 * creating it; the overflow index when full. */
static uint32_t
key_index(struct stats *st, const struct stats_key *k)
{
	struct sh_keyslot	*s;
	uint64_t		 h, w;
	uint32_t		 i, n;

	h = fnv1a(fnv1a(fnv1a(FNV_BASIS, k->router), k->model), k->class_);
	for (i = 0; i < STATS_KEY_SLOTS; i++) {
		n = (uint32_t)((h + i) % STATS_KEY_SLOTS);
		s = &st->f->keyslots[n];
		w = slot_take(&s->word, h);
		if (w == SLOT_WORD(h, SLOT_CLAIMING)) {
			key_finish(st, n, h, k);
			w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);
		}
		if (w == SLOT_WORD(h, SLOT_READY) && key_at(s, k))
			return __atomic_load_n(&s->idx, __ATOMIC_RELAXED);
	}
	dropped(st);
	return STATS_MAX_KEYS - 1;
}

/* Finish the claim of tenant slot number n for `name` (a full field). */
static void
tenant_finish(struct stats *st, uint32_t n, uint64_t h, const char *name)
{
	struct sh_tslot		*s = &st->f->tslots[n];
	struct sh_tenant	*t;
	uint32_t		 idx;

	idx = owner_index(st->f->tenant_owner, STATS_MAX_TENANTS, n,
	    &st->f->hdr.ntenants);
	words_store(s->name, name, STATS_TENANT_LEN);
	__atomic_store_n(&s->idx, idx, __ATOMIC_RELAXED);
	t = &st->f->tenants[idx];
	if (idx != STATS_MAX_TENANTS - 1) {
		words_store(t->name, name, STATS_TENANT_LEN);
		__atomic_store_n(&t->ready, 1, __ATOMIC_RELEASE);
	} else
		dropped(st);
	slot_publish(&s->word, h);
}

static int
tenant_at(const struct sh_tslot *s, const char *name)
{
	char	 cur[STATS_TENANT_LEN];

	words_load(cur, s->name, sizeof(cur));
	return strncmp(cur, name, sizeof(cur)) == 0;
}

/* Dense index of tenant `name` (a zero-padded STATS_TENANT_LEN field),
 * creating it; the overflow index when full. */
static uint32_t
tenant_index(struct stats *st, const char *name)
{
	struct sh_tslot	*s;
	uint64_t	 h, w;
	uint32_t	 i, n;

	h = fnv1a(FNV_BASIS, name);
	for (i = 0; i < STATS_TENANT_SLOTS; i++) {
		n = (uint32_t)((h + i) % STATS_TENANT_SLOTS);
		s = &st->f->tslots[n];
		w = slot_take(&s->word, h);
		if (w == SLOT_WORD(h, SLOT_CLAIMING)) {
			tenant_finish(st, n, h, name);
			w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);
		}
		if (w == SLOT_WORD(h, SLOT_READY) && tenant_at(s, name))
			return __atomic_load_n(&s->idx, __ATOMIC_RELAXED);
	}
	dropped(st);
	return STATS_MAX_TENANTS - 1;
}

_Static_assert(sizeof(struct stats_rkey) % 8 == 0, "refusal key copied by words");

/* Finish the claim of refusal slot number n for k (claimer or helper). */
static void
reject_finish(struct stats *st, uint32_t n, uint64_t h, const struct stats_rkey *k)
{
	struct sh_rslot		*s = &st->f->rslots[n];
	struct sh_rejrec	*rec;
	uint32_t		 idx;

	idx = owner_index(st->f->reject_owner, STATS_MAX_REJECTS, n, &st->f->hdr.nrejects);
	words_store(&s->key, k, sizeof(*k));
	__atomic_store_n(&s->idx, idx, __ATOMIC_RELAXED);
	rec = &st->f->rejects[idx];
	if (idx != STATS_MAX_REJECTS - 1) {
		words_store(&rec->key, k, sizeof(*k));
		__atomic_store_n(&rec->ready, 1, __ATOMIC_RELEASE);
	} else
		dropped(st);
	slot_publish(&s->word, h);
}

static int
reject_at(const struct sh_rslot *s, const struct stats_rkey *k)
{
	struct stats_rkey	 cur;

	words_load(&cur, &s->key, sizeof(cur));
	return memcmp(&cur, k, sizeof(cur)) == 0;
}

static uint64_t
reject_hash(const struct stats_rkey *k)
{
	char	 num[24];

	snprintf(num, sizeof(num), "%u/%u", k->status, k->reason);
	return fnv1a(fnv1a(fnv1a(FNV_BASIS, k->router), k->tenant), num);
}

/* Dense index of refusal key k (zero-padded fields), creating it; the
 * overflow index when full. */
static uint32_t
reject_index(struct stats *st, const struct stats_rkey *k)
{
	struct sh_rslot	*s;
	uint64_t	 h = reject_hash(k), w;
	uint32_t	 i, n;

	for (i = 0; i < STATS_REJECT_SLOTS; i++) {
		n = (uint32_t)((h + i) % STATS_REJECT_SLOTS);
		s = &st->f->rslots[n];
		w = slot_take(&s->word, h);
		if (w == SLOT_WORD(h, SLOT_CLAIMING)) {
			reject_finish(st, n, h, k);
			w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);
		}
		if (w == SLOT_WORD(h, SLOT_READY) && reject_at(s, k))
			return __atomic_load_n(&s->idx, __ATOMIC_RELAXED);
	}
	dropped(st);
	return STATS_MAX_REJECTS - 1;
}

/* --- rings ----------------------------------------------------------- */

/* Tag of `unit` in a ring of n units: 1 + its lap, modulo TAG_LAPS. */
static uint64_t
ring_tag(uint64_t unit, uint64_t n)
{
	return 1 + (unit / n) % TAG_LAPS;
}

/* 1 when tag a is a later lap than tag b (serial arithmetic over
 * TAG_LAPS; 0 is older than any tag). */
static int
tag_newer(uint64_t a, uint64_t b)
{
	uint64_t	 d;

	if (b == 0)
		return 1;
	d = (a + TAG_LAPS - b) % TAG_LAPS;
	return d != 0 && d < TAG_LAPS / 2;
}

/* Count of word *w for tag, 0 when it holds another lap. */
static inline uint64_t
tval(const uint64_t *w, uint64_t tag)
{
	uint64_t	 x = __atomic_load_n(w, __ATOMIC_RELAXED);

	return x >> VAL_BITS == tag ? x & VAL_MAX : 0;
}

/*
 * Add v to the count of lap `tag` in word *w: one CAS that adds (same
 * lap) or replaces an older lap's count with v.  Returns 0, or 1 when the
 * word holds a newer lap (nothing changed) or saturated.
 */
static int
tadd(uint64_t *w, uint64_t tag, uint64_t v)
{
	uint64_t	 old, next, val;
	uint32_t	 r = cur_next();
	int		 lost;

	if (v == 0 || cur_skip(r))
		return 0;
	old = __atomic_load_n(w, __ATOMIC_RELAXED);
	do {
		lost = 0;
		if (old >> VAL_BITS == tag)
			val = old & VAL_MAX;
		else if (tag_newer(tag, old >> VAL_BITS))
			val = 0;
		else
			return 1;
		if (v > VAL_MAX - val) {
			next = tag << VAL_BITS | VAL_MAX;
			lost = 1;
		} else
			next = tag << VAL_BITS | (val + v);
	} while (!__atomic_compare_exchange_n(w, &old, next, 1,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	cur_made(r);
	return lost;
}

/* Enter unit + 1 into a bucket's hint.  Returns 0 when a newer unit has
 * entered (the caller drops its update). */
static int
hint_enter(uint64_t *hint, uint64_t unit)
{
	atomic_max(hint, unit + 1);
	return __atomic_load_n(hint, __ATOMIC_RELAXED) == unit + 1;
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
	/* A request no model answered cost nothing: it is not "unpriced". */
	if (d->cost_known)
		dl->c[STATS_C_COST] = nano(d->cost);
	else if (d->model != NULL)
		dl->c[STATS_C_UNPRICED] = 1;
	if (d->cf_known)
		dl->c[STATS_C_CF] = nano(d->cf_cost);
	else if (d->model != NULL)
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

/* Lifetime counters: plain adds. */
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

/* Ring counters: tagged adds.  Return the number of words not added. */
static int
tadd_row(uint64_t *row, uint64_t tag, const struct delta *dl)
{
	int	 i, lost = 0;

	for (i = 0; i < STATS_C__MAX; i++)
		lost += tadd(&row[i], tag, dl->c[i]);
	return lost;
}

static int
tadd_counts(struct stats_counts *sc, uint64_t tag, const struct delta *dl)
{
	int	 lost;

	lost = tadd_row(sc->c, tag, dl);
	if (dl->fb >= 0)
		lost += tadd(&sc->fallback[dl->fb], tag, 1);
	if (dl->err >= 0)
		lost += tadd(&sc->upstream_err[dl->err], tag, 1);
	lost += tadd(&sc->status[dl->status], tag, 1);
	lost += tadd(&sc->lat_upstream[dl->lat_up], tag, 1);
	lost += tadd(&sc->lat_overhead[dl->lat_ov], tag, 1);
	lost += tadd(&sc->lat_upstream_sum, tag, dl->up_us);
	lost += tadd(&sc->lat_overhead_sum, tag, dl->ov_us);
	return lost;
}

#define NWORDS(x)	(sizeof(x) / sizeof(uint64_t))

/* Add to bucket b (hint *hint) of a ring of n units, key row k.  A unit
 * that a newer one overtook while we added is counted as dropped too. */
static void
bucket_add(struct stats *st, uint64_t *hint, struct sh_bucket *b, uint64_t unit,
    uint64_t n, uint32_t k, const struct delta *dl)
{
	uint64_t	 tag = ring_tag(unit, n);
	int		 lost;

	if (!hint_enter(hint, unit)) {
		dropped(st);
		return;
	}
	lost = tadd_counts(&b->global, tag, dl);
	lost += tadd_row(b->rows[k], tag, dl);
	if (lost > 0 || __atomic_load_n(hint, __ATOMIC_RELAXED) != unit + 1)
		dropped(st);
}

static void
trow_add(struct stats *st, struct sh_row *r, uint64_t unit, uint64_t n,
    const struct delta *dl)
{
	if (!hint_enter(&r->hint, unit) || tadd_row(r->c, ring_tag(unit, n), dl) > 0 ||
	    __atomic_load_n(&r->hint, __ATOMIC_RELAXED) != unit + 1)
		dropped(st);
}

/* Count one refusal in bucket b (hint *hint) of a ring of n units. */
static void
reject_bucket_add(struct stats *st, uint64_t *hint, struct sh_bucket *b, uint64_t unit,
    uint64_t n, uint32_t ri)
{
	if (!hint_enter(hint, unit) || tadd(&b->rejects[ri], ring_tag(unit, n), 1) > 0 ||
	    __atomic_load_n(hint, __ATOMIC_RELAXED) != unit + 1)
		dropped(st);
}

static void
stats_record_reject(struct stats *st, const struct tg_decision *d, time_t now)
{
	struct stats_rkey	 k;
	uint64_t		 min = (uint64_t)now / 60, day = (uint64_t)now / 86400;
	uint32_t		 ri;

	memset(&k, 0, sizeof(k));
	copy_trunc(k.router, d->router != NULL ? d->router : "", sizeof(k.router));
	copy_trunc(k.tenant, d->tenant != NULL ? d->tenant : "", sizeof(k.tenant));
	k.status = d->status >= 100 && d->status < 600 ? (uint32_t)d->status : 0;
	k.reason = (uint32_t)d->reject;
	ri = reject_index(st, &k);
	cur_part(0);		/* parts numbered as stats_record()'s */
	add(&st->f->rejects[ri].life, 1);
	cur_part(1);
	reject_bucket_add(st, &st->f->min_hint[min % STATS_NMINUTES],
	    &st->f->minutes[min % STATS_NMINUTES], min, STATS_NMINUTES, ri);
	cur_part(2);
	reject_bucket_add(st, &st->f->day_hint[day % STATS_NDAYS],
	    &st->f->days[day % STATS_NDAYS], day, STATS_NDAYS, ri);
}

void
stats_record_resume(struct stats *st, const struct tg_decision *d, time_t now,
    uint32_t *progress)
{
	struct cursor	 c = { progress, 0, 0 };

	rec_cur = progress != NULL ? &c : NULL;
	stats_record(st, d, now);
	rec_cur = NULL;
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
	if (d->reject != TG_RJ_NONE) {
		stats_record_reject(st, d, now);
		return;
	}
	/* zero-padded: the fields are copied into the file whole */
	memset(&k, 0, sizeof(k));
	memset(tname, 0, sizeof(tname));
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
	cur_part(0);
	add_counts(&st->f->keys[ki].life, &dl);
	cur_part(1);
	bucket_add(st, &st->f->min_hint[min % STATS_NMINUTES],
	    &st->f->minutes[min % STATS_NMINUTES], min, STATS_NMINUTES, ki, &dl);
	cur_part(2);
	bucket_add(st, &st->f->day_hint[day % STATS_NDAYS],
	    &st->f->days[day % STATS_NDAYS], day, STATS_NDAYS, ki, &dl);

	ti = tenant_index(st, tname);
	t = &st->f->tenants[ti];
	cur_part(3);
	add_row(t->life, &dl);
	cur_part(4);
	trow_add(st, &t->hours[hour % STATS_NHOURS], hour, STATS_NHOURS, &dl);
	cur_part(5);
	trow_add(st, &t->days[day % STATS_NDAYS], day, STATS_NDAYS, &dl);
}

/* --- budget readers -------------------------------------------------- */

double
stats_usd(uint64_t nanousd)
{
	return (double)nanousd / 1e9;
}

/* Add tenant row r, a ring of n units, for `unit` into c. */
static int
row_read(const struct sh_row *r, uint64_t unit, uint64_t n, uint64_t c[STATS_C__MAX])
{
	uint64_t	 tag = ring_tag(unit, n);
	int		 i;

	if (__atomic_load_n(&r->hint, __ATOMIC_RELAXED) != unit + 1)
		return 0;
	for (i = 0; i < STATS_C__MAX; i++)
		c[i] += tval(&r->c[i], tag);
	return 1;
}

double
stats_tenant_spend_today(struct stats *st, const char *tenant, time_t now)
{
	uint64_t		 c[STATS_C__MAX] = { 0 }, day, h;
	struct sh_tslot		*s;
	uint64_t		 w;
	uint32_t		 i, idx;
	char			 tname[STATS_TENANT_LEN];

	if (st == NULL || now < 0)
		return 0;
	memset(tname, 0, sizeof(tname));
	copy_trunc(tname, tenant != NULL ? tenant : "", sizeof(tname));
	day = (uint64_t)now / 86400;
	h = fnv1a(FNV_BASIS, tname);
	for (i = 0; i < STATS_TENANT_SLOTS; i++) {
		s = &st->f->tslots[(h + i) % STATS_TENANT_SLOTS];
		w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);
		if (w == SLOT_EMPTY)
			break;
		if (w == SLOT_WORD(h, SLOT_READY) && tenant_at(s, tname)) {
			idx = __atomic_load_n(&s->idx, __ATOMIC_RELAXED);
			row_read(&st->f->tenants[idx].days[day % STATS_NDAYS], day,
			    STATS_NDAYS, c);
			break;
		}
	}
	return stats_usd(c[STATS_C_COST]);
}

double
stats_router_spend_today(struct stats *st, const char *router, time_t now)
{
	struct sh_bucket	*b;
	struct stats_key	 k;
	uint64_t		 day, tag, sum = 0;
	size_t			 i, nk;

	if (st == NULL || now < 0 || router == NULL)
		return 0;
	day = (uint64_t)now / 86400;
	tag = ring_tag(day, STATS_NDAYS);
	b = &st->f->days[day % STATS_NDAYS];
	if (__atomic_load_n(&st->f->day_hint[day % STATS_NDAYS], __ATOMIC_RELAXED) != day + 1)
		return 0;
	nk = stats_nkeys(st);
	for (i = 0; i < nk; i++)
		if (stats_key(st, i, &k) == 0 &&
		    strncmp(k.router, router, STATS_ROUTER_LEN - 1) == 0)
			sum += tval(&b->rows[i][STATS_C_COST], tag);
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
	words_load(out, &r->key, sizeof(*out));
	return 0;
}

/* Add plain (lifetime) counters src into out. */
static void
counts_read(struct stats_counts *out, const struct stats_counts *src)
{
	const uint64_t	*s = (const uint64_t *)src;
	uint64_t	*o = (uint64_t *)out;
	size_t		 i;

	for (i = 0; i < NWORDS(*src); i++)
		o[i] += ld(&s[i]);
}

/* Add the counts of lap `tag` in tagged counters src into out. */
static void
counts_read_tagged(struct stats_counts *out, const struct stats_counts *src,
    uint64_t tag)
{
	const uint64_t	*s = (const uint64_t *)src;
	uint64_t	*o = (uint64_t *)out;
	size_t		 i;

	for (i = 0; i < NWORDS(*src); i++)
		o[i] += tval(&s[i], tag);
}

/* The minute or day bucket holding `unit`, with its tag; NULL when its
 * hint says it holds another unit (expired or never written). */
static struct sh_bucket *
bucket_of(struct stats *st, enum stats_unit u, uint64_t unit, uint64_t *tag)
{
	uint64_t	*hint;

	if (u == STATS_MINUTE) {
		hint = &st->f->min_hint[unit % STATS_NMINUTES];
		*tag = ring_tag(unit, STATS_NMINUTES);
	} else if (u == STATS_DAY) {
		hint = &st->f->day_hint[unit % STATS_NDAYS];
		*tag = ring_tag(unit, STATS_NDAYS);
	} else
		return NULL;
	if (__atomic_load_n(hint, __ATOMIC_RELAXED) != unit + 1)
		return NULL;
	return u == STATS_MINUTE ? &st->f->minutes[unit % STATS_NMINUTES] :
	    &st->f->days[unit % STATS_NDAYS];
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
	uint64_t		 tag;
	size_t			 k;
	int			 i;

	if ((b = bucket_of(st, u, unit, &tag)) == NULL)
		return 0;
	if (global != NULL)
		counts_read_tagged(global, &b->global, tag);
	for (k = 0; k < nrows && k < STATS_MAX_KEYS; k++)
		for (i = 0; i < STATS_C__MAX; i++)
			rows[k][i] += tval(&b->rows[k][i], tag);
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
	char			 name[STATS_TENANT_LEN];

	if (idx >= STATS_MAX_TENANTS || len == 0)
		return -1;
	t = &st->f->tenants[idx];

	if (!__atomic_load_n(&t->ready, __ATOMIC_ACQUIRE))
		return -1;
	words_load(name, t->name, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	copy_trunc(out, name, len < sizeof(name) ? len : sizeof(name));
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
		return row_read(&t->hours[unit % STATS_NHOURS], unit, STATS_NHOURS, c);
	if (u == STATS_DAY)
		return row_read(&t->days[unit % STATS_NDAYS], unit, STATS_NDAYS, c);
	return 0;
}

size_t
stats_nrejects(struct stats *st)
{
	uint64_t	 n;

	n = __atomic_load_n(&st->f->hdr.nrejects, __ATOMIC_ACQUIRE);
	return n >= STATS_MAX_REJECTS - 1 ? STATS_MAX_REJECTS : (size_t)n;
}

int
stats_reject_key(struct stats *st, size_t idx, struct stats_rkey *out)
{
	struct sh_rejrec	*r;

	if (idx >= STATS_MAX_REJECTS)
		return -1;
	r = &st->f->rejects[idx];
	if (!__atomic_load_n(&r->ready, __ATOMIC_ACQUIRE))
		return -1;
	words_load(out, &r->key, sizeof(*out));
	out->router[sizeof(out->router) - 1] = '\0';
	out->tenant[sizeof(out->tenant) - 1] = '\0';
	return 0;
}

uint64_t
stats_reject_lifetime(struct stats *st, size_t idx)
{
	return idx < STATS_MAX_REJECTS ? ld(&st->f->rejects[idx].life) : 0;
}

int
stats_reject_read(struct stats *st, enum stats_unit u, uint64_t unit, uint64_t *rows,
    size_t nrows)
{
	struct sh_bucket	*b;
	uint64_t		 tag;
	size_t			 k;

	if ((b = bucket_of(st, u, unit, &tag)) == NULL)
		return 0;
	for (k = 0; k < nrows && k < STATS_MAX_REJECTS; k++)
		rows[k] += tval(&b->rejects[k], tag);
	return 1;
}

uint64_t
stats_dropped(struct stats *st)
{
	return ld(&st->f->hdr.dropped);
}
