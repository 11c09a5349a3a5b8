#!/bin/bash
# packaging/build.sh - configure and build tiergate in the source tree.
# Extra arguments go to configure.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> autoreconf"
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
echo "==> configure $*"
./configure --enable-werror "$@" >/dev/null
echo "==> make -j$(nproc)"
make -j"$(nproc)" >/dev/null
echo "==> built $(./tiergate --version)"
