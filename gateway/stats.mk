# gateway/stats.mk - shared stats file, decision log, admin API, /metrics,
# `tiergate stats`.
noinst_LIBRARIES += libtgstats.a
TG_MODULE_LIBS += libtgstats.a
libtgstats_a_SOURCES = \
	gateway/stats.h gateway/stats.c
EXTRA_DIST += docs/admin-api.md
