/*
 * policy_lib.h - private to the policy host: the `tiergate` helper
 * library for policies (gateway/policy_lib.c).
 */
#ifndef TG_POLICY_LIB_H
#define TG_POLICY_LIB_H

#include <lua.h>

void	policy_lib_push(lua_State *, int env);

#endif
