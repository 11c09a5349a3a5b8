#!/bin/bash
# tests/fuzz/check.sh - `make check`'s fuzz test: build every libFuzzer
# harness and run each for a fixed 2000 executions (fixed seed) from its
# corpus, which replays every seed and every regression input kept there.
# Fails on any crash, leak, sanitizer report or broken property; skips
# (77) when clang with libFuzzer is not installed.  Longer runs: run.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}" "${top_builddir:=$top_srcdir/build}"
export top_srcdir top_builddir
. "$here/build.sh"
. "$here/lib.sh"

if ! fuzz_have_clang; then
	echo "SKIP: clang with libFuzzer not found (apt-get install clang-14 libclang-rt-14-dev)"
	exit 77
fi
fuzz_build || exit 99
work=$(fuzz_tmpdir) || exit 99
trap 'rm -rf "$work"' EXIT
fail=0
for n in $FUZZ_NAMES; do
	fuzz_run "$n" "$work" -runs=2000 -seed=1 || { fail=1; tail -n 40 "$work/$n.log"; }
done
exit $fail
