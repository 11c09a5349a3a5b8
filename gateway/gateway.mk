# gateway.mk - the core of the tiergate binary: serving loop, request
# parsing, auth, config, Bedrock client, routing orchestration.
noinst_LIBRARIES += libtgcore.a
libtgcore_a_SOURCES = \
	gateway/config.h gateway/http.h gateway/decision.h gateway/gateway.h \
	gateway/log.h gateway/log.c

tiergate_SOURCES = gateway/main.c
