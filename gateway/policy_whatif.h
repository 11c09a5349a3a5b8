/*
 * policy_whatif.h - a router's own policy as the admin what-if's replayer
 * (gateway/policy_whatif.c; the interface is struct stats_whatif_policy of
 * stats_api.h, so that the stats module needs no Lua).
 */
#ifndef TG_POLICY_WHATIF_H
#define TG_POLICY_WHATIF_H

#include <stddef.h>

#include "stats_api.h"

/* Open a fresh state of router rt's policy into *out.  Returns 0, or -1
 * with the load error in err.  Close with policy_whatif_close(). */
int	policy_whatif_open(const struct tg_config *, const struct tg_router *rt,
	    struct stats_whatif_policy *out, char *err, size_t errlen);
void	policy_whatif_close(struct stats_whatif_policy *);

#endif
