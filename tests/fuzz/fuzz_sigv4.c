/*
 * fuzz_sigv4.c - libFuzzer harness for SigV4 canonicalisation and
 * verification of client requests (gateway/sigv4.c).
 *
 * The input is a raw HTTP request in the format of AWS's test suite
 * (tests/sigv4/v4/NAME/request.txt): "METHOD URI HTTP/1.1", header lines
 * "Name:value" (a line without ':' continues the previous value), a blank
 * line, the body.  It goes through each canonicalisation step
 * (sigv4_canonical_uri/query/headers/request), then sigv4_verify() as a
 * client request (the test suite's key and clock, so that its signed
 * requests verify), then a round trip: the request signed with
 * sigv4_sign() must verify with sigv4_verify().
 */
#include <assert.h>
#include <ctype.h>
#include <strings.h>

#include "sigv4.h"
#include "fuzz.h"

#define FUZZ_MAXH	(SIGV4_MAX_HEADERS + 8)	/* a few past the cap */
#define FUZZ_AKID	"AKIDEXAMPLE"
#define FUZZ_SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define FUZZ_NOW	1440938160	/* 20150830T123600Z, the suite's clock */

struct fuzz_req {
	char			*method, *path, *query, *body;
	size_t			 body_len;
	struct sigv4_header	 h[FUZZ_MAXH];
	size_t			 nh;
};

/* "METHOD URI [VERSION]": split in place. */
static void
fuzz_request_line(struct fuzz_req *r, char *line)
{
	char	*sp, *q;

	r->method = line;
	r->path = "";
	if ((sp = strchr(line, ' ')) == NULL)
		return;
	*sp = '\0';
	r->path = sp + 1;
	if ((sp = strchr(r->path, ' ')) != NULL)
		*sp = '\0';
	if ((q = strchr(r->path, '?')) != NULL) {
		*q = '\0';
		r->query = q + 1;
	}
}

/* Header lines up to the blank line, split in place.  A line without ':'
 * continues the previous value: its '\n' is put back, for the
 * canonicalisation to fold.  Returns the body. */
static char *
fuzz_headers(struct fuzz_req *r, char *p)
{
	char	*nl, *colon;

	for (;;) {
		if (*p == '\0')
			return p;
		if (*p == '\n')
			return p + 1;
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		if ((colon = strchr(p, ':')) != NULL && r->nh < FUZZ_MAXH) {
			*colon = '\0';
			r->h[r->nh].name = p;
			r->h[r->nh++].value = colon + 1;
		} else if (colon == NULL && r->nh > 0)
			p[-1] = '\n';
		if (nl == NULL)
			return p + strlen(p);
		p = nl + 1;
	}
}

static void
fuzz_parse(struct fuzz_req *r, char *s)
{
	char	*nl;

	memset(r, 0, sizeof(*r));
	if ((nl = strchr(s, '\n')) != NULL)
		*nl = '\0';
	fuzz_request_line(r, s);
	r->body = nl != NULL ? fuzz_headers(r, nl + 1) : s + strlen(s);
	r->body_len = strlen(r->body);
}

static void
fuzz_steps(const struct fuzz_req *r)
{
	char			 out[SIGV4_CANON_MAX], sig[SIGV4_AUTH_MAX];
	struct sigv4_canon	 c;
	char			 hash[SIGV4_HEX_LEN + 1];

	/* A wire path (REQUEST_URI) starts with '/', and so must its form. */
	if (sigv4_canonical_uri(r->path, 1, out, sizeof(out)) == SIGV4_OK &&
	    (r->path[0] == '/' || r->path[0] == '\0'))
		assert(out[0] == '/');
	(void)sigv4_canonical_uri(r->path, 0, out, sizeof(out));
	(void)sigv4_canonical_query(r->query, out, sizeof(out));
	(void)sigv4_canonical_headers(r->h, r->nh, out, sizeof(out), sig, sizeof(sig));
	sigv4_sha256_hex(r->body, r->body_len, hash);
	memset(&c, 0, sizeof(c));
	c.method = r->method;
	c.path = r->path;
	c.normalize = 1;
	c.query = r->query;
	c.headers = r->h;
	c.nheaders = r->nh;
	c.payload_hash = hash;
	(void)sigv4_canonical_request(&c, out, sizeof(out), sig, sizeof(sig));
}

/* A header lookup over the parsed request: first match, any case. */
static const char *
fuzz_header(void *ctx, const char *lname)
{
	const struct fuzz_req	*r = ctx;
	size_t			 i;

	for (i = 0; i < r->nh; i++)
		if (strcasecmp(r->h[i].name, lname) == 0)
			return r->h[i].value;
	return NULL;
}

static int
fuzz_secret(void *ctx, const char *akid, char *secret, size_t len)
{
	(void)ctx;
	if (strcmp(akid, FUZZ_AKID) != 0)
		return -1;
	snprintf(secret, len, "%s", FUZZ_SECRET);
	return 0;
}

static enum sigv4_err
fuzz_verify(struct fuzz_req *r)
{
	static const char *const regions[] = { "us-east-1" };
	struct sigv4_verify_params	 p;
	struct sigv4_identity		 id;

	memset(&p, 0, sizeof(p));
	p.method = r->method;
	p.wire_path = r->path;
	p.query = r->query;
	p.header = fuzz_header;
	p.header_ctx = r;
	p.body = r->body;
	p.body_len = r->body_len;
	p.secret = fuzz_secret;
	p.regions = regions;
	p.nregions = 1;
	p.service = "service";
	p.now = FUZZ_NOW;
	p.max_skew = 300;
	return sigv4_verify(&p, &id);
}

/* Sign the request as tiergate signs upstream calls; what it signs must
 * verify.  The headers become exactly the signed ones. */
static void
fuzz_roundtrip(struct fuzz_req *r)
{
	struct sigv4_creds	 cr = { FUZZ_AKID, FUZZ_SECRET, NULL };
	struct sigv4_request	 q;
	struct sigv4_result	 res;
	const char		*host = fuzz_header(r, "host");
	const char		*ctype = fuzz_header(r, "content-type");

	memset(&q, 0, sizeof(q));
	q.method = r->method;
	q.host = host != NULL ? host : "example.amazonaws.com";
	q.wire_path = r->path;
	q.query = r->query;
	q.content_type = ctype;
	q.body = r->body;
	q.body_len = r->body_len;
	if (sigv4_sign(&cr, "us-east-1", "service", &q, FUZZ_NOW, &res) != SIGV4_OK)
		return;
	r->nh = 0;
	r->h[r->nh++] = (struct sigv4_header){ "host", q.host };
	r->h[r->nh++] = (struct sigv4_header){ "x-amz-date", res.amz_date + 12 };
	r->h[r->nh++] = (struct sigv4_header){ "x-amz-content-sha256", res.content_sha256 + 22 };
	r->h[r->nh++] = (struct sigv4_header){ "authorization", res.authorization + 15 };
	if (ctype != NULL)
		r->h[r->nh++] = (struct sigv4_header){ "content-type", ctype };
	assert(fuzz_verify(r) == SIGV4_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_req	 r;
	char		*s = fuzz_cstr(data, size);

	fuzz_parse(&r, s);
	fuzz_steps(&r);
	(void)fuzz_verify(&r);
	fuzz_roundtrip(&r);
	free(s);
	return 0;
}
