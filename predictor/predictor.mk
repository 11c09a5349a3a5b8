# predictor/predictor.mk - the quality predictor: features, tree-ensemble
# runtime (JSON interpreter, compiled models, .so loading and reload),
# `tiergate train` (XGBoost, optional) and `tiergate compile-model`, the
# shipped routing data and the default model compiled into the binary.

noinst_LIBRARIES += libpred.a
libpred_a_SOURCES = \
	predictor/pred.h predictor/pred_feat.h predictor/pred_impl.h \
	predictor/features.c predictor/model.c predictor/loader.c \
	predictor/default.c predictor/exclude.c predictor/train.c predictor/train_shared.c \
	predictor/train_impl.h predictor/compile.c
nodist_libpred_a_SOURCES = predictor/default_model.c
libpred_a_CPPFLAGS = $(AM_CPPFLAGS) $(XGBOOST_CFLAGS)
# libpred needs -ldl (in LIBS via configure) and, for train.c, XGBoost.
TG_MODULE_LIBS += libpred.a $(XGBOOST_LIBS)

# The generator, built without the gateway, runs at build time.
noinst_PROGRAMS += predictor/tg-compile-model
predictor_tg_compile_model_SOURCES = predictor/tg-compile-model.c \
	predictor/compile.c predictor/model.c gateway/usage.c
predictor_tg_compile_model_LDADD = $(JANSSON_LIBS) $(CRYPTO_LIBS) $(LIBS)

# The default model, compiled into the binary.  Generated, never edited.
PRED_DEFAULT_JSON = $(srcdir)/predictor/models/default.json
predictor/default_model.c: $(PRED_DEFAULT_JSON) predictor/tg-compile-model$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) predictor && \
	./predictor/tg-compile-model$(EXEEXT) $(PRED_DEFAULT_JSON) \
	    --name pred_default_compiled -o $@
BUILT_SOURCES += predictor/default_model.c
CLEANFILES += predictor/default_model.c

dist_noinst_DATA += predictor/models/default.json \
	predictor/data/mmlu.jsonl predictor/data/dcrouter.jsonl \
	predictor/data/README.md predictor/data/LICENSES/RouteLLM-Apache-2.0.txt \
	predictor/data/LICENSES/LLMRouter-MIT.txt \
	predictor/data/alpacaeval.jsonl predictor/data/excluded-sources.txt \
	predictor/data/LICENSES/alpaca_eval-Apache-2.0.txt predictor/models/default.args
EXTRA_DIST += predictor/FEATURES.md predictor/README-training.md

if HAVE_CUNIT
check_PROGRAMS += tests/unit/test_features tests/unit/test_model
TESTS += tests/unit/test_features tests/unit/test_model
tests_unit_test_features_SOURCES = tests/unit/test_features.c
tests_unit_test_features_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_features_LDADD = libpred.a libtgcore.a $(CUNIT_LIBS) $(TG_SYSLIBS)
tests_unit_test_model_SOURCES = tests/unit/test_model.c
tests_unit_test_model_CPPFLAGS = $(AM_CPPFLAGS) $(XGBOOST_CFLAGS)
tests_unit_test_model_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_model_LDADD = libpred.a libtgcore.a $(XGBOOST_LIBS) $(CUNIT_LIBS) $(TG_SYSLIBS)
endif

# train / compile-model / predict end to end through the binary.
TESTS += tests/predictor/cli.sh tests/predictor/shared.sh
dist_noinst_SCRIPTS += tests/predictor/cli.sh tests/predictor/shared.sh
EXTRA_DIST += tests/predictor/fixtures/shared.jsonl
