# gateway/sigv4.mk - SigV4 signing and verification, upstream credentials,
# the AWS event-stream codec (pure code over libcrypto, no network), and
# the mode check of the files that hold secrets (filemode.c, used by
# creds.c here and by auth.c in the core).
noinst_LIBRARIES += libtgsigv4.a
libtgsigv4_a_SOURCES = \
	gateway/sigv4.h gateway/sigv4.c \
	gateway/creds.h gateway/creds.c \
	gateway/filemode.h gateway/filemode.c \
	gateway/eventstream.h gateway/eventstream.c

TG_MODULE_LIBS += libtgsigv4.a

# AWS's SigV4 test suite (aws-c-auth, Apache-2.0): copied recursively.
EXTRA_DIST += tests/sigv4

if HAVE_CUNIT
check_PROGRAMS += tests/unit/test_sigv4
TESTS += tests/unit/test_sigv4

tests_unit_test_sigv4_SOURCES = tests/unit/test_sigv4.c
tests_unit_test_sigv4_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_sigv4_LDADD = libtgsigv4.a $(CUNIT_LIBS) $(TG_SYSLIBS)

check_PROGRAMS += tests/unit/test_creds
TESTS += tests/unit/test_creds
tests_unit_test_creds_SOURCES = tests/unit/test_creds.c
tests_unit_test_creds_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_creds_LDADD = libtgsigv4.a $(CUNIT_LIBS) $(TG_SYSLIBS)

check_PROGRAMS += tests/unit/test_eventstream
TESTS += tests/unit/test_eventstream
tests_unit_test_eventstream_SOURCES = tests/unit/test_eventstream.c
tests_unit_test_eventstream_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_eventstream_LDADD = libtgsigv4.a $(CUNIT_LIBS) $(TG_SYSLIBS)
endif
