/*
 * auth.c - client authentication.  API keys are stored only as SHA-256
 * hashes and compared in constant time against every entry, so neither the
 * file nor the timing tells an attacker anything about a key.  SigV4 key
 * pairs keep the secret (HMAC needs it): the keys file must be mode 0600.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <pthread.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth.h"
#include "filemode.h"
#include "http.h"
#include "log.h"
#include "sigv4.h"
#include "usage.h"

#define AUTH_MAX_KEYS	100000
#define AUTH_MAX_LINE	1024

struct tg_key {
	int		 sigv4;		/* 1: akid/secret pair, 0: hashed API key */
	char		 tenant[64];
	unsigned char	 hash[32];	/* API key: sha256 of the key */
	char		 akid[SIGV4_AKID_MAX];
	char		 secret[SIGV4_SECRET_MAX];
};

struct tg_keys {
	struct tg_key	*k;
	size_t		 n;
};

static int
auth_unhex(const char *s, unsigned char *out, size_t n)
{
	size_t	 i;
	unsigned v;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = v;
	}
	return 0;
}

/* One line: "apikey TENANT sha256:HEX" or "sigv4 TENANT AKID SECRET". */
static int
auth_parse_line(char *line, struct tg_key *k, const char **why)
{
	char	*kind, *tenant, *a, *b, *extra, *save = NULL;

	kind = strtok_r(line, " \t\r\n", &save);
	tenant = strtok_r(NULL, " \t\r\n", &save);
	a = strtok_r(NULL, " \t\r\n", &save);
	b = strtok_r(NULL, " \t\r\n", &save);
	extra = b != NULL ? strtok_r(NULL, " \t\r\n", &save) : NULL;
	memset(k, 0, sizeof(*k));
	if (kind == NULL || tenant == NULL || a == NULL || extra != NULL ||
	    strlen(tenant) >= sizeof(k->tenant))
		return *why = "expected \"apikey TENANT sha256:HEX\" or "
		    "\"sigv4 TENANT ACCESS_KEY_ID SECRET\"", -1;
	snprintf(k->tenant, sizeof(k->tenant), "%s", tenant);
	if (strcmp(kind, "apikey") == 0) {
		if (b != NULL || strncmp(a, "sha256:", 7) != 0 ||
		    auth_unhex(a + 7, k->hash, 32) != 0)
			return *why = "an apikey entry needs sha256:<64 hex digits>", -1;
		return 0;
	}
	if (strcmp(kind, "sigv4") == 0) {
		if (b == NULL || strlen(a) >= sizeof(k->akid) || strlen(b) >= sizeof(k->secret))
			return *why = "a sigv4 entry needs an access key id and a secret", -1;
		k->sigv4 = 1;
		snprintf(k->akid, sizeof(k->akid), "%s", a);
		snprintf(k->secret, sizeof(k->secret), "%s", b);
		return 0;
	}
	return *why = "the first field must be \"apikey\" or \"sigv4\"", -1;
}

static int
auth_push(struct tg_keys *t, const struct tg_key *k)
{
	struct tg_key	*nk;

	if (t->n >= AUTH_MAX_KEYS)
		return -1;
	if ((t->n & (t->n - 1)) == 0 || t->n == 0) {
		if ((nk = realloc(t->k, (t->n ? t->n * 2 : 8) * sizeof(*nk))) == NULL)
			return -1;
		t->k = nk;
	}
	t->k[t->n++] = *k;
	return 0;
}

static int
auth_has_sigv4(const struct tg_keys *t)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		if (t->k[i].sigv4)
			return 1;
	return 0;
}

struct tg_keys *
auth_keys_load(const char *path, char *err, size_t errlen)
{
	struct tg_keys	*t = NULL;
	struct tg_key	 k;
	FILE		*f;
	char		 line[AUTH_MAX_LINE + 2], *p;
	const char	*why;
	size_t		 lineno = 0;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto nomem;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strlen(line) > AUTH_MAX_LINE) {
			snprintf(err, errlen, "%s:%zu: line too long", path, lineno);
			goto fail;
		}
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (*p == '#' || *p == '\0')
			continue;
		if (auth_parse_line(p, &k, &why) != 0) {
			snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
			goto fail;
		}
		if (auth_push(t, &k) != 0)
			goto nomem;
	}
	if (filemode_check(fileno(f), path, auth_has_sigv4(t) ?
	    "SigV4 secrets" : NULL, err, errlen) != 0)
		goto fail;
	explicit_bzero(line, sizeof(line));
	explicit_bzero(&k, sizeof(k));
	fclose(f);
	return t;
nomem:
	snprintf(err, errlen, "%s: out of memory or too many keys", path);
fail:
	explicit_bzero(line, sizeof(line));
	explicit_bzero(&k, sizeof(k));
	fclose(f);
	auth_keys_free(t);
	return NULL;
}

void
auth_keys_free(struct tg_keys *t)
{
	if (t == NULL)
		return;
	if (t->k != NULL)
		explicit_bzero(t->k, t->n * sizeof(*t->k));
	free(t->k);
	free(t);
}

size_t
auth_keys_count(const struct tg_keys *t)
{
	return t != NULL ? t->n : 0;
}

struct tg_keyring {
	char		*path;
	struct tg_keys	*cur;		/* read with __atomic_load_n */
	struct tg_keys	**old;		/* replaced tables, freed at the end */
	size_t		 nold;
	pthread_mutex_t	 mtx;		/* one reloader at a time */
	time_t		 checked;
	struct stat	 st;
};

struct tg_keyring *
auth_keyring_new(const char *path, char *err, size_t errlen)
{
	struct tg_keyring	*r;

	err[0] = '\0';
	if ((r = calloc(1, sizeof(*r))) == NULL || (r->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->mtx, NULL);
	if (stat(path, &r->st) != 0 ||
	    (r->cur = auth_keys_load(path, err, errlen)) == NULL) {
		if (r->cur == NULL && err[0] == '\0')
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		auth_keyring_free(r);
		return NULL;
	}
	r->checked = time(NULL);
	return r;
}

static int
auth_file_changed(const struct stat *a, const struct stat *b)
{
	return a->st_ino != b->st_ino || a->st_size != b->st_size ||
	    a->st_mode != b->st_mode ||
	    a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
	    a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

/* Swap in a new table if the file changed; the caller holds the mutex. */
static void
auth_keyring_reload(struct tg_keyring *r)
{
	struct stat	 st;
	struct tg_keys	*k, **no;
	char		 err[512];

	if (stat(r->path, &st) != 0 || !auth_file_changed(&st, &r->st))
		return;
	r->st = st;
	if ((k = auth_keys_load(r->path, err, sizeof(err))) == NULL) {
		log_err("api keys: %s; the previous keys keep serving", err);
		return;
	}
	if ((no = realloc(r->old, (r->nold + 1) * sizeof(*no))) == NULL) {
		auth_keys_free(k);
		return;
	}
	r->old = no;
	r->old[r->nold++] = r->cur;
	__atomic_store_n(&r->cur, k, __ATOMIC_RELEASE);
	log_info("api keys: reloaded %s (%zu keys)", r->path, k->n);
}

const struct tg_keys *
auth_keyring_get(struct tg_keyring *r)
{
	time_t	 now;

	if (r == NULL)
		return NULL;
	now = time(NULL);
	if (now != __atomic_load_n(&r->checked, __ATOMIC_RELAXED) &&
	    pthread_mutex_trylock(&r->mtx) == 0) {
		__atomic_store_n(&r->checked, now, __ATOMIC_RELAXED);
		auth_keyring_reload(r);
		pthread_mutex_unlock(&r->mtx);
	}
	return __atomic_load_n(&r->cur, __ATOMIC_ACQUIRE);
}

void
auth_keyring_free(struct tg_keyring *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nold; i++)
		auth_keys_free(r->old[i]);
	free(r->old);
	auth_keys_free(r->cur);
	pthread_mutex_destroy(&r->mtx);
	free(r->path);
	free(r);
}

/* Every entry is compared, match or not, so the time taken does not say
 * which entry (or how much of a hash) matched. */
static const struct tg_key *
auth_find_apikey(const struct tg_keys *t, const char *key)
{
	unsigned char	 h[32];
	const struct tg_key *found = NULL;
	size_t		 i;

	sigv4_sha256(key, strlen(key), h);
	for (i = 0; i < t->n; i++)
		if (!t->k[i].sigv4 && CRYPTO_memcmp(h, t->k[i].hash, 32) == 0)
			found = &t->k[i];
	return found;
}

struct auth_sigv4_ctx {
	const struct tg_keys	*t;
	struct tg_req		*req;
	const struct tg_key	*found;
};

static int
auth_secret(void *v, const char *akid, char *secret, size_t len)
{
	struct auth_sigv4_ctx *c = v;
	size_t		 i;

	for (i = 0; i < c->t->n; i++)
		if (c->t->k[i].sigv4 && strcmp(c->t->k[i].akid, akid) == 0) {
			c->found = &c->t->k[i];
			snprintf(secret, len, "%s", c->t->k[i].secret);
			return 0;
		}
	return -1;
}

static const char *
auth_header(void *v, const char *lname)
{
	struct auth_sigv4_ctx *c = v;

	/* HTTP/2 clients (the AWS SDK's default handler) sign the
	 * :authority pseudo-header; the web server passes it as Host. */
	if (strcmp(lname, ":authority") == 0)
		return http_header(c->req, "Host");
	return http_header(c->req, lname);
}

static enum auth_err
auth_sigv4(const struct tg_keys *t, struct tg_req *req, const char **tenant)
{
	struct auth_sigv4_ctx	 c = { t, req, NULL };
	struct sigv4_verify_params p = { 0 };
	struct sigv4_identity	 id;
	enum sigv4_err		 e;

	p.method = req->method;
	p.wire_path = req->path;
	p.query = req->query[0] ? req->query : NULL;
	p.header = auth_header;
	p.header_ctx = &c;
	p.body = req->body;
	p.body_len = req->body_len;
	p.secret = auth_secret;
	p.secret_ctx = &c;
	p.service = "bedrock";
	p.now = time(NULL);
	p.max_skew = 300;
	if ((e = sigv4_verify(&p, &id)) == SIGV4_OK && c.found != NULL) {
		*tenant = c.found->tenant;
		return AUTH_OK;
	}
	log_info("request %s: SigV4 authentication failed for key id '%s': %s",
	    req->request_id, id.access_key_id, sigv4_strerror(e));
	http_send_error(req, sigv4_http_status(e), sigv4_aws_error(e), "%s",
	    e == SIGV4_E_SIGNATURE ? "The request signature we calculated does not "
	    "match the signature you provided. Check your AWS Secret Access Key and "
	    "signing method." : sigv4_strerror(e));
	return AUTH_E_SIGV4;
}

enum auth_err
auth_check(const struct tg_keys *t, struct tg_req *req, const char **tenant)
{
	const char	*h = http_header(req, "Authorization");
	const char	*key = http_header(req, "x-api-key");
	const struct tg_key *k;

	*tenant = "";
	if (t == NULL)
		return AUTH_OK;
	if (h != NULL && strncmp(h, "AWS4-HMAC-SHA256 ", 17) == 0)
		return auth_sigv4(t, req, tenant);
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0)
		key = h + 7;
	else if (h != NULL && key == NULL) {
		http_send_error(req, 401, "UnrecognizedClientException",
		    "Unsupported Authorization scheme: use Bearer <api key> or SigV4");
		return AUTH_E_MALFORMED;
	}
	if (key == NULL || *key == '\0') {
		http_send_error(req, 401, "UnrecognizedClientException",
		    "Missing credentials: send Authorization: Bearer <api key>, "
		    "x-api-key, or sign the request with SigV4");
		return AUTH_E_MISSING;
	}
	if ((k = auth_find_apikey(t, key)) == NULL) {
		http_send_error(req, 403, "AccessDeniedException",
		    "The API key is not valid");
		return AUTH_E_INVALID;
	}
	*tenant = k->tenant;
	return AUTH_OK;
}

static void
auth_random(char *out, size_t nbytes, const char *alphabet)
{
	unsigned char	 r[64];
	size_t		 i, n = strlen(alphabet);

	if (RAND_bytes(r, nbytes) != 1)
		abort();	/* no randomness: never mint a guessable key */
	for (i = 0; i < nbytes; i++)
		out[i] = alphabet[r[i] % n];
	out[nbytes] = '\0';
	explicit_bzero(r, sizeof(r));
}

/* keygen's arguments: TENANT and an optional --sigv4, in either order.
 * The tenant must load back from the keys file (auth_parse_line()).
 * Returns 0, or 2 after printing a usage error. */
static int
keygen_args(int argc, char **argv, const char **tenant, int *sigv4)
{
	size_t	 max = sizeof(((struct tg_key *)0)->tenant) - 1;
	int	 i;

	*tenant = NULL;
	*sigv4 = 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--sigv4") == 0)
			*sigv4 = 1;
		else if (argv[i][0] == '-')
			return tg_usage_error("keygen", "unrecognized option '%s'",
			    argv[i]);
		else if (*tenant != NULL)
			return tg_usage_error("keygen", "unexpected argument '%s'",
			    argv[i]);
		else
			*tenant = argv[i];
	}
	if (*tenant == NULL)
		return tg_usage_error("keygen", "missing TENANT");
	if (**tenant == '\0' || **tenant == '#' || strlen(*tenant) > max ||
	    (*tenant)[strcspn(*tenant, " \t\r\n")] != '\0')
		return tg_usage_error("keygen", "a tenant name is 1-%zu characters, "
		    "no spaces, not starting with '#'", max);
	return 0;
}

/* Where the line keygen prints goes (a comment: the output loads as is). */
#define KEYGEN_WHERE	"# append the next line to the file that api_keys_file names in " \
	"your tiergate.json\n# (tiergate-keys(5)); tiergate reloads it within a second, " \
	"no restart\n"

int
auth_cmd_keygen(int argc, char **argv)
{
	static const char b62[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	const char	*tenant;
	char		 key[64], akid[32], hex[65];
	unsigned char	 h[32];
	int		 rc, sigv4;

	if ((rc = keygen_args(argc, argv, &tenant, &sigv4)) != 0)
		return rc;
	if (sigv4) {
		memcpy(akid, "TGAK", 4);
		auth_random(akid + 4, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
		auth_random(key, 40, b62);
		printf("# access key id: %s\n# secret access key: %s\n%s"
		    "sigv4 %s %s %s\n", akid, key, KEYGEN_WHERE, tenant, akid, key);
	} else {
		memcpy(key, "tg-", 3);
		auth_random(key + 3, 40, b62);
		sigv4_sha256(key, strlen(key), h);
		sigv4_hex(h, 32, hex);
		printf("# api key (give it to the client, it is not stored): %s\n%s"
		    "apikey %s sha256:%s\n", key, KEYGEN_WHERE, tenant, hex);
	}
	explicit_bzero(key, sizeof(key));
	return 0;
}
