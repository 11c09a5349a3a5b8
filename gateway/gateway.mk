# gateway.mk - the core of the tiergate binary: serving loop, request
# parsing, auth, config, Bedrock client, routing orchestration.
noinst_LIBRARIES += libtgcore.a
libtgcore_a_SOURCES = \
	gateway/auth.c gateway/auth.h \
	gateway/bedrock.c gateway/bedrock.h \
	gateway/config.c gateway/config.h \
	gateway/decision.c gateway/decision.h \
	gateway/dispatch.c \
	gateway/gateway.h \
	gateway/http.c gateway/http.h \
	gateway/jsonpos.c gateway/jsonpos.h \
	gateway/listen.c gateway/listen.h \
	gateway/log.c gateway/log.h \
	gateway/modelid.c gateway/modelid.h \
	gateway/priv.c gateway/priv.h \
	gateway/request.c gateway/request.h \
	gateway/route.c gateway/route.h \
	gateway/serve.c \
	gateway/stream.h \
	gateway/usage.c gateway/usage.h

tiergate_SOURCES = gateway/main.c

dist_man_MANS += man/tiergate.8 man/tiergate.conf.5 man/tiergate-keys.5
