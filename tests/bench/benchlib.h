/*
 * benchlib.h - the timing code shared by the C benchmarks (bench_policy,
 * bench_stats, bench_predict): a monotonic clock in nanoseconds and
 * nearest-rank quantiles of per-call timings.  Header only; include it
 * after <stdint.h>-using system headers.
 */
#ifndef TG_BENCHLIB_H
#define TG_BENCHLIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t
bench_now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int
bench_cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Sorts t[0..n-1] (n >= 1) in place and returns its q-quantile, 0 <= q
 * <= 1, by nearest rank: t[floor(q * (n - 1))]. */
static inline uint64_t
bench_quantile(uint64_t *t, size_t n, double q)
{
	qsort(t, n, sizeof(*t), bench_cmp_u64);
	return t[(size_t)(q * (double)(n - 1))];
}

/* Median, 90th and 99th percentile of n timings (sorts t). */
struct bench_summary {
	uint64_t	 p50, p90, p99;
};

static inline struct bench_summary
bench_summarize(uint64_t *t, size_t n)
{
	struct bench_summary	 s;

	s.p99 = bench_quantile(t, n, 0.99);
	s.p90 = t[(size_t)(0.90 * (double)(n - 1))];
	s.p50 = t[(size_t)(0.50 * (double)(n - 1))];
	return s;
}

#endif
