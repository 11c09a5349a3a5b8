/*
 * sigv4.h - AWS Signature Version 4 (AWS4-HMAC-SHA256), pure computation.
 *
 * Every function here is a pure function of its arguments over OpenSSL's
 * libcrypto: no network, no globals, no clock (the caller passes `now`),
 * thread-safe.  Signing is split into the steps of the specification, each
 * tested on its own against AWS's test suite (tests/sigv4):
 *
 *   sigv4_canonical_request()  method, URI, query, headers, payload hash
 *   sigv4_string_to_sign()     algorithm, date, scope, hash of the above
 *   sigv4_signing_key()        kDate -> kRegion -> kService -> kSigning
 *   sigv4_signature()          hex HMAC of the string to sign
 *   sigv4_authorization()      the Authorization header value
 *
 * and two orchestrators: sigv4_sign() signs an upstream Bedrock call,
 * sigv4_verify() checks a client's signed request with the same steps.
 *
 * Paths.  Both orchestrators take the path *as it is on the wire*: already
 * percent-encoded, e.g. /model/anthropic.claude-3-haiku-20240307-v1%3A0/converse
 * (a model id or ARN is one segment, ':' -> %3A, '/' -> %2F).  The canonical
 * URI is built as every AWS SDK does for services other than S3 (smithy's
 * `uriEscapePath: true`): remove empty, "." and ".." segments, then
 * percent-encode every byte of every segment outside A-Z a-z 0-9 - . _ ~ --
 * '%' included.  An encoded wire path is thereby encoded a second time
 * (%3A -> %253A), which is what Bedrock expects, and a raw path such as the
 * test suite's "/example space/" comes out as "/example%20space/".
 *
 * Secrets (secret keys, signing keys, session tokens) are never logged,
 * never part of an error, and are wiped from the stack after use.
 */
#ifndef TG_SIGV4_H
#define TG_SIGV4_H

#include <stddef.h>
#include <time.h>

#define SIGV4_ALGORITHM		"AWS4-HMAC-SHA256"
#define SIGV4_HEX_LEN		64	/* hex SHA-256 / signature, without NUL */
#define SIGV4_AMZDATE_LEN	16	/* "20150830T123600Z", without NUL */
#define SIGV4_MAX_HEADERS	64	/* headers in one canonical request */
#define SIGV4_MAX_QUERY		128	/* parameters in one query string */
#define SIGV4_CANON_MAX		32768	/* canonical request, with NUL */
#define SIGV4_AKID_MAX		128	/* access key id, with NUL */
#define SIGV4_SECRET_MAX	128	/* secret access key, with NUL */
#define SIGV4_TOKEN_MAX		4096	/* session token, with NUL */
#define SIGV4_SCOPE_MAX		64	/* region or service name, with NUL */
#define SIGV4_AUTH_MAX		1024	/* Authorization header value, with NUL */

enum sigv4_err {
	SIGV4_OK = 0,		/* success */
	SIGV4_E_ARG,		/* a required argument is NULL, empty or invalid */
	SIGV4_E_TOOLONG,	/* an input or a result exceeds its cap */
	SIGV4_E_CRYPTO,		/* libcrypto failed */
	SIGV4_E_NOMEM,		/* out of memory */
	SIGV4_E_MALFORMED,	/* Authorization, X-Amz-Date or a %-escape unparsable */
	SIGV4_E_HEADERS,	/* host/x-amz-date unsigned, or a signed header absent */
	SIGV4_E_UNKNOWN_KEY,	/* the access key id is not known */
	SIGV4_E_SCOPE,		/* credential scope date, region, service or terminator wrong */
	SIGV4_E_SKEW,		/* X-Amz-Date too far from the server's clock */
	SIGV4_E_PAYLOAD,	/* X-Amz-Content-Sha256 does not match the body */
	SIGV4_E_SIGNATURE,	/* the signature does not match */
};

/* A short English description of `e`; never NULL, never names a secret. */
const char	*sigv4_strerror(enum sigv4_err e);
/* The exception Bedrock (and the AWS SDKs) use for a verification failure:
 * "IncompleteSignatureException", "UnrecognizedClientException" or
 * "InvalidSignatureException", all HTTP 403; "InternalServerException"
 * (HTTP 500) for SIGV4_E_ARG, SIGV4_E_CRYPTO and SIGV4_E_NOMEM, which are
 * the server's fault.  sigv4_http_status() gives the status. */
const char	*sigv4_aws_error(enum sigv4_err e);
int		 sigv4_http_status(enum sigv4_err e);

/* Credentials to sign with.  Borrowed pointers; session_token NULL or "" when
 * there is none. */
struct sigv4_creds {
	const char	*access_key_id;
	const char	*secret_access_key;
	const char	*session_token;
};

/* One request header.  Names compare case-insensitively; a name may repeat
 * (values are then joined with ',' in the order given). */
struct sigv4_header {
	const char	*name;
	const char	*value;
};

/* ---- helpers ------------------------------------------------------------ */

/* SHA-256 of `len` bytes; `out` receives 32 bytes / 64 hex digits + NUL. */
void		 sigv4_sha256(const void *data, size_t len, unsigned char out[32]);
void		 sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_LEN + 1]);
/* Lowercase hex of `len` bytes into `out` (2 * len + 1 bytes). */
void		 sigv4_hex(const unsigned char *in, size_t len, char *out);
/* `t` as "YYYYMMDDTHHMMSSZ" (UTC) into `out` (17 bytes). */
void		 sigv4_amz_date(time_t t, char out[SIGV4_AMZDATE_LEN + 1]);
/* Parse "YYYYMMDDTHHMMSSZ" strictly; 0 and *t on success, -1 otherwise. */
int		 sigv4_parse_amz_date(const char *s, time_t *t);
/* Map a lowercase header name to its CGI/FastCGI variable: "host" ->
 * "HTTP_HOST", "x-amz-date" -> "HTTP_X_AMZ_DATE", and the two CGI
 * exceptions "content-type" -> "CONTENT_TYPE", "content-length" ->
 * "CONTENT_LENGTH".  Returns SIGV4_E_TOOLONG when `out` is too small. */
enum sigv4_err	 sigv4_cgi_var(const char *lname, char *out, size_t outlen);

/* ---- the steps ------------------------------------------------------------ */

/*
 * Canonical URI of `path` (see "Paths" above).  `normalize` 1 removes empty,
 * "." and ".." segments as every service but S3 does; 0 keeps the path's
 * structure (the test suite's *-unnormalized cases).  NULL or "" gives "/".
 */
enum sigv4_err	 sigv4_canonical_uri(const char *path, int normalize, char *out, size_t outlen);

/*
 * Canonical query string of `query` (the raw text after '?', NULL for none):
 * parameters split on '&', each name and value %-decoded then encoded again,
 * sorted by name then value, a missing '=' giving an empty value.
 * SIGV4_E_MALFORMED on a bad %-escape, SIGV4_E_TOOLONG past SIGV4_MAX_QUERY.
 */
enum sigv4_err	 sigv4_canonical_query(const char *query, char *out, size_t outlen);

/*
 * Canonical headers block ("name:value\n" per distinct name, sorted by
 * lowercase name, values trimmed with inner whitespace runs, CR and LF
 * collapsed to one space, repeats joined with ',') into `canon`, and the
 * signed headers list ("host;x-amz-date") into `signed_hdrs`.  Every header
 * given is signed.  SIGV4_E_ARG for an empty name or one with a byte that
 * is not a visible ASCII character or ':'.
 */
enum sigv4_err	 sigv4_canonical_headers(const struct sigv4_header *h, size_t n,
		    char *canon, size_t canonlen, char *signed_hdrs, size_t signedlen);

struct sigv4_canon {
	const char			*method;	/* "GET", "POST", ... */
	const char			*path;		/* see sigv4_canonical_uri() */
	int				 normalize;
	const char			*query;		/* raw, or NULL */
	const struct sigv4_header	*headers;	/* all of them are signed */
	size_t				 nheaders;
	const char			*payload_hash;	/* 64 lowercase hex digits */
};

/* The canonical request into `out` and the signed headers list into
 * `signed_hdrs` (SIGV4_AUTH_MAX is always enough for the latter). */
enum sigv4_err	 sigv4_canonical_request(const struct sigv4_canon *c,
		    char *out, size_t outlen, char *signed_hdrs, size_t signedlen);

/* "AWS4-HMAC-SHA256\n<amz_date>\n<date>/<region>/<service>/aws4_request\n
 * <hex sha256 of canonical_request>" into `out` (256 bytes are enough). */
enum sigv4_err	 sigv4_string_to_sign(const char *amz_date, const char *region,
		    const char *service, const char *canonical_request,
		    char *out, size_t outlen);

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date8), region), service),
 * "aws4_request").  `date8` is "YYYYMMDD".  The caller wipes `key` with
 * explicit_bzero() after use. */
enum sigv4_err	 sigv4_signing_key(const char *secret, const char *date8,
		    const char *region, const char *service, unsigned char key[32]);

/* Hex HMAC-SHA256 of `string_to_sign` under `key`. */
enum sigv4_err	 sigv4_signature(const unsigned char key[32], const char *string_to_sign,
		    char out[SIGV4_HEX_LEN + 1]);

/* "AWS4-HMAC-SHA256 Credential=<akid>/<date8>/<region>/<service>/aws4_request,
 * SignedHeaders=<signed_hdrs>, Signature=<signature>" into `out`. */
enum sigv4_err	 sigv4_authorization(const char *access_key_id, const char *date8,
		    const char *region, const char *service, const char *signed_hdrs,
		    const char *signature, char *out, size_t outlen);

/* ---- signing an upstream request ------------------------------------------ */

struct sigv4_request {
	const char	*method;	/* "POST" */
	const char	*host;		/* Host header exactly as sent: "h" or "h:port" */
	const char	*wire_path;	/* path as sent, percent-encoded, no query */
	const char	*query;		/* raw query without '?', or NULL */
	const char	*content_type;	/* Content-Type as sent, or NULL if none */
	const void	*body;		/* may be NULL when body_len is 0 */
	size_t		 body_len;
};

/* Ready-to-send header lines, "Name: value", NUL-terminated, no CRLF.
 * security_token is "" when the credentials carry no session token. */
struct sigv4_result {
	char	authorization[SIGV4_AUTH_MAX + 32];
	char	amz_date[SIGV4_AMZDATE_LEN + 16];
	char	content_sha256[SIGV4_HEX_LEN + 32];
	char	security_token[SIGV4_TOKEN_MAX + 32];
};

/*
 * Sign `req` for `service` ("bedrock") in `region` at time `now`.
 *
 * Signed headers: host, x-amz-content-sha256, x-amz-date, content-type when
 * req->content_type is set, x-amz-security-token when a session token is
 * set.  The caller must send *exactly* these: Host and Content-Type with the
 * values given in `req` (setting "Host:" explicitly is the safe way with
 * libcurl), plus every non-empty line of `out`.  Other headers (Accept,
 * Content-Length, User-Agent, ...) may be sent unsigned.  The path is
 * normalised and encoded as described at the top of this file.
 */
enum sigv4_err	 sigv4_sign(const struct sigv4_creds *creds, const char *region,
		    const char *service, const struct sigv4_request *req, time_t now,
		    struct sigv4_result *out);

/* ---- verifying a client's request ----------------------------------------- */

/* Value of request header `lname` (lowercase) as received, or NULL when the
 * request has none.  The returned string must stay valid during the call. */
typedef const char	*(*sigv4_header_fn)(void *ctx, const char *lname);
/* Copy the secret of `access_key_id` into `secret` (size `secretlen`,
 * NUL-terminated) and return 0; return -1 when the key is unknown. */
typedef int		 (*sigv4_secret_fn)(void *ctx, const char *access_key_id,
			    char *secret, size_t secretlen);

/* A sigv4_header_fn over a CGI/FastCGI environment: `envp` is a
 * NULL-terminated array of "NAME=value" strings (FCGX_Request.envp, or
 * `environ` under plain CGI); names are mapped with sigv4_cgi_var(). */
const char	*sigv4_cgi_header(void *envp, const char *lname);

struct sigv4_verify_params {
	const char	*method;	/* REQUEST_METHOD */
	const char	*wire_path;	/* REQUEST_URI up to '?', still %-encoded */
	const char	*query;		/* REQUEST_URI after '?', or NULL */
	sigv4_header_fn	 header;
	void		*header_ctx;
	const void	*body;
	size_t		 body_len;
	sigv4_secret_fn	 secret;
	void		*secret_ctx;
	const char *const *regions;	/* accepted scope regions */
	size_t		 nregions;	/* 0: any region */
	const char	*service;	/* accepted scope service, "bedrock" */
	time_t		 now;
	long		 max_skew;	/* seconds, 300 as AWS */
};

/* Who signed, filled as far as parsing got (the key id is not a secret and
 * may be logged; it is "" when the Authorization header did not parse). */
struct sigv4_identity {
	char	access_key_id[SIGV4_AKID_MAX];
	char	region[SIGV4_SCOPE_MAX];
	time_t	signed_at;
};

/*
 * Verify a request signed with AWS4-HMAC-SHA256 in its Authorization header,
 * as the AWS SDKs send it.  Checks, in order: the header parses (MALFORMED),
 * the key id is known (UNKNOWN_KEY), X-Amz-Date parses (MALFORMED) and is
 * within max_skew of `now` (SKEW), the scope is <X-Amz-Date's day>/<an
 * accepted region>/<service>/aws4_request (SCOPE), host and x-amz-date are
 * signed and every signed header is present (HEADERS), X-Amz-Content-Sha256,
 * when sent, is the body's hash (PAYLOAD; UNSIGNED-PAYLOAD is refused), and
 * the signature recomputed by the steps above over the wire path, query,
 * signed headers and body equals the one sent, compared in constant time
 * (SIGNATURE).  `id` may be NULL.
 */
enum sigv4_err	 sigv4_verify(const struct sigv4_verify_params *p,
		    struct sigv4_identity *id);

#endif
