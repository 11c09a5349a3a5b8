#!/bin/bash
# systemd-unit.sh - packaging/systemd/tiergate.service (the Debian package's
# unit) passes `systemd-analyze verify` and its sandbox scores at most 2.0
# ("OK") in `systemd-analyze security --offline=true`; the score is printed
# for the README.  Skipped (77) without systemd-analyze.  verify needs the
# binary and the man pages the unit names: the unit is checked with
# /usr/bin/tiergate replaced by the built binary and the man pages on MANPATH.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${TIERGATE:=$top_srcdir/build/tiergate}"
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed"; exit 77; }
[ -x "$TIERGATE" ] || { echo "FAIL: no tiergate binary at $TIERGATE"; exit 1; }
TIERGATE=$(cd "$(dirname "$TIERGATE")" && pwd)/$(basename "$TIERGATE")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unit=$top_srcdir/packaging/systemd/tiergate.service
fail=0
mkdir -p "$tmp/man/man8" "$tmp/man/man5"
cp "$top_srcdir/man/tiergate.8" "$tmp/man/man8/"
cp "$top_srcdir/man/tiergate.conf.5" "$tmp/man/man5/"
sed "s|/usr/bin/tiergate|$TIERGATE|g" "$unit" >"$tmp/tiergate.service"
grep -q '^ExecStart=.* serve --listen 127.0.0.1:9000$' "$unit" || { echo "FAIL: ExecStart"; fail=1; }
grep -q '^User=tiergate$' "$unit" || { echo "FAIL: not User=tiergate"; fail=1; }
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" || { echo "FAIL: reload is not SIGHUP"; fail=1; }
grep -q '^ReadWritePaths=/var/lib/tiergate /var/log/tiergate$' "$unit" || { echo "FAIL: ReadWritePaths"; fail=1; }
if ! MANPATH=$tmp/man systemd-analyze verify "$tmp/tiergate.service" >"$tmp/verify" 2>&1 ||
    [ -s "$tmp/verify" ]; then
	echo "FAIL: systemd-analyze verify:"; cat "$tmp/verify"; fail=1
fi
systemd-analyze security --offline=true --threshold=20 "$tmp/tiergate.service" >"$tmp/sec" 2>&1
rc=$?
grep -E '^✗' "$tmp/sec"
grep 'Overall exposure level' "$tmp/sec" || { cat "$tmp/sec"; fail=1; }
[ $rc = 0 ] || { echo "FAIL: exposure above 2.0 (systemd-analyze security exit $rc)"; fail=1; }
[ $fail = 0 ] && echo "PASS: tiergate.service verified, exposure at most 2.0"
exit $fail
