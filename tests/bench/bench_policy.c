/*
 * bench_policy.c - cost of one policy_decide() with the default policy:
 * median, p90 and p99 nanoseconds over N calls, for 2 and 4 candidates.
 * Not part of `make check` (timing on shared machines drifts); run it by
 * hand:
 *
 *   tests/bench/bench_policy [--cold[=MIB]] [POLICY.lua] [CALLS]
 *
 * Warm (the default, 200000 calls): the same state called back to back,
 * every cache hot; the facts change a little on every call (bench_vary).  --cold (default 32 MiB, 5000 calls): before each call
 * MIB of memory are written, one store per cache line, so that the Lua
 * state, the interpreter's code and the allocator's metadata are evicted
 * as they are in the gateway, where curl, the kernel and lighttpd run
 * between two requests on the same core.  Only the call is timed, never
 * the eviction.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "log.h"
#include "policy.h"

static const struct tg_candidate cands[] = {
	{ "amazon.nova-micro-v1:0", 0.60, 1, 1, 0.035, 0.14, 0.00002 },
	{ "meta.llama3-1-8b-instruct-v1:0", 0.76, 1, 1, 0.22, 0.22, 0.00009 },
	{ "anthropic.claude-3-haiku-20240307-v1:0", 0.80, 1, 1, 0.25, 1.25, 0.0003 },
	{ "anthropic.claude-3-5-sonnet-20240620-v1:0", 0.90, 1, 1, 3.0, 15.0, 0.0036 },
};

/* Call i's facts: like a gateway's successive requests, the prompt size,
 * the predicted qualities and the estimated costs change a little on
 * every call (the models, their order and the decision do not), so that
 * no cost is skipped because the facts repeat. */
static void
bench_vary(struct policy_facts *f, struct tg_candidate *cv,
    const struct tg_candidate *c, size_t n, long i)
{
	size_t	 j;

	for (j = 0; j < n; j++) {
		cv[j] = c[j];
		cv[j].quality += 0.001 * (double)(i % 8);
		cv[j].est_cost *= 1 + 0.01 * (double)(i % 5);
	}
	f->prompt_chars = 800 + (size_t)(i % 97);
	f->est_input_tokens = f->prompt_chars / 4;
}

/* Memory written between calls in --cold mode; NULL when warm. */
struct evict {
	unsigned char	*buf;
	size_t		 len;
};

/* Write one byte of every cache line of e->buf: each line is fetched for
 * ownership, pushing out whatever the last call left in the caches. */
static void
evict_caches(struct evict *e)
{
	size_t	 i;

	if (e->buf == NULL)
		return;
	for (i = 0; i < e->len; i += 64)
		e->buf[i]++;
	__asm__ volatile("" : : "r"(e->buf) : "memory");
}

static void
bench_facts(struct policy_facts *f, const struct tg_candidate *c, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->router = "bench";
	f->request_class = f->tenant = f->conversation_id = f->previous_model = "";
	f->api = "converse";
	f->prompt_chars = 800;
	f->est_input_tokens = 200;
	f->turns = 1;
	f->cand = c;
	f->ncand = n;
	f->threshold = 20;
	f->fallback = c[n - 1].model;
	f->predictor_ok = 1;
}

static int
bench(struct policy *p, const struct tg_candidate *c, size_t n, long calls,
    struct evict *e)
{
	struct policy_facts	 f;
	struct policy_decision	 d;
	struct bench_summary	 q;
	struct tg_candidate	 cv[sizeof(cands) / sizeof(cands[0])];
	uint64_t		*t, t0;
	long			 i;

	if ((t = calloc((size_t)calls, sizeof(*t))) == NULL)
		return -1;
	bench_facts(&f, c, n);
	f.cand = cv;
	for (i = 0; i < calls / 10; i++) {	/* warm up */
		bench_vary(&f, cv, c, n, i);
		policy_decide(p, &f, &d);
	}
	for (i = 0; i < calls; i++) {
		bench_vary(&f, cv, c, n, i);
		evict_caches(e);
		t0 = bench_now_ns();
		if (policy_decide(p, &f, &d) != POLICY_OK) {
			fprintf(stderr, "decide failed: %s\n", d.reason);
			free(t);
			return -1;
		}
		t[i] = bench_now_ns() - t0;
	}
	q = bench_summarize(t, (size_t)calls);
	printf("%zu candidates%s: %ld calls, median %llu ns, p90 %llu ns, p99 %llu ns (chose %s)\n",
	    n, e->buf != NULL ? ", cold" : "", calls, (unsigned long long)q.p50,
	    (unsigned long long)q.p90, (unsigned long long)q.p99, d.model);
	free(t);
	return 0;
}

int
main(int argc, char **argv)
{
	struct evict	 e = { NULL, 0 };
	const char	*path = "lua-policies/default.lua";
	long		 calls = 200000, mib = 0;
	char		 err[512];
	struct policy	*p;
	int		 rc;

	if (argc > 1 && strncmp(argv[1], "--cold", 6) == 0) {
		mib = argv[1][6] == '=' ? atol(argv[1] + 7) : 32;
		calls = 5000;
		argc--, argv++;
	}
	if (argc > 1)
		path = argv[1];
	if (argc > 2)
		calls = atol(argv[2]);
	log_open("/dev/null", LOG_LVL_ERR);
	if (mib < 0 || mib > 4096 || calls < 100) {
		fprintf(stderr, "usage: bench_policy [--cold[=MIB]] [POLICY.lua] "
		    "[CALLS >= 100]\n");
		return 1;
	}
	if (mib > 0 && (e.buf = calloc((size_t)mib << 20, 1)) == NULL) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	e.len = (size_t)mib << 20;
	if ((p = policy_new(path, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", path, err);
		free(e.buf);
		return 1;
	}
	printf("policy %s, version %s%s", path, policy_version(p),
	    mib > 0 ? "" : "\n");
	if (mib > 0)
		printf(", %ld MiB written between calls (not timed)\n", mib);
	rc = bench(p, cands + 2, 2, calls, &e) || bench(p, cands, 4, calls, &e);
	policy_free(p);
	free(e.buf);
	return rc;
}
