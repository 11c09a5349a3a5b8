#!/bin/bash
# structures.sh - rerun the model-structure experiments of
# predictor/README-training.md ("Structural variants tried").
#
# Builds export-features against a configured build tree, exports the
# feature vectors of predictor/data/*.jsonl (the same scanner `tiergate
# train` uses) and runs structures.py: each structure trained with the
# default model's settings and scored by APGR on held-out groups.
#
# usage: tests/predictor-tools/structures.sh BUILDDIR OUTDIR [ARGS...]
#   ARGS are passed to structures.py (default: every structure, split
#   loco); e.g. `groupoff --split mmlu4` or `--length-auc`.
# Needs python3-xgboost and python3-numpy (Debian packages, not project
# dependencies: apt-get install python3-xgboost).  Not part of make check;
# every structure takes about a minute on two cores.
set -eu

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: structures.sh BUILDDIR OUTDIR [ARGS...]}" && pwd)
out=${2:?usage: structures.sh BUILDDIR OUTDIR [ARGS...]}
shift 2
mkdir -p "$out"

/usr/bin/python3 -c 'import numpy, xgboost' 2>/dev/null || {
	echo "structures.sh: needs python3-xgboost (apt-get install python3-xgboost)" >&2
	exit 1
}
make -s -C "$build" libpred.a libtgcore.a
# shellcheck disable=SC2046
${CC:-cc} -O2 -I"$srcdir/predictor" -I"$build" \
	-o "$out/export-features" "$srcdir/tests/predictor-tools/export-features.c" \
	"$build/libpred.a" "$build/libtgcore.a" -ljansson -lm
"$out/export-features" "$out/X.bin" "$out/idx.jsonl" \
	"$srcdir/predictor/data/mmlu.jsonl" "$srcdir/predictor/data/dcrouter.jsonl"
if [ $# -eq 0 ]; then
	set -- shipped difficulty dense twostage fw3 groupoff
fi
exec /usr/bin/python3 "$srcdir/tests/predictor-tools/structures.py" "$out" "$@"
