/*
 * policy_pattern.h - tiergate's own Lua 5.4 pattern matching
 * (string.find, string.match, string.gmatch, string.gsub) for the policy
 * sandbox, with every unit of work charged to a step meter so that
 * matching, plain find included, is bounded by the policy's instruction
 * limit (gateway/policy_pattern.c).
 *
 * Semantics and error messages are those of the Lua 5.4 reference manual
 * (§6.4.1) and of the string library it describes; tests/unit/
 * test_pattern.c compares the two on random patterns.
 */
#ifndef TG_POLICY_PATTERN_H
#define TG_POLICY_PATTERN_H

#include <lua.h>

/*
 * The budget the matcher draws from.  Each step (one pattern item tried,
 * one subject byte scanned or compared) takes 1 from `left`; when `left`
 * goes below zero the matcher calls exhausted(), which must not return
 * (it raises a Lua error).  The meter is the caller's and must outlive
 * every function pat_install() registers with it.
 */
struct pat_meter {
	long long	 left;
	void		(*exhausted)(lua_State *, struct pat_meter *);
};

/*
 * Set find, match, gmatch and gsub in the table at index `lib` (the
 * string library) to the bounded versions, all charging `meter`.
 */
void	pat_install(lua_State *, int lib, struct pat_meter *meter);

/* Take `steps` from the meter; calls meter->exhausted(L, meter) when the
 * budget is spent.  For the host's other functions that scan text. */
void	pat_charge(struct pat_meter *, lua_State *, size_t steps);

#endif
