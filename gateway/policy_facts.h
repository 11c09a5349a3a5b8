/*
 * policy_facts.h - policy facts built from JSON (gateway/policy_facts.c)
 * and the small JSON getters the policy commands share.
 */
#ifndef TG_POLICY_FACTS_H
#define TG_POLICY_FACTS_H

#include <stddef.h>
#include <jansson.h>

#include "policy.h"

#define POLICY_FACTS_MAX_META	32

/* Storage behind one struct policy_facts built from JSON (borrowed). */
struct policy_facts_buf {
	struct policy_facts	 f;
	struct tg_candidate	 cand[TG_MAX_CANDIDATES];
	const char		*mkeys[POLICY_FACTS_MAX_META];
	const char		*mvals[POLICY_FACTS_MAX_META];
};

/*
 * Facts from a JSON object (a case's "facts" or a decision log line) into
 * fb.  Strings stay borrowed from `o`, which must outlive fb.  Returns 0,
 * or -1 with err set when the candidates are missing or malformed.
 */
int	policy_facts_from_json(const json_t *o, struct policy_facts_buf *fb,
	    char *err, size_t errlen);

/* The key under which replays sum spend: the UTC day of the line's "ts",
 * `who` ("tenant" or "router") and its name, tab-separated. */
void	policy_facts_spend_key(const json_t *line, const char *who, const char *name,
	    char *key, size_t len);

static inline const char *
pf_jstr(const json_t *o, const char *k, const char *dflt)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : dflt;
}

static inline double
pf_jnum(const json_t *o, const char *k, double dflt)
{
	json_t	*v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

static inline int
pf_jbool(const json_t *o, const char *k, int dflt)
{
	json_t	*v = json_object_get(o, k);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

#endif
