/*
 * stats-driver.c - multi-process test driver for the shared stats file and
 * the decision log (used by the tests/stats scripts).
 *
 *   stats-driver load STATS LOG NPROC NTHREADS NPER KILL_MS [CLOCK]
 *	NPROC processes x NTHREADS threads each record NPER decisions (stats
 *	and log).  With KILL_MS > 0 the parent SIGKILLs every child after
 *	KILL_MS ms, then checks that no completed request lost its count or its
 *	log line, then runs a second clean round and checks it adds exactly.
 *	With KILL_MS = 0 it checks exact totals, and that every ring slot
 *	holds exactly the decisions of the newest unit written to it (global
 *	and per-key rows of minutes and days, tenant days).  With CLOCK
 *	"shared" every decision takes its time from one clock shared by all
 *	threads (a tick counter; see shared_time()), so units change while
 *	many writers are in the middle of an update, and every minute slot is
 *	reclaimed by a newer lap once (the day slot too): the reclaiming lap
 *	is the newest and must read back exactly.
 *	Exit 0 pass, 1 fail.
 *   stats-driver same STATS_A STATS_B
 *	Exit 0 when both files give the same stats documents and lifetime
 *	counters (what `tiergate stats rebuild` must reproduce).
 *   stats-driver rebuild ARGS...	run `tiergate stats rebuild ARGS...`
 *   stats-driver stats VERB ARGS...	run `tiergate stats VERB ARGS...`
 *   stats-driver metrics STATS	print the /metrics text
 *   stats-driver show STATS WINDOW NOW	print the stats document at NOW
 */
#include "autoconf.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "declog.h"
#include "stats.h"
#include "stats_api.h"

#define BASE_T	((time_t)1795366800)	/* 2026-11-22T17:00:00Z */
#define MAXP	64
#define MAXT	64
/* 64 days: a whole number of laps of every ring (9 x 10240 minutes,
 * 8 x 192 hours, 1 x 64 days). */
#define RING_JUMP	((time_t)64 * 86400)
#define CLOCK_BLOCK	256	/* shared clock: decisions per block */

static const char *const models[] = {
	"anthropic.claude-3-haiku-20240307-v1:0",
	"anthropic.claude-3-5-sonnet-20240620-v1:0",
	"meta.llama3-8b-instruct-v1:0",
	"mystery.unpriced-v1",
};

struct run {
	const char	*stats_path, *log_path;
	int		 nproc, nthreads;
	long		 nper;
	int		 round;
	int		 shared_clock;
	uint64_t	*tick;		/* shared: the clock, in decisions */
	int64_t		*times;		/* shared: [(p * nthreads + t) * nper + i] */
	uint64_t	*done;		/* shared: [p * MAXT + t] completions */
};

struct thr {
	struct run	*run;
	struct stats	*st;
	struct declog	*dl;
	int		 p, t;
};

/* Deterministic decision number i of thread (p, t). */
/*
 * The shared clock at tick k: block b = k / CLOCK_BLOCK covers minute
 * b / 2, in lap 0 for even b and one RING_JUMP later for odd b.  So each
 * minute slot is first claimed (even block), then reclaimed by a newer lap
 * (odd block) while writers of the even block are still adding, and then
 * never touched again; the day slot flips from lap 0 to lap 1 once.
 */
static time_t
shared_time(uint64_t k)
{
	uint64_t	 b = k / CLOCK_BLOCK;

	return BASE_T + (time_t)(b / 2) * 60 + (time_t)(b % 2) * RING_JUMP +
	    (time_t)((k % CLOCK_BLOCK) * 60 / CLOCK_BLOCK);
}

static int64_t *
time_slot(const struct run *run, int p, int t, long i)
{
	return &run->times[((size_t)p * (size_t)run->nthreads + (size_t)t) *
	    (size_t)run->nper + (size_t)i];
}

static void
mkdec(struct tg_decision *d, int round, int p, int t, long i, char *rid,
    size_t ridlen)
{
	int	 m = (int)((i + t) % 4);

	memset(d, 0, sizeof(*d));
	snprintf(rid, ridlen, "r%dp%02dt%02di%08ld", round, p, t, i);
	d->request_id = rid;
	d->time = BASE_T + (time_t)(round * 100000 + i % 5000) * 7;
	d->router = p % 2 ? "support" : "legal-router";
	d->tenant = t % 3 == 0 ? "acme" : t % 3 == 1 ? "beta" : "";
	d->request_class = i % 5 == 0 ? "legal" : "";
	d->api = "converse";
	d->ncand = 2;
	d->cand[0] = (struct tg_candidate){ models[0], 0.7, 1, 1, 0.25, 1.25, 0.0001 };
	d->cand[1] = (struct tg_candidate){ models[1], 0.8, 1, 1, 3, 15, 0.001 };
	d->model = d->chosen = models[m];
	d->reason = "driver";
	d->fallback = i % 50 == 0 ? TG_FB_UPSTREAM : TG_FB_NONE;
	d->upstream_err = i % 50 == 0 ? TG_UP_THROTTLED : TG_UP_OK;
	d->input_tokens = 100 + (uint64_t)(i % 900);
	d->output_tokens = 10 + (uint64_t)(i % 300);
	d->cache_read_tokens = i % 7 == 0 ? 50 : 0;
	d->cost_known = m != 3;
	d->cost = d->cost_known ? ((double)d->input_tokens * (m + 1) * 0.25 +
	    (double)d->output_tokens * (m + 1) * 1.25) / 1e6 : 0;
	d->cf_known = 1;
	d->cf_model = models[1];
	d->cf_cost = ((double)d->input_tokens * 3 + (double)d->output_tokens * 15) / 1e6;
	d->upstream_us = 1000 + (uint64_t)(i * 7919 % 3000000);
	d->overhead_us = 5 + (uint64_t)(i % 200);
	d->status = i % 50 == 0 ? 429 : 200;
	d->attempts = 1;
}

static void *
thr_main(void *arg)
{
	struct thr		*th = arg;
	struct tg_decision	 d;
	char			 rid[64];
	long			 i;

	for (i = 0; i < th->run->nper; i++) {
		mkdec(&d, th->run->round, th->p, th->t, i, rid, sizeof(rid));
		if (th->run->shared_clock) {
			d.time = shared_time(__atomic_fetch_add(th->run->tick, 1,
			    __ATOMIC_RELAXED));
			*time_slot(th->run, th->p, th->t, i) = d.time;
		}
		stats_record(th->st, &d, d.time);
		if (declog_write(th->dl, &d) != 0) {
			perror("declog_write");
			_exit(3);
		}
		/* completed: both calls returned */
		__atomic_store_n(&th->run->done[th->p * MAXT + th->t], (uint64_t)i + 1,
		    __ATOMIC_RELEASE);
	}
	return NULL;
}

static void
child(struct run *run, int p)
{
	struct thr	 th[MAXT];
	pthread_t	 tid[MAXT];
	struct stats	*st;
	struct declog	*dl;
	char		 err[512];
	int		 t;

	if ((st = stats_open(run->stats_path, err, sizeof(err))) == NULL ||
	    (dl = declog_open(run->log_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "child %d: %s\n", p, err);
		_exit(2);
	}
	for (t = 0; t < run->nthreads; t++) {
		th[t] = (struct thr){ run, st, dl, p, t };
		pthread_create(&tid[t], NULL, thr_main, &th[t]);
	}
	for (t = 0; t < run->nthreads; t++)
		pthread_join(tid[t], NULL);
	_exit(0);
}

static int
spawn_round(struct run *run, long kill_ms)
{
	pid_t		 pids[MAXP];
	struct timespec	 ts;
	int		 p, status, bad = 0;

	for (p = 0; p < run->nproc; p++) {
		if ((pids[p] = fork()) == -1)
			return -1;
		if (pids[p] == 0)
			child(run, p);
	}
	if (kill_ms > 0) {
		ts.tv_sec = kill_ms / 1000;
		ts.tv_nsec = (kill_ms % 1000) * 1000000;
		nanosleep(&ts, NULL);
		for (p = 0; p < run->nproc; p++)
			kill(pids[p], SIGKILL);
	}
	for (p = 0; p < run->nproc; p++) {
		waitpid(pids[p], &status, 0);
		if (kill_ms == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
			bad = 1;
	}
	return bad ? -1 : 0;
}

/* Lifetime totals over every key. */
static void
lifetime(const char *path, struct stats_counts *sum)
{
	struct stats	*st;
	struct stats_key k;
	char		 err[512];
	size_t		 i, n;

	memset(sum, 0, sizeof(*sum));
	if ((st = stats_open(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	n = stats_nkeys(st);
	for (i = 0; i < n; i++)
		if (stats_key(st, i, &k) == 0)
			stats_key_lifetime(st, i, sum);
	stats_close(st);
}

struct logcheck {
	int		 round;
	uint64_t	*seen;		/* [p * MAXT + t]: bitmap of i, as counts */
	unsigned char	*bits;
	long		 nper;
	unsigned long	 lines;
};

static int
logcheck_line(const char *line, size_t len, off_t off, void *arg)
{
	struct logcheck	*lc = arg;
	json_t		*o;
	const char	*rid;
	int		 r, p, t;
	long		 i;

	(void)off;
	if ((o = json_loadb(line, len, 0, NULL)) == NULL) {
		fprintf(stderr, "unparseable log line at %lld\n", (long long)off);
		return 0;
	}
	rid = json_string_value(json_object_get(o, "request_id"));
	if (rid != NULL && sscanf(rid, "r%dp%2dt%2di%8ld", &r, &p, &t, &i) == 4 &&
	    r == lc->round && p < MAXP && t < MAXT && i < lc->nper) {
		lc->bits[((size_t)p * MAXT + (size_t)t) * (size_t)lc->nper + (size_t)i] = 1;
		lc->lines++;
	}
	json_decref(o);
	return 0;
}

/* Requests and input tokens as read from one ring view. */
struct ringsum {
	const char	*what;
	uint64_t	 req, input;
};

enum { RS_MIN_GLOBAL, RS_MIN_ROWS, RS_DAY_GLOBAL, RS_DAY_ROWS, RS_TENANT_DAYS,
	RS__MAX };

#define NTCLASS	3	/* tenants of mkdec(): t % 3 */

/* The newest unit + 1 written to each ring slot (0: none). */
struct newest {
	uint64_t	 min[STATS_NMINUTES];
	uint64_t	 day[STATS_NDAYS];
	uint64_t	 tday[NTCLASS][STATS_NDAYS];
};

static void
raise_to(uint64_t *p, uint64_t unit)
{
	if (*p < unit + 1)
		*p = unit + 1;
}

/* Visit every decision of the round: pass 0 finds the newest units, pass 1
 * sums what they must hold. */
static void
ring_expected(const struct run *run, struct newest *nw, struct ringsum want[RS__MAX])
{
	struct tg_decision	 d;
	char			 rid[64];
	uint64_t		 m, dy;
	int			 pass, p, t, tc;
	long			 i;

	for (pass = 0; pass < 2; pass++)
		for (p = 0; p < run->nproc; p++)
			for (t = 0; t < run->nthreads; t++)
				for (i = 0; i < run->nper; i++) {
					mkdec(&d, run->round, p, t, i, rid, sizeof(rid));
					if (run->shared_clock)
						d.time = *time_slot(run, p, t, i);
					m = (uint64_t)d.time / 60;
					dy = (uint64_t)d.time / 86400;
					tc = t % NTCLASS;
					if (pass == 0) {
						raise_to(&nw->min[m % STATS_NMINUTES], m);
						raise_to(&nw->day[dy % STATS_NDAYS], dy);
						raise_to(&nw->tday[tc][dy % STATS_NDAYS], dy);
						continue;
					}
					if (nw->min[m % STATS_NMINUTES] == m + 1) {
						want[RS_MIN_GLOBAL].req++;
						want[RS_MIN_GLOBAL].input += d.input_tokens;
					}
					if (nw->day[dy % STATS_NDAYS] == dy + 1) {
						want[RS_DAY_GLOBAL].req++;
						want[RS_DAY_GLOBAL].input += d.input_tokens;
					}
					if (nw->tday[tc][dy % STATS_NDAYS] == dy + 1) {
						want[RS_TENANT_DAYS].req++;
						want[RS_TENANT_DAYS].input += d.input_tokens;
					}
				}
	want[RS_MIN_ROWS] = want[RS_MIN_GLOBAL];
	want[RS_DAY_ROWS] = want[RS_DAY_GLOBAL];
}

/* Add bucket `unit` of `u` into the global and the per-key row view. */
static void
ring_bucket(struct stats *st, enum stats_unit u, uint64_t unit, struct ringsum *g,
    struct ringsum *r)
{
	static uint64_t		 rows[STATS_MAX_KEYS][STATS_C__MAX];
	struct stats_counts	 c;
	size_t			 k, nk = stats_nkeys(st);

	memset(&c, 0, sizeof(c));
	memset(rows, 0, sizeof(rows));
	stats_bucket_read(st, u, unit, &c, rows, nk);
	g->req += c.c[STATS_C_REQUESTS];
	g->input += c.c[STATS_C_INPUT];
	for (k = 0; k < nk; k++) {
		r->req += rows[k][STATS_C_REQUESTS];
		r->input += rows[k][STATS_C_INPUT];
	}
}

static int
tenant_class(const char *name)
{
	return strcmp(name, "acme") == 0 ? 0 : strcmp(name, "beta") == 0 ? 1 :
	    name[0] == '\0' ? 2 : -1;
}

/* Read back the newest unit of every slot through every ring view. */
static void
ring_sums(const char *path, const struct newest *nw, struct ringsum rs[RS__MAX])
{
	struct stats	*st;
	char		 err[512], name[STATS_TENANT_LEN];
	uint64_t	 c[STATS_C__MAX];
	size_t		 i, s, nt;
	int		 tc;

	if ((st = stats_open(path, err, sizeof(err))) == NULL)
		return;
	for (s = 0; s < STATS_NMINUTES; s++)
		if (nw->min[s] != 0)
			ring_bucket(st, STATS_MINUTE, nw->min[s] - 1, &rs[RS_MIN_GLOBAL],
			    &rs[RS_MIN_ROWS]);
	for (s = 0; s < STATS_NDAYS; s++)
		if (nw->day[s] != 0)
			ring_bucket(st, STATS_DAY, nw->day[s] - 1, &rs[RS_DAY_GLOBAL],
			    &rs[RS_DAY_ROWS]);
	nt = stats_ntenants(st);
	for (i = 0; i < nt; i++) {
		if (stats_tenant_name(st, i, name, sizeof(name)) == -1 ||
		    (tc = tenant_class(name)) == -1)
			continue;
		for (s = 0; s < STATS_NDAYS; s++) {
			if (nw->tday[tc][s] == 0)
				continue;
			memset(c, 0, sizeof(c));
			stats_tenant_read(st, i, STATS_DAY, nw->tday[tc][s] - 1, c);
			rs[RS_TENANT_DAYS].req += c[STATS_C_REQUESTS];
			rs[RS_TENANT_DAYS].input += c[STATS_C_INPUT];
		}
	}
	stats_close(st);
}

/* The rings are exact too, across concurrent first use and reuse of
 * buckets by writers of different units. */
static int
ring_check(const struct run *run)
{
	static struct newest	 nw;
	struct ringsum		 rs[RS__MAX] = {
		{ "minute buckets", 0, 0 }, { "minute key rows", 0, 0 },
		{ "day buckets", 0, 0 }, { "day key rows", 0, 0 },
		{ "tenant days", 0, 0 },
	};
	struct ringsum		 want[RS__MAX];
	int			 i, fail = 0;

	memset(&nw, 0, sizeof(nw));
	memset(want, 0, sizeof(want));
	ring_expected(run, &nw, want);
	ring_sums(run->stats_path, &nw, rs);
	for (i = 0; i < RS__MAX; i++) {
		printf("round %d: %-16s %llu requests, %llu input tokens (expected %llu, %llu)\n",
		    run->round, rs[i].what, (unsigned long long)rs[i].req,
		    (unsigned long long)rs[i].input, (unsigned long long)want[i].req,
		    (unsigned long long)want[i].input);
		if (rs[i].req != want[i].req || rs[i].input != want[i].input) {
			fprintf(stderr, "FAIL: ring %s do not hold exactly the decisions "
			    "of their newest units\n", rs[i].what);
			fail = 1;
		}
	}
	return fail;
}

static int
check_round(struct run *run, struct stats_counts *before, int killed)
{
	struct stats_counts	 after;
	struct logcheck		 lc = { run->round, NULL, NULL, run->nper, 0 };
	uint64_t		 done = 0, got;
	char			 err[512];
	int			 p, t, fail = 0;
	long			 i;

	lc.bits = calloc((size_t)MAXP * MAXT * (size_t)run->nper, 1);
	if (lc.bits == NULL || declog_scan(run->log_path, logcheck_line, &lc, err, sizeof(err)) == -1)
		return 1;
	for (p = 0; p < run->nproc; p++)
		for (t = 0; t < run->nthreads; t++) {
			uint64_t n = run->done[p * MAXT + t];
			done += n;
			for (i = 0; i < (long)n; i++)
				if (!lc.bits[((size_t)p * MAXT + (size_t)t) * (size_t)run->nper + (size_t)i]) {
					fprintf(stderr, "FAIL: completed request r%dp%dt%di%ld has no log line\n",
					    run->round, p, t, i);
					fail = 1;
					break;
				}
		}
	lifetime(run->stats_path, &after);
	got = after.c[STATS_C_REQUESTS] - before->c[STATS_C_REQUESTS];
	printf("round %d: %llu completed, %llu counted, %lu log lines%s\n", run->round,
	    (unsigned long long)done, (unsigned long long)got, lc.lines,
	    killed ? " (children SIGKILLed)" : "");
	if (got < done || lc.lines < done) {
		fprintf(stderr, "FAIL: completed requests lost (counted %llu, logged %lu, completed %llu)\n",
		    (unsigned long long)got, lc.lines, (unsigned long long)done);
		fail = 1;
	}
	/* at most one request in flight per killed thread */
	if (got > done + (uint64_t)(run->nproc * run->nthreads) ||
	    (!killed && (got != done || lc.lines != done ||
	    done != (uint64_t)run->nproc * run->nthreads * (uint64_t)run->nper))) {
		fprintf(stderr, "FAIL: counts do not add up exactly\n");
		fail = 1;
	}
	if (!killed)
		fail |= ring_check(run);
	free(lc.bits);
	*before = after;
	return fail;
}

static int
cmd_load(char **argv)
{
	struct run		 run;
	struct stats_counts	 base;
	long			 kill_ms = atol(argv[5]);
	int			 fail = 0;

	memset(&run, 0, sizeof(run));
	run.stats_path = argv[0];
	run.log_path = argv[1];
	run.nproc = atoi(argv[2]);
	run.nthreads = atoi(argv[3]);
	run.nper = atol(argv[4]);
	run.shared_clock = argv[6] != NULL && strcmp(argv[6], "shared") == 0;
	if (run.nproc < 1 || run.nproc > MAXP || run.nthreads < 1 || run.nthreads > MAXT ||
	    run.nper < 1 || run.nper > 99999999)
		return 2;
	run.done = mmap(NULL, sizeof(uint64_t) * MAXP * MAXT, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	run.tick = mmap(NULL, sizeof(uint64_t) + sizeof(int64_t) * (size_t)run.nproc *
	    (size_t)run.nthreads * (size_t)run.nper, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (run.done == MAP_FAILED || run.tick == MAP_FAILED)
		return 2;
	run.times = (int64_t *)(run.tick + 1);
	lifetime(run.stats_path, &base);
	if (spawn_round(&run, kill_ms) == -1 && kill_ms == 0)
		fail = 1;
	fail |= check_round(&run, &base, kill_ms > 0);
	if (kill_ms > 0) {
		/* the file must still work, unblocked and exact */
		memset(run.done, 0, sizeof(uint64_t) * MAXP * MAXT);
		run.round = 1;
		run.shared_clock = 0;
		run.nper = run.nper / 10 + 1 > 300 ? 300 : run.nper / 10 + 1;
		if (spawn_round(&run, 0) == -1)
			fail = 1;
		fail |= check_round(&run, &base, 0);
	}
	return fail;
}

static struct stats *
open_or_die(const char *path)
{
	struct stats	*st;
	char		 err[512];

	if ((st = stats_open(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	return st;
}

static json_t *
doc(struct stats *st, const char *w, time_t now)
{
	char	 err[512];
	json_t	*o;

	o = stats_api_stats(st, w, now, NULL, NULL, err, sizeof(err));
	json_object_del(o, "stats_since");
	return o;
}

static int
cmd_same(char **argv)
{
	static const char *const wins[] = { "1h", "24h", "7d", "30d" };
	struct stats_counts	 a, b;
	struct stats		*sa, *sb;
	json_t			*x, *y;
	time_t			 now;
	size_t			 i;
	int			 fail = 0;

	lifetime(argv[0], &a);
	lifetime(argv[1], &b);
	if (memcmp(&a, &b, sizeof(a)) != 0) {
		fprintf(stderr, "FAIL: lifetime counters differ (requests %llu vs %llu, cost %llu vs %llu)\n",
		    (unsigned long long)a.c[STATS_C_REQUESTS], (unsigned long long)b.c[STATS_C_REQUESTS],
		    (unsigned long long)a.c[STATS_C_COST], (unsigned long long)b.c[STATS_C_COST]);
		fail = 1;
	}
	sa = open_or_die(argv[0]);
	sb = open_or_die(argv[1]);
	for (now = BASE_T + 3600; now < BASE_T + 40 * 86400 && !fail; now += 12 * 3600 + 17)
		for (i = 0; i < 4 && !fail; i++) {
			x = doc(sa, wins[i], now);
			y = doc(sb, wins[i], now);
			if (!json_equal(x, y)) {
				fprintf(stderr, "FAIL: %s documents differ at %lld\n", wins[i],
				    (long long)now);
				fail = 1;
			}
			json_decref(x);
			json_decref(y);
		}
	stats_close(sa);
	stats_close(sb);
	if (fail)
		return 1;
	printf("same: %llu requests, cost %llu n$, documents equal\n",
	    (unsigned long long)a.c[STATS_C_REQUESTS], (unsigned long long)a.c[STATS_C_COST]);
	return fail;
}

static int
cmd_metrics(char **argv)
{
	struct stats	*st;
	char		 err[512], *t;
	size_t		 len;

	if ((st = stats_open(argv[0], err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t = metrics_text(st, &len);
	fwrite(t, 1, len, stdout);
	free(t);
	stats_close(st);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc >= 8 && strcmp(argv[1], "load") == 0)
		return cmd_load(argv + 2);
	if (argc == 4 && strcmp(argv[1], "same") == 0)
		return cmd_same(argv + 2);
	if (argc == 5 && strcmp(argv[1], "show") == 0) {
		struct stats *st = open_or_die(argv[2]);
		json_t *o = doc(st, argv[3], (time_t)atoll(argv[4]));
		json_dumpf(o, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
		json_decref(o);
		stats_close(st);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "metrics") == 0)
		return cmd_metrics(argv + 2);
	if (argc >= 3 && strcmp(argv[1], "stats") == 0)
		return stats_cmd(argc - 1, argv + 1);
	if (argc >= 3 && strcmp(argv[1], "rebuild") == 0) {
		argv[0] = "stats";
		return stats_cmd(argc, argv);
	}
	fprintf(stderr, "usage: stats-driver load|same|metrics|rebuild ...\n");
	return 2;
}
