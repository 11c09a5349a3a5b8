/*
 * bench_policy.c - cost of one policy_decide() with the default policy:
 * median, p90 and p99 nanoseconds over N calls (default 200000), for 2
 * and 4 candidates.  Not part of `make check` (timing on shared machines
 * drifts); run it by hand:
 *
 *   tests/bench/bench_policy [POLICY.lua] [CALLS]
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

static int
bench(struct policy *p, const struct tg_candidate *c, size_t n, long calls)
{
	struct policy_facts	 f;
	struct policy_decision	 d;
	struct bench_summary	 q;
	uint64_t		*t, t0;
	long			 i;

	if ((t = calloc((size_t)calls, sizeof(*t))) == NULL)
		return -1;
	memset(&f, 0, sizeof(f));
	f.router = "bench";
	f.request_class = f.tenant = f.conversation_id = f.previous_model = "";
	f.api = "converse";
	f.prompt_chars = 800;
	f.est_input_tokens = 200;
	f.turns = 1;
	f.cand = c;
	f.ncand = n;
	f.threshold = 20;
	f.fallback = c[n - 1].model;
	f.predictor_ok = 1;
	for (i = 0; i < calls / 10; i++)	/* warm up */
		policy_decide(p, &f, &d);
	for (i = 0; i < calls; i++) {
		t0 = bench_now_ns();
		if (policy_decide(p, &f, &d) != POLICY_OK) {
			fprintf(stderr, "decide failed: %s\n", d.reason);
			free(t);
			return -1;
		}
		t[i] = bench_now_ns() - t0;
	}
	q = bench_summarize(t, (size_t)calls);
	printf("%zu candidates: %ld calls, median %llu ns, p90 %llu ns, p99 %llu ns (chose %s)\n",
	    n, calls, (unsigned long long)q.p50, (unsigned long long)q.p90,
	    (unsigned long long)q.p99, d.model);
	free(t);
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*path = argc > 1 ? argv[1] : "lua-policies/default.lua";
	long		 calls = argc > 2 ? atol(argv[2]) : 200000;
	char		 err[512];
	struct policy	*p;
	int		 rc;

	log_open("/dev/null", LOG_LVL_ERR);
	if (calls < 100 || (p = policy_new(path, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", path, calls < 100 ? "CALLS must be >= 100" : err);
		return 1;
	}
	printf("policy %s, version %s\n", path, policy_version(p));
	rc = bench(p, cands + 2, 2, calls) || bench(p, cands, 4, calls);
	policy_free(p);
	return rc;
}
