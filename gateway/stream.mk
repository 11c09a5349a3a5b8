# gateway/stream.mk - the streaming relay (ConverseStream, InvokeModel and
# InvokeModelWithResponseStream).  Part of the core library; its tests.
libtgcore_a_SOURCES += gateway/stream.c gateway/stream_impl.h

if HAVE_CUNIT
check_PROGRAMS += tests/unit/test_stream
TESTS += tests/unit/test_stream
tests_unit_test_stream_SOURCES = tests/unit/test_stream.c
tests_unit_test_stream_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_stream_LDADD = libtgcore.a $(TG_MODULE_LIBS) libtgcore.a \
	$(TG_MODULE_LIBS) $(CUNIT_LIBS) $(TG_SYSLIBS)
endif

# Real-client tests (AWS SDK for JavaScript through lighttpd) and streaming
# through real web servers; both skip (77) without node, node_modules or
# the web server.
TESTS += tests/sdk/run.sh tests/stream/no-buffer.sh tests/stream/upstream-errors.sh \
	tests/stream/limits.sh
EXTRA_DIST += tests/sdk/run.sh tests/sdk/sdk.test.mjs \
	tests/stream/no-buffer.sh tests/stream/frame-times.mjs \
	tests/stream/upstream-errors.sh tests/stream/bad-upstream.mjs \
	tests/stream/limits.sh

# TTFB benchmark: run by hand (tests/bench/README.md), not by make check.
EXTRA_DIST += tests/bench/bench-ttfb.sh tests/bench/bench-ttfb.mjs
