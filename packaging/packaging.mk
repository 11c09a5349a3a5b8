# packaging.mk - what an install puts in place besides the binary: the
# price table, web-server configuration templates, the systemd unit.
nobase_dist_pkgdata_DATA += packaging/prices.json
dist_noinst_DATA += packaging/lighttpd/tiergate.conf.in \
	packaging/apache/tiergate.conf.in packaging/apache/tiergate-cgi.conf.in
dist_noinst_SCRIPTS += packaging/deps.sh packaging/build.sh packaging/test.sh \
	packaging/sanitizers.sh packaging/demo.sh packaging/quickstart.sh
dist_noinst_DATA += packaging/tiergate.example.json
