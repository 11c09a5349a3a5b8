# common.sh - sourced by tests/stats/*.sh: locate the driver, make a
# scratch directory that is removed on exit.
set -eu
top_builddir=${top_builddir:-$(pwd)}
DRIVER=$top_builddir/tests/stats/stats-driver
if [ ! -x "$DRIVER" ]; then
	echo "missing $DRIVER (make check builds it)" >&2
	exit 99
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/tg-stats.XXXXXX")
trap 'rm -rf "$T"' EXIT
