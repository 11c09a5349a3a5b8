/*
 * journal.c - per-process journals of answers on their way out, and their
 * recovery after the process died.  See journal.h for the contract.
 *
 * A slot is written by its thread only, and read by another process only
 * once that thread's process is dead (its fcntl lock was free), so plain
 * stores suffice: the page cache of the shared mapping outlives the
 * process, and taking the lock orders the reader after the dead writer.
 * The state word goes FREE -> ARMED -> LOGGED -> FREE; the stats progress
 * word is stats_record_resume()'s.
 */
#include "autoconf.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "declog.h"
#include "journal.h"
#include "stats.h"

#define JOURNAL_MAGIC	"TGJRNL1\n"
#define JOURNAL_SUFFIX	".journal."

enum jstate {
	J_FREE = 0,	/* nothing on its way out */
	J_ARMED,	/* an answer is leaving: log and count it */
	J_LOGGED,	/* logged: count it (progress says how far) */
};

struct journal_slot {
	uint64_t	 state;		/* enum jstate */
	uint64_t	 log_off;	/* decision log size when armed */
	uint32_t	 progress;	/* stats_record_resume() */
	uint32_t	 line_len;
	uint64_t	 tokens[4];	/* input, output, cache read, cache write */
	double		 cost, cf_cost;
	int32_t		 cost_known, cf_known;
	int32_t		 status, interrupted;
	char		 line[DECLOG_MAX_LINE];	/* the decision, as logged */
};

struct jheader {
	char		 magic[8];
	uint64_t	 nslots;
	uint64_t	 slot_size;
	uint64_t	 pad;
};

struct journal {
	char		*path;
	int		 fd;
	struct jheader	*h;
	size_t		 size;
};

static size_t
journal_size(size_t nslots)
{
	return sizeof(struct jheader) + nslots * sizeof(struct journal_slot);
}

static struct journal_slot *
journal_slots(struct jheader *h)
{
	return (struct journal_slot *)(h + 1);
}

/* Take the write lock of the whole file without waiting: 0, or -1 when a
 * live process holds it (or on error). */
static int
journal_lock(int fd)
{
	struct flock	 fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	return fcntl(fd, F_SETLK, &fl);
}

static int
journal_map(struct journal *j, size_t nslots)
{
	void	*p;

	j->size = journal_size(nslots);
	if (ftruncate(j->fd, (off_t)j->size) != 0)
		return -1;
	p = mmap(NULL, j->size, PROT_READ | PROT_WRITE, MAP_SHARED, j->fd, 0);
	if (p == MAP_FAILED)
		return -1;
	j->h = p;
	memcpy(j->h->magic, JOURNAL_MAGIC, sizeof(j->h->magic));
	j->h->nslots = nslots;
	j->h->slot_size = sizeof(struct journal_slot);
	return 0;
}

struct journal *
journal_open(const char *base, size_t nslots, char *err, size_t errlen)
{
	struct journal	*j;
	char		 path[4096];

	snprintf(path, sizeof(path), "%s%s%ld", base, JOURNAL_SUFFIX, (long)getpid());
	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto fail;
	j->fd = -1;
	if ((j->path = strdup(path)) == NULL)
		goto fail;
	if ((j->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		goto fail;
	if (journal_lock(j->fd) != 0 || journal_map(j, nslots) != 0)
		goto fail;
	return j;
fail:
	snprintf(err, errlen, "journal %s: %s", path, strerror(errno));
	journal_close(j);
	return NULL;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->h != NULL)
		munmap(j->h, j->size);
	if (j->path != NULL && j->h != NULL)
		unlink(j->path);
	if (j->fd != -1)
		close(j->fd);
	free(j->path);
	free(j);
}

struct journal_slot *
journal_slot(struct journal *j, size_t i)
{
	return j != NULL && i < j->h->nslots ? &journal_slots(j->h)[i] : NULL;
}

void
journal_update(struct journal_slot *s, const struct tg_decision *d)
{
	s->tokens[0] = d->input_tokens;
	s->tokens[1] = d->output_tokens;
	s->tokens[2] = d->cache_read_tokens;
	s->tokens[3] = d->cache_write_tokens;
	s->cost = d->cost;
	s->cf_cost = d->cf_cost;
	s->cost_known = d->cost_known;
	s->cf_known = d->cf_known;
	s->status = d->status;
	s->interrupted = d->interrupted;
}

int
journal_arm(struct journal_slot *s, const struct tg_decision *d, off_t log_off)
{
	ssize_t	 n;

	if ((n = declog_format(d, s->line, sizeof(s->line))) < 0)
		return -1;
	s->line_len = (uint32_t)n;
	s->log_off = log_off > 0 ? (uint64_t)log_off : 0;
	s->progress = 0;
	journal_update(s, d);
	__atomic_store_n(&s->state, J_ARMED, __ATOMIC_RELEASE);
	return 0;
}

int
journal_armed(const struct journal_slot *s)
{
	return s != NULL && __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != J_FREE;
}

int
journal_account(struct journal_slot *s, const struct tg_decision *d, int as_armed,
    struct stats *st, struct declog *dl)
{
	int	 rc = 0;

	journal_update(s, d);
	if (dl != NULL && (as_armed ? declog_append(dl, s->line, s->line_len) :
	    declog_write(dl, d)) != 0)
		rc = -1;
	__atomic_store_n(&s->state, J_LOGGED, __ATOMIC_RELEASE);
	if (st != NULL)
		stats_record_resume(st, d, d->time, &s->progress);
	__atomic_store_n(&s->state, J_FREE, __ATOMIC_RELEASE);
	return rc;
}

/* --- recovery ---------------------------------------------------------- */

/* The armed decision, as its thread last knew it; borrows from *line,
 * which the caller json_decref()s. */
static int
journal_decision(const struct journal_slot *s, struct tg_decision *d, json_t **line)
{
	if (s->line_len > sizeof(s->line) ||
	    (*line = json_loadb(s->line, s->line_len, 0, NULL)) == NULL)
		return -1;
	if (declog_parse(*line, d) != 0)
		return -1;
	d->input_tokens = s->tokens[0];
	d->output_tokens = s->tokens[1];
	d->cache_read_tokens = s->tokens[2];
	d->cache_write_tokens = s->tokens[3];
	d->cost = s->cost;
	d->cf_cost = s->cf_cost;
	d->cost_known = s->cost_known;
	d->cf_known = s->cf_known;
	d->status = s->status;
	d->interrupted = s->interrupted;
	return 0;
}

/* Finish one slot of a dead process: what journal_account() did not. */
static int
journal_finish(struct journal_slot *s, struct stats *st, struct declog *dl)
{
	struct tg_decision	 d;
	json_t			*line = NULL;
	int			 rc = -1;

	if (journal_decision(s, &d, &line) != 0)
		goto done;
	if (dl != NULL && s->state == J_ARMED &&
	    declog_find_request(declog_path(dl), (off_t)s->log_off, d.request_id) == 0)
		declog_write(dl, &d);
	s->state = J_LOGGED;	/* in case this process dies too */
	if (st != NULL)
		stats_record_resume(st, &d, d.time, &s->progress);
	rc = 0;
done:
	s->state = J_FREE;
	json_decref(line);
	return rc;
}

/* Recover one journal file if its owner is dead; the number finished. */
static int
journal_recover_file(const char *path, struct stats *st, struct declog *dl)
{
	struct jheader	*h = MAP_FAILED;
	struct stat	 sb;
	size_t		 i;
	int		 fd, n = 0;

	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return 0;
	if (journal_lock(fd) != 0 || fstat(fd, &sb) != 0 ||
	    (size_t)sb.st_size < sizeof(*h))
		goto done;
	h = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED || memcmp(h->magic, JOURNAL_MAGIC, sizeof(h->magic)) != 0 ||
	    h->slot_size != sizeof(struct journal_slot) ||
	    journal_size(h->nslots) > (size_t)sb.st_size)
		goto done;
	for (i = 0; i < h->nslots; i++)
		if (journal_slots(h)[i].state != J_FREE &&
		    journal_finish(&journal_slots(h)[i], st, dl) == 0)
			n++;
	unlink(path);
done:
	if (h != MAP_FAILED)
		munmap(h, (size_t)sb.st_size);
	close(fd);
	return n;
}

int
journal_recover(const char *base, struct stats *st, struct declog *dl,
    char *err, size_t errlen)
{
	char		 dbuf[4096], bbuf[4096], name[4096], path[8192];
	const char	*dir;
	DIR		*dp;
	struct dirent	*e;
	size_t		 plen;
	int		 n = 0;

	/* POSIX dirname() and basename() may modify their argument. */
	snprintf(dbuf, sizeof(dbuf), "%s", base);
	snprintf(bbuf, sizeof(bbuf), "%s", base);
	dir = dirname(dbuf);
	snprintf(name, sizeof(name), "%s" JOURNAL_SUFFIX, basename(bbuf));
	plen = strlen(name);
	if ((dp = opendir(dir)) == NULL) {
		snprintf(err, errlen, "journal directory of %s: %s", base, strerror(errno));
		return -1;
	}
	while ((e = readdir(dp)) != NULL) {
		if (strncmp(e->d_name, name, plen) != 0 ||
		    strspn(e->d_name + plen, "0123456789") != strlen(e->d_name + plen))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n += journal_recover_file(path, st, dl);
	}
	closedir(dp);
	return n;
}
