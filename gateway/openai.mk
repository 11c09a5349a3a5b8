# gateway/openai.mk - the OpenAI-compatible front door (/v1/chat/completions,
# /v1/models).  Part of the core library; its tests.
libtgcore_a_SOURCES += gateway/openai.c gateway/openai.h gateway/openai_impl.h \
	gateway/openai_req.c gateway/openai_resp.c gateway/openai_stream.c

if HAVE_CUNIT
check_PROGRAMS += tests/unit/test_openai
TESTS += tests/unit/test_openai
tests_unit_test_openai_SOURCES = tests/unit/test_openai.c
tests_unit_test_openai_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_openai_LDADD = libtgcore.a $(TG_MODULE_LIBS) libtgcore.a \
	$(TG_MODULE_LIBS) $(CUNIT_LIBS) $(TG_SYSLIBS)
endif
EXTRA_DIST += tests/unit/fixtures/openai

# Real clients (the openai SDK, the Vercel AI SDK's OpenAI-compatible
# provider) through lighttpd; skips (77) without node, node_modules or
# lighttpd.
TESTS += tests/openai/run.sh
EXTRA_DIST += tests/openai/run.sh tests/openai/openai-sdk.test.mjs \
	tests/openai/vercel-ai.test.mjs tests/openai/lib.mjs
# "stream": true gets every relayed stream's limits and fallback.
TESTS += tests/openai/stream-limits.sh
EXTRA_DIST += tests/openai/stream-limits.sh

# Benchmark (built, not run by make check): tests/bench/bench_openai
noinst_PROGRAMS += tests/bench/bench_openai
tests_bench_bench_openai_SOURCES = tests/bench/bench_openai.c tests/bench/benchlib.h
tests_bench_bench_openai_LDADD = libtgcore.a $(TG_MODULE_LIBS) libtgcore.a \
	$(TG_MODULE_LIBS) $(TG_SYSLIBS)
