#!/bin/bash
# packaging/sanitizers.sh - build the unit tests with ASan and UBSan in a
# separate tree (build-asan/) and run them.  Part of packaging/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
echo "==> unit tests under ASan+UBSan (build-asan/)"
mkdir -p build-asan
cd build-asan
[ -f Makefile ] || "$top/configure" --enable-werror --enable-sanitizers >/dev/null
make -j"$(nproc)" >/dev/null
units=$(cd "$top" && ls tests/unit/test_*.c | sed 's/\.c$//' | tr '\n' ' ')
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    make -j2 check TESTS="$units" >/dev/null || { cat test-suite.log | tail -100; exit 1; }
grep -E '^# (TOTAL|PASS|FAIL|ERROR)' test-suite.log || true
echo "==> the end-to-end request path with the ASan+UBSan binary (lighttpd)"
# A sanitizer report aborts tiergate, which fails the test's requests.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1 \
    top_srcdir="$top" top_builddir="$top/build-asan" TIERGATE="$top/build-asan/tiergate" \
    bash "$top/tests/e2e/lighttpd.sh" | tail -1
