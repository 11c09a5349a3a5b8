/*
 * stats.h - exact request counters shared by every tiergate process and
 * thread of a host, in one memory-mapped file.
 *
 * All updates are lock-free atomic operations on integers in the mapping
 * (money in nano-dollars); nobody waits for anybody, so a worker killed or
 * descheduled anywhere in stats_record() loses at most its own partial
 * update and never blocks, delays or corrupts anyone else's (see stats.c
 * for how ring buckets are reused without a reset phase).
 * Every function that needs the time takes it as `now` (Unix seconds), so
 * tests inject the clock.
 *
 * What is kept:
 *  - per key (router x answering model x request class): lifetime counters,
 *    fallbacks by reason, upstream errors by type, status classes and
 *    latency histograms (struct stats_counts);
 *  - a ring of per-minute buckets (>= 7 days) and of per-day buckets
 *    (64 days), each with a global struct stats_counts and per-key rows of
 *    the STATS_C_* counters;
 *  - per tenant: lifetime, per-hour (8 days) and per-day (64 days) rows;
 *  - requests refused before a model was called, apart from all of the
 *    above (they are no model's traffic, spend or unpriced requests): per
 *    refusal key (router x tenant x status x reason), lifetime and in
 *    every minute and day bucket;
 *  - a best-effort sticky-conversation table (conversation id -> model).
 */
#ifndef TG_STATS_H
#define TG_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "decision.h"

struct stats;

/* Bumped on any change of the file layout; a file of another version is
 * refused (move it away or rebuild it from the decision logs). */
#define STATS_LAYOUT_VERSION	5	/* 4: fallback kind low_confidence;
					 * 5: counters of refused requests */

/* The per-row counters.  Money is integer nano-dollars. */
enum stats_counter {
	STATS_C_REQUESTS = 0,
	STATS_C_INPUT,		/* input tokens */
	STATS_C_OUTPUT,		/* output tokens */
	STATS_C_CACHE_READ,	/* cache-read input tokens */
	STATS_C_CACHE_WRITE,	/* cache-write input tokens */
	STATS_C_COST,		/* nano-$ actually spent, priced requests only */
	STATS_C_UNPRICED,	/* requests whose answering model is unpriced */
	STATS_C_CF,		/* nano-$ counterfactual, where priced */
	STATS_C_CF_UNPRICED,	/* requests whose counterfactual is unpriced */
	STATS_C_CMP_COST,	/* nano-$ cost where cost and cf are both priced */
	STATS_C_CMP_CF,		/* nano-$ cf where cost and cf are both priced */
	STATS_C_CHEAPER,	/* answered by a model other than the cf model */
	STATS_C_CMP_REQUESTS,	/* requests with cost and cf both priced */
	STATS_C__MAX
};

/* Latency histogram: bucket i counts values <= stats_lat_bounds_us[i]
 * (1-2-5 per decade, 1 us .. 500 s); the last bucket is +Inf. */
#define STATS_NLAT	28
extern const uint64_t stats_lat_bounds_us[STATS_NLAT - 1];

/* HTTP status classes: [0] other, [1] 1xx .. [5] 5xx. */
#define STATS_NSTATUS	6

/* A plain (non-shared) snapshot of counters. */
struct stats_counts {
	uint64_t	c[STATS_C__MAX];
	uint64_t	fallback[TG_FB__MAX];		/* [TG_FB_NONE] unused */
	uint64_t	upstream_err[TG_UP__MAX];	/* [TG_UP_OK] unused */
	uint64_t	status[STATS_NSTATUS];
	uint64_t	lat_upstream[STATS_NLAT];
	uint64_t	lat_overhead[STATS_NLAT];
	uint64_t	lat_upstream_sum;	/* microseconds */
	uint64_t	lat_overhead_sum;	/* microseconds */
};

/* Key strings are truncated to these sizes (NUL included). */
#define STATS_ROUTER_LEN	64
#define STATS_MODEL_LEN		160
#define STATS_CLASS_LEN		48
#define STATS_TENANT_LEN	64

struct stats_key {
	char	router[STATS_ROUTER_LEN];
	char	model[STATS_MODEL_LEN];	/* "" when no model answered */
	char	class_[STATS_CLASS_LEN];
};

/* A refused request: router named ("" if none or unknown), tenant ("" if
 * not authenticated), HTTP status sent and reason (enum tg_reject). */
struct stats_rkey {
	char		router[STATS_ROUTER_LEN];
	char		tenant[STATS_TENANT_LEN];
	uint32_t	status;
	uint32_t	reason;
};

enum stats_unit {
	STATS_MINUTE = 0,	/* keys and global: ring of STATS_NMINUTES */
	STATS_HOUR,		/* tenants only: ring of STATS_NHOURS */
	STATS_DAY,		/* keys, global, tenants: ring of STATS_NDAYS */
};
#define STATS_NMINUTES	10240	/* 7 days + 2 h 40 min */
#define STATS_NHOURS	192	/* 8 days */
#define STATS_NDAYS	64
#define STATS_MAX_KEYS	128	/* the last one collects overflow */
#define STATS_MAX_TENANTS 256	/* the last one collects overflow */
#define STATS_MAX_REJECTS 128	/* the last one collects overflow */

/*
 * Open the stats file at `path`, creating it (atomically: temp file,
 * ftruncate, initialise, link into place) when it does not exist.  A file
 * with a wrong magic, layout version or size is refused, never rewritten.
 * Returns NULL with a message in err on failure.  Close with stats_close().
 */
struct stats	*stats_open(const char *path, char *err, size_t errlen);
void		 stats_close(struct stats *);

/* Count one finished request: a refused one (d->reject set) only in the
 * refusal counters, any other in the rest.  Thread- and process-safe,
 * lock-free. */
void		 stats_record(struct stats *, const struct tg_decision *, time_t now);
/*
 * stats_record() that can be finished by someone else: *progress (0 to
 * start; kept where it survives the process, in the journal) counts the
 * atomic adds made so far, in a fixed order per part of the record, and is
 * advanced after each.  Called again with the same decision, `now` and
 * progress after the caller was killed, it makes only the adds not made
 * yet, so each is made once (only a kill between an add and the store of
 * its progress, one instruction apart, could repeat one).
 */
void		 stats_record_resume(struct stats *, const struct tg_decision *, time_t now,
		     uint32_t *progress);

/* Priced spend in dollars of the current UTC day, for the budget policy. */
double		 stats_tenant_spend_today(struct stats *, const char *tenant, time_t now);
double		 stats_router_spend_today(struct stats *, const char *router, time_t now);

/*
 * Sticky conversations (best effort: a lost or torn entry reads as absent).
 * Entries expire STATS_STICKY_TTL seconds after their last put.
 * stats_sticky_get() returns 1 and fills model_out, or 0.
 */
#define STATS_STICKY_TTL	(24 * 3600)
void		 stats_sticky_put(struct stats *, const char *conversation_id,
		     const char *model, time_t now);
int		 stats_sticky_get(struct stats *, const char *conversation_id,
		     char *model_out, size_t len, time_t now);

/* --- readers, for the admin API, /metrics and tests --- */

time_t		 stats_created(struct stats *);
/* Number of key indexes handed out (some may still be filling in). */
size_t		 stats_nkeys(struct stats *);
/* Key strings of index idx; returns 0, or -1 when not (yet) valid. */
int		 stats_key(struct stats *, size_t idx, struct stats_key *out);
/* Lifetime counters of key idx, added into *out. */
void		 stats_key_lifetime(struct stats *, size_t idx, struct stats_counts *out);
/*
 * Add bucket `unit_no` (now / 60 for STATS_MINUTE, now / 86400 for
 * STATS_DAY) into *global and into rows[k][*] for k < nrows.  A bucket that
 * holds another unit (expired or never written) adds nothing.  Returns 1 if
 * the bucket held data for unit_no, else 0.
 */
int		 stats_bucket_read(struct stats *, enum stats_unit, uint64_t unit_no,
		     struct stats_counts *global, uint64_t (*rows)[STATS_C__MAX],
		     size_t nrows);

size_t		 stats_ntenants(struct stats *);
int		 stats_tenant_name(struct stats *, size_t idx, char *out, size_t len);
void		 stats_tenant_lifetime(struct stats *, size_t idx, uint64_t c[STATS_C__MAX]);
/* STATS_HOUR: unit_no = now / 3600; STATS_DAY: now / 86400. */
int		 stats_tenant_read(struct stats *, size_t idx, enum stats_unit,
		     uint64_t unit_no, uint64_t c[STATS_C__MAX]);

/* Refusal keys handed out, and their strings (0, or -1: not yet valid;
 * the overflow key reads as router "(other)"). */
size_t		 stats_nrejects(struct stats *);
int		 stats_reject_key(struct stats *, size_t idx, struct stats_rkey *out);
uint64_t	 stats_reject_lifetime(struct stats *, size_t idx);
/* Add the refusals of bucket `unit_no` (as stats_bucket_read()) into
 * rows[k] for k < nrows.  Returns 1 if the bucket held data for unit_no. */
int		 stats_reject_read(struct stats *, enum stats_unit, uint64_t unit_no,
		     uint64_t *rows, size_t nrows);

/* Diagnostics: ring updates dropped (their unit is older than the one a
 * bucket already holds, i.e. a clock a whole ring behind, or overtaken by
 * a newer unit while being added; or a counter saturated) and
 * keys/tenants that overflowed into the last slot.  Lifetime counters are
 * never dropped. */
uint64_t	 stats_dropped(struct stats *);

/* Nano-dollars to dollars. */
double		 stats_usd(uint64_t nano);

/* `tiergate stats rebuild|show ...` (argv[0] is "stats"); see
 * gateway/stats_cmd.c.  Returns the process exit status. */
int		 stats_cmd(int, char **);

#endif
