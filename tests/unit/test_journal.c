/*
 * test_journal.c - exact accounting across SIGKILL: stats_record_resume()
 * finishes a record its caller was killed in, each add once, and
 * journal_recover() finishes the armed answers of dead processes (log line
 * once, counts once) and leaves live processes' journals alone.
 */
#include "autoconf.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <jansson.h>

#include "declog.h"
#include "journal.h"
#include "stats.h"

#define T0	((time_t)1795366800)
#define HAIKU	"anthropic.claude-3-haiku-20240307-v1:0"
#define NPROG	(1 << 20)

static char	 dir[] = "/tmp/tg-journal-XXXXXX";
static char	 spath[256], lpath[256];

static void
mkdec(struct tg_decision *d, const char *id)
{
	memset(d, 0, sizeof(*d));
	d->time = T0;
	d->request_id = id;
	d->router = "rt";
	d->tenant = "acme";
	d->request_class = "";
	d->api = "converse";
	d->chosen = d->model = HAIKU;
	d->reason = "test";
	d->input_tokens = 1000;
	d->output_tokens = 7;
	d->cost_known = 1;
	d->cost = 0.000875;
	d->cf_known = 1;
	d->cf_cost = 0.0105;
	d->cf_model = HAIKU;
	d->upstream_us = 812;
	d->overhead_us = 40;
	d->status = 200;
	d->attempts = 1;
}

/* Lifetime totals over every key. */
static void
totals(struct stats *st, struct stats_counts *c)
{
	struct stats_key	 k;
	size_t			 i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < stats_nkeys(st); i++)
		if (stats_key(st, i, &k) == 0)
			stats_key_lifetime(st, i, c);
}

static struct stats *
fresh_stats(void)
{
	char	 err[512];

	unlink(spath);
	return stats_open(spath, err, sizeof(err));
}

static long
log_lines(const char *id)
{
	char	 line[DECLOG_MAX_LINE];
	FILE	*f = fopen(lpath, "r");
	long	 n = 0;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		n += id == NULL || strstr(line, id) != NULL;
	if (f != NULL)
		fclose(f);
	return n;
}

/* Count of word w is v per record: at least `want` records' worth, and
 * at most `kills` adds more (a kill between an add and the store of its
 * progress, adjacent instructions, repeats that add).  Returns the adds
 * repeated. */
static uint64_t
within(uint64_t w, uint64_t v, uint64_t want, uint64_t kills)
{
	CU_ASSERT(w >= want * v);
	CU_ASSERT(w <= (want + kills) * v);
	CU_ASSERT(w % v == 0);
	return w >= want * v ? (w - want * v) / v : 0;
}

/*
 * A child records decisions back to back, each with its own progress word
 * in shared memory, and is SIGKILLed after a random few milliseconds,
 * mostly in the middle of a record (the worst case: a worker spends
 * microseconds per request there).  The parent resumes the record it was
 * in: the counters hold one record per decision started, short of nothing
 * (plain stats_record() loses the rest of the record it was killed in),
 * and at most one add more per kill, of a single word.
 */
static void
test_resume_after_kill(void)
{
	struct stats		*st = fresh_stats();
	struct tg_decision	 d;
	struct stats_counts	 c;
	volatile uint32_t	*idx;
	uint32_t		*prog;
	uint64_t		 want = 0, extra;
	pid_t			 pid;
	int			 round, status, kills = 30;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	idx = mmap(NULL, sizeof(uint32_t) * (NPROG + 1), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(idx != MAP_FAILED);
	prog = (uint32_t *)idx + 1;
	mkdec(&d, "0123456789abcdef0123456789abcdef");
	srandom((unsigned)getpid());
	for (round = 0; round < kills; round++) {
		memset(prog, 0, sizeof(uint32_t) * NPROG);
		*idx = 0;
		if ((pid = fork()) == 0) {
			for (uint32_t i = 0; i < NPROG; i++) {
				*idx = i;
				__atomic_signal_fence(__ATOMIC_SEQ_CST);
				stats_record_resume(st, &d, T0, &prog[i]);
			}
			_exit(0);
		}
		usleep(1000 + random() % 4000);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		stats_record_resume(st, &d, T0, &prog[*idx]);
		want += *idx + 1;
	}
	totals(st, &c);
	extra = within(c.c[STATS_C_REQUESTS], 1, want, kills) +
	    within(c.c[STATS_C_INPUT], 1000, want, kills) +
	    within(c.c[STATS_C_OUTPUT], 7, want, kills) +
	    within(c.c[STATS_C_COST], 875000, want, kills) +
	    within(c.status[2], 1, want, kills);
	CU_ASSERT(extra <= (uint64_t)kills);
	printf("(%llu records, %d kills, %llu adds repeated) ", (unsigned long long)want,
	    kills, (unsigned long long)extra);
	munmap((void *)idx, sizeof(uint32_t) * (NPROG + 1));
	stats_close(st);
}

/* Fork a process that opens a journal, arms slot 1 with d, then (when
 * `logged`) writes d's line as journal_account() would, and dies. */
static void
die_armed(const struct tg_decision *d, int logged)
{
	struct journal	*j;
	struct declog	*dl;
	char		 err[512];
	pid_t		 pid;
	int		 status;

	if ((pid = fork()) == 0) {
		j = journal_open(spath, 4, err, sizeof(err));
		dl = declog_open(lpath, err, sizeof(err));
		if (j == NULL || dl == NULL ||
		    journal_arm(journal_slot(j, 1), d, declog_size(dl)) != 0)
			_exit(1);
		if (logged)
			declog_write(dl, d);
		raise(SIGKILL);
	}
	waitpid(pid, &status, 0);
	CU_ASSERT(WIFSIGNALED(status));
}

static int
journals_left(void)
{
	char	 cmd[512];

	snprintf(cmd, sizeof(cmd), "ls %s | grep -q 'stats.journal'", dir);
	return system(cmd) == 0;
}

static void
test_recover_armed(void)
{
	struct stats		*st = fresh_stats();
	struct declog		*dl;
	struct tg_decision	 d;
	struct stats_counts	 c;
	char			 err[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	unlink(lpath);
	dl = declog_open(lpath, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dl);
	mkdec(&d, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	die_armed(&d, 0);
	mkdec(&d, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	d.interrupted = 1;
	die_armed(&d, 1);	/* killed after its log line went out */
	CU_ASSERT(journals_left());
	CU_ASSERT_EQUAL(journal_recover(spath, st, dl, err, sizeof(err)), 2);
	CU_ASSERT_EQUAL(log_lines("aaaaaaaa"), 1);
	CU_ASSERT_EQUAL(log_lines("bbbbbbbb"), 1);	/* not written twice */
	CU_ASSERT_EQUAL(log_lines(NULL), 2);
	totals(st, &c);
	CU_ASSERT_EQUAL(c.c[STATS_C_REQUESTS], 2);
	CU_ASSERT_EQUAL(c.c[STATS_C_OUTPUT], 14);
	CU_ASSERT(!journals_left());
	/* Nothing left to do the second time. */
	CU_ASSERT_EQUAL(journal_recover(spath, st, dl, err, sizeof(err)), 0);
	totals(st, &c);
	CU_ASSERT_EQUAL(c.c[STATS_C_REQUESTS], 2);
	declog_close(dl);
	stats_close(st);
}

/* A live process's journal is never touched. */
static void
test_recover_skips_live(void)
{
	struct stats		*st = fresh_stats();
	struct tg_decision	 d;
	struct journal		*j;
	char			 err[512];
	int			 p[2], status;
	pid_t			 pid;
	char			 ch;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_FATAL(pipe(p) == 0);
	mkdec(&d, "cccccccccccccccccccccccccccccccc");
	if ((pid = fork()) == 0) {
		j = journal_open(spath, 2, err, sizeof(err));
		if (j == NULL || journal_arm(journal_slot(j, 0), &d, 0) != 0)
			_exit(1);
		(void)write(p[1], "r", 1);
		pause();
		_exit(0);
	}
	CU_ASSERT_EQUAL(read(p[0], &ch, 1), 1);
	CU_ASSERT_EQUAL(journal_recover(spath, st, NULL, err, sizeof(err)), 0);
	CU_ASSERT(journals_left());
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CU_ASSERT_EQUAL(journal_recover(spath, st, NULL, err, sizeof(err)), 1);
	CU_ASSERT(!journals_left());
	close(p[0]);
	close(p[1]);
	stats_close(st);
}

/* A clean process: armed, accounted, closed: one line, one count, no file. */
static void
test_account_and_close(void)
{
	struct stats		*st = fresh_stats();
	struct declog		*dl;
	struct journal		*j;
	struct journal_slot	*s;
	struct tg_decision	 d;
	struct stats_counts	 c;
	char			 err[512];

	unlink(lpath);
	dl = declog_open(lpath, err, sizeof(err));
	j = journal_open(spath, 2, err, sizeof(err));
	CU_ASSERT_FATAL(st != NULL && dl != NULL && j != NULL);
	s = journal_slot(j, 1);
	CU_ASSERT_PTR_NULL(journal_slot(j, 2));
	mkdec(&d, "dddddddddddddddddddddddddddddddd");
	CU_ASSERT(!journal_armed(s));
	CU_ASSERT_EQUAL(journal_arm(s, &d, declog_size(dl)), 0);
	CU_ASSERT(journal_armed(s));
	d.output_tokens = 9;
	CU_ASSERT_EQUAL(journal_account(s, &d, 0, st, dl), 0);
	CU_ASSERT(!journal_armed(s));
	/* As armed: the armed line is what gets logged. */
	mkdec(&d, "gggggggggggggggggggggggggggggggg");
	CU_ASSERT_EQUAL(journal_arm(s, &d, declog_size(dl)), 0);
	CU_ASSERT_EQUAL(journal_account(s, &d, 1, st, dl), 0);
	CU_ASSERT_EQUAL(log_lines("gggggggg"), 1);
	CU_ASSERT(!journal_armed(s));
	journal_close(j);
	CU_ASSERT(!journals_left());
	CU_ASSERT_EQUAL(log_lines("dddddddd"), 1);
	totals(st, &c);
	CU_ASSERT_EQUAL(c.c[STATS_C_REQUESTS], 2);
	CU_ASSERT_EQUAL(c.c[STATS_C_OUTPUT], 16);
	declog_close(dl);
	stats_close(st);
}

static void
test_find_request(void)
{
	struct declog		*dl;
	struct tg_decision	 d;
	char			 err[512];
	off_t			 mid;

	unlink(lpath);
	dl = declog_open(lpath, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(dl);
	mkdec(&d, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
	declog_write(dl, &d);
	mid = declog_size(dl);
	mkdec(&d, "ffffffffffffffffffffffffffffffff");
	declog_write(dl, &d);
	CU_ASSERT_EQUAL(declog_find_request(lpath, 0, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"), 1);
	CU_ASSERT_EQUAL(declog_find_request(lpath, mid, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"), 0);
	CU_ASSERT_EQUAL(declog_find_request(lpath, mid, "ffffffffffffffffffffffffffffffff"), 1);
	/* A file shorter than `from` was rotated: searched from its start. */
	CU_ASSERT_EQUAL(declog_find_request(lpath, mid * 10, "ffffffffffffffffffffffffffffffff"), 1);
	CU_ASSERT_EQUAL(declog_find_request("/nonexistent/x", 0, "f"), -1);
	declog_close(dl);
}

int
main(void)
{
	CU_pSuite	 s;
	unsigned	 failed;
	char		 cmd[128];

	if (mkdtemp(dir) == NULL)
		return 99;
	snprintf(spath, sizeof(spath), "%s/stats", dir);
	snprintf(lpath, sizeof(lpath), "%s/decisions.jsonl", dir);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("journal", NULL, NULL);
	CU_add_test(s, "stats_record_resume after SIGKILL: nothing lost, one add repeated at most per kill", test_resume_after_kill);
	CU_add_test(s, "recover armed slots of dead processes, log once", test_recover_armed);
	CU_add_test(s, "a live process's journal is left alone", test_recover_skips_live);
	CU_add_test(s, "arm, account, close", test_account_and_close);
	CU_add_test(s, "find a request id in the log from an offset", test_find_request);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		failed++;
	return failed ? 1 : 0;
}
