# packaging.mk - what an install puts in place besides the binary: the
# price table, the example config and the web-server configuration
# templates (under $(pkgdatadir)), and the scripts of the source tree.
dist_pkgdata_DATA = packaging/prices.json packaging/tiergate.example.json
lighttpdconfdir = $(pkgdatadir)/lighttpd
dist_lighttpdconf_DATA = packaging/lighttpd/tiergate.conf.in packaging/lighttpd/errors.lua
apacheconfdir = $(pkgdatadir)/apache
dist_apacheconf_DATA = packaging/apache/tiergate.conf.in \
	packaging/apache/tiergate-cgi.conf.in
nginxconfdir = $(pkgdatadir)/nginx
dist_nginxconf_DATA = packaging/nginx/tiergate.conf.in \
	packaging/nginx/tiergate-locations.conf.in
dist_noinst_SCRIPTS += packaging/deps.sh packaging/build.sh packaging/test.sh \
	packaging/sanitizers.sh packaging/demo.sh packaging/quickstart.sh \
	packaging/screenshot.sh packaging/fresh-debian.sh
EXTRA_DIST += packaging/node/package.json packaging/node/package-lock.json

# The systemd unit (installed by the Debian package; see debian/) and its
# static checks: systemd-analyze verify and security.
EXTRA_DIST += packaging/systemd/tiergate.service
TESTS += tests/packaging/systemd-unit.sh
EXTRA_DIST += tests/packaging/systemd-unit.sh

# The Debian package (debian/): `make deb` builds it out of tree in
# build/deb and runs lintian; packaging/test-deb.sh (opt-in, not in make
# check: it makes a fresh Debian chroot) installs it and serves through
# lighttpd, Apache and nginx with only the installed files.
dist_noinst_SCRIPTS += packaging/build-deb.sh packaging/test-deb.sh
EXTRA_DIST += tests/packaging/deb-inside.sh
deb:
	cd $(srcdir) && bash packaging/build-deb.sh
.PHONY: deb
