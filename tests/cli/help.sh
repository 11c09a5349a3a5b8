#!/bin/bash
# help.sh - every command listed by `tiergate --help` answers
# `tiergate COMMAND --help` with its synopsis on stdout, nothing on stderr,
# exit 0, and without doing the command's work (keygen mints no key,
# check-config opens no file named --help).
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
[ "$fail" = 0 ] && echo "PASS: --help for: $(echo $cmds)"
exit "$fail"
