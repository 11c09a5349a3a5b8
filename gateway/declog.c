/*
 * declog.c - the decision log: writer (one JSON line per request, one
 * write(2) on an O_APPEND descriptor), parser and bounded file scanners.
 *
 * The writer formats by hand instead of through Jansson: it is on every
 * request's path, and the format is fixed (keys in a documented order).
 * Strings are escaped as JSON; invalid UTF-8 becomes U+FFFD so every line
 * parses.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "declog.h"

struct declog {
	char	*path;
	int	 fd;
};

static const char *const fb_names[TG_FB__MAX] = {
	NULL, "no_prediction", "policy_error", "policy_limit", "upstream",
	"low_confidence",
};

static const char *const up_names[TG_UP__MAX] = {
	NULL, "throttled", "unavailable", "internal", "timeout", "connect",
	"bad_response", "client",
};

/* --- open / reopen / close ------------------------------------------ */

static int
declog_fd(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

struct declog *
declog_open(const char *path, char *err, size_t errlen)
{
	struct declog	*dl = NULL;

	if ((dl = calloc(1, sizeof(*dl))) == NULL ||
	    (dl->path = strdup(path)) == NULL)
		goto fail;
	if ((dl->fd = declog_fd(path)) == -1)
		goto fail;
	return dl;
fail:
	snprintf(err, errlen, "decision log %s: %s", path, strerror(errno));
	if (dl != NULL)
		free(dl->path);
	free(dl);
	return NULL;
}

void
declog_close(struct declog *dl)
{
	if (dl == NULL)
		return;
	close(dl->fd);
	free(dl->path);
	free(dl);
}

const char *
declog_path(const struct declog *dl)
{
	return dl->path;
}

int
declog_reopen(struct declog *dl)
{
	int	 fd, rc = 0;

	if ((fd = declog_fd(dl->path)) == -1)
		return -1;
	/* dup2 swaps the file under the same descriptor number atomically:
	 * a concurrent write lands in the old or the new file. */
	if (dup2(fd, dl->fd) == -1)
		rc = -1;
	close(fd);
	return rc;
}

/* --- formatting ------------------------------------------------------ */

struct out {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 full;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->len + n >= o->cap) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t		 len, i;
	uint32_t	 cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	if (len > n)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void
put_str(struct out *o, const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 n = strlen(str), i, run, u;
	char			 esc[8];

	put(o, "\"", 1);
	for (i = 0; i < n; i += run) {
		for (run = 0; i + run < n && s[i + run] >= 0x20 && s[i + run] < 0x80 &&
		    s[i + run] != '"' && s[i + run] != '\\'; run++)
			;
		if (run > 0) {
			put(o, str + i, run);
			continue;
		}
		if (s[i] >= 0x80) {
			if ((u = utf8_len(s + i, n - i)) == 0) {
				put(o, "\\ufffd", 6);
				run = 1;
			} else {
				put(o, str + i, u);
				run = u;
			}
			continue;
		}
		if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)s[i];
			put(o, esc, 2);
		} else if (s[i] == '\n')
			put(o, "\\n", 2);
		else if (s[i] == '\t')
			put(o, "\\t", 2);
		else {
			snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
			put(o, esc, 6);
		}
		run = 1;
	}
	put(o, "\"", 1);
}

static void
put_key(struct out *o, const char *key)
{
	put(o, ",\"", 2);
	puts_(o, key);
	put(o, "\":", 2);
}

static void
put_kstr(struct out *o, const char *key, const char *val)
{
	put_key(o, key);
	if (val == NULL)
		puts_(o, "null");
	else
		put_str(o, val);
}

/* Shortest of %.15g / %.17g that reads back as exactly v. */
static void
put_dbl(struct out *o, double v)
{
	char	 buf[40];

	if (!isfinite(v)) {
		puts_(o, "null");
		return;
	}
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	puts_(o, buf);
}

static void
put_kdbl(struct out *o, const char *key, int known, double v)
{
	put_key(o, key);
	if (known)
		put_dbl(o, v);
	else
		puts_(o, "null");
}

static void
put_ku64(struct out *o, const char *key, unsigned long long v)
{
	char	 buf[24];

	put_key(o, key);
	snprintf(buf, sizeof(buf), "%llu", v);
	puts_(o, buf);
}

static void
put_candidate(struct out *o, const struct tg_candidate *c, int first)
{
	put(o, first ? "{\"model\":" : ",{\"model\":", first ? 9 : 10);
	put_str(o, c->model != NULL ? c->model : "");
	put_kdbl(o, "quality", c->has_quality, c->quality);
	put_key(o, "priced");
	puts_(o, c->priced ? "true" : "false");
	put_kdbl(o, "price_in", c->priced, c->price_in);
	put_kdbl(o, "price_out", c->priced, c->price_out);
	put_kdbl(o, "est_cost", c->priced, c->est_cost);
	put(o, "}", 1);
}

static void
put_time(struct out *o, time_t t)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 buf[160];
	long		 ms = 0;

	/* struct tg_decision has whole seconds; take the milliseconds from the
	 * real clock only when it is still in that second. */
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec == t)
		ms = ts.tv_nsec / 1000000;
	gmtime_r(&t, &tm);
	snprintf(buf, sizeof(buf), "{\"v\":1,\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\","
	    "\"ts\":%lld.%03ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, ms, (long long)t, ms);
	puts_(o, buf);
}

static void
put_body(struct out *o, const struct tg_decision *d)
{
	size_t	 i;
	char	 buf[48];

	put_time(o, d->time);
	put_kstr(o, "request_id", d->request_id != NULL ? d->request_id : "");
	put_kstr(o, "api", d->api != NULL ? d->api : "");
	put_kstr(o, "router", d->router != NULL ? d->router : "");
	put_kstr(o, "tenant", d->tenant != NULL ? d->tenant : "");
	put_kstr(o, "class", d->request_class != NULL ? d->request_class : "");
	put_kdbl(o, "threshold", 1, d->threshold);
	if (d->min_confidence > 0)
		put_kdbl(o, "min_confidence", 1, d->min_confidence);
	if (d->has_confidence)
		put_kdbl(o, "confidence", 1, d->confidence);
	put_key(o, "candidates");
	put(o, "[", 1);
	for (i = 0; i < d->ncand && i < TG_MAX_CANDIDATES; i++)
		put_candidate(o, &d->cand[i], i == 0);
	put(o, "]", 1);
	put_kstr(o, "chosen", d->chosen);
	put_kstr(o, "model", d->model);
	put_kstr(o, "reason", d->reason != NULL ? d->reason : "");
	put_kstr(o, "fallback", d->fallback > 0 && d->fallback < TG_FB__MAX ?
	    fb_names[d->fallback] : NULL);
	put_kstr(o, "upstream_error", d->upstream_err > 0 && d->upstream_err < TG_UP__MAX ?
	    up_names[d->upstream_err] : NULL);
	put_ku64(o, "input_tokens", (unsigned long long)d->input_tokens);
	put_ku64(o, "output_tokens", (unsigned long long)d->output_tokens);
	put_ku64(o, "cache_read_tokens", (unsigned long long)d->cache_read_tokens);
	put_ku64(o, "cache_write_tokens", (unsigned long long)d->cache_write_tokens);
	put_kdbl(o, "cost", d->cost_known, d->cost);
	put_kstr(o, "cf_model", d->cf_model);
	put_kdbl(o, "cf_cost", d->cf_known, d->cf_cost);
	snprintf(buf, sizeof(buf), "%.3f", (double)d->upstream_us / 1000.0);
	put_key(o, "upstream_ms");
	puts_(o, buf);
	put_ku64(o, "overhead_us", (unsigned long long)d->overhead_us);
	snprintf(buf, sizeof(buf), ",\"status\":%d,\"attempts\":%d,\"interrupted\":%s",
	    d->status, d->attempts, d->interrupted ? "true" : "false");
	puts_(o, buf);
	put_kstr(o, "rejected", d->reject != TG_RJ_NONE ? tg_reject_name(d->reject) : NULL);
}

ssize_t
declog_format(const struct tg_decision *d, char *buf, size_t len)
{
	struct out	 o = { buf, 0, len, 0 };
	size_t		 mark;

	put_body(&o, d);
	mark = o.len;
	if (d->prompt != NULL) {
		put_kstr(&o, "prompt", d->prompt);
		if (o.full) {		/* too long: drop the prompt first */
			o.full = 0;
			o.len = mark;
		}
	}
	put(&o, "}\n", 2);
	return o.full ? -1 : (ssize_t)o.len;
}

/* --- writing --------------------------------------------------------- */

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
declog_append(struct declog *dl, const char *line, size_t len)
{
	if (len == 0 || line[len - 1] != '\n') {
		errno = EINVAL;
		return -1;
	}
	return write_all(dl->fd, line, len);
}

int
declog_write(struct declog *dl, const struct tg_decision *d)
{
	char	*buf;
	ssize_t	 n;
	int	 rc = -1;

	if ((buf = malloc(DECLOG_MAX_LINE)) == NULL)
		return -1;
	if ((n = declog_format(d, buf, DECLOG_MAX_LINE)) < 0)
		errno = E2BIG;
	else
		rc = write_all(dl->fd, buf, (size_t)n);
	free(buf);
	return rc;
}

off_t
declog_size(const struct declog *dl)
{
	struct stat	 sb;

	return fstat(dl->fd, &sb) == 0 ? sb.st_size : -1;
}

/* Search fd from `from` for needle, reading 64 KiB at a time with an
 * overlap so that a needle across two reads is found. */
static int
find_from(int fd, off_t from, const char *needle)
{
	char		*buf;
	size_t		 nl = strlen(needle), have = 0;
	ssize_t		 n;
	int		 found = 0;

	if ((buf = malloc(DECLOG_MAX_LINE + nl)) == NULL)
		return -1;
	while (!found && (n = pread(fd, buf + have, DECLOG_MAX_LINE, from)) > 0) {
		from += n;
		have += (size_t)n;
		found = memmem(buf, have, needle, nl) != NULL;
		if (have > nl) {
			memmove(buf, buf + have - nl, nl);
			have = nl;
		}
	}
	free(buf);
	return found;
}

int
declog_find_request(const char *path, off_t from, const char *request_id)
{
	struct stat	 sb;
	char		 needle[128];
	int		 fd, rc;

	if (request_id == NULL || strlen(request_id) > 64 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	snprintf(needle, sizeof(needle), "\"request_id\":\"%s\"", request_id);
	if (fstat(fd, &sb) == 0 && sb.st_size < from)
		from = 0;
	rc = find_from(fd, from, needle);
	close(fd);
	return rc;
}

/* --- parsing --------------------------------------------------------- */

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static uint64_t
ju64(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	if (json_is_integer(v) && json_integer_value(v) > 0)
		return (uint64_t)json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) > 0)
		return (uint64_t)llround(json_real_value(v));
	return 0;
}

/* 1 and *out set when key holds a number, else 0. */
static int
jnum(json_t *o, const char *key, double *out)
{
	json_t	*v = json_object_get(o, key);

	if (!json_is_number(v))
		return 0;
	*out = json_number_value(v);
	return 1;
}

static int
name_index(const char *const *names, int n, const char *s)
{
	int	 i;

	for (i = 1; s != NULL && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return 0;
}

static void
parse_candidates(json_t *arr, struct tg_decision *d)
{
	struct tg_candidate	*c;
	json_t			*e;
	size_t			 i;

	json_array_foreach(arr, i, e) {
		if (d->ncand >= TG_MAX_CANDIDATES || !json_is_object(e))
			break;
		c = &d->cand[d->ncand++];
		c->model = jstr(e, "model") != NULL ? jstr(e, "model") : "";
		c->has_quality = jnum(e, "quality", &c->quality);
		c->priced = json_is_true(json_object_get(e, "priced"));
		jnum(e, "price_in", &c->price_in);
		jnum(e, "price_out", &c->price_out);
		jnum(e, "est_cost", &c->est_cost);
	}
}

/* "rejected", or for a line written before that key existed: refused when
 * no model was tried and the answer was an error. */
static enum tg_reject
declog_parse_reject(json_t *o, const struct tg_decision *d)
{
	json_t		*v = json_object_get(o, "rejected");
	enum tg_reject	 r;

	if (v != NULL && !json_is_string(v))
		return TG_RJ_NONE;
	if (v != NULL)		/* a reason this build does not know is still one */
		return (r = tg_reject_parse(json_string_value(v))) != TG_RJ_NONE ?
		    r : TG_RJ_UNRECORDED;
	if (d->model == NULL && d->attempts == 0 && d->upstream_err == TG_UP_OK &&
	    d->status >= 400)
		return TG_RJ_UNRECORDED;
	return TG_RJ_NONE;
}

/* Past any time a decision can carry (year 33658) and well inside time_t. */
#define DECLOG_MAX_TS	1e12

int
declog_parse(json_t *o, struct tg_decision *d)
{
	double	 ts = 0, ms = 0;
	json_t	*v;

	memset(d, 0, sizeof(*d));
	/* ts is Unix seconds when tiergate wrote the line; a value outside
	 * [0, DECLOG_MAX_TS) is not one, and converting it to time_t would be
	 * undefined behaviour (found by tests/fuzz/fuzz_declog). */
	if (!json_is_object(o) || json_integer_value(json_object_get(o, "v")) != 1 ||
	    !jnum(o, "ts", &ts) || !(ts >= 0 && ts < DECLOG_MAX_TS))
		return -1;
	d->time = (time_t)floor(ts);
	d->request_id = jstr(o, "request_id");
	d->api = jstr(o, "api");
	d->router = jstr(o, "router") != NULL ? jstr(o, "router") : "";
	d->tenant = jstr(o, "tenant") != NULL ? jstr(o, "tenant") : "";
	d->request_class = jstr(o, "class") != NULL ? jstr(o, "class") : "";
	jnum(o, "threshold", &d->threshold);
	jnum(o, "min_confidence", &d->min_confidence);
	d->has_confidence = jnum(o, "confidence", &d->confidence);
	parse_candidates(json_object_get(o, "candidates"), d);
	d->chosen = jstr(o, "chosen");
	d->model = jstr(o, "model");
	d->reason = jstr(o, "reason");
	d->fallback = (enum tg_fallback)name_index(fb_names, TG_FB__MAX, jstr(o, "fallback"));
	d->upstream_err = (enum tg_upstream_err)name_index(up_names, TG_UP__MAX,
	    jstr(o, "upstream_error"));
	d->input_tokens = ju64(o, "input_tokens");
	d->output_tokens = ju64(o, "output_tokens");
	d->cache_read_tokens = ju64(o, "cache_read_tokens");
	d->cache_write_tokens = ju64(o, "cache_write_tokens");
	d->cost_known = jnum(o, "cost", &d->cost);
	d->cf_model = jstr(o, "cf_model");
	d->cf_known = jnum(o, "cf_cost", &d->cf_cost);
	if (jnum(o, "upstream_ms", &ms) && ms > 0)
		d->upstream_us = (uint64_t)llround(ms * 1000.0);
	d->overhead_us = ju64(o, "overhead_us");
	v = json_object_get(o, "status");
	d->status = (int)json_integer_value(v);
	d->attempts = (int)json_integer_value(json_object_get(o, "attempts"));
	d->interrupted = json_is_true(json_object_get(o, "interrupted"));
	d->prompt = jstr(o, "prompt");
	d->reject = declog_parse_reject(o, d);
	return 0;
}

/* --- scanning -------------------------------------------------------- */

#define SCAN_WINDOW	(2 * DECLOG_MAX_LINE)
#define LINE_MARK	"{\"v\":1,\"time\":\""

/*
 * A writer killed in the middle of write(2) can leave a torn line without
 * its '\n'; the next writer's line is then glued to it.  Every line starts
 * with LINE_MARK, which cannot occur unescaped inside a JSON string, so
 * deliver the text from the last LINE_MARK on and the fragment is dropped.
 */
static int
deliver(const char *line, size_t len, off_t off, declog_line_fn fn, void *arg)
{
	const char	*p, *last = NULL;
	size_t		 ml = strlen(LINE_MARK);

	for (p = line; (p = memmem(p, len - (size_t)(p - line), LINE_MARK, ml)) != NULL; p++)
		last = p;
	if (last != NULL && last != line) {
		off += last - line;
		len -= (size_t)(last - line);
		line = last;
	}
	return fn(line, len, off, arg);
}

static int
pread_all(int fd, char *buf, size_t len, off_t off)
{
	ssize_t	 n;

	while (len > 0) {
		n = pread(fd, buf, len, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/*
 * Deliver the complete lines of buf[0..n) (file offset ws) from the end.
 * Returns the relative offset where unread data ends (a line start), or
 * -1 if fn asked to stop.
 */
static ssize_t
scan_window(const char *buf, size_t n, off_t ws, declog_line_fn fn, void *arg)
{
	const char	*q;
	size_t		 p = n, s;

	if (p > 0 && buf[p - 1] != '\n') {	/* trailing partial line */
		q = memrchr(buf, '\n', p);
		p = q != NULL ? (size_t)(q - buf) + 1 : (ws == 0 ? 0 : p);
		if (q == NULL && ws != 0)
			return 0;		/* line longer than a window: skip */
	}
	while (p > 0) {
		q = p >= 2 ? memrchr(buf, '\n', p - 1) : NULL;
		if (q != NULL)
			s = (size_t)(q - buf) + 1;
		else if (ws == 0)
			s = 0;
		else
			break;
		if (deliver(buf + s, p - s - 1, ws + (off_t)s, fn, arg) != 0)
			return -1;
		p = s;
	}
	return (ssize_t)p;
}

int
declog_scan_back(const char *path, off_t before, declog_line_fn fn, void *arg,
    char *err, size_t errlen)
{
	struct stat	 sb;
	char		*buf = NULL;
	off_t		 e, ws;
	ssize_t		 p;
	int		 fd = -1, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &sb) == -1 ||
	    (buf = malloc(SCAN_WINDOW)) == NULL) {
		snprintf(err, errlen, "decision log %s: %s", path, strerror(errno));
		goto fail;
	}
	e = before >= 0 && before < sb.st_size ? before : sb.st_size;
	while (e > 0) {
		ws = e > SCAN_WINDOW ? e - SCAN_WINDOW : 0;
		if (pread_all(fd, buf, (size_t)(e - ws), ws) == -1) {
			snprintf(err, errlen, "decision log %s: read failed", path);
			goto fail;
		}
		if ((p = scan_window(buf, (size_t)(e - ws), ws, fn, arg)) < 0)
			break;
		e = p == e - ws ? ws : ws + p;	/* no full line: skip the long one */
	}
	rc = 0;
fail:
	free(buf);
	if (fd != -1)
		close(fd);
	return rc;
}

int
declog_scan(const char *path, declog_line_fn fn, void *arg, char *err, size_t errlen)
{
	FILE	*f;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;
	off_t	 off = 0;
	int	 rc = 0;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "decision log %s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n' && n <= SCAN_WINDOW &&
		    deliver(line, (size_t)n - 1, off, fn, arg) != 0)
			break;
		off += n;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "decision log %s: read failed", path);
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}
