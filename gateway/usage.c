/*
 * usage.c - the synopsis of every command (usage.h).  Plain data: linked
 * into the build-time model compiler as well as the binary.
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "usage.h"

const struct tg_command_doc tg_command_docs[] = {
	{ "serve", "serve FastCGI (the default) or one CGI request",
	    "tiergate [serve] [-c CONFIG] [--listen ADDR] [--threads N]\n"
	    "           [--user NAME | --allow-root]",
	    "tiergate(8), tiergate.conf(5)" },
	{ "check-config", "validate a config file, its keys file and policies",
	    "tiergate check-config FILE",
	    "tiergate(8), tiergate.conf(5)" },
	{ "keygen", "mint a client API key or SigV4 key pair",
	    "tiergate keygen TENANT [--sigv4]",
	    "tiergate-keys(5)" },
	{ "policy", "check or test a routing policy (tiergate-policy(7))",
	    "tiergate policy check [--config CONF] [--memory BYTES] [--instructions N] FILE...\n"
	    "       tiergate policy test [--config CONF] [--memory BYTES] [--instructions N]\n"
	    "           FILE CASES...",
	    "tiergate-policy(7)" },
	{ "replay", "what-if: re-decide a decision log with a policy",
	    "tiergate replay --policy FILE [--threshold X] [--router ID] [--config CONF]\n"
	    "           [--json] DECISIONS.jsonl...",
	    "tiergate-policy(7)" },
	{ "stats", "show or rebuild the shared request statistics",
	    "tiergate stats show (--stats FILE | --config CONF) [--window 1h|24h|7d|30d]\n"
	    "           [--at UNIXTIME] [--metrics]\n"
	    "       tiergate stats rebuild (--stats FILE | --config CONF) LOG...",
	    "tiergate-stats(8)" },
	{ "train", "train a quality predictor with XGBoost",
	    "tiergate train --data FILE.jsonl [--data ...] --out MODEL.json\n"
	    "    [--seed N] [--rounds N] [--depth N] [--eta X] [--dev-frac X]\n"
	    "    [--subsample X] [--colsample X] [--min-child X] [--lambda X]\n"
	    "    [--alpha X] [--gamma X] [--threads N] [--models a,b,...]\n"
	    "    [--final all|train] [--name NAME] [--xgb-dir DIR] [--dev-preds FILE]\n"
	    "    [--dev-groups SOURCE,...] [--exclude-sources PREFIX,...] [--exclude-file FILE]\n"
	    "    [--pairwise PREFIX,...] [--pairwise-weight X] [--shared-rounds N]\n"
	    "    [--head-rounds N] [--dump-targets FILE]",
	    "predictor/README-training.md" },
	{ "compile-model", "generate C for a trained predictor",
	    "tiergate compile-model MODEL.json -o OUT.c [--name SYMBOL]\n"
	    "       tiergate compile-model MODEL.json --so -o OUT.so   (runs $CC)",
	    "predictor/README-training.md" },
	{ "predict", "print predicted qualities for a data set",
	    "tiergate predict --data FILE.jsonl --pair WEAK,STRONG\n"
	    "           [--model MODEL.json|MODEL.so] [--sources PREFIX,...] [--dev-only] [--skip-bad]\n"
	    "           [--exclude-sources PREFIX,...] [--exclude-file FILE] [--strength NAME=S,...]",
	    "predictor/README.md" },
	{ "eval", "routing quality: APGR, CPT(50%), CPT(80%)",
	    "tiergate eval --data FILE.jsonl --pair WEAK,STRONG [--model MODEL.json|MODEL.so]\n"
	    "           [--price-ratio R] [--bins N] [--sources PREFIX,...] [--dev-only] [--json] [--skip-bad]\n"
	    "           [--exclude-sources PREFIX,...] [--exclude-file FILE] [--strength NAME=S,...]\n"
	    "       tiergate eval --calibrate SHARE --data FILE.jsonl --pair WEAK,STRONG [--model M] [--json]",
	    "predictor/README.md" },
};
const size_t tg_ncommand_docs = sizeof(tg_command_docs) / sizeof(tg_command_docs[0]);

const struct tg_command_doc *
tg_command_doc(const char *name)
{
	size_t	 i;

	for (i = 0; i < tg_ncommand_docs; i++)
		if (strcmp(tg_command_docs[i].name, name) == 0)
			return &tg_command_docs[i];
	return NULL;
}

void
tg_usage(FILE *f, const char *name)
{
	const struct tg_command_doc *d = tg_command_doc(name);

	if (d != NULL)
		fprintf(f, "usage: %s\n", d->synopsis);
}

int
tg_usage_error(const char *name, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "tiergate %s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	tg_usage(stderr, name);
	return 2;
}

int
tg_getopt_error(const char *name, int ch, char *const argv[])
{
	const char	*arg = optind > 0 ? argv[optind - 1] : "";

	if (strncmp(arg, "--", 2) != 0 && optopt != 0)
		return ch == ':' ?
		    tg_usage_error(name, "option '-%c' requires an argument", optopt) :
		    tg_usage_error(name, "unrecognized option '-%c'", optopt);
	if (ch == ':')
		return tg_usage_error(name, "option '%s' requires an argument", arg);
	if (optopt != 0)
		return tg_usage_error(name, "option '%.*s' takes no argument",
		    (int)strcspn(arg, "="), arg);
	return tg_usage_error(name, "unrecognized option '%s'", arg);
}
