# packaging.mk - what an install puts in place besides the binary: the
# price table, the example config and the web-server configuration
# templates (under $(pkgdatadir)), and the scripts of the source tree.
dist_pkgdata_DATA = packaging/prices.json packaging/tiergate.example.json
lighttpdconfdir = $(pkgdatadir)/lighttpd
dist_lighttpdconf_DATA = packaging/lighttpd/tiergate.conf.in packaging/lighttpd/errors.lua
apacheconfdir = $(pkgdatadir)/apache
dist_apacheconf_DATA = packaging/apache/tiergate.conf.in \
	packaging/apache/tiergate-cgi.conf.in
dist_noinst_SCRIPTS += packaging/deps.sh packaging/build.sh packaging/test.sh \
	packaging/sanitizers.sh packaging/demo.sh packaging/quickstart.sh packaging/screenshot.sh
