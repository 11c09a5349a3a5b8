/*
 * fuzz_features.c - libFuzzer harness for the predictor's feature
 * extraction (predictor/features.c), which reads every prompt a client
 * sends.
 *
 * The input is used twice: as JSON, through pred_features_converse() (any
 * object: the function promises never to fail on odd input), and as text,
 * through pred_features_prompt() with the input split at NUL bytes into
 * the prompt (passed in place, unterminated) and up to 8 earlier turns,
 * and pred_estimate_tokens().  Every
 * feature must be a finite number: the model's trees compare them.
 */
#include <assert.h>
#include <math.h>

#include <jansson.h>

#include "pred.h"
#include "fuzz.h"

#define FUZZ_TURNS	8

static void
fuzz_finite(const float *f)
{
	size_t	 i;

	for (i = 0; i < PRED_NFEATURES; i++)
		assert(isfinite(f[i]));
}

static void
fuzz_converse(const uint8_t *data, size_t size, float *f)
{
	json_t	*o;

	if ((o = json_loadb((const char *)data, size, 0, NULL)) == NULL)
		return;
	if (pred_features_converse(o, f) == 0)
		fuzz_finite(f);
	else
		assert(!json_is_object(o));
	json_decref(o);
}

/* The prompt is the text up to the first NUL; each later NUL-separated
 * piece is an earlier turn. */
static void
fuzz_prompt(const uint8_t *data, size_t size, float *f)
{
	const char	*turns[FUZZ_TURNS];
	char		*s = fuzz_cstr(data, size), *p;
	size_t		 plen = strlen(s), n = 0;

	/* p is at a NUL of the input (not the one fuzz_cstr() added) */
	for (p = s + plen; (size_t)(p - s) < size && n < FUZZ_TURNS; p += strlen(p))
		turns[n++] = ++p;
	/* the prompt is (pointer, length): pass the input itself, which has
	 * no NUL after it, so that ASan sees a read past the length */
	pred_features_prompt((const char *)data, plen, turns, n, f);
	fuzz_finite(f);
	(void)pred_estimate_tokens((const char *)data, size);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	float	*f;

	if ((f = calloc(PRED_NFEATURES, sizeof(*f))) == NULL)
		abort();
	fuzz_converse(data, size, f);
	fuzz_prompt(data, size, f);
	free(f);
	return 0;
}
