#!/bin/bash
# tests/fuzz/build.sh - build the libFuzzer harnesses with clang into
# $top_builddir/tests/fuzz/ (sourced by run.sh and check.sh).
#
# Each harness is compiled together with the sources it fuzzes, with
# -fsanitize=fuzzer,address,undefined so that those files are instrumented
# for coverage and checked by ASan+UBSan; anything else they call (logging,
# HTTP replies of auth.c, ...) comes from the autotools build's own static
# libraries (libtgcore.a and friends, built by `make`), uninstrumented.
# Needs: a built tree at $top_builddir (autoconf.h, the libraries, the
# generated predictor/default_model.c) and clang with libFuzzer.
#
#   fuzz_have_clang          0 when clang can build a libFuzzer program
#   fuzz_build NAME...       build the named harnesses (all when none)

FUZZ_NAMES="request eventstream config keys declog sigv4 features"
FUZZ_CC=${FUZZ_CC:-}

# The sources each harness links, instrumented (paths under top_srcdir).
fuzz_sources() {
	case $1 in
	request)	echo gateway/request.c gateway/stream.c gateway/modelid.c ;;
	eventstream)	echo gateway/eventstream.c ;;
	config)		echo gateway/config.c gateway/jsonpos.c ;;
	keys)		echo gateway/auth.c gateway/filemode.c ;;
	declog)		echo gateway/declog.c gateway/decision.c gateway/stats.c ;;
	sigv4)		echo gateway/sigv4.c ;;
	features)	echo predictor/features.c ;;
	esac
}

fuzz_find_cc() {
	local c
	for c in ${FUZZ_CC:-clang clang-16 clang-15 clang-14}; do
		command -v "$c" >/dev/null 2>&1 && { echo "$c"; return 0; }
	done
	return 1
}

# 0 when clang exists and links -fsanitize=fuzzer (libclang-rt-*-dev).
fuzz_have_clang() {
	local cc tmp rc
	cc=$(fuzz_find_cc) || return 1
	tmp=$(mktemp -d) || return 1
	printf '%s\n' '#include <stdint.h>' '#include <stddef.h>' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
	    '{ (void)d; (void)n; return 0; }' >"$tmp/t.c"
	"$cc" -fsanitize=fuzzer,address,undefined "$tmp/t.c" -o "$tmp/t" >/dev/null 2>&1
	rc=$?
	rm -rf "$tmp"
	return $rc
}

# A variable of the build tree's Makefile (the libraries configure found).
fuzz_make_var() {
	sed -n "s/^$1 = //p" "$top_builddir/Makefile" | head -n 1
}

# The project's static libraries; listed twice by the caller because they
# call each other (as tiergate_LDADD does).
fuzz_libs() {
	local l
	for l in libtgcore libtgsigv4 libpred libtgeval libtgpolicy libtgstats; do
		[ -f "$top_builddir/$l.a" ] && printf '%s ' "$top_builddir/$l.a"
	done
}

fuzz_build_one() {
	local name=$1 cc=$2 out=$top_builddir/tests/fuzz src flags libs s
	src=""
	for s in $(fuzz_sources "$name"); do src="$src $top_srcdir/$s"; done
	flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
	    -fno-sanitize-recover=undefined -I$top_builddir -I$top_srcdir/gateway
	    -I$top_srcdir/predictor -I$top_builddir/predictor -I$top_srcdir/tests/fuzz
	    $(fuzz_make_var JANSSON_CFLAGS) $(fuzz_make_var CRYPTO_CFLAGS)
	    -DTG_SYSCONFDIR=\"/etc/tiergate\" -DTG_DATADIR=\"/usr/share/tiergate\""
	libs="$(fuzz_libs) $(fuzz_libs) $(fuzz_make_var FCGI_LIBS) $(fuzz_make_var CURL_LIBS)
	    $(fuzz_make_var JANSSON_LIBS) $(fuzz_make_var LUA_LIBS)
	    $(fuzz_make_var CRYPTO_LIBS) $(fuzz_make_var XGBOOST_LIBS) -ldl -lm -pthread"
	mkdir -p "$out"
	# shellcheck disable=SC2086
	"$cc" $flags "$top_srcdir/tests/fuzz/fuzz_$name.c" $src $libs -o "$out/fuzz_$name"
}

fuzz_build() {
	local cc n
	cc=$(fuzz_find_cc) || { echo "tests/fuzz: no clang" >&2; return 1; }
	for n in ${*:-$FUZZ_NAMES}; do
		fuzz_build_one "$n" "$cc" || { echo "tests/fuzz: building fuzz_$n failed" >&2; return 1; }
	done
}
