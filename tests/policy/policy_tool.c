/*
 * policy_tool.c - the policy commands without the rest of the gateway, so
 * that `make check` can test them before and apart from the tiergate
 * binary:  policy_tool policy check|test ...  |  policy_tool replay ...
 * Same entry points as tiergate(8) dispatches to.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "policy.h"

int
main(int argc, char **argv)
{
	log_open("-", LOG_LVL_WARN);
	if (argc >= 2 && strcmp(argv[1], "policy") == 0)
		return policy_cmd(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "replay") == 0)
		return policy_cmd_replay(argc - 1, argv + 1);
	fprintf(stderr, "usage: policy_tool policy check|test ... | replay ...\n");
	return 2;
}
