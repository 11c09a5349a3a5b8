/*
 * declog.h - the decision log: one JSON line per request (format v1, see
 * docs/decision-log.md), appended by every worker of every process with a
 * single write(2) on an O_APPEND descriptor, plus the readers used by the
 * admin API and `tiergate stats rebuild`.
 */
#ifndef TG_DECLOG_H
#define TG_DECLOG_H

#include <sys/types.h>
#include <stddef.h>
#include <jansson.h>

#include "decision.h"

/* A line is at most this long; "prompt" is dropped first to fit. */
#define DECLOG_MAX_LINE	65536

struct declog;

/* Open (create, mode 0640) `path` for appending.  Returns NULL with a
 * message in err on failure.  Close with declog_close(). */
struct declog	*declog_open(const char *path, char *err, size_t errlen);
void		 declog_close(struct declog *);
const char	*declog_path(const struct declog *);

/*
 * Append d as one line.  Thread-safe; one write(2) per line, retried on
 * EINTR and continued after a partial write.  The prompt is written only
 * when d->prompt != NULL.  Returns 0, or -1 with errno set (E2BIG: the line
 * does not fit DECLOG_MAX_LINE even without the prompt).
 */
int		 declog_write(struct declog *, const struct tg_decision *);

/* Append a line declog_format() made ('\n' included), as declog_write()
 * would.  Returns 0, or -1 with errno set. */
int		 declog_append(struct declog *, const char *line, size_t len);

/*
 * Reopen the same path (after logrotate moved the file).  Call it from a
 * serving thread after the SIGHUP handler set a flag, never from the
 * handler.  Concurrent declog_write() calls go to the old or the new file,
 * never nowhere: the new descriptor replaces the old with dup2(2).
 * Returns 0, or -1 with errno set (the old file stays in use).
 */
int		 declog_reopen(struct declog *);

/* The log's size now (where the next line will start), or -1. */
off_t		 declog_size(const struct declog *);
/* Whether a line of request `request_id` starts at or after byte `from`
 * of the file at `path` (from 0 when the file is now shorter: rotated).
 * Returns 1 found, 0 not found, -1 when the file cannot be read. */
int		 declog_find_request(const char *path, off_t from, const char *request_id);

/* Format d as one line, '\n' included, into buf (>= DECLOG_MAX_LINE is
 * always enough).  Returns the length, or -1 if it does not fit. */
ssize_t		 declog_format(const struct tg_decision *, char *buf, size_t len);

/*
 * Fill d from a parsed v1 line; every string in d borrows from `line`,
 * which must outlive d.  Unknown keys are ignored.  Returns 0, or -1 when
 * the object is not a v1 decision line.
 */
int		 declog_parse(json_t *line, struct tg_decision *d);

/* Called for each line (without its '\n') at byte offset `off`; return
 * nonzero to stop the scan. */
typedef int	(*declog_line_fn)(const char *line, size_t len, off_t off, void *arg);

/*
 * Newest first: call fn for each complete line that ends at or before
 * `before` (a line-start offset; < 0: the end of the file).  Reads the file
 * backwards in bounded chunks; lines longer than 2 * DECLOG_MAX_LINE and a
 * trailing line without '\n' (a write in progress) are skipped.
 * Returns 0, or -1 with a message in err.
 */
int		 declog_scan_back(const char *path, off_t before, declog_line_fn fn,
		     void *arg, char *err, size_t errlen);

/* Oldest first, for rebuilds: every complete line of the file.  Lines over
 * 2 * DECLOG_MAX_LINE are skipped.  Returns 0, or -1 with a message. */
int		 declog_scan(const char *path, declog_line_fn fn, void *arg,
		     char *err, size_t errlen);

#endif
