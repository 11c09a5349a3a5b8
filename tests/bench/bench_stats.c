/*
 * bench_stats.c - cost per request of the telemetry: stats_record() on the
 * shared mmap file and declog_write() of one decision-log line.  Median,
 * p90 and p99 nanoseconds over N calls each (default 200000), one call at a
 * time.  Not part of `make check` (timing on shared machines drifts); run
 * it by hand:
 *
 *   tests/bench/bench_stats [CALLS] [DIR]
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "declog.h"
#include "stats.h"

static void
report(const char *what, uint64_t *ns, size_t n)
{
	struct bench_summary	 q = bench_summarize(ns, n);

	printf("%-14s median %6llu ns   p90 %6llu ns   p99 %6llu ns   (%zu calls)\n",
	    what, (unsigned long long)q.p50, (unsigned long long)q.p90,
	    (unsigned long long)q.p99, n);
}

static void
mkdec(struct tg_decision *d, size_t i, time_t now)
{
	static const char *const classes[] = { "", "legal", "code", "support" };

	memset(d, 0, sizeof(*d));
	d->time = now;
	d->request_id = "5f2b7c0e9a1d4e6f8b3c2a1d0e9f8a7b";
	d->router = "support-router";
	d->tenant = i % 2 ? "acme" : "globex";
	d->request_class = classes[i % 4];
	d->api = "converse";
	d->ncand = 2;
	d->cand[0] = (struct tg_candidate){ "anthropic.claude-3-haiku-20240307-v1:0",
	    0.71, 1, 1, 0.25, 1.25, 0.00012 };
	d->cand[1] = (struct tg_candidate){ "anthropic.claude-3-5-sonnet-20240620-v1:0",
	    0.80, 1, 1, 3, 15, 0.0015 };
	d->chosen = d->model = d->cand[i % 3 == 0].model;
	d->reason = "haiku 0.71 within 20% of best 0.80 (claude-3-5-sonnet)";
	d->threshold = 20;
	d->input_tokens = 120 + i % 50;
	d->output_tokens = 340;
	d->cost_known = d->cf_known = 1;
	d->cost = 0.000455;
	d->cf_cost = 0.00546;
	d->cf_model = d->cand[1].model;
	d->upstream_us = 812400;
	d->overhead_us = 41;
	d->status = 200;
	d->attempts = 1;
}

int
main(int argc, char *argv[])
{
	size_t			 n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000, i;
	const char		*dir = argc > 2 ? argv[2] : "/tmp";
	char			 sp[512], lp[512], err[512];
	struct stats		*st;
	struct declog		*dl;
	struct tg_decision	 d;
	uint64_t		*ns, t;
	time_t			 now = time(NULL);

	snprintf(sp, sizeof(sp), "%s/bench_stats.%ld.stats", dir, (long)getpid());
	snprintf(lp, sizeof(lp), "%s/bench_stats.%ld.log", dir, (long)getpid());
	if (n < 100 || (ns = calloc(n, sizeof(*ns))) == NULL)
		return 2;
	if ((st = stats_open(sp, err, sizeof(err))) == NULL ||
	    (dl = declog_open(lp, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (i = 0; i < n / 10; i++) {		/* warm-up: keys, pages */
		mkdec(&d, i, now);
		stats_record(st, &d, now);
	}
	for (i = 0; i < n; i++) {
		mkdec(&d, i, now + (time_t)(i / 1000));	/* crosses minutes */
		t = bench_now_ns();
		stats_record(st, &d, d.time);
		ns[i] = bench_now_ns() - t;
	}
	report("stats_record", ns, n);
	for (i = 0; i < n; i++) {
		mkdec(&d, i, now);
		t = bench_now_ns();
		declog_write(dl, &d);
		ns[i] = bench_now_ns() - t;
	}
	report("declog_write", ns, n);
	declog_close(dl);
	stats_close(st);
	unlink(sp);
	unlink(lp);
	free(ns);
	return 0;
}
