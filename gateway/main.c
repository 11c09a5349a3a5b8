/*
 * main.c - the one tiergate binary: serve (FastCGI or CGI) by default,
 * or run one of the operator commands named by the first argument.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "gateway.h"
#include "policy.h"
#include "pred.h"
#include "stats.h"
#include "eval.h"
#include "usage.h"

struct command {
	const char	*name;		/* its synopsis and summary: usage.c */
	int		(*run)(int, char **);
};

static const struct command commands[] = {
	{ "serve",		gw_cmd_serve },
	{ "check-config",	gw_cmd_check_config },
	{ "keygen",		auth_cmd_keygen },
	{ "policy",		policy_cmd },
	{ "replay",		policy_cmd_replay },
	{ "stats",		stats_cmd },
	{ "train",		pred_cmd_train },
	{ "compile-model",	pred_cmd_compile_model },
	{ "predict",		pred_cmd_predict },
	{ "eval",		pred_cmd_eval },
};

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: tiergate [--version | --help | COMMAND [ARGS...]]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name,
		    tg_command_doc(commands[i].name)->summary);
	fprintf(f, "\nWithout a command tiergate serves requests; see tiergate(8).\n");
}

/* `--help` anywhere among a command's arguments (before a `--`): its
 * synopsis on stdout, exit 0, whatever else the line holds. */
static int
command_help(const struct command *c, int argc, char *argv[])
{
	const struct tg_command_doc *d = tg_command_doc(c->name);
	int	 i;

	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0) {
			printf("usage: %s\n\n%s.\nSee %s.\n", d->synopsis, d->summary, d->doc);
			return 1;
		}
	return 0;
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
		if (strcmp(argv[1], commands[i].name) == 0) {
			if (command_help(&commands[i], argc, argv))
				return 0;
			return commands[i].run(argc - 1, argv + 1);
		}
	fprintf(stderr, "tiergate: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
