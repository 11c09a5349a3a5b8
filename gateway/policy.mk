# gateway/policy.mk - the Lua policy host (gateway/policy.c) and the
# operator commands `tiergate policy check|test` and `tiergate replay`
# (gateway/policy_cmd.c).  The policies themselves, their cases and the
# script tests are in lua-policies/policies.mk.
noinst_LIBRARIES += libtgpolicy.a
libtgpolicy_a_SOURCES = gateway/policy.h gateway/policy.c gateway/policy_cmd.c \
	gateway/policy_facts.h gateway/policy_facts.c \
	gateway/policy_whatif.h gateway/policy_whatif.c \
	gateway/policy_lib.h gateway/policy_lib.c \
	gateway/policy_pattern.h gateway/policy_pattern.c
TG_MODULE_LIBS += libtgpolicy.a

# The policy commands alone, for the script tests (tests/policy/*.sh).
check_PROGRAMS += tests/policy/policy_tool
tests_policy_policy_tool_SOURCES = tests/policy/policy_tool.c
tests_policy_policy_tool_LDADD = libtgpolicy.a libtgcore.a $(TG_SYSLIBS)

if HAVE_CUNIT
check_PROGRAMS += tests/unit/test_policy
TESTS += tests/unit/test_policy
tests_unit_test_policy_SOURCES = tests/unit/test_policy.c
tests_unit_test_policy_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_policy_CPPFLAGS = $(AM_CPPFLAGS) -DTG_TOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_policy_LDADD = libtgpolicy.a libtgcore.a $(CUNIT_LIBS) $(TG_SYSLIBS)

# The bounded pattern matcher against the stock string library.
check_PROGRAMS += tests/unit/test_pattern
TESTS += tests/unit/test_pattern
tests_unit_test_pattern_SOURCES = tests/unit/test_pattern.c
tests_unit_test_pattern_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_pattern_CPPFLAGS = $(AM_CPPFLAGS) -DTG_TOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_pattern_LDADD = libtgpolicy.a libtgcore.a $(CUNIT_LIBS) $(TG_SYSLIBS)
endif
EXTRA_DIST += tests/unit/pattern_diff.lua

# The policy benchmark: built by `make check` so that it keeps compiling,
# never run by it (timings drift on shared machines; see tests/bench/README.md).
check_PROGRAMS += tests/bench/bench_policy
tests_bench_bench_policy_SOURCES = tests/bench/bench_policy.c tests/bench/benchlib.h
tests_bench_bench_policy_LDADD = libtgpolicy.a libtgcore.a $(TG_SYSLIBS)

dist_man_MANS += man/tiergate-policy.7
