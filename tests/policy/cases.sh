#!/bin/bash
# cases.sh - `policy check` on every shipped policy and `policy test` of
# each policy against its data-driven cases in lua-policies/tests/.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/policy/lib.sh"

for f in "$P"/default.lua "$P"/examples/*.lua; do
	expect_rc 0 "policy check $(basename "$f")" "$POLICY_TOOL" policy check "$f"
done
for c in "$P"/tests/*.cases; do
	name=$(basename "$c" .cases)
	lua="$P/examples/$name.lua"
	[ "$name" = default ] && lua="$P/default.lua"
	out=$("$POLICY_TOOL" policy test "$lua" "$c" 2>&1); rc=$?
	if [ $rc -eq 0 ] && echo "$out" | grep -Eq '^[1-9][0-9]* passed, 0 failed$'; then
		pass "policy test $name: $(echo "$out" | tail -1)"
	else
		fail "policy test $name"; echo "$out"
	fi
done

# A failing case is reported with a diff and exit status 1.
out=$("$POLICY_TOOL" policy test "$P/default.lua" "$top_srcdir/tests/policy/failing.cases" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q '^1 passed, 1 failed$' &&
    echo "$out" | grep -q 'expected model a.small, got b.large'; then
	pass "failing case reported"
else
	fail "failing case not reported"; echo "$out"
fi

# check reports file:line for a syntax error and rejects contract breakers.
out=$("$POLICY_TOOL" policy check "$top_srcdir/tests/policy/hostile/syntax_error.lua" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'syntax_error.lua:5:'; then
	pass "check: syntax error with line number"
else
	fail "check: syntax error"; echo "$out"
fi
# A looping __index on the returned table is stopped by the instruction
# limit at load, in check and in test alike.
for cmd in check test; do
	extra=; [ $cmd = test ] && extra="$P/tests/default.cases"
	out=$(timeout 20 "$POLICY_TOOL" policy $cmd "$top_srcdir/tests/policy/hostile/index_loop_returned_table.lua" $extra 2>&1); rc=$?
	if [ $rc -eq 1 ] && echo "$out" | grep -q 'index_loop_returned_table.lua: policy limit: more than [0-9]* instructions while loading'; then
		pass "$cmd: hostile __index is a limit error"
	else
		fail "$cmd: hostile __index (rc $rc)"; echo "$out"
	fi
done
expect_rc 1 "check: no decide" "$POLICY_TOOL" policy check "$top_srcdir/tests/policy/hostile/no_decide.lua"
expect_rc 1 "check: missing file" "$POLICY_TOOL" policy check /nonexistent.lua
expect_rc 2 "usage" "$POLICY_TOOL" policy frobnicate
# Limits from flags: 6 instructions are too few for the default policy
# (which needs about 10: tiergate.bedrock runs in C for the real ctx).
out=$("$POLICY_TOOL" policy check --instructions 6 "$P/default.lua" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'dry run: policy limit: more than 6 instructions'; then
	pass "check --instructions"
else
	fail "check --instructions"; echo "$out"
fi
expect_rc 0 "test --memory" "$POLICY_TOOL" policy test --memory 1000000 "$P/default.lua" "$P/tests/default.cases"
expect_rc 2 "check --memory garbage" "$POLICY_TOOL" policy check --memory lots "$P/default.lua"

# The tiergate binary, once it dispatches `policy`, runs the same code.
if [ -x "${TIERGATE:-}" ] && "$TIERGATE" policy check "$P/default.lua" >/dev/null 2>&1; then
	expect_rc 0 "tiergate policy test default" "$TIERGATE" policy test "$P/default.lua" "$P/tests/default.cases"
fi
finish
