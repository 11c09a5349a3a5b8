/*
 * test_creds.c - gateway/creds.c: environment, shared credentials file
 * (temporary files), Bedrock API keys, AUTO order, errors that name the
 * file and line but never a secret.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "creds.h"

#define SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SECRET2	"s3cr3t+Second/Profile+Value0000000000000"

static char	 tmpfiles[32][64];
static size_t	 ntmp;

static const char *
tmpfile_with(const char *content)
{
	char	*path = tmpfiles[ntmp++];
	FILE	*f;
	int	 fd;

	snprintf(path, sizeof(tmpfiles[0]), "/tmp/test_creds.XXXXXX");
	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL)
		return NULL;
	fputs(content, f);
	fclose(f);
	return path;
}

static void
clean_env(void)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_BEARER_TOKEN_BEDROCK");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_PROFILE");
	setenv("HOME", "/nonexistent-home-for-test", 1);
}

static const char sample[] =
    "# a comment\n"
    "; another comment\n"
    "\n"
    "[default]\n"
    "aws_access_key_id = AKIDDEFAULT\n"
    "aws_secret_access_key=" SECRET "\n"
    "region = us-east-1\n"
    "\n"
    "  [prod]   ; trailing comment\n"
    "AWS_ACCESS_KEY_ID\t=\tAKIDPROD   \r\n"
    "s3 =\n"
    "    aws_access_key_id = NESTEDNOTOURS\n"
    "aws_secret_access_key = " SECRET2 "\r\n"
    "aws_session_token = TOKENPROD==\n"
    "[broken]\n"
    "aws_access_key_id = AKIDBROKEN\n";

static void
test_file_profiles(void)
{
	struct creds	 c;
	char		 err[512];
	const char	*path = tmpfile_with(sample);

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	CU_ASSERT_EQUAL_FATAL(creds_from_file(path, "default", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.kind, CREDS_SIGV4);
	CU_ASSERT_STRING_EQUAL(c.access_key_id, "AKIDDEFAULT");
	CU_ASSERT_STRING_EQUAL(c.secret_access_key, SECRET);
	CU_ASSERT_STRING_EQUAL(c.session_token, "");
	CU_ASSERT_EQUAL_FATAL(creds_from_file(path, "prod", &c, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.access_key_id, "AKIDPROD");
	CU_ASSERT_STRING_EQUAL(c.secret_access_key, SECRET2);
	CU_ASSERT_STRING_EQUAL(c.session_token, "TOKENPROD==");
	CU_ASSERT_PTR_NOT_NULL(strstr(c.source, "[prod]"));
	CU_ASSERT_PTR_NULL(strstr(c.source, SECRET2));
	creds_clear(&c);
}

static void
expect_file_error(const char *content, const char *profile, const char *want)
{
	struct creds	 c;
	char		 err[512], full[600];
	const char	*path = tmpfile_with(content);

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	memset(err, 0, sizeof(err));
	CU_ASSERT_EQUAL(creds_from_file(path, profile, &c, err, sizeof(err)), -1);
	snprintf(full, sizeof(full), "%s%s", path, want);
	if (strncmp(err, full, strlen(full)) != 0)
		fprintf(stderr, "\nwant prefix: %s\ngot: %s\n", full, err);
	CU_ASSERT_EQUAL(strncmp(err, full, strlen(full)), 0);
	CU_ASSERT_PTR_NULL(strstr(err, SECRET));
	CU_ASSERT_EQUAL(c.kind, CREDS_NONE);
	CU_ASSERT_EQUAL(c.secret_access_key[0], '\0');
}

static void
test_file_errors(void)
{
	char	*longline;
	size_t	 n = CREDS_LINE_MAX + 10;

	expect_file_error(sample, "missing", ": profile 'missing' not found");
	expect_file_error(sample, "broken", ":15: profile 'broken' has no aws_secret_access_key");
	expect_file_error("[default]\naws_secret_access_key = " SECRET "\n", "default",
	    ":1: profile 'default' has no aws_access_key_id");
	expect_file_error("[default]\nthis line has no equals sign\n", "default", ":2: expected");
	expect_file_error("[default\n", "default", ":1: section header without ']'");
	/* a secret too long for its buffer: named, not printed */
	expect_file_error("[default]\naws_access_key_id=A\naws_secret_access_key=" SECRET SECRET
	    SECRET SECRET "\n", "default", ":3: aws_secret_access_key is empty, longer");
	longline = malloc(n + 32);
	CU_ASSERT_PTR_NOT_NULL_FATAL(longline);
	strcpy(longline, "[default]\naws_secret_access_key=");
	memset(longline + strlen(longline), 'x', n);
	longline[n] = '\0';
	expect_file_error(longline, "default", ":2: line longer than");
	free(longline);
	expect_file_error("", "default", ": profile 'default' not found");
}

static void
test_missing_file(void)
{
	struct creds	 c;
	char		 err[512];

	CU_ASSERT_EQUAL(creds_from_file("/nonexistent/credentials", "default", &c, err,
	    sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/credentials"));
}

static void
test_env(void)
{
	struct creds		 c;
	struct sigv4_creds	 v;
	char			 err[512];

	clean_env();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	CU_ASSERT_EQUAL_FATAL(creds_resolve(TG_CRED_ENV, NULL, NULL, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.kind, CREDS_SIGV4);
	CU_ASSERT_STRING_EQUAL(c.access_key_id, "AKIDENV");
	creds_sigv4(&c, &v);
	CU_ASSERT_STRING_EQUAL(v.secret_access_key, SECRET);
	CU_ASSERT_PTR_NULL(v.session_token);
	setenv("AWS_SESSION_TOKEN", "TOKENENV", 1);
	CU_ASSERT_EQUAL_FATAL(creds_resolve(TG_CRED_ENV, NULL, NULL, &c, err, sizeof(err)), 0);
	creds_sigv4(&c, &v);
	CU_ASSERT_STRING_EQUAL(v.session_token, "TOKENENV");
	creds_clear(&c);
	CU_ASSERT_EQUAL(c.kind, CREDS_NONE);
	CU_ASSERT_EQUAL(c.secret_access_key[0], '\0');
	CU_ASSERT_EQUAL(c.session_token[0], '\0');
}

static void
test_env_partial(void)
{
	struct creds	 c;
	char		 err[512];

	clean_env();
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	CU_ASSERT_EQUAL(creds_resolve(TG_CRED_ENV, NULL, NULL, &c, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "AWS_ACCESS_KEY_ID"));
	CU_ASSERT_PTR_NULL(strstr(err, SECRET));
	/* AUTO does not fall through to the file on partial env credentials */
	CU_ASSERT_EQUAL(creds_resolve(TG_CRED_AUTO, NULL, NULL, &c, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "AWS_ACCESS_KEY_ID"));
	setenv("AWS_ACCESS_KEY_ID", "AKID WITH SPACE", 1);
	CU_ASSERT_EQUAL(creds_resolve(TG_CRED_ENV, NULL, NULL, &c, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NULL(strstr(err, SECRET));
}

static void
test_bearer(void)
{
	struct creds	 c;
	char		 err[512];

	clean_env();
	CU_ASSERT_EQUAL(creds_resolve(TG_CRED_BEARER, NULL, NULL, &c, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "AWS_BEARER_TOKEN_BEDROCK"));
	setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-ABSKexample==", 1);
	CU_ASSERT_EQUAL_FATAL(creds_resolve(TG_CRED_BEARER, NULL, NULL, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.kind, CREDS_BEARER);
	CU_ASSERT_STRING_EQUAL(c.bearer_token, "bedrock-api-key-ABSKexample==");
	CU_ASSERT_PTR_NULL(strstr(c.source, "ABSK"));
	creds_clear(&c);
}

static void
test_auto_order(void)
{
	struct creds	 c;
	char		 err[512];
	const char	*path = tmpfile_with(sample);

	clean_env();
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	setenv("AWS_PROFILE", "prod", 1);
	CU_ASSERT_EQUAL_FATAL(creds_resolve(TG_CRED_AUTO, NULL, NULL, &c, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.access_key_id, "AKIDPROD");
	/* an explicit profile beats AWS_PROFILE */
	CU_ASSERT_EQUAL_FATAL(creds_resolve(TG_CRED_PROFILE, "default", NULL, &c, err,
	    sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.access_key_id, "AKIDDEFAULT");
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	CU_ASSERT_EQUAL_FATAL(creds_resolve(TG_CRED_AUTO, NULL, NULL, &c, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.access_key_id, "AKIDENV");
	setenv("AWS_BEARER_TOKEN_BEDROCK", "bearer-token", 1);
	CU_ASSERT_EQUAL_FATAL(creds_resolve(TG_CRED_AUTO, NULL, NULL, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.kind, CREDS_BEARER);
	clean_env();
	CU_ASSERT_EQUAL(creds_resolve(TG_CRED_AUTO, NULL, NULL, &c, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent-home-for-test/.aws/credentials"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no credentials"));
	/* the config's file argument beats AWS_SHARED_CREDENTIALS_FILE */
	CU_ASSERT_EQUAL(creds_resolve(TG_CRED_PROFILE, "prod", path, &c, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.session_token, "TOKENPROD==");
	creds_clear(&c);
}

/* A credentials file other users can read or change is refused with the
 * fix in the message, never the secret; 0600 and 0640 load. */
static void
test_file_mode(void)
{
	static const struct { mode_t mode; int ok; } cases[] = {
		{ 0600, 1 }, { 0640, 1 }, { 0644, 0 }, { 0604, 0 }, { 0660, 0 },
		{ 0622, 0 },
	};
	struct creds	 c;
	char		 err[512], want[600];
	const char	*path;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = tmpfile_with(sample);
		CU_ASSERT_PTR_NOT_NULL_FATAL(path);
		CU_ASSERT_EQUAL_FATAL(chmod(path, cases[i].mode), 0);
		err[0] = '\0';
		CU_ASSERT_EQUAL(creds_from_file(path, "default", &c, err,
		    sizeof(err)), cases[i].ok ? 0 : -1);
		if (!cases[i].ok) {
			snprintf(want, sizeof(want), "run chmod 600 %s", path);
			CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
			CU_ASSERT_EQUAL(strncmp(err, path, strlen(path)), 0);
			CU_ASSERT_PTR_NULL(strstr(err, SECRET));
			CU_ASSERT_EQUAL(c.kind, CREDS_NONE);
		}
		creds_clear(&c);
	}
}

int
main(void)
{
	CU_pSuite	 s;
	unsigned	 failures;
	size_t		 i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("creds", NULL, NULL);
	CU_add_test(s, "shared file: profiles, comments, whitespace", test_file_profiles);
	CU_add_test(s, "shared file: errors name file:line, not secrets", test_file_errors);
	CU_add_test(s, "shared file: missing", test_missing_file);
	CU_add_test(s, "shared file: mode", test_file_mode);
	CU_add_test(s, "environment keys and session token", test_env);
	CU_add_test(s, "partial environment credentials", test_env_partial);
	CU_add_test(s, "Bedrock API key", test_bearer);
	CU_add_test(s, "AUTO order", test_auto_order);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	for (i = 0; i < ntmp; i++)
		unlink(tmpfiles[i]);
	return failures == 0 ? 0 : 1;
}
