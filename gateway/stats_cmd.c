/*
 * stats_cmd.c - `tiergate stats rebuild|show`: operator commands on the
 * shared stats file (see docs/admin-api.md, "Operating the stats file").
 *
 *   tiergate stats rebuild (--stats FILE | --config CONF) LOG...
 *	Build a fresh stats file from decision logs (oldest first) and move
 *	it over FILE.  The result equals the sums over the logs.
 *   tiergate stats show (--stats FILE | --config CONF) [--window W] [--at T] [--metrics]
 *	Print the /admin/api/stats document as of now (or Unix time T), or
 *	the /metrics text.
 */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "declog.h"
#include "stats.h"
#include "stats_api.h"
#include "usage.h"

struct opts {
	const char	*stats;
	const char	*config;
	const char	*window;
	int		 metrics;
	time_t		 at;		/* --at: the document's "now" */
	struct tg_config *cfg;
};

/* Parse options after the verb; returns the index of the first operand,
 * or -1 after printing an error. */
static int
opts_parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "stats", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "window", required_argument, NULL, 'w' },
		{ "metrics", no_argument, NULL, 'm' },
		{ "at", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	char	 err[512];
	int	 ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":s:c:w:ma:", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': o->stats = optarg; break;
		case 'c': o->config = optarg; break;
		case 'w': o->window = optarg; break;
		case 'm': o->metrics = 1; break;
		case 'a': o->at = (time_t)strtoll(optarg, NULL, 10); break;
		default: tg_getopt_error("stats", ch, argv); return -1;
		}
	}
	if (o->stats == NULL && o->config != NULL) {
		if ((o->cfg = config_load(o->config, err, sizeof(err))) == NULL) {
			fprintf(stderr, "tiergate stats: %s\n", err);
			return -1;
		}
		o->stats = o->cfg->stats_path;
	}
	if (o->stats == NULL) {
		fprintf(stderr, "tiergate stats: no stats file (--stats, or stats_path in --config)\n");
		return -1;
	}
	return optind;
}

struct rebuild {
	struct stats	*st;
	unsigned long	 lines, bad;
};

static int
rebuild_line(const char *line, size_t len, off_t off, void *arg)
{
	struct rebuild		*rb = arg;
	struct tg_decision	 d;
	json_t			*o;

	(void)off;
	o = json_loadb(line, len, 0, NULL);
	if (o != NULL && declog_parse(o, &d) == 0) {
		stats_record(rb->st, &d, d.time);
		rb->lines++;
	} else
		rb->bad++;
	json_decref(o);
	return 0;
}

static int
stats_rebuild(const char *path, int nlogs, char **logs)
{
	struct rebuild	 rb = { NULL, 0, 0 };
	char		 tmp[4096], err[512];
	int		 i, rc = 1;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.rebuild.%ld", path, (long)getpid()) >=
	    sizeof(tmp)) {
		fprintf(stderr, "tiergate stats: path too long\n");
		return 1;
	}
	unlink(tmp);
	if ((rb.st = stats_open(tmp, err, sizeof(err))) == NULL) {
		fprintf(stderr, "tiergate stats: %s\n", err);
		return 1;
	}
	for (i = 0; i < nlogs; i++)
		if (declog_scan(logs[i], rebuild_line, &rb, err, sizeof(err)) == -1) {
			fprintf(stderr, "tiergate stats: %s\n", err);
			goto fail;
		}
	if (rename(tmp, path) == -1) {
		fprintf(stderr, "tiergate stats: rename %s: %s\n", path, strerror(errno));
		goto fail;
	}
	printf("rebuilt %s from %lu decision(s), %lu line(s) skipped, %llu bucket update(s) dropped\n",
	    path, rb.lines, rb.bad, (unsigned long long)stats_dropped(rb.st));
	rc = 0;
fail:
	stats_close(rb.st);
	if (rc != 0)
		unlink(tmp);
	return rc;
}

static int
stats_show(struct opts *o)
{
	struct stats	*st;
	char		 err[512], *text;
	size_t		 len;
	json_t		*doc = NULL;
	int		 rc = 1;

	if ((st = stats_open(o->stats, err, sizeof(err))) == NULL) {
		fprintf(stderr, "tiergate stats: %s\n", err);
		return 1;
	}
	if (o->metrics) {
		if ((text = metrics_text(st, &len)) != NULL && fwrite(text, 1, len, stdout) == len)
			rc = 0;
		free(text);
	} else if ((doc = stats_api_stats(st, o->window, o->at > 0 ? o->at : time(NULL), NULL, NULL,
	    err, sizeof(err))) == NULL)
		fprintf(stderr, "tiergate stats: %s\n", err);
	else if (json_dumpf(doc, stdout, JSON_INDENT(2)) == 0) {
		putchar('\n');
		rc = 0;
	}
	json_decref(doc);
	stats_close(st);
	return rc;
}

int
stats_cmd(int argc, char **argv)
{
	struct opts	 o;
	int		 first, rebuild, rc = 2;

	memset(&o, 0, sizeof(o));
	if (argc < 2)
		return tg_usage_error("stats", "missing subcommand (show or rebuild)");
	rebuild = strcmp(argv[1], "rebuild") == 0;
	if (!rebuild && strcmp(argv[1], "show") != 0)
		return tg_usage_error("stats", "unknown subcommand '%s' (show or "
		    "rebuild)", argv[1]);
	if ((first = opts_parse(argc - 1, argv + 1, &o)) < 0)
		goto done;
	first++;		/* index into argv */
	if (rebuild && first < argc)
		rc = stats_rebuild(o.stats, argc - first, argv + first);
	else if (rebuild)
		tg_usage_error("stats", "rebuild: missing LOG");
	else if (first == argc)
		rc = stats_show(&o);
	else
		tg_usage_error("stats", "show: unexpected argument '%s'", argv[first]);
done:
	config_free(o.cfg);
	return rc;
}
