#!/bin/sh
# tests/console/run.sh: browser tests of the admin console (issue 6).
#   CONSOLE_URL=http://127.0.0.1:PORT/admin/ ADMIN_TOKEN=... [STATS_URL=...] run.sh
# runs them against a running stack; without CONSOLE_URL they run against
# tests/console/fixture-server.mjs. Exits 77 (skip) when chromium or the
# tests' node_modules are missing. Screenshots go to $TEST_OUTPUT_DIR or
# tests/console/test-output/.
here=$(cd "$(dirname "$0")" && pwd)
node=${NODE:-node}
chromium=${CHROMIUM:-/usr/bin/chromium}

if ! command -v "$node" >/dev/null 2>&1; then echo "SKIP: node not found"; exit 77; fi
if [ ! -x "$chromium" ]; then echo "SKIP: $chromium not found"; exit 77; fi
if [ ! -d "$here/../node_modules/playwright-core" ]; then
	echo "SKIP: tests/node_modules/playwright-core missing (cd tests && npm ci)"; exit 77
fi
# In a VPATH build (make check, distcheck) the source tree may be read-only.
if [ -z "${TEST_OUTPUT_DIR:-}" ] && [ -n "${top_builddir:-}" ]; then
	TEST_OUTPUT_DIR=$top_builddir/tests/console/test-output
fi
[ -n "${TEST_OUTPUT_DIR:-}" ] && export TEST_OUTPUT_DIR
export CHROMIUM="$chromium"
exec "$node" --test --test-reporter=spec --test-concurrency=1 "$here"/*.test.mjs
