# gateway/policy.mk - the Lua policy host (gateway/policy.c) and the
# operator commands `tiergate policy check|test` and `tiergate replay`.
noinst_LIBRARIES += libtgpolicy.a
libtgpolicy_a_SOURCES = gateway/policy.h gateway/policy.c gateway/policy_cmd.c
TG_MODULE_LIBS += libtgpolicy.a
