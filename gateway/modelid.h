/*
 * modelid.h - Bedrock's modelId grammar (gateway/modelid.c): the only
 * check a client's model id meets before anything else looks at it.
 */
#ifndef TG_MODELID_H
#define TG_MODELID_H

#include <stddef.h>

#define MODELID_MAX	2048	/* the service model's length limit */

enum modelid_kind {
	MODELID_INVALID = 0,	/* not in the grammar */
	MODELID_PLAIN,		/* model id, inference profile id or router id */
	MODELID_FOUNDATION_ARN,	/* ...::foundation-model/MODEL-ID (no account) */
	MODELID_PROFILE_ARN,	/* ...:ACCOUNT:inference-profile/PROFILE-ID */
	MODELID_ROUTER_ARN,	/* ...:ACCOUNT:(default-)prompt-router/ID */
	MODELID_OTHER_ARN,	/* custom, provisioned, imported, application
				 * profile, prompt, SageMaker endpoint */
};

struct modelid {
	enum modelid_kind kind;
	char		 region[21];	/* ARNs; "" otherwise */
	char		 account[13];	/* ARNs that name one; "" otherwise */
	const char	*resource;	/* borrowed: after the ARN's "type/", else the id */
};

/* Classify `id` (percent-decoded).  Returns 0, or -1 (out->kind
 * MODELID_INVALID) when it is not a Bedrock model id, profile or ARN. */
int	 modelid_parse(const char *id, struct modelid *out);

#endif
