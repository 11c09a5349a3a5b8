/*
 * policy_lib.h - private to the policy host: the `tiergate` helper
 * library for policies (gateway/policy_lib.c).
 */
#ifndef TG_POLICY_LIB_H
#define TG_POLICY_LIB_H

#include <stddef.h>

#include <lua.h>

#include "policy.h"

/*
 * The host's lookup: the facts behind the value at `idx` when it is the
 * ctx of the call in progress (candidates in ctx's order: cand[order[i]]),
 * else NULL.  Borrowed for the call.  Passed in rather than called by
 * name, so that this library depends on the host's header only, never on
 * policy.c.
 */
typedef const struct policy_facts *(*policy_facts_fn)(lua_State *, int idx,
		    const size_t **order);

/* Push the `tiergate` table, its Lua code compiled with the environment
 * at `env`; tiergate.bedrock uses `facts` for the fast path. */
void	policy_lib_push(lua_State *, int env, policy_facts_fn facts);

#endif
