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

struct command {
	const char	*name;
	int		(*run)(int, char **);
	const char	*summary;
};

static const struct command commands[] = {
	{ "serve",		gw_cmd_serve,		"serve FastCGI (the default) or one CGI request" },
	{ "check-config",	gw_cmd_check_config,	"validate a config file, its keys file and policies" },
	{ "keygen",		auth_cmd_keygen,	"mint a client API key or SigV4 key pair" },
	{ "policy",		policy_cmd,		"check or test a routing policy (tiergate-policy(7))" },
	{ "replay",		policy_cmd_replay,	"what-if: re-decide a decision log with a policy" },
	{ "stats",		stats_cmd,		"show or rebuild the shared request statistics" },
	{ "train",		pred_cmd_train,		"train a quality predictor with XGBoost" },
	{ "compile-model",	pred_cmd_compile_model,	"generate C for a trained predictor" },
	{ "predict",		pred_cmd_predict,	"print predicted qualities for a data set" },
	{ "eval",		pred_cmd_eval,		"routing quality: APGR, CPT(50%), CPT(80%)" },
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
