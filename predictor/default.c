/*
 * default.c - the model compiled into the binary.  The descriptor comes
 * from default_model.c, generated at build time by tg-compile-model from
 * predictor/models/default.json.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "pred_impl.h"

extern const struct pred_compiled pred_default_compiled;

static struct pred_model	default_model;
static pthread_once_t		default_once = PTHREAD_ONCE_INIT;

static void
default_init(void)
{
	char msg[256];

	/* The generator and this build share pred.h: a mismatch is a build bug. */
	if (pred_model_wrap(&pred_default_compiled, &default_model, msg, sizeof(msg)) != PRED_OK) {
		fprintf(stderr, "tiergate: built-in model is invalid: %s\n", msg);
		abort();
	}
	default_model.is_static = 1;
}

const struct pred_model *
pred_model_default(void)
{
	pthread_once(&default_once, default_init);
	return &default_model;
}
