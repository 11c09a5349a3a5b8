/*
 * tg-compile-model.c - build-time helper: `tiergate compile-model` without
 * the gateway, so the build can generate default_model.c before the
 * tiergate binary exists.
 */
#include "autoconf.h"

#include "pred.h"

int
main(int argc, char **argv)
{
	return pred_cmd_compile_model(argc, argv);
}
