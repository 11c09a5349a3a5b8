#!/bin/bash
# help.sh - every command listed by `tiergate --help` answers
# `tiergate COMMAND --help` with its synopsis on stdout, nothing on stderr,
# exit 0, and without doing the command's work (keygen mints no key,
# check-config opens no file named --help); and answers an unknown option
# with one usage error: "tiergate COMMAND: unrecognized option 'X'" and the
# synopsis on stderr, nothing on stdout, exit 2.
set -u
: "${TIERGATE:?}"
[ -x "$TIERGATE" ] || { echo "SKIP: $TIERGATE not built"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$TIERGATE" --help >"$TMP/top" 2>&1 || bad "tiergate --help exit $?"
cmds=$(sed -n 's/^  \([a-z-]*\) .*/\1/p' "$TMP/top")
[ "$(echo "$cmds" | wc -w)" -ge 10 ] || bad "tiergate --help lists: $cmds"
for c in $cmds; do
	"$TIERGATE" "$c" --help >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ "$rc" = 0 ] || bad "$c --help: exit $rc"
	[ -s "$TMP/err" ] && bad "$c --help: stderr: $(head -2 "$TMP/err")"
	head -1 "$TMP/out" | grep -q "^usage: tiergate" ||
		bad "$c --help: first line: $(head -1 "$TMP/out")"
	grep -q "^See " "$TMP/out" || bad "$c --help: no pointer to the docs"
	# after other arguments too
	"$TIERGATE" "$c" somefile --help >"$TMP/out2" 2>/dev/null ||
		bad "$c somefile --help: exit $?"
	cmp -s "$TMP/out" "$TMP/out2" || bad "$c somefile --help differs"
done
"$TIERGATE" keygen --help | grep -q "tg-" && bad "keygen --help minted a key"
# `--` ends the options: what follows is an operand, not a request for help
"$TIERGATE" check-config -- --help >"$TMP/out" 2>/dev/null &&
	bad "check-config -- --help succeeded"
[ -s "$TMP/out" ] && bad "check-config -- --help printed help on stdout"
"$TIERGATE" check-config -- --help 2>&1 | grep -q "^--help: " ||
	bad "check-config -- --help did not try to load a file named --help"

# usage errors: the same first line for every command, then the synopsis
usage_error() {	# EXPECTED-FIRST-LINE ARGS...
	local want=$1 rc
	shift
	"$TIERGATE" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	[ "$rc" = 2 ] || bad "$*: exit $rc, want 2"
	[ -s "$TMP/out" ] && bad "$*: stdout: $(head -2 "$TMP/out")"
	[ "$(head -1 "$TMP/err")" = "$want" ] ||
		bad "$*: stderr line 1: $(head -1 "$TMP/err"), want: $want"
	sed -n 2p "$TMP/err" | grep -q "^usage: tiergate" ||
		bad "$*: stderr line 2: $(sed -n 2p "$TMP/err")"
}
for c in $cmds; do
	case $c in
	policy) args="policy check" ;;
	stats) args="stats show" ;;
	*) args=$c ;;
	esac
	# shellcheck disable=SC2086
	usage_error "tiergate $c: unrecognized option '--no-such-option'" \
		$args --no-such-option
done
usage_error "tiergate serve: option '--listen' requires an argument" serve --listen
usage_error "tiergate replay: option '--json' takes no argument" replay --json=1
usage_error "tiergate policy: unknown subcommand 'chek' (check or test)" policy chek
usage_error "tiergate stats: missing subcommand (show or rebuild)" stats
usage_error "tiergate train: --depth 99: must be an integer in [1, 12]" \
	train --data x --out y --depth 99
usage_error "tiergate predict: option '--json' is only for tiergate eval" \
	predict --json
# keygen must not mint a key whose line the keys file would not load
usage_error "tiergate keygen: unrecognized option '-alice'" \
	keygen -alice
usage_error "tiergate keygen: a tenant name is 1-63 characters, no spaces, not starting with '#'" \
	keygen "two words"
usage_error "tiergate keygen: unexpected argument 'bob'" keygen alice bob
"$TIERGATE" keygen --sigv4 alice | grep -q "^sigv4 alice TGAK" ||
	bad "keygen --sigv4 TENANT (option first) did not mint a sigv4 line"
[ "$fail" = 0 ] && echo "PASS: --help and usage errors for: $(echo $cmds)"
exit "$fail"
