#!/bin/bash
# tests/fuzz/lib.sh - run one libFuzzer harness over its seed corpus
# (sourced by run.sh and check.sh, after build.sh).
#
#   fuzz_run NAME WORKDIR ARGS...   run build/tests/fuzz/fuzz_NAME with
#                                   ARGS; new inputs go to WORKDIR/NAME, the
#                                   committed corpus stays untouched; a
#                                   crashing input is saved as
#                                   WORKDIR/crash-NAME-*.  Prints
#                                   "NAME: N executions, cov C, ft F" and
#                                   returns the harness's status.
#                                   Files the harnesses write go to
#                                   $FUZZ_TMP (default WORKDIR/tmp).

# A private scratch directory on tmpfs when there is one: the config,
# keys and decision-log harnesses write a file per execution.
fuzz_tmpdir() {
	local d
	for d in /dev/shm "${TMPDIR:-/tmp}"; do
		[ -d "$d" ] && [ -w "$d" ] && mktemp -d "$d/tgfuzz.XXXXXX" && return 0
	done
	return 1
}

fuzz_run() {
	local name=$1 work=$2 log rc line
	shift 2
	log=$work/$name.log
	mkdir -p "$work/$name" "${FUZZ_TMP:=$work/tmp}"
	# stdin from /dev/null: a config may name /dev/stdin as its price table
	TMPDIR=$FUZZ_TMP ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
	    "$top_builddir/tests/fuzz/fuzz_$name" -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$work/crash-$name-" -print_final_stats=1 "$@" \
	    "$work/$name" "$top_srcdir/tests/fuzz/corpus/$name" </dev/null >"$log" 2>&1
	rc=$?
	line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)' "$log" | tail -n 1)
	printf '%s: %s executions, cov %s, ft %s, corpus %s%s\n' "$name" \
	    "$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")" \
	    "$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")" \
	    "$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")" \
	    "$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$line")" \
	    "$([ $rc = 0 ] || echo " FAILED (status $rc, see $log)")"
	return $rc
}
