# predictor/eval.mk - `tiergate predict` and `tiergate eval` (predict.c),
# RouteLLM's routing metrics (eval.c, pure), their tests and the predictor
# speed benchmark.  Included by Makefile.am after predictor/predictor.mk.

# eval.c has no dependencies, so its library may sit anywhere in
# TG_MODULE_LIBS; predict.c calls the predictor library, so it is linked
# as an object of the binary itself (objects come before all libraries).
noinst_LIBRARIES += libtgeval.a
libtgeval_a_SOURCES = predictor/eval.c predictor/eval.h
TG_MODULE_LIBS += libtgeval.a
tiergate_SOURCES += predictor/predict.c

if HAVE_CUNIT
check_PROGRAMS += tests/unit/test_eval
TESTS += tests/unit/test_eval
tests_unit_test_eval_SOURCES = tests/unit/test_eval.c
tests_unit_test_eval_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_eval_LDADD = libtgeval.a $(CUNIT_LIBS) -lm
endif

# Script tests of the commands on a hand-checked fixture; they run the
# built tiergate ($TIERGATE) and skip when jq is missing.
TESTS += tests/predictor-tools/predict-eval.sh
EXTRA_DIST += tests/predictor-tools/predict-eval.sh \
	tests/predictor-tools/structures.sh tests/predictor-tools/structures.py \
	tests/predictor-tools/export-features.c \
	tests/predictor-tools/fixture.jsonl tests/predictor-tools/dev-metrics.sh \
	tests/predictor-tools/loco-metrics.sh

# The predictor speed benchmark: built by `make check` so that it keeps
# compiling, never run by it (tests/bench/bench-predict.sh runs it).
check_PROGRAMS += tests/bench/bench_predict
tests_bench_bench_predict_SOURCES = tests/bench/bench_predict.c
tests_bench_bench_predict_CPPFLAGS = $(AM_CPPFLAGS) $(XGBOOST_CFLAGS)
tests_bench_bench_predict_LDADD = libpred.a libtgcore.a $(XGBOOST_LIBS) \
	$(TG_SYSLIBS) -lm
EXTRA_DIST += tests/bench/bench-predict.sh tests/bench/README.md \
	predictor/README.md
