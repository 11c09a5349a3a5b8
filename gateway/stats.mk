# gateway/stats.mk - shared stats file, decision log, admin API, /metrics
# and `tiergate stats`.  Owned by the telemetry module.
noinst_LIBRARIES += libtgstats.a
TG_MODULE_LIBS += libtgstats.a
libtgstats_a_SOURCES = \
	gateway/stats.h gateway/stats.c \
	gateway/declog.h gateway/declog.c \
	gateway/journal.h gateway/journal.c \
	gateway/stats_api.h gateway/stats_api.c gateway/stats_decisions.c \
	gateway/stats_rejects.c \
	gateway/metrics.c \
	gateway/admin.h gateway/admin.c \
	gateway/stats_cmd.c
EXTRA_DIST += docs/admin-api.md docs/decision-log.md
dist_man_MANS += man/tiergate-stats.8

TG_STATS_TESTLIBS = libtgstats.a libtgcore.a

if HAVE_CUNIT
check_PROGRAMS += tests/unit/test_stats
TESTS += tests/unit/test_stats
tests_unit_test_stats_SOURCES = tests/unit/test_stats.c
tests_unit_test_stats_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_stats_LDADD = $(TG_STATS_TESTLIBS) $(CUNIT_LIBS) $(TG_SYSLIBS)
check_PROGRAMS += tests/unit/test_journal
TESTS += tests/unit/test_journal
tests_unit_test_journal_SOURCES = tests/unit/test_journal.c
tests_unit_test_journal_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_journal_LDADD = $(TG_STATS_TESTLIBS) $(CUNIT_LIBS) $(TG_SYSLIBS)
# includes gateway/stats.c to reach its crash-recovery paths
check_PROGRAMS += tests/unit/test_stats_internal
TESTS += tests/unit/test_stats_internal
tests_unit_test_stats_internal_SOURCES = tests/unit/test_stats_internal.c
tests_unit_test_stats_internal_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_stats_internal_LDADD = $(CUNIT_LIBS) $(TG_SYSLIBS)
endif

# Multi-process load, SIGKILL and rebuild checks driven by one helper.
check_PROGRAMS += tests/stats/stats-driver
tests_stats_stats_driver_SOURCES = tests/stats/stats-driver.c
tests_stats_stats_driver_LDADD = $(TG_STATS_TESTLIBS) $(TG_SYSLIBS)
TESTS += tests/stats/concurrency.sh tests/stats/sigkill.sh \
	tests/stats/rebuild.sh tests/stats/promtool.sh tests/stats/admin-e2e.sh \
	tests/stats/kill-lighttpd.sh
dist_noinst_SCRIPTS += tests/stats/concurrency.sh tests/stats/sigkill.sh \
	tests/stats/kill-lighttpd.sh \
	tests/stats/rebuild.sh tests/stats/promtool.sh tests/stats/common.sh \
	tests/stats/admin-e2e.sh
# Benchmark (built, not run by make check): tests/bench/bench_stats
noinst_PROGRAMS += tests/bench/bench_stats
tests_bench_bench_stats_SOURCES = tests/bench/bench_stats.c
tests_bench_bench_stats_LDADD = $(TG_STATS_TESTLIBS) $(TG_SYSLIBS)
