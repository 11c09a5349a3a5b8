/*
 * gateway.h - the serving core: per-thread worker state and the commands
 * implemented in gateway/.
 */
#ifndef TG_GATEWAY_H
#define TG_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

struct tg_config;
struct tg_keyring;
struct bedrock_client;
struct policy;
struct stats;
struct declog;
struct pred_loader;
struct journal_slot;

/* Everything one worker thread owns.  Nothing in here is shared between
 * threads except what the pointers to shared state say (cfg, keys, stats,
 * declog are shared and thread-safe or read-only). */
struct tg_worker {
	int			 id;
	const struct tg_config	*cfg;
	struct tg_keyring	*keys;		/* shared, reloaded on change; NULL: none */
	struct bedrock_client	*bedrock;	/* own CURL handle, reused connections */
	struct policy		**policies;	/* one Lua state per router, this thread only */
	struct stats		*stats;		/* shared mapping, or NULL */
	struct declog		*declog;	/* shared append-only log, or NULL */
	struct pred_loader	*pred;		/* shared, thread-safe */
	struct journal_slot	*jslot;		/* this thread's, or NULL (CGI, no records) */
};

struct tg_req;

/* Answer one request (dispatch.c). */
void		gw_dispatch(struct tg_req *);
const char	*gw_predictor_version(struct tg_worker *);
const char	*gw_policy_version(struct tg_worker *);

int	gw_cmd_serve(int, char **);
int	gw_cmd_check_config(int, char **);

#endif
