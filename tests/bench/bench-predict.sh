#!/bin/bash
# bench-predict.sh - run the predictor speed benchmark (bench_predict.c):
# full predict path for 200 B, 2 kB and 20 kB prompts, then the compiled
# default model against XGBoost's single-row predict on the same trees.
#
# usage: tests/bench/bench-predict.sh [BUILDDIR] [CALLS]
#   BUILDDIR  the configured build tree (default: current directory); the
#             benchmark is built there with `make tests/bench/bench_predict`
#   CALLS     timed calls per figure (default 100000)
# Prompts are real text from predictor/data (the shipped routing data).
set -eu

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${1:-.}
calls=${2:-100000}
model="$srcdir/predictor/models/default.json"
data="$srcdir/predictor/data/dcrouter.jsonl"
[ -f "$data" ] || data="$srcdir/../shared/data/routing/dcrouter.jsonl"

make -C "$builddir" tests/bench/bench_predict >/dev/null
echo "host: $(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
exec "$builddir/tests/bench/bench_predict" "$model" "$data" "$calls"
