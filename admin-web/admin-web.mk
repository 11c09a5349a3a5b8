# admin-web/admin-web.mk: the static admin console (issue 6).
# The files under admin-web/public/ are served as they are (no build step):
# installed to $(pkgdatadir)/admin-web, which the web server maps to /admin/
# while /admin/api/* goes to tiergate (see admin-web/README.md).

consoledir = $(pkgdatadir)/admin-web
dist_console_DATA = \
	admin-web/public/index.html \
	admin-web/public/console.css

consolejsdir = $(consoledir)/js
dist_consolejs_DATA = \
	admin-web/public/js/api.js \
	admin-web/public/js/charts.js \
	admin-web/public/js/decisions.js \
	admin-web/public/js/dom.js \
	admin-web/public/js/format.js \
	admin-web/public/js/main.js \
	admin-web/public/js/overview.js \
	admin-web/public/js/table.js \
	admin-web/public/js/whatif.js

# Browser tests (headless Debian chromium + playwright-core from
# tests/node_modules; both skip with 77 when missing): run.sh against the
# fixture API, real-stack.sh against lighttpd + tiergate + the emulator.
TESTS += tests/console/run.sh tests/console/real-stack.sh
EXTRA_DIST += \
	admin-web/README.md \
	docs/console.png \
	tests/console/run.sh \
	tests/console/real-stack.sh \
	tests/console/lib.mjs \
	tests/console/console.test.mjs \
	tests/console/fixture-server.mjs
