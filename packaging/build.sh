#!/bin/bash
# packaging/build.sh - configure and build tiergate out of tree, in build/
# (so that other build trees, such as build-asan/, can share the sources).
# Extra arguments go to configure.  The binary is build/tiergate.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> autoreconf"
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
mkdir -p build
cd build
echo "==> configure $*"
../configure --enable-werror "$@" >/dev/null
echo "==> make -j$(nproc)"
make -j"$(nproc)" >/dev/null
echo "==> built build/tiergate: $(./tiergate --version)"
