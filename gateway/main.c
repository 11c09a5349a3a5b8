/*
 * main.c - the one tiergate binary: serve (FastCGI or CGI) by default,
 * or run one of the operator commands named by the first argument.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

struct command {
	const char	*name;
	int		(*run)(int, char **);
	const char	*summary;
};

static const struct command commands[] = {
	{ "serve",		gw_cmd_serve,		"serve FastCGI (the default) or one CGI request" },
	{ "check-config",	gw_cmd_check_config,	"validate a config file" },
};

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: tiergate [--version | --help | COMMAND [ARGS...]]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nWithout a command tiergate serves requests; see tiergate(8).\n");
}

int
main(int argc, char *argv[])
{
	size_t	 i;

	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
			printf("tiergate %s\n", PACKAGE_VERSION);
			return 0;
		}
		if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		return gw_cmd_serve(argc, argv);
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tiergate: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
