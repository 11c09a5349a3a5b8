/*
 * usage.h - one synopsis per command, shared by `tiergate --help`,
 * `tiergate COMMAND --help` and every command's usage error.
 */
#ifndef TG_USAGE_H
#define TG_USAGE_H

#include <stddef.h>
#include <stdio.h>

struct tg_command_doc {
	const char	*name;
	const char	*summary;	/* one line, for the command list */
	const char	*synopsis;	/* after "usage: ", may span lines */
	const char	*doc;		/* where the options are described */
};

extern const struct tg_command_doc tg_command_docs[];
extern const size_t tg_ncommand_docs;

/* The entry of command name, or NULL. */
const struct tg_command_doc *tg_command_doc(const char *name);
/* "usage: SYNOPSIS" and a newline on f. */
void	tg_usage(FILE *f, const char *name);

/* A usage error of command name, on stderr: "tiergate NAME: MESSAGE", then
 * the synopsis.  Returns 2, the exit status of every usage error. */
int	tg_usage_error(const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* The usage error for getopt_long()'s return ch ('?' or ':'), which the
 * caller asked to report itself (opterr = 0, optstring starting with ':',
 * after a '+' if any): an unknown option, a missing argument or an
 * argument given to an option that takes none.  Returns 2. */
int	tg_getopt_error(const char *name, int ch, char *const argv[]);

#endif
