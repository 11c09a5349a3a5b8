# tests/tests.mk - end-to-end tests behind real web servers, the gateway's
# own unit tests, and the Bedrock emulator's self-test.  Other modules list
# their tests in their own fragments.

TESTS += tests/bedrock-emulator/selftest.sh
TESTS += tests/cli/help.sh tests/cli/listen.sh
EXTRA_DIST += tests/cli/help.sh tests/cli/listen.sh
EXTRA_DIST += tests/package.json tests/package-lock.json tests/bedrock-emulator

E2E_TESTS = \
	tests/e2e/lighttpd.sh \
	tests/e2e/apache.sh \
	tests/e2e/cgi.sh \
	tests/e2e/nginx.sh \
	tests/e2e/signing.sh \
	tests/e2e/demo.sh \
	tests/e2e/policy.sh \
	tests/e2e/fallback.sh \
	tests/e2e/confidence.sh \
	tests/e2e/webserver-errors.sh \
	tests/e2e/clients.sh
TESTS += $(E2E_TESTS)
EXTRA_DIST += $(E2E_TESTS) tests/e2e/lib.sh tests/e2e/checks.sh \
	tests/e2e/fixtures/refheads-model.json tests/e2e/webserver-errors.mjs

if HAVE_CUNIT
check_PROGRAMS += tests/unit/test_gateway
TESTS += tests/unit/test_gateway
tests_unit_test_gateway_SOURCES = tests/unit/test_gateway.c
tests_unit_test_gateway_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_gateway_LDADD = libtgcore.a $(TG_MODULE_LIBS) libtgcore.a \
	$(TG_MODULE_LIBS) $(CUNIT_LIBS) $(TG_SYSLIBS)
endif
EXTRA_DIST += tests/unit/fixtures/gateway

# Benchmarks: run by hand (tests/bench/README.md), not by make check.
EXTRA_DIST += tests/bench/bench-gateway.sh tests/bench/bench-concurrency.sh \
	tests/bench/run-all.sh tests/bench/wrk/converse.lua

# libFuzzer harnesses (tests/fuzz/README.md): make check runs each for a
# fixed number of executions; skipped (77) without clang and libFuzzer.
TESTS += tests/fuzz/check.sh
EXTRA_DIST += tests/fuzz
# the harnesses check.sh builds with clang in the build tree
CLEANFILES += tests/fuzz/fuzz_request tests/fuzz/fuzz_eventstream \
	tests/fuzz/fuzz_config tests/fuzz/fuzz_keys tests/fuzz/fuzz_declog \
	tests/fuzz/fuzz_sigv4 tests/fuzz/fuzz_features
