# packaging.mk - what an install puts in place besides the binary: the
# price table, web-server configuration templates, the systemd unit.
nobase_dist_pkgdata_DATA += packaging/prices.json
dist_noinst_DATA += packaging/lighttpd/tiergate.conf.in \
	packaging/apache/tiergate.conf.in packaging/apache/tiergate-cgi.conf.in
