/*
 * log.h - the operational log (not the decision log).
 *
 * One line per event, written with a single write(2) so lines from several
 * threads and processes never interleave.  Callers must never pass secrets
 * (keys, tokens, signatures) in the message: nothing here can redact them.
 */
#ifndef TG_LOG_H
#define TG_LOG_H

enum log_level {
	LOG_LVL_ERR = 0,	/* something failed and was not retried */
	LOG_LVL_WARN,		/* degraded but served (fallback, rejected reload) */
	LOG_LVL_INFO,		/* start-up, reloads, shutdown */
	LOG_LVL_DEBUG,		/* per-request detail, off by default */
};

/* Send the log to `path` (appended), or to stderr when path is NULL or "-".
 * Returns 0, or -1 with errno set. */
int	log_open(const char *path, enum log_level);
/* Reopen the same path (after logrotate moved it). */
int	log_reopen(void);
void	log_msg(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
