/*
 * log.c - the operational log: one write(2) per line, so that threads and
 * worker processes appending to one file never interleave.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static pthread_mutex_t	 log_mtx = PTHREAD_MUTEX_INITIALIZER;
static int		 log_fd = STDERR_FILENO;
static char		*log_path;
static enum log_level	 log_max = LOG_LVL_INFO;

static const char *const log_names[] = { "error", "warning", "info", "debug" };

static int
log_open_fd(const char *path)
{
	if (path == NULL || strcmp(path, "-") == 0)
		return STDERR_FILENO;
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int
log_open(const char *path, enum log_level max)
{
	int	 fd;
	char	*copy = NULL;

	if ((fd = log_open_fd(path)) == -1)
		return -1;
	if (path != NULL && (copy = strdup(path)) == NULL) {
		if (fd != STDERR_FILENO)
			close(fd);
		return -1;
	}
	pthread_mutex_lock(&log_mtx);
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	free(log_path);
	log_fd = fd;
	log_path = copy;
	log_max = max;
	pthread_mutex_unlock(&log_mtx);
	return 0;
}

int
log_reopen(void)
{
	int	 fd, rc = 0;

	pthread_mutex_lock(&log_mtx);
	if (log_path != NULL && (fd = log_open_fd(log_path)) != -1) {
		if (log_fd != STDERR_FILENO)
			close(log_fd);
		log_fd = fd;
	} else if (log_path != NULL)
		rc = -1;
	pthread_mutex_unlock(&log_mtx);
	return rc;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	char		 line[2048];
	struct tm	 tm;
	time_t		 now;
	va_list		 ap;
	int		 n, m;

	if (lvl > log_max)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02dZ tiergate[%d]: %s: ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)getpid(), log_names[lvl]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;	/* truncated: keep one line */
	line[n++] = '\n';
	pthread_mutex_lock(&log_mtx);
	if (write(log_fd, line, n) < 0)
		(void)0;	/* nowhere left to report it */
	pthread_mutex_unlock(&log_mtx);
}
