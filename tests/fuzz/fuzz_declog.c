/*
 * fuzz_declog.c - libFuzzer harness for the decision-log reader
 * (gateway/declog.c): the input is written as a decision log and read the
 * way `tiergate stats rebuild` reads it (declog_scan(), each line through
 * json_loadb() and declog_parse() into stats_record() on a fresh stats
 * file, as stats_cmd.c's rebuild_line() does) and the way the admin API's
 * recent-decisions view reads it (declog_scan_back(), newest first).
 *
 * Both scans must deliver the same lines: a line is complete ('\n'), and
 * the text from its last line mark on is what is parsed.
 */
#include <assert.h>

#include <jansson.h>

#include "declog.h"
#include "stats.h"
#include "fuzz.h"

struct fuzz_scan {
	struct stats	*st;		/* NULL: only count */
	size_t		 lines;
	size_t		 bytes;
};

static int
fuzz_line(const char *line, size_t len, off_t off, void *arg)
{
	struct fuzz_scan	*s = arg;
	struct tg_decision	 d;
	json_t			*o;

	assert(off >= 0);
	s->lines++;
	s->bytes += len;
	if (s->st == NULL)
		return 0;
	o = json_loadb(line, len, 0, NULL);
	if (o != NULL && declog_parse(o, &d) == 0)
		stats_record(s->st, &d, d.time);
	json_decref(o);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_scan	 fwd = { NULL, 0, 0 }, back = { NULL, 0, 0 };
	char			 path[4096], spath[4200], err[512];

	fuzz_file(data, size, ".jsonl", path, sizeof(path));
	snprintf(spath, sizeof(spath), "%s.stats", path);
	if ((fwd.st = stats_open(spath, err, sizeof(err))) == NULL)
		abort();
	assert(declog_scan(path, fuzz_line, &fwd, err, sizeof(err)) == 0);
	assert(declog_scan_back(path, -1, fuzz_line, &back, err, sizeof(err)) == 0);
	assert(fwd.lines == back.lines && fwd.bytes == back.bytes);
	stats_close(fwd.st);
	unlink(spath);
	fuzz_file_done(path);
	return 0;
}
