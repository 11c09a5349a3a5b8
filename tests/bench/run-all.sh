#!/bin/bash
# run-all.sh - run every benchmark in tests/bench one after the other and
# print a summary.  Not part of `make check`.
#
# usage: tests/bench/run-all.sh [BUILDDIR]
#   BUILDDIR  a configured build tree (default: $top_builddir, else the
#             current directory).  The benchmark programs and tiergate are
#             built there first with make (a target that does not build is
#             reported as skipped).
# Environment: RUN_ALL_OUT (directory for the full output of each benchmark;
# default a new /tmp/tg-bench-all.XXXXXX, kept), RUN_ALL_ONLY (names to run,
# e.g. "stats policy"), and each benchmark's own variables (BENCH_*,
# CONC_*, TTFB_*, see tests/bench/README.md).
#
# Benchmarks, in order (short and in-process first, the stacks last):
#   stats        tests/bench/bench_stats 200000 OUTDIR   stats_record, declog_write
#   policy       tests/bench/bench_policy lua-policies/default.lua
#   openai       tests/bench/bench_openai                 Chat Completions translation vs Converse
#   predict      tests/bench/bench-predict.sh BUILDDIR    predictor vs XGBoost
#   gateway      tests/bench/bench-gateway.sh             wrk via lighttpd+tiergate vs direct
#   concurrency  tests/bench/bench-concurrency.sh         500 clients, 1 s upstream
#   ttfb         tests/bench/bench-ttfb.sh                ConverseStream time to first byte
# Exit status: 0 when every benchmark ran (or was skipped with 77), 1 when
# one failed.

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=$(cd "${1:-${top_builddir:-.}}" && pwd) || exit 1
[ -f "$builddir/Makefile" ] || { echo "run-all.sh: $builddir is not a configured build tree" >&2; exit 1; }
out=${RUN_ALL_OUT:-$(mktemp -d /tmp/tg-bench-all.XXXXXX)}
mkdir -p "$out" || exit 1
export top_srcdir=$srcdir top_builddir=$builddir
export TIERGATE=${TIERGATE:-$builddir/tiergate}

NAMES=() STATUS=() SECS=() FIGS=()

want() { [ -z "${RUN_ALL_ONLY:-}" ] || [[ " $RUN_ALL_ONLY " == *" $1 "* ]]; }

build() {	# TARGET...: make them; 1 when one does not build
	make -C "$builddir" "$@" >>"$out/build.log" 2>&1
}

# bench NAME FIGURES-REGEX COMMAND...: run COMMAND, its output in
# $out/NAME.txt (and on the terminal), the lines matching the regex kept
# for the summary.
bench() {
	local name=$1 re=$2 t0 rc; shift 2
	want "$name" || return 0
	echo "==== $name: $*"
	t0=$(date +%s)
	"$@" 2>&1 | tee "$out/$name.txt"
	rc=${PIPESTATUS[0]}
	NAMES+=("$name")
	SECS+=("$(($(date +%s) - t0))")
	case $rc in
	0)  STATUS+=(ok) ;;
	77) STATUS+=(skipped) ;;
	*)  STATUS+=("FAILED ($rc)") ;;
	esac
	FIGS+=("$(grep -E "$re" "$out/$name.txt" | sed 's/^[[:space:]]*/    /')")
	echo
}

skip() {	# NAME WHY
	want "$1" || return 0
	echo "==== $1: skipped: $2"; echo
	NAMES+=("$1"); SECS+=(0); STATUS+=("skipped: $2"); FIGS+=("")
}

echo "run-all: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "source $srcdir, build $builddir, full output in $out"
echo

if want stats; then
	if build tests/bench/bench_stats; then
		bench stats '^(stats_record|declog_write)' \
		    "$builddir/tests/bench/bench_stats" 200000 "$out"
	else
		skip stats "tests/bench/bench_stats does not build (see $out/build.log)"
	fi
fi
if want policy; then
	if build tests/bench/bench_policy; then
		bench policy 'candidates:' \
		    "$builddir/tests/bench/bench_policy" "$srcdir/lua-policies/default.lua"
	else
		skip policy "tests/bench/bench_policy does not build (see $out/build.log)"
	fi
fi
if want openai; then
	if build tests/bench/bench_openai; then
		bench openai '^(short|2 kB|600 kB|answer)' "$builddir/tests/bench/bench_openai"
	else
		skip openai "tests/bench/bench_openai does not build (see $out/build.log)"
	fi
fi
bench predict '^ +[0-9]+ B ' "$srcdir/tests/bench/bench-predict.sh" "$builddir"

if want gateway || want concurrency || want ttfb; then
	if build tiergate; then
		bench gateway '(latency added|chat vs router|^  (sigv4|bearer) +(light|loaded) +router|^  (stats|policy:|stats_record|declog_write|policy_decide|route_predict) )' \
		    "$srcdir/tests/bench/bench-gateway.sh"
		bench concurrency '^(direct to|via lighttpd|throughput ratio|tiergate VmRSS|  per in-flight)' \
		    "$srcdir/tests/bench/bench-concurrency.sh"
		bench ttfb '^(median TTFB|CPU seconds)' "$srcdir/tests/bench/bench-ttfb.sh"
	else
		for n in gateway concurrency ttfb; do
			skip "$n" "tiergate does not build (see $out/build.log)"
		done
	fi
fi

echo "==== summary ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs; full output in $out)"
rc=0
for i in "${!NAMES[@]}"; do
	printf '%-12s %-40s %5ss\n' "${NAMES[$i]}" "${STATUS[$i]}" "${SECS[$i]}"
	[ -n "${FIGS[$i]}" ] && printf '%s\n' "${FIGS[$i]}"
	case ${STATUS[$i]} in FAILED*) rc=1 ;; esac
done
exit $rc
