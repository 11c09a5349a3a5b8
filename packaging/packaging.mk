# packaging.mk - what an install puts in place besides the binary: the
# price table, the example config and the web-server configuration
# templates (under $(pkgdatadir)), and the scripts of the source tree.
dist_pkgdata_DATA = packaging/prices.json packaging/tiergate.example.json
lighttpdconfdir = $(pkgdatadir)/lighttpd
dist_lighttpdconf_DATA = packaging/lighttpd/tiergate.conf.in
apacheconfdir = $(pkgdatadir)/apache
dist_apacheconf_DATA = packaging/apache/tiergate.conf.in \
	packaging/apache/tiergate-cgi.conf.in
nginxconfdir = $(pkgdatadir)/nginx
dist_nginxconf_DATA = packaging/nginx/tiergate.conf.in \
	packaging/nginx/tiergate-locations.conf.in
dist_noinst_SCRIPTS += packaging/deps.sh packaging/build.sh packaging/test.sh \
	packaging/sanitizers.sh packaging/demo.sh packaging/quickstart.sh \
	packaging/fresh-debian.sh
EXTRA_DIST += packaging/node/package.json packaging/node/package-lock.json
