/*
 * creds.c - resolve the gateway's upstream credentials (see creds.h).
 *
 * The shared credentials file is untrusted-ish input written by hand: every
 * line is bounded (CREDS_LINE_MAX) and every value must fit its buffer; a
 * violation is an error naming file and line, never the value.  A file
 * other users can change or read is refused before it is read (filemode.c).
 */
#include "autoconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "creds.h"
#include "filemode.h"

#define ENV_AKID	"AWS_ACCESS_KEY_ID"
#define ENV_SECRET	"AWS_SECRET_ACCESS_KEY"
#define ENV_TOKEN	"AWS_SESSION_TOKEN"
#define ENV_BEARER	"AWS_BEARER_TOKEN_BEDROCK"
#define ENV_FILE	"AWS_SHARED_CREDENTIALS_FILE"
#define ENV_PROFILE	"AWS_PROFILE"

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Secrets go into headers: visible ASCII only. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* Copy a credential value; -1 if empty, too long, or not printable. */
static int
put(char *dst, size_t len, const char *src)
{
	size_t	 n = strlen(src);

	if (n == 0 || n >= len || !printable(src))
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

void
creds_clear(struct creds *c)
{
	if (c == NULL)
		return;
	explicit_bzero(c, sizeof(*c));
	c->kind = CREDS_NONE;
}

void
creds_sigv4(const struct creds *c, struct sigv4_creds *out)
{
	out->access_key_id = c->access_key_id;
	out->secret_access_key = c->secret_access_key;
	out->session_token = c->session_token[0] != '\0' ? c->session_token : NULL;
}

static const char *
env(const char *name)
{
	const char	*v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* ---- environment ------------------------------------------------------------ */

static int
from_bearer(struct creds *out, char *err, size_t errlen)
{
	const char	*t = env(ENV_BEARER);

	if (t == NULL)
		return fail(err, errlen, "%s is not set", ENV_BEARER);
	if (put(out->bearer_token, sizeof(out->bearer_token), t) != 0)
		return fail(err, errlen, "%s is longer than %d bytes or not printable ASCII",
		    ENV_BEARER, CREDS_BEARER_MAX - 1);
	out->kind = CREDS_BEARER;
	snprintf(out->source, sizeof(out->source), "environment (%s)", ENV_BEARER);
	return 0;
}

static int
from_env(struct creds *out, char *err, size_t errlen)
{
	const char	*id = env(ENV_AKID), *secret = env(ENV_SECRET), *tok = env(ENV_TOKEN);

	if (id == NULL || secret == NULL)
		return fail(err, errlen, "%s is not set", id == NULL ? ENV_AKID : ENV_SECRET);
	if (put(out->access_key_id, sizeof(out->access_key_id), id) != 0)
		return fail(err, errlen, "%s is too long or not printable ASCII", ENV_AKID);
	if (put(out->secret_access_key, sizeof(out->secret_access_key), secret) != 0)
		return fail(err, errlen, "%s is too long or not printable ASCII", ENV_SECRET);
	if (tok != NULL && put(out->session_token, sizeof(out->session_token), tok) != 0)
		return fail(err, errlen, "%s is too long or not printable ASCII", ENV_TOKEN);
	out->kind = CREDS_SIGV4;
	snprintf(out->source, sizeof(out->source), "environment");
	return 0;
}

/* ---- shared credentials file ------------------------------------------------ */

struct ini {
	const char	*path;
	const char	*profile;
	unsigned	 line;		/* current line number */
	unsigned	 section_line;	/* line of the matching [profile], 0: not seen */
	int		 in_profile;	/* current section is the one wanted */
};

static char *
trim(char *s)
{
	char	*e;

	s += strspn(s, " \t");
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* "[name]" with an optional trailing comment. */
static int
ini_section(struct ini *in, char *s, char *err, size_t errlen)
{
	char	*close = strchr(s, ']'), *rest;

	if (close == NULL)
		return fail(err, errlen, "%s:%u: section header without ']'", in->path, in->line);
	*close = '\0';
	rest = trim(close + 1);
	if (*rest != '\0' && *rest != '#' && *rest != ';')
		return fail(err, errlen, "%s:%u: text after section header", in->path, in->line);
	in->in_profile = strcmp(trim(s + 1), in->profile) == 0;
	if (in->in_profile && in->section_line == 0)
		in->section_line = in->line;
	return 0;
}

static int
ini_value(struct ini *in, const char *key, const char *value, struct creds *out,
    char *err, size_t errlen)
{
	char	*dst;
	size_t	 len;

	if (strcasecmp(key, "aws_access_key_id") == 0) {
		dst = out->access_key_id;
		len = sizeof(out->access_key_id);
	} else if (strcasecmp(key, "aws_secret_access_key") == 0) {
		dst = out->secret_access_key;
		len = sizeof(out->secret_access_key);
	} else if (strcasecmp(key, "aws_session_token") == 0 ||
	    strcasecmp(key, "aws_security_token") == 0) {
		dst = out->session_token;
		len = sizeof(out->session_token);
	} else
		return 0;	/* region, output, ...: not ours */
	if (put(dst, len, value) != 0)
		return fail(err, errlen, "%s:%u: %s is empty, longer than %zu bytes or not "
		    "printable ASCII", in->path, in->line, key, len - 1);
	return 0;
}

static int
ini_line(struct ini *in, char *raw, struct creds *out, char *err, size_t errlen)
{
	char	*s = trim(raw), *eq;

	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return ini_section(in, s, err, errlen);
	if ((eq = strchr(s, '=')) == NULL)
		return fail(err, errlen, "%s:%u: expected 'key = value'", in->path, in->line);
	/* Indented lines are sub-settings of the previous key (botocore's
	 * nested values, e.g. "s3 =\n  addressing_style = path"): not ours. */
	if (!in->in_profile || raw[0] == ' ' || raw[0] == '\t')
		return 0;
	*eq = '\0';
	return ini_value(in, trim(s), trim(eq + 1), out, err, errlen);
}

static int
ini_read(struct ini *in, FILE *f, struct creds *out, char *err, size_t errlen)
{
	char	 buf[CREDS_LINE_MAX];
	size_t	 n;
	int	 rc = 0;

	while (rc == 0 && fgets(buf, sizeof(buf), f) != NULL) {
		in->line++;
		n = strlen(buf);
		if (n == sizeof(buf) - 1 && buf[n - 1] != '\n' && !feof(f))
			rc = fail(err, errlen, "%s:%u: line longer than %d bytes", in->path,
			    in->line, CREDS_LINE_MAX - 2);
		else
			rc = ini_line(in, buf, out, err, errlen);
	}
	if (rc == 0 && ferror(f))
		rc = fail(err, errlen, "%s: read error", in->path);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

static int
ini_complete(const struct ini *in, struct creds *out, char *err, size_t errlen)
{
	if (in->section_line == 0)
		return fail(err, errlen, "%s: profile '%s' not found", in->path, in->profile);
	if (out->access_key_id[0] == '\0' || out->secret_access_key[0] == '\0')
		return fail(err, errlen, "%s:%u: profile '%s' has no %s", in->path,
		    in->section_line, in->profile, out->access_key_id[0] == '\0' ?
		    "aws_access_key_id" : "aws_secret_access_key");
	out->kind = CREDS_SIGV4;
	snprintf(out->source, sizeof(out->source), "%s [%s]", in->path, in->profile);
	return 0;
}

int
creds_from_file(const char *path, const char *profile, struct creds *out,
    char *err, size_t errlen)
{
	struct ini	 in;
	FILE		*f = NULL;
	int		 rc = -1;

	creds_clear(out);
	if (path == NULL || profile == NULL || *profile == '\0')
		return fail(err, errlen, "no credentials file or profile given");
	memset(&in, 0, sizeof(in));
	in.path = path;
	in.profile = profile;
	if ((f = fopen(path, "r")) == NULL) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (filemode_check(fileno(f), path, "AWS secret keys", err, errlen) != 0 ||
	    ini_read(&in, f, out, err, errlen) != 0 ||
	    ini_complete(&in, out, err, errlen) != 0)
		goto fail;
	rc = 0;
fail:
	if (f != NULL)
		fclose(f);
	if (rc != 0)
		creds_clear(out);
	return rc;
}

/* `file`, else $AWS_SHARED_CREDENTIALS_FILE, else $HOME/.aws/credentials. */
static int
file_path(const char *file, char *buf, size_t len, char *err, size_t errlen)
{
	const char	*home;
	int		 n;

	if (file == NULL)
		file = env(ENV_FILE);
	if (file != NULL)
		n = snprintf(buf, len, "%s", file);
	else if ((home = env("HOME")) != NULL)
		n = snprintf(buf, len, "%s/.aws/credentials", home);
	else
		return fail(err, errlen, "HOME is not set: give the credentials file path");
	if (n < 0 || (size_t)n >= len)
		return fail(err, errlen, "credentials file path too long");
	return 0;
}

static int
from_file(const char *profile, const char *file, struct creds *out, char *err,
    size_t errlen)
{
	char	 path[CREDS_SOURCE_MAX - 64];

	if (file_path(file, path, sizeof(path), err, errlen) != 0)
		return -1;
	if (profile == NULL && (profile = env(ENV_PROFILE)) == NULL)
		profile = "default";
	return creds_from_file(path, profile, out, err, errlen);
}

/* Bearer token, else environment keys, else the shared file; the last
 * error says what was looked for. */
static int
from_auto(const char *profile, const char *file, struct creds *out, char *err,
    size_t errlen)
{
	char	 why[CREDS_SOURCE_MAX];

	if (env(ENV_BEARER) != NULL)
		return from_bearer(out, err, errlen);
	if (env(ENV_AKID) != NULL || env(ENV_SECRET) != NULL)
		return from_env(out, err, errlen);
	if (from_file(profile, file, out, why, sizeof(why)) == 0)
		return 0;
	return fail(err, errlen, "no credentials: %s and %s are not set, and %s",
	    ENV_BEARER, ENV_AKID, why);
}

int
creds_resolve(enum tg_cred_source src, const char *profile, const char *file,
    struct creds *out, char *err, size_t errlen)
{
	int	 rc;

	creds_clear(out);
	switch (src) {
	case TG_CRED_BEARER:
		rc = from_bearer(out, err, errlen);
		break;
	case TG_CRED_ENV:
		rc = from_env(out, err, errlen);
		break;
	case TG_CRED_PROFILE:
		rc = from_file(profile, file, out, err, errlen);
		break;
	case TG_CRED_AUTO:
		rc = from_auto(profile, file, out, err, errlen);
		break;
	default:
		rc = fail(err, errlen, "unknown credentials source %d", (int)src);
		break;
	}
	if (rc != 0)
		creds_clear(out);
	return rc;
}
