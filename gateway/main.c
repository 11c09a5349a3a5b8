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
	const char	*synopsis;	/* for `tiergate COMMAND --help` */
	const char	*doc;		/* where the options are described */
};

static const struct command commands[] = {
	{ "serve", gw_cmd_serve,
	    "serve FastCGI (the default) or one CGI request",
	    "tiergate [serve] [-c CONFIG] [--listen ADDR] [--threads N]",
	    "tiergate(8), tiergate.conf(5)" },
	{ "check-config", gw_cmd_check_config,
	    "validate a config file, its keys file and policies",
	    "tiergate check-config FILE",
	    "tiergate(8), tiergate.conf(5)" },
	{ "keygen", auth_cmd_keygen,
	    "mint a client API key or SigV4 key pair",
	    "tiergate keygen TENANT [--sigv4]",
	    "tiergate-keys(5)" },
	{ "policy", policy_cmd,
	    "check or test a routing policy (tiergate-policy(7))",
	    "tiergate policy check FILE...\n"
	    "       tiergate policy test FILE CASES...",
	    "tiergate-policy(7)" },
	{ "replay", policy_cmd_replay,
	    "what-if: re-decide a decision log with a policy",
	    "tiergate replay --policy FILE [--threshold X] [--router ID] [--config CONF]\n"
	    "           [--json] DECISIONS.jsonl...",
	    "tiergate-policy(7)" },
	{ "stats", stats_cmd,
	    "show or rebuild the shared request statistics",
	    "tiergate stats show (--stats FILE | --config CONF) [--window 1h|24h|7d|30d]\n"
	    "           [--at UNIXTIME] [--metrics]\n"
	    "       tiergate stats rebuild (--stats FILE | --config CONF) LOG...",
	    "tiergate-stats(8)" },
	{ "train", pred_cmd_train,
	    "train a quality predictor with XGBoost",
	    "tiergate train --data FILE.jsonl [--data ...] --out MODEL.json\n"
	    "    [--seed N] [--rounds N] [--depth N] [--eta X] [--dev-frac X]\n"
	    "    [--subsample X] [--colsample X] [--min-child X] [--lambda X]\n"
	    "    [--alpha X] [--gamma X] [--threads N] [--models a,b,...]\n"
	    "    [--final all|train] [--name NAME] [--xgb-dir DIR] [--dev-preds FILE]\n"
	    "    [--dev-groups SOURCE,...]",
	    "predictor/README-training.md" },
	{ "compile-model", pred_cmd_compile_model,
	    "generate C for a trained predictor",
	    "tiergate compile-model MODEL.json -o OUT.c [--name SYMBOL]\n"
	    "       tiergate compile-model MODEL.json --so -o OUT.so   (runs $CC)",
	    "predictor/README.md" },
	{ "predict", pred_cmd_predict,
	    "print predicted qualities for a data set",
	    "tiergate predict --data FILE.jsonl --pair WEAK,STRONG\n"
	    "           [--model MODEL.json|MODEL.so] [--sources PREFIX,...] [--dev-only] [--skip-bad]",
	    "predictor/README.md" },
	{ "eval", pred_cmd_eval,
	    "routing quality: APGR, CPT(50%), CPT(80%)",
	    "tiergate eval --data FILE.jsonl --pair WEAK,STRONG [--model MODEL.json|MODEL.so]\n"
	    "           [--price-ratio R] [--bins N] [--sources PREFIX,...] [--dev-only] [--json] [--skip-bad]\n"
	    "       tiergate eval --calibrate SHARE --data FILE.jsonl --pair WEAK,STRONG [--model M] [--json]",
	    "predictor/README.md" },
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

/* `--help` anywhere among a command's arguments (before a `--`): its
 * synopsis on stdout, exit 0, whatever else the line holds. */
static int
command_help(const struct command *c, int argc, char *argv[])
{
	int	 i;

	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0) {
			printf("usage: %s\n\n%s.\nSee %s.\n", c->synopsis, c->summary, c->doc);
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
