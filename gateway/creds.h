/*
 * creds.h - the gateway's own upstream credentials for Amazon Bedrock.
 *
 * Resolved once at start-up (and on reload) from the environment, the
 * shared credentials file, or a Bedrock API key, as the AWS SDKs do.
 * Secrets live in fixed-size buffers inside struct creds and are wiped by
 * creds_clear(); no function here logs, prints or returns a secret in an
 * error message.
 */
#ifndef TG_CREDS_H
#define TG_CREDS_H

#include <stddef.h>

#include "config.h"
#include "sigv4.h"

#define CREDS_AKID_MAX		SIGV4_AKID_MAX
#define CREDS_SECRET_MAX	SIGV4_SECRET_MAX
#define CREDS_TOKEN_MAX		SIGV4_TOKEN_MAX
#define CREDS_BEARER_MAX	8192	/* AWS_BEARER_TOKEN_BEDROCK, with NUL */
#define CREDS_LINE_MAX		8192	/* longest credentials-file line */
#define CREDS_SOURCE_MAX	512	/* creds.source, with NUL */

enum creds_kind {
	CREDS_NONE = 0,		/* nothing resolved */
	CREDS_SIGV4,		/* access key id + secret (+ session token): sign */
	CREDS_BEARER,		/* Bedrock API key: send "Authorization: Bearer <token>" */
};

struct creds {
	enum creds_kind	 kind;
	char		 access_key_id[CREDS_AKID_MAX];
	char		 secret_access_key[CREDS_SECRET_MAX];
	char		 session_token[CREDS_TOKEN_MAX];	/* "" when none */
	char		 bearer_token[CREDS_BEARER_MAX];
	/* Where they came from, for logs; never a secret: "environment",
	 * "environment (AWS_BEARER_TOKEN_BEDROCK)", "/root/.aws/credentials [prod]" */
	char		 source[CREDS_SOURCE_MAX];
};

/*
 * Resolve credentials from `src`:
 *   TG_CRED_ENV      AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *   TG_CRED_PROFILE  the shared credentials file: `file`, else
 *                    $AWS_SHARED_CREDENTIALS_FILE, else $HOME/.aws/credentials;
 *                    section `profile`, else $AWS_PROFILE, else "default";
 *                    keys aws_access_key_id, aws_secret_access_key,
 *                    aws_session_token
 *   TG_CRED_BEARER   AWS_BEARER_TOKEN_BEDROCK
 *   TG_CRED_AUTO     the bearer token if set, else the environment keys if
 *                    set, else the shared file
 * Returns 0 and fills `out` (wipe it with creds_clear()), or -1 with a
 * message in `err` naming the variable, or the file and line, at fault.
 * Partial environment credentials (a key id without a secret) are an error,
 * not a reason to fall through.
 */
int	creds_resolve(enum tg_cred_source src, const char *profile, const char *file,
	    struct creds *out, char *err, size_t errlen);

/* Parse the shared credentials file at `path` for section `profile` into
 * `out` (CREDS_SIGV4).  Returns 0, or -1 with "path:line: message" (or
 * "path: message") in `err`.  Exposed for tests and `check-config`. */
int	creds_from_file(const char *path, const char *profile, struct creds *out,
	    char *err, size_t errlen);

/* Borrowed view of SigV4 credentials for sigv4_sign(); valid while `c` is. */
void	creds_sigv4(const struct creds *c, struct sigv4_creds *out);

/* Wipe every secret (explicit_bzero) and reset to CREDS_NONE. */
void	creds_clear(struct creds *c);

#endif
