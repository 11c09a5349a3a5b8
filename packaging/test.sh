#!/bin/bash
# packaging/test.sh - the one command that installs everything, builds,
# and runs the whole test suite on a fresh Debian 12 machine (as root):
# `make check` (unit tests, end-to-end tests behind real lighttpd and
# Apache, the AWS SDK, Chromium for the console), the unit tests again
# under ASan+UBSan, and `make distcheck`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/deps.sh
bash packaging/build.sh
echo "==> make check"
(cd build && make -j2 check) || { tail -200 build/test-suite.log 2>/dev/null; exit 1; }
bash packaging/sanitizers.sh
echo "==> make distcheck"
(cd build && make -j2 distcheck >distcheck.out 2>&1) || { tail -100 build/distcheck.out; exit 1; }
tail -4 build/distcheck.out
echo "==> all tests passed"
