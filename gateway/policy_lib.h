/*
 * policy_lib.h - private to the policy host: the `tiergate` helper
 * library for policies (gateway/policy_lib.c).
 */
#ifndef TG_POLICY_LIB_H
#define TG_POLICY_LIB_H

#include <stddef.h>

#include <lua.h>

#include "policy.h"

void	policy_lib_push(lua_State *, int env);

/*
 * Provided by policy.c: the facts behind the value at `idx` when it is the
 * ctx of the call in progress (candidates in ctx's order: cand[order[i]]),
 * else NULL.  Borrowed for the call.
 */
const struct policy_facts *policy_ctx_facts(lua_State *, int idx,
		    const size_t **order);

#endif
