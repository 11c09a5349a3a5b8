# lua-policies/policies.mk - the shipped policies (installed under
# $(pkgdatadir)/policies), their data-driven cases, and the script tests
# of `tiergate policy check|test` and `tiergate replay`.
policiesdir = $(pkgdatadir)/policies
dist_policies_DATA = lua-policies/default.lua lua-policies/README.md
policyexamplesdir = $(pkgdatadir)/policies/examples
dist_policyexamples_DATA = \
	lua-policies/examples/budget_guard.lua \
	lua-policies/examples/class_pinned.lua \
	lua-policies/examples/sticky.lua \
	lua-policies/examples/strong_for_tools.lua \
	lua-policies/examples/tenant_thresholds.lua
policytestsdir = $(pkgdatadir)/policies/tests
dist_policytests_DATA = \
	lua-policies/tests/default.cases \
	lua-policies/tests/budget_guard.cases \
	lua-policies/tests/class_pinned.cases \
	lua-policies/tests/sticky.cases \
	lua-policies/tests/strong_for_tools.cases \
	lua-policies/tests/tenant_thresholds.cases

POLICY_SCRIPT_TESTS = tests/policy/cases.sh tests/policy/replay.sh
TESTS += $(POLICY_SCRIPT_TESTS)
EXTRA_DIST += $(POLICY_SCRIPT_TESTS) tests/policy/lib.sh \
	tests/policy/failing.cases tests/policy/decisions.jsonl \
	tests/policy/budget.jsonl tests/policy/hostile
