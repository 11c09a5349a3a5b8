#!/bin/bash
# tests/fuzz/run.sh - build every libFuzzer harness with clang and run each
# for SECONDS (default 60) under ASan+UBSan, one after the other (the
# machine is shared: one core), printing the executions and the coverage
# libFuzzer reached (cov: edges, ft: features) per harness.
#
#   bash tests/fuzz/run.sh [SECONDS [NAME...]]
#
# Needs a built tree (packaging/build.sh: build/, or $top_builddir) and
# clang with libFuzzer (Debian: clang-14 libclang-rt-14-dev).  New inputs
# and crashes go to $top_builddir/tests/fuzz/work/; the committed corpus
# is only read.  A crash: minimise it, fix the code, and copy the input to
# tests/fuzz/corpus/NAME/ as a regression file (README.md).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
. "$here/build.sh"
. "$here/lib.sh"

secs=${1:-60}
shift || true
if ! fuzz_have_clang; then
	echo "tests/fuzz/run.sh: clang with libFuzzer not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
	exit 77
fi
[ -f "$top_builddir/libtgcore.a" ] || { echo "tests/fuzz/run.sh: build first (packaging/build.sh)" >&2; exit 1; }
fuzz_build "$@" || exit 1
work=$top_builddir/tests/fuzz/work
mkdir -p "$work"
FUZZ_TMP=$(fuzz_tmpdir) || exit 1
trap 'rm -rf "$FUZZ_TMP"' EXIT
fail=0
for n in ${*:-$FUZZ_NAMES}; do
	fuzz_run "$n" "$work" -max_total_time="$secs" || fail=1
done
exit $fail
