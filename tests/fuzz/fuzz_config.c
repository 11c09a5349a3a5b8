/*
 * fuzz_config.c - libFuzzer harness for the config loader
 * (gateway/config.c, with the error locator gateway/jsonpos.c).  The input
 * is written to a private temporary file and loaded with config_load(), as
 * `tiergate serve --config` and every reload do.
 *
 * A config that loads must be consistent (every router's models and
 * fallback index the model table, a router exists unless passthrough is
 * allowed); one that does not must say why, naming the file.
 */
#include <assert.h>

#include "config.h"
#include "fuzz.h"

static void
fuzz_check(const struct tg_config *cfg)
{
	size_t	 i, j;

	assert(cfg->nrouters > 0 || cfg->passthrough != TG_PT_NONE);
	for (i = 0; i < cfg->nrouters; i++) {
		assert(cfg->routers[i].id != NULL && cfg->routers[i].nmodels > 0);
		assert(cfg->routers[i].fallback < cfg->nmodels);
		for (j = 0; j < cfg->routers[i].nmodels; j++)
			assert(cfg->routers[i].models[j] < cfg->nmodels);
		assert(config_router(cfg, cfg->routers[i].id) != NULL);
	}
	for (i = 0; i < cfg->nmodels; i++)
		assert(config_model_index(cfg, cfg->models[i].id) >= 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_config	*cfg;
	char			 path[4096], err[1024] = "";

	fuzz_file(data, size, ".json", path, sizeof(path));
	if ((cfg = config_load(path, err, sizeof(err))) != NULL) {
		fuzz_check(cfg);
		config_free(cfg);
	} else
		assert(strncmp(err, path, strlen(path)) == 0);
	fuzz_file_done(path);
	return 0;
}
