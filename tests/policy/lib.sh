# lib.sh - shared by the policy script tests.  Uses $POLICY_TOOL (the
# check program built from tests/policy/policy_tool.c).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=.}"
: "${POLICY_TOOL:=$top_builddir/tests/policy/policy_tool}"
P="$top_srcdir/lua-policies"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }
# expect_rc WANT DESCRIPTION CMD...: run CMD, compare its exit status
expect_rc() {
	want=$1; what=$2; shift 2
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" -eq "$want" ]; then pass "$what"; else fail "$what (exit $rc, wanted $want)"; echo "$out"; fi
}
finish() { [ "$fails" -eq 0 ] && exit 0; echo "$fails failure(s)"; exit 1; }
