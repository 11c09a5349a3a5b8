/*
 * sigv4.c - AWS Signature Version 4, pure computation over libcrypto.
 *
 * Contracts are in sigv4.h.  Every text result is built with a bounded
 * string builder (struct sbuf) over a caller's buffer: overflow is sticky
 * and reported once, as SIGV4_E_TOOLONG, at the end of a step.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4.h"

#define SCOPE_TERMINATOR	"aws4_request"

/* ---- bounded string builder ------------------------------------------------ */

struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 over;	/* a write did not fit; the content is truncated */
};

static void
sb_init(struct sbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->len = 0;
	b->cap = cap;
	b->over = (p == NULL || cap == 0);
	if (!b->over)
		p[0] = '\0';
}

static void
sb_putn(struct sbuf *b, const char *s, size_t n)
{
	if (b->over || n >= b->cap - b->len) {
		b->over = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_putc(struct sbuf *b, char c)
{
	sb_putn(b, &c, 1);
}

static void
sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

/* Shorten to `len` bytes (len <= b->len). */
static void
sb_truncate(struct sbuf *b, size_t len)
{
	if (b->over || len > b->len)
		return;
	b->len = len;
	b->p[len] = '\0';
}

static enum sigv4_err
sb_status(const struct sbuf *b)
{
	return b->over ? SIGV4_E_TOOLONG : SIGV4_OK;
}

/* ---- encoding helpers -------------------------------------------------------- */

/* RFC 3986 unreserved characters, the only ones SigV4 leaves unencoded. */
static int
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

static void
sb_encode_byte(struct sbuf *b, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3];

	if (is_unreserved(c)) {
		sb_putc(b, (char)c);
		return;
	}
	esc[0] = '%';
	esc[1] = hex[c >> 4];
	esc[2] = hex[c & 0xf];
	sb_putn(b, esc, 3);
}

static void
sb_encode(struct sbuf *b, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		sb_encode_byte(b, (unsigned char)s[i]);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) and encode the bytes again, SigV4 style. */
static enum sigv4_err
sb_reencode(struct sbuf *b, const char *s, size_t n)
{
	size_t	 i;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			sb_encode_byte(b, (unsigned char)s[i]);
			continue;
		}
		if (n - i < 3)
			return SIGV4_E_MALFORMED;
		hi = hexval((unsigned char)s[i + 1]);
		lo = hexval((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0)
			return SIGV4_E_MALFORMED;
		sb_encode_byte(b, (unsigned char)(hi << 4 | lo));
		i += 2;
	}
	return SIGV4_OK;
}

void
sigv4_hex(const unsigned char *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

void
sigv4_sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int	 outlen = 32;

	if (data == NULL)
		data = "";
	/* EVP_Digest over a fetched-once built-in digest cannot fail short
	 * of memory exhaustion; a zeroed hash then fails every comparison. */
	if (EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32);
}

void
sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_LEN + 1])
{
	unsigned char	 md[32];

	sigv4_sha256(data, len, md);
	sigv4_hex(md, sizeof(md), out);
}

static int
hmac_sha256(const void *key, size_t keylen, const char *msg, unsigned char out[32])
{
	unsigned int	 outlen = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
	    strlen(msg), out, &outlen) == NULL || outlen != 32)
		return -1;
	return 0;
}

/* ---- dates --------------------------------------------------------------------- */

void
sigv4_amz_date(time_t t, char out[SIGV4_AMZDATE_LEN + 1])
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, SIGV4_AMZDATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) != SIGV4_AMZDATE_LEN)
		strcpy(out, "19700101T000000Z");
}

static int
digits(const char *s, size_t n, int *v)
{
	size_t	 i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int
sigv4_parse_amz_date(const char *s, time_t *t)
{
	struct tm	 tm, back;
	int		 y, mo, d, h, mi, sec;

	if (s == NULL || strlen(s) != SIGV4_AMZDATE_LEN || s[8] != 'T' || s[15] != 'Z')
		return -1;
	if (digits(s, 4, &y) || digits(s + 4, 2, &mo) || digits(s + 6, 2, &d) ||
	    digits(s + 9, 2, &h) || digits(s + 11, 2, &mi) || digits(s + 13, 2, &sec))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t = timegm(&tm);
	/* timegm() normalises 31 February into March: reject such dates. */
	if (gmtime_r(t, &back) == NULL || back.tm_year != tm.tm_year ||
	    back.tm_mon != mo - 1 || back.tm_mday != d || back.tm_hour != h ||
	    back.tm_min != mi || back.tm_sec != sec)
		return -1;
	return 0;
}

/* ---- errors -------------------------------------------------------------------- */

const char *
sigv4_strerror(enum sigv4_err e)
{
	switch (e) {
	case SIGV4_OK:		return "success";
	case SIGV4_E_ARG:	return "invalid argument";
	case SIGV4_E_TOOLONG:	return "request too large to sign";
	case SIGV4_E_CRYPTO:	return "cryptographic library failure";
	case SIGV4_E_NOMEM:	return "out of memory";
	case SIGV4_E_MALFORMED:	return "Authorization header requires Credential, "
				    "SignedHeaders and Signature, and a valid X-Amz-Date";
	case SIGV4_E_HEADERS:	return "Host and X-Amz-Date must be signed, and every "
				    "signed header must be sent";
	case SIGV4_E_UNKNOWN_KEY: return "unknown access key id";
	case SIGV4_E_SCOPE:	return "credential scope does not match the request "
				    "date, an accepted region or the service";
	case SIGV4_E_SKEW:	return "request time too far from the server's clock";
	case SIGV4_E_PAYLOAD:	return "X-Amz-Content-Sha256 does not match the body";
	case SIGV4_E_SIGNATURE:	return "the request signature does not match";
	}
	return "unknown SigV4 error";
}

const char *
sigv4_aws_error(enum sigv4_err e)
{
	switch (e) {
	case SIGV4_E_ARG:
	case SIGV4_E_CRYPTO:
	case SIGV4_E_NOMEM:
		return "InternalServerException";
	case SIGV4_E_MALFORMED:
		return "IncompleteSignatureException";
	case SIGV4_E_UNKNOWN_KEY:
		return "UnrecognizedClientException";
	default:
		return "InvalidSignatureException";
	}
}

int
sigv4_http_status(enum sigv4_err e)
{
	if (e == SIGV4_OK)
		return 200;
	return strcmp(sigv4_aws_error(e), "InternalServerException") == 0 ? 500 : 403;
}

enum sigv4_err
sigv4_cgi_var(const char *lname, char *out, size_t outlen)
{
	struct sbuf	 b;
	const char	*p;

	if (lname == NULL || *lname == '\0')
		return SIGV4_E_ARG;
	sb_init(&b, out, outlen);
	/* CGI passes these two without the HTTP_ prefix (RFC 3875, 4.1). */
	if (strcmp(lname, "content-type") != 0 && strcmp(lname, "content-length") != 0)
		sb_puts(&b, "HTTP_");
	for (p = lname; *p != '\0'; p++) {
		if (*p == '-')
			sb_putc(&b, '_');
		else if (*p >= 'a' && *p <= 'z')
			sb_putc(&b, (char)(*p - 'a' + 'A'));
		else
			sb_putc(&b, *p);
	}
	return sb_status(&b);
}

const char *
sigv4_cgi_header(void *envp, const char *lname)
{
	char	**e, var[128];
	size_t	  n;

	if (envp == NULL || sigv4_cgi_var(lname, var, sizeof(var)) != SIGV4_OK)
		return NULL;
	n = strlen(var);
	for (e = envp; *e != NULL; e++)
		if (strncmp(*e, var, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* ---- canonical URI ----------------------------------------------------------- */

static void
uri_plain(struct sbuf *b, const char *path)
{
	for (; *path != '\0'; path++) {
		if (*path == '/')
			sb_putc(b, '/');
		else
			sb_encode_byte(b, (unsigned char)*path);
	}
}

/* Drop the last of the segments written after `base`; `left` remain. */
static void
uri_pop(struct sbuf *b, size_t base, size_t left)
{
	size_t	 i = b->len;

	if (b->over)
		return;
	if (left == 0) {
		sb_truncate(b, base);
		return;
	}
	while (i > base && b->p[i - 1] != '/')
		i--;
	if (i > base)
		sb_truncate(b, i - 1);
}

/* As @smithy/signature-v4's getCanonicalPath(): segments joined by single
 * slashes, leading and trailing slash kept, "." and ".." resolved. */
static void
uri_normalized(struct sbuf *b, const char *path)
{
	const char	*p = path, *seg;
	size_t		 n, base, nseg = 0;

	if (*p == '/')
		sb_putc(b, '/');
	base = b->len;
	while (*p != '\0') {
		seg = p;
		n = strcspn(p, "/");
		p += n + (p[n] == '/');
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			if (nseg > 0)
				uri_pop(b, base, --nseg);
			continue;
		}
		if (nseg++ > 0)
			sb_putc(b, '/');
		sb_encode(b, seg, n);
	}
	if (nseg > 0 && path[strlen(path) - 1] == '/')
		sb_putc(b, '/');
}

static void
sb_uri(struct sbuf *b, const char *path, int normalize)
{
	if (path == NULL || *path == '\0')
		sb_putc(b, '/');
	else if (normalize)
		uri_normalized(b, path);
	else
		uri_plain(b, path);
}

enum sigv4_err
sigv4_canonical_uri(const char *path, int normalize, char *out, size_t outlen)
{
	struct sbuf	 b;

	if (out == NULL || outlen == 0)
		return SIGV4_E_ARG;
	sb_init(&b, out, outlen);
	sb_uri(&b, path, normalize);
	return sb_status(&b);
}

/* ---- canonical query ---------------------------------------------------------- */

struct qparam {
	const char	*name;	/* encoded, in the scratch buffer */
	const char	*value;
};

static int
qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int	 r;

	if ((r = strcmp(x->name, y->name)) != 0)
		return r;
	return strcmp(x->value, y->value);
}

/* Re-encode one "name[=value]" of length n into the scratch builder as
 * "name\0value\0" and point `q` at the two strings. */
static enum sigv4_err
query_param(struct sbuf *s, const char *pair, size_t n, struct qparam *q)
{
	const char	*eq = memchr(pair, '=', n);
	size_t		 nlen = eq != NULL ? (size_t)(eq - pair) : n;
	size_t		 name, value;
	enum sigv4_err	 e;

	name = s->len;
	if ((e = sb_reencode(s, pair, nlen)) != SIGV4_OK)
		return e;
	sb_putc(s, '\0');
	value = s->len;
	if (eq != NULL && (e = sb_reencode(s, eq + 1, n - nlen - 1)) != SIGV4_OK)
		return e;
	sb_putc(s, '\0');
	if (s->over)
		return SIGV4_E_TOOLONG;
	q->name = s->p + name;
	q->value = s->p + value;
	return SIGV4_OK;
}

static enum sigv4_err
query_split(struct sbuf *s, const char *query, struct qparam *q, size_t *nq)
{
	const char	*p = query;
	size_t		 n;
	enum sigv4_err	 e;

	*nq = 0;
	while (*p != '\0') {
		n = strcspn(p, "&");
		if (n > 0) {
			if (*nq == SIGV4_MAX_QUERY)
				return SIGV4_E_TOOLONG;
			if ((e = query_param(s, p, n, &q[(*nq)++])) != SIGV4_OK)
				return e;
		}
		p += n + (p[n] == '&');
	}
	return SIGV4_OK;
}

static enum sigv4_err
sb_query(struct sbuf *b, const char *query)
{
	struct qparam	 q[SIGV4_MAX_QUERY];
	struct sbuf	 s;
	char		*scratch = NULL;
	size_t		 nq = 0, i, len;
	enum sigv4_err	 e;

	if (query == NULL || *query == '\0')
		return SIGV4_OK;
	if ((len = strlen(query)) >= SIGV4_CANON_MAX)
		return SIGV4_E_TOOLONG;
	/* Encoding at most triples a byte; each parameter adds two NULs. */
	if ((scratch = malloc(5 * len + 1)) == NULL)
		return SIGV4_E_NOMEM;
	sb_init(&s, scratch, 5 * len + 1);
	if ((e = query_split(&s, query, q, &nq)) != SIGV4_OK)
		goto fail;
	qsort(q, nq, sizeof(q[0]), qparam_cmp);
	for (i = 0; i < nq; i++) {
		if (i > 0)
			sb_putc(b, '&');
		sb_puts(b, q[i].name);
		sb_putc(b, '=');
		sb_puts(b, q[i].value);
	}
	e = sb_status(b);
fail:
	free(scratch);
	return e;
}

enum sigv4_err
sigv4_canonical_query(const char *query, char *out, size_t outlen)
{
	struct sbuf	 b;
	enum sigv4_err	 e;

	if (out == NULL || outlen == 0)
		return SIGV4_E_ARG;
	sb_init(&b, out, outlen);
	if ((e = sb_query(&b, query)) != SIGV4_OK)
		return e;
	return sb_status(&b);
}

/* ---- canonical headers -------------------------------------------------------- */

struct hent {
	const struct sigv4_header	*h;
	size_t				 idx;	/* position given: keeps repeats in order */
};

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int
lname_cmp(const char *a, const char *b)
{
	while (*a != '\0' && lower((unsigned char)*a) == lower((unsigned char)*b)) {
		a++;
		b++;
	}
	return lower((unsigned char)*a) - lower((unsigned char)*b);
}

static int
hent_cmp(const void *a, const void *b)
{
	const struct hent *x = a, *y = b;
	int	 r;

	if ((r = lname_cmp(x->h->name, y->h->name)) != 0)
		return r;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int
valid_name(const char *name)
{
	const char	*p;

	if (name == NULL || *name == '\0')
		return 0;
	/* A leading ':' is an HTTP/2 pseudo-header (":authority"). */
	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    (*p == ':' && p != name))
			return 0;
	return 1;
}

static void
sb_lower(struct sbuf *b, const char *s)
{
	for (; *s != '\0'; s++)
		sb_putc(b, (char)lower((unsigned char)*s));
}

/* Trim, and collapse every run of space, tab, CR and LF to one space. */
static void
sb_trimmed(struct sbuf *b, const char *v)
{
	int	 pending = 0, any = 0;

	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
			pending = any;
			continue;
		}
		if (pending)
			sb_putc(b, ' ');
		sb_putc(b, *v);
		pending = 0;
		any = 1;
	}
}

static enum sigv4_err
sb_headers(struct sbuf *b, struct sbuf *sig, const struct sigv4_header *h, size_t n)
{
	struct hent	 e[SIGV4_MAX_HEADERS];
	size_t		 i;

	if (n > SIGV4_MAX_HEADERS)
		return SIGV4_E_TOOLONG;
	for (i = 0; i < n; i++) {
		if (!valid_name(h[i].name) || h[i].value == NULL)
			return SIGV4_E_ARG;
		e[i].h = &h[i];
		e[i].idx = i;
	}
	qsort(e, n, sizeof(e[0]), hent_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && lname_cmp(e[i - 1].h->name, e[i].h->name) == 0) {
			sb_putc(b, ',');
		} else {
			if (i > 0) {
				sb_putc(b, '\n');
				sb_putc(sig, ';');
			}
			sb_lower(b, e[i].h->name);
			sb_lower(sig, e[i].h->name);
			sb_putc(b, ':');
		}
		sb_trimmed(b, e[i].h->value);
	}
	if (n > 0)
		sb_putc(b, '\n');
	return SIGV4_OK;
}

enum sigv4_err
sigv4_canonical_headers(const struct sigv4_header *h, size_t n,
    char *canon, size_t canonlen, char *signed_hdrs, size_t signedlen)
{
	struct sbuf	 b, sig;
	enum sigv4_err	 e;

	if ((h == NULL && n > 0) || canon == NULL || canonlen == 0 ||
	    signed_hdrs == NULL || signedlen == 0)
		return SIGV4_E_ARG;
	sb_init(&b, canon, canonlen);
	sb_init(&sig, signed_hdrs, signedlen);
	if ((e = sb_headers(&b, &sig, h, n)) != SIGV4_OK)
		return e;
	return b.over || sig.over ? SIGV4_E_TOOLONG : SIGV4_OK;
}

/* ---- canonical request, string to sign, key, signature ------------------------ */

static int
valid_token(const char *s, size_t max)
{
	size_t	 n;

	if (s == NULL || (n = strlen(s)) == 0 || n >= max)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || *s == '/')
			return 0;
	return 1;
}

enum sigv4_err
sigv4_canonical_request(const struct sigv4_canon *c, char *out, size_t outlen,
    char *signed_hdrs, size_t signedlen)
{
	struct sbuf	 b, sig;
	enum sigv4_err	 e;

	if (c == NULL || out == NULL || outlen == 0 || signed_hdrs == NULL || signedlen == 0 ||
	    !valid_token(c->method, 32) || c->payload_hash == NULL ||
	    *c->payload_hash == '\0' || strchr(c->payload_hash, '\n') != NULL ||
	    (c->headers == NULL && c->nheaders > 0))
		return SIGV4_E_ARG;
	sb_init(&b, out, outlen);
	sb_init(&sig, signed_hdrs, signedlen);
	sb_puts(&b, c->method);
	sb_putc(&b, '\n');
	sb_uri(&b, c->path, c->normalize);
	sb_putc(&b, '\n');
	if ((e = sb_query(&b, c->query)) != SIGV4_OK)
		return e;
	sb_putc(&b, '\n');
	if ((e = sb_headers(&b, &sig, c->headers, c->nheaders)) != SIGV4_OK)
		return e;
	sb_putc(&b, '\n');
	sb_puts(&b, sig.over ? "" : sig.p);
	sb_putc(&b, '\n');
	sb_puts(&b, c->payload_hash);
	return b.over || sig.over ? SIGV4_E_TOOLONG : SIGV4_OK;
}

static void
sb_scope(struct sbuf *b, const char *date8, const char *region, const char *service)
{
	sb_putn(b, date8, 8);
	sb_putc(b, '/');
	sb_puts(b, region);
	sb_putc(b, '/');
	sb_puts(b, service);
	sb_putc(b, '/');
	sb_puts(b, SCOPE_TERMINATOR);
}

static int
valid_date8(const char *d)
{
	int	 v;

	return d != NULL && strlen(d) >= 8 && digits(d, 8, &v) == 0;
}

enum sigv4_err
sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
    const char *canonical_request, char *out, size_t outlen)
{
	struct sbuf	 b;
	char		 hash[SIGV4_HEX_LEN + 1];

	if (amz_date == NULL || strlen(amz_date) != SIGV4_AMZDATE_LEN ||
	    !valid_date8(amz_date) || !valid_token(region, SIGV4_SCOPE_MAX) ||
	    !valid_token(service, SIGV4_SCOPE_MAX) || canonical_request == NULL)
		return SIGV4_E_ARG;
	sigv4_sha256_hex(canonical_request, strlen(canonical_request), hash);
	sb_init(&b, out, outlen);
	sb_puts(&b, SIGV4_ALGORITHM "\n");
	sb_puts(&b, amz_date);
	sb_putc(&b, '\n');
	sb_scope(&b, amz_date, region, service);
	sb_putc(&b, '\n');
	sb_puts(&b, hash);
	return sb_status(&b);
}

enum sigv4_err
sigv4_signing_key(const char *secret, const char *date8, const char *region,
    const char *service, unsigned char key[32])
{
	char		 k0[SIGV4_SECRET_MAX + 4], day[9];
	unsigned char	 k1[32], k2[32], k3[32];
	size_t		 n;
	enum sigv4_err	 e = SIGV4_E_CRYPTO;

	if (secret == NULL || (n = strlen(secret)) == 0 || n >= SIGV4_SECRET_MAX ||
	    !valid_date8(date8) || !valid_token(region, SIGV4_SCOPE_MAX) ||
	    !valid_token(service, SIGV4_SCOPE_MAX))
		return SIGV4_E_ARG;
	memcpy(day, date8, 8);
	day[8] = '\0';
	memcpy(k0, "AWS4", 4);
	memcpy(k0 + 4, secret, n);
	if (hmac_sha256(k0, n + 4, day, k1) == 0 &&
	    hmac_sha256(k1, 32, region, k2) == 0 &&
	    hmac_sha256(k2, 32, service, k3) == 0 &&
	    hmac_sha256(k3, 32, SCOPE_TERMINATOR, key) == 0)
		e = SIGV4_OK;
	explicit_bzero(k0, sizeof(k0));
	explicit_bzero(k1, sizeof(k1));
	explicit_bzero(k2, sizeof(k2));
	explicit_bzero(k3, sizeof(k3));
	if (e != SIGV4_OK)
		explicit_bzero(key, 32);
	return e;
}

enum sigv4_err
sigv4_signature(const unsigned char key[32], const char *string_to_sign,
    char out[SIGV4_HEX_LEN + 1])
{
	unsigned char	 mac[32];

	if (key == NULL || string_to_sign == NULL || out == NULL)
		return SIGV4_E_ARG;
	if (hmac_sha256(key, 32, string_to_sign, mac) != 0)
		return SIGV4_E_CRYPTO;
	sigv4_hex(mac, sizeof(mac), out);
	return SIGV4_OK;
}

enum sigv4_err
sigv4_authorization(const char *access_key_id, const char *date8, const char *region,
    const char *service, const char *signed_hdrs, const char *signature,
    char *out, size_t outlen)
{
	struct sbuf	 b;

	if (!valid_token(access_key_id, SIGV4_AKID_MAX) || !valid_date8(date8) ||
	    !valid_token(region, SIGV4_SCOPE_MAX) || !valid_token(service, SIGV4_SCOPE_MAX) ||
	    signed_hdrs == NULL || signature == NULL)
		return SIGV4_E_ARG;
	sb_init(&b, out, outlen);
	sb_puts(&b, SIGV4_ALGORITHM " Credential=");
	sb_puts(&b, access_key_id);
	sb_putc(&b, '/');
	sb_scope(&b, date8, region, service);
	sb_puts(&b, ", SignedHeaders=");
	sb_puts(&b, signed_hdrs);
	sb_puts(&b, ", Signature=");
	sb_puts(&b, signature);
	return sb_status(&b);
}

/*
 * The four steps end to end, shared by signing and verification: the
 * signature of `c` at `amz_date` in region/service, and its signed headers
 * list.  The canonical request may hold a session token: it is wiped.
 */
static enum sigv4_err
sign_canon(const char *secret, const char *amz_date, const char *region,
    const char *service, const struct sigv4_canon *c, char *signed_hdrs,
    size_t signedlen, char sig[SIGV4_HEX_LEN + 1])
{
	char		*canon = NULL, sts[256];
	unsigned char	 key[32];
	enum sigv4_err	 e;

	memset(key, 0, sizeof(key));
	if ((canon = malloc(SIGV4_CANON_MAX)) == NULL)
		return SIGV4_E_NOMEM;
	if ((e = sigv4_canonical_request(c, canon, SIGV4_CANON_MAX, signed_hdrs,
	    signedlen)) != SIGV4_OK)
		goto fail;
	if ((e = sigv4_string_to_sign(amz_date, region, service, canon, sts,
	    sizeof(sts))) != SIGV4_OK)
		goto fail;
	if ((e = sigv4_signing_key(secret, amz_date, region, service, key)) != SIGV4_OK)
		goto fail;
	e = sigv4_signature(key, sts, sig);
fail:
	explicit_bzero(key, sizeof(key));
	explicit_bzero(canon, SIGV4_CANON_MAX);
	free(canon);
	return e;
}

/* ---- signing ------------------------------------------------------------------ */

static int
has_token(const struct sigv4_creds *c)
{
	return c->session_token != NULL && *c->session_token != '\0';
}

static size_t
sign_headers(const struct sigv4_creds *cr, const struct sigv4_request *r,
    const char *date, const char *hash, struct sigv4_header h[5])
{
	size_t	 n = 0;

	h[n++] = (struct sigv4_header){ "host", r->host };
	h[n++] = (struct sigv4_header){ "x-amz-content-sha256", hash };
	h[n++] = (struct sigv4_header){ "x-amz-date", date };
	if (r->content_type != NULL)
		h[n++] = (struct sigv4_header){ "content-type", r->content_type };
	if (has_token(cr))
		h[n++] = (struct sigv4_header){ "x-amz-security-token", cr->session_token };
	return n;
}

static int
sign_args_ok(const struct sigv4_creds *cr, const struct sigv4_request *r,
    const struct sigv4_result *out)
{
	return cr != NULL && r != NULL && out != NULL &&
	    cr->access_key_id != NULL && cr->secret_access_key != NULL &&
	    r->method != NULL && r->host != NULL && *r->host != '\0' &&
	    r->wire_path != NULL && (r->body != NULL || r->body_len == 0) &&
	    (!has_token(cr) || strlen(cr->session_token) < SIGV4_TOKEN_MAX) &&
	    strpbrk(r->host, "\r\n") == NULL &&
	    (r->content_type == NULL || strpbrk(r->content_type, "\r\n") == NULL);
}

static enum sigv4_err
sign_result(const struct sigv4_creds *cr, const char *region, const char *service,
    const char *date, const char *hash, const char *signed_hdrs, const char *sig,
    struct sigv4_result *out)
{
	char		 auth[SIGV4_AUTH_MAX];
	enum sigv4_err	 e;

	if ((e = sigv4_authorization(cr->access_key_id, date, region, service,
	    signed_hdrs, sig, auth, sizeof(auth))) != SIGV4_OK)
		return e;
	snprintf(out->authorization, sizeof(out->authorization), "Authorization: %s", auth);
	snprintf(out->amz_date, sizeof(out->amz_date), "X-Amz-Date: %s", date);
	snprintf(out->content_sha256, sizeof(out->content_sha256),
	    "X-Amz-Content-Sha256: %s", hash);
	if (has_token(cr))
		snprintf(out->security_token, sizeof(out->security_token),
		    "X-Amz-Security-Token: %s", cr->session_token);
	return SIGV4_OK;
}

enum sigv4_err
sigv4_sign(const struct sigv4_creds *creds, const char *region, const char *service,
    const struct sigv4_request *req, time_t now, struct sigv4_result *out)
{
	struct sigv4_header	 h[5];
	struct sigv4_canon	 c;
	char			 date[SIGV4_AMZDATE_LEN + 1], hash[SIGV4_HEX_LEN + 1];
	char			 sig[SIGV4_HEX_LEN + 1], signed_hdrs[SIGV4_AUTH_MAX];
	enum sigv4_err		 e;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (!sign_args_ok(creds, req, out))
		return SIGV4_E_ARG;
	sigv4_amz_date(now, date);
	sigv4_sha256_hex(req->body, req->body_len, hash);
	memset(&c, 0, sizeof(c));
	c.method = req->method;
	c.path = req->wire_path;
	c.normalize = 1;
	c.query = req->query;
	c.headers = h;
	c.nheaders = sign_headers(creds, req, date, hash, h);
	c.payload_hash = hash;
	if ((e = sign_canon(creds->secret_access_key, date, region, service, &c,
	    signed_hdrs, sizeof(signed_hdrs), sig)) != SIGV4_OK)
		return e;
	return sign_result(creds, region, service, date, hash, signed_hdrs, sig, out);
}

/* ---- verification ------------------------------------------------------------- */

/* A parsed Authorization header.  Strings are copies, bounded. */
struct auth {
	char	 akid[SIGV4_AKID_MAX];
	char	 date8[9];
	char	 region[SIGV4_SCOPE_MAX];
	char	 service[SIGV4_SCOPE_MAX];
	char	 terminator[sizeof(SCOPE_TERMINATOR)];
	char	 signed_hdrs[SIGV4_AUTH_MAX];
	char	 signature[SIGV4_HEX_LEN + 1];
};

/* Copy s[0..n) into dst[dstlen]; -1 if empty or too long. */
static int
copy_part(char *dst, size_t dstlen, const char *s, size_t n)
{
	if (n == 0 || n >= dstlen)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* "AKID/YYYYMMDD/region/service/aws4_request": exactly five parts. */
static enum sigv4_err
parse_credential(struct auth *a, const char *s, size_t n)
{
	char		*dst[5] = { a->akid, a->date8, a->region, a->service, a->terminator };
	size_t		 len[5] = { sizeof(a->akid), sizeof(a->date8), sizeof(a->region),
			    sizeof(a->service), sizeof(a->terminator) };
	const char	*end = s + n, *slash;
	size_t		 i;

	for (i = 0; i < 5; i++) {
		slash = memchr(s, '/', (size_t)(end - s));
		if ((slash == NULL) != (i == 4))
			return SIGV4_E_MALFORMED;
		if (slash == NULL)
			slash = end;
		if (copy_part(dst[i], len[i], s, (size_t)(slash - s)) != 0)
			return i == 4 ? SIGV4_E_SCOPE : SIGV4_E_MALFORMED;
		s = slash + 1;
	}
	return SIGV4_OK;
}

static int
valid_signature(const char *s)
{
	size_t	 i;

	for (i = 0; i < SIGV4_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

/* One "Key=Value" item of the Authorization header; `seen` is a bitmask
 * of the three keys found so far (a repeat is malformed). */
static enum sigv4_err
parse_item(struct auth *a, const char *s, size_t n, unsigned *seen)
{
	static const char *const keys[3] = { "Credential=", "SignedHeaders=", "Signature=" };
	size_t		 i, k;

	for (i = 0; i < 3; i++) {
		k = strlen(keys[i]);
		if (n >= k && strncmp(s, keys[i], k) == 0)
			break;
	}
	if (i == 3)
		return SIGV4_OK;	/* unknown items are ignored, as AWS does */
	if (*seen & (1u << i))
		return SIGV4_E_MALFORMED;
	*seen |= 1u << i;
	if (i == 0)
		return parse_credential(a, s + k, n - k);
	if (i == 1)
		return copy_part(a->signed_hdrs, sizeof(a->signed_hdrs), s + k, n - k) ?
		    SIGV4_E_MALFORMED : SIGV4_OK;
	if (copy_part(a->signature, sizeof(a->signature), s + k, n - k) != 0 ||
	    !valid_signature(a->signature))
		return SIGV4_E_MALFORMED;
	return SIGV4_OK;
}

static enum sigv4_err
parse_auth(const char *v, struct auth *a)
{
	const char	*p, *end;
	size_t		 n;
	unsigned	 seen = 0;
	enum sigv4_err	 e;

	memset(a, 0, sizeof(*a));
	n = strlen(SIGV4_ALGORITHM);
	if (v == NULL || strlen(v) >= SIGV4_AUTH_MAX || strncmp(v, SIGV4_ALGORITHM, n) != 0 ||
	    (v[n] != ' ' && v[n] != '\t'))
		return SIGV4_E_MALFORMED;
	for (p = v + n; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		p += strspn(p, " \t");
		end = p + strcspn(p, ",");
		n = (size_t)(end - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if ((e = parse_item(a, p, n, &seen)) != SIGV4_OK)
			return e;
	}
	return seen == 7 ? SIGV4_OK : SIGV4_E_MALFORMED;
}

/*
 * Split a->signed_hdrs (a copy, in `names`) into the header list for the
 * canonical request, each value looked up as received.
 */
static enum sigv4_err
collect_headers(const struct sigv4_verify_params *p, char *names,
    struct sigv4_header *h, size_t *nh)
{
	char		*name, *next = names;
	int		 host = 0, date = 0;

	*nh = 0;
	while ((name = strsep(&next, ";")) != NULL) {
		if (*name == '\0' || *nh == SIGV4_MAX_HEADERS)
			return SIGV4_E_MALFORMED;
		host |= strcmp(name, "host") == 0 || strcmp(name, ":authority") == 0;
		date |= strcmp(name, "x-amz-date") == 0;
		h[*nh].name = name;
		if ((h[*nh].value = p->header(p->header_ctx, name)) == NULL)
			return SIGV4_E_HEADERS;
		(*nh)++;
	}
	return host && date ? SIGV4_OK : SIGV4_E_HEADERS;
}

static enum sigv4_err
check_time(const struct sigv4_verify_params *p, const char *amz_date,
    struct sigv4_identity *id)
{
	double	 d;

	if (sigv4_parse_amz_date(amz_date, &id->signed_at) != 0)
		return SIGV4_E_MALFORMED;
	d = difftime(id->signed_at, p->now);
	return (d > (double)p->max_skew || d < -(double)p->max_skew) ? SIGV4_E_SKEW : SIGV4_OK;
}

static enum sigv4_err
check_scope(const struct sigv4_verify_params *p, const struct auth *a, const char *amz_date)
{
	size_t	 i;

	if (strcmp(a->terminator, SCOPE_TERMINATOR) != 0 ||
	    strncmp(a->date8, amz_date, 8) != 0 || strcmp(a->service, p->service) != 0)
		return SIGV4_E_SCOPE;
	for (i = 0; i < p->nregions; i++)
		if (p->regions[i] != NULL && strcmp(p->regions[i], a->region) == 0)
			return SIGV4_OK;
	return p->nregions == 0 ? SIGV4_OK : SIGV4_E_SCOPE;
}

static enum sigv4_err
check_payload(const struct sigv4_verify_params *p, char hash[SIGV4_HEX_LEN + 1])
{
	const char	*claimed;

	sigv4_sha256_hex(p->body, p->body_len, hash);
	claimed = p->header(p->header_ctx, "x-amz-content-sha256");
	if (claimed != NULL && strcmp(claimed, hash) != 0)
		return SIGV4_E_PAYLOAD;
	return SIGV4_OK;
}

/* Recompute with the signing code and compare in constant time. */
static enum sigv4_err
check_signature(const struct sigv4_verify_params *p, const struct auth *a,
    const char *secret, const char *amz_date, struct sigv4_header *h, size_t nh,
    const char *hash)
{
	struct sigv4_canon	 c;
	char			 mine[SIGV4_AUTH_MAX], sig[SIGV4_HEX_LEN + 1];
	enum sigv4_err		 e;

	memset(&c, 0, sizeof(c));
	c.method = p->method;
	c.path = p->wire_path;
	c.normalize = 1;
	c.query = p->query;
	c.headers = h;
	c.nheaders = nh;
	c.payload_hash = hash;
	if ((e = sign_canon(secret, amz_date, a->region, a->service, &c, mine,
	    sizeof(mine), sig)) != SIGV4_OK)
		return e == SIGV4_E_ARG ? SIGV4_E_MALFORMED : e;
	if (strcmp(mine, a->signed_hdrs) != 0 ||
	    CRYPTO_memcmp(sig, a->signature, SIGV4_HEX_LEN) != 0)
		return SIGV4_E_SIGNATURE;
	return SIGV4_OK;
}

static int
verify_args_ok(const struct sigv4_verify_params *p)
{
	return p != NULL && p->method != NULL && p->wire_path != NULL &&
	    p->header != NULL && p->secret != NULL && p->service != NULL &&
	    (p->body != NULL || p->body_len == 0) && (p->regions != NULL || p->nregions == 0);
}

enum sigv4_err
sigv4_verify(const struct sigv4_verify_params *p, struct sigv4_identity *id)
{
	struct sigv4_identity	 scratch;
	struct sigv4_header	 h[SIGV4_MAX_HEADERS];
	struct auth		 a;
	char			 secret[SIGV4_SECRET_MAX], names[SIGV4_AUTH_MAX];
	char			 hash[SIGV4_HEX_LEN + 1];
	const char		*amz_date;
	size_t			 nh = 0;
	enum sigv4_err		 e;

	memset(secret, 0, sizeof(secret));
	if (id == NULL)
		id = &scratch;
	memset(id, 0, sizeof(*id));
	if (!verify_args_ok(p))
		return SIGV4_E_ARG;
	if ((e = parse_auth(p->header(p->header_ctx, "authorization"), &a)) != SIGV4_OK)
		return e;
	memcpy(id->access_key_id, a.akid, sizeof(a.akid));
	memcpy(id->region, a.region, sizeof(a.region));
	if (p->secret(p->secret_ctx, a.akid, secret, sizeof(secret)) != 0) {
		e = SIGV4_E_UNKNOWN_KEY;
		goto fail;
	}
	secret[sizeof(secret) - 1] = '\0';
	amz_date = p->header(p->header_ctx, "x-amz-date");
	if ((e = check_time(p, amz_date, id)) != SIGV4_OK ||
	    (e = check_scope(p, &a, amz_date)) != SIGV4_OK)
		goto fail;
	memcpy(names, a.signed_hdrs, sizeof(names));
	if ((e = collect_headers(p, names, h, &nh)) != SIGV4_OK ||
	    (e = check_payload(p, hash)) != SIGV4_OK)
		goto fail;
	e = check_signature(p, &a, secret, amz_date, h, nh, hash);
fail:
	explicit_bzero(secret, sizeof(secret));
	return e;
}
