/*
 * test_features.c - the prompt feature vector: determinism, hostile input,
 * the documented counts, and training/serving parity.
 */
#include "autoconf.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "pred.h"
#include "pred_feat.h"

static float fa[PRED_NFEATURES], fb[PRED_NFEATURES];

static void
prompt(const char *s, float *f)
{
	pred_features_prompt(s, strlen(s), NULL, 0, f);
}

static int
all_finite(const float *f)
{
	int i;

	for (i = 0; i < PRED_NFEATURES; i++)
		if (!isfinite(f[i]) || f[i] < 0)
			return 0;
	return 1;
}

static float
bucket_sum(const float *f, int from, int n)
{
	float s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += f[from + i];
	return s;
}

static json_t *
parse(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	return j;
}

static void
test_deterministic(void)
{
	const char *s = "Explain, step by step, why the sky is blue. Use 3 bullet points.";

	prompt(s, fa);
	prompt(s, fb);
	CU_ASSERT_EQUAL(memcmp(fa, fb, sizeof(fa)), 0);
	/* state from a different earlier call must not leak */
	prompt("completely different text 12345 ```code```", fb);
	prompt(s, fb);
	CU_ASSERT_EQUAL(memcmp(fa, fb, sizeof(fa)), 0);
}

static void
test_empty(void)
{
	pred_features_prompt("", 0, NULL, 0, fa);
	CU_ASSERT(all_finite(fa));
	CU_ASSERT_EQUAL(fa[F_CHARS], 0);
	CU_ASSERT_EQUAL(fa[F_TOKENS], 0);
	CU_ASSERT_EQUAL(fa[F_WORDS], 0);
	CU_ASSERT_EQUAL(fa[F_USER_TURNS], 1);
	pred_features_prompt(NULL, 5, NULL, 0, fb);
	CU_ASSERT_EQUAL(memcmp(fa, fb, sizeof(fa)), 0);
	CU_ASSERT_EQUAL(pred_estimate_tokens("", 0), 0);
	CU_ASSERT_EQUAL(pred_estimate_tokens(NULL, 10), 0);
}

/* 1 MB of pseudo-random bytes, NULs and broken UTF-8 included. */
static void
test_megabyte_garbage(void)
{
	size_t n = 1u << 20, i;
	uint32_t x = 12345;
	char *buf = malloc(n);

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (char)(x >> 16);
	}
	pred_features_prompt(buf, n, NULL, 0, fa);
	CU_ASSERT(all_finite(fa));
	CU_ASSERT_EQUAL(fa[F_CHARS], (float)n);
	CU_ASSERT(fa[F_INVALID_UTF8] > 1000);
	/* every word emits exactly one prefix and one suffix trigram */
	CU_ASSERT_EQUAL(bucket_sum(fa, F_AFFIX, 1 << F_AFFIX_BITS), 2 * fa[F_WORDS]);
	pred_features_prompt(buf, n, NULL, 0, fb);
	CU_ASSERT_EQUAL(memcmp(fa, fb, sizeof(fa)), 0);
	/* one long word without separators */
	memset(buf, 'a', n);
	pred_features_prompt(buf, n, NULL, 0, fa);
	CU_ASSERT_EQUAL(fa[F_WORDS], 1);
	CU_ASSERT_EQUAL(fa[F_MAXWORD], (float)n);
	CU_ASSERT(all_finite(fa));
	free(buf);
}

static void
test_nul_and_invalid_utf8(void)
{
	static const char s[] = "ab\0cd \xff\xfe \xc3\x28 \xe2\x82 ok";

	pred_features_prompt(s, sizeof(s) - 1, NULL, 0, fa);
	CU_ASSERT_EQUAL(fa[F_CHARS], sizeof(s) - 1);
	CU_ASSERT_EQUAL(fa[F_INVALID_UTF8], 5);	/* ff fe c3 e2 82 */
	CU_ASSERT(all_finite(fa));
	CU_ASSERT_EQUAL(fa[F_WORDS], 6);	/* ab cd \xff\xfe \xc3 \xe2\x82 ok */
}

static void
test_scripts(void)
{
	prompt("Привет мир", fa);
	CU_ASSERT_EQUAL(fa[F_SCRIPT_CYRILLIC], 9);
	CU_ASSERT_EQUAL(fa[F_WORDS], 2);
	CU_ASSERT_EQUAL(fa[F_INVALID_UTF8], 0);
	prompt("日本語のテキスト", fa);
	CU_ASSERT_EQUAL(fa[F_SCRIPT_CJK], 8);
	CU_ASSERT_EQUAL(fa[F_TOKENS], 8);
	prompt("مرحبا שלום", fa);
	CU_ASSERT_EQUAL(fa[F_SCRIPT_RTL], 9);
	prompt("αβγ café 😀", fa);
	CU_ASSERT_EQUAL(fa[F_SCRIPT_GREEK], 3);
	CU_ASSERT_EQUAL(fa[F_SCRIPT_LATINX], 1);
	CU_ASSERT_EQUAL(fa[F_SCRIPT_SYMBOL], 1);
	CU_ASSERT(fa[F_NONASCII_RATIO] > 0 && fa[F_NONASCII_RATIO] < 1);
}

static void
test_counts(void)
{
	prompt("Solve this step by step in 50 words.\n"
	    "```\nint x = 1;\n```\n"
	    "A. one\nB. two\n- item\n1. first\n"
	    "What is $x^2$? See https://example.com", fa);
	CU_ASSERT_EQUAL(fa[F_STEPBYSTEP], 1);
	CU_ASSERT_EQUAL(fa[F_WORDLIMIT], 1);
	CU_ASSERT(fa[F_KW_MATH] >= 1);
	CU_ASSERT_EQUAL(fa[F_CODE_FENCES], 2);
	CU_ASSERT_EQUAL(fa[F_CODE_LINES], 1);
	CU_ASSERT_EQUAL(fa[F_OPTION_LINES], 2);
	CU_ASSERT_EQUAL(fa[F_LIST_LINES], 2);
	CU_ASSERT_EQUAL(fa[F_QMARKS], 1);
	CU_ASSERT_EQUAL(fa[F_LATEX], 2);
	CU_ASSERT_EQUAL(fa[F_URLS], 1);
	CU_ASSERT_EQUAL(fa[F_LINES], 9);
	CU_ASSERT_EQUAL(fa[F_SENTENCES], 5);	/* "words." "A." "B." "1." "$?" */
	CU_ASSERT_EQUAL(fa[F_UPPER], 5);	/* S A B W S */
	/* hashed unigrams count every word once */
	CU_ASSERT_EQUAL(bucket_sum(fa, F_WORD1, 1 << F_WORD1_BITS), fa[F_WORDS]);
	CU_ASSERT_EQUAL(bucket_sum(fa, F_WORD2, 1 << F_WORD2_BITS), fa[F_WORDS] - 1);
	CU_ASSERT_EQUAL(bucket_sum(fa, F_AFFIX, 1 << F_AFFIX_BITS), 2 * fa[F_WORDS]);
	CU_ASSERT_EQUAL(fa[F_TOKENS], (float)pred_estimate_tokens("Solve this step by step in 50 words.\n"
	    "```\nint x = 1;\n```\n"
	    "A. one\nB. two\n- item\n1. first\n"
	    "What is $x^2$? See https://example.com", strlen("Solve this step by step in 50 words.\n"
	    "```\nint x = 1;\n```\n"
	    "A. one\nB. two\n- item\n1. first\n"
	    "What is $x^2$? See https://example.com")));
}

/* How many buckets of f[from..from+n) differ between fa and fb, and by
 * how much in all. */
static int
buckets_differing(int from, int n, float *by)
{
	int i, k = 0;

	*by = 0;
	for (i = from; i < from + n; i++)
		if (fa[i] != fb[i]) {
			k++;
			*by += fa[i] - fb[i];
		}
	return k;
}

/* A word that straddles the scanner's normalised-text window (4 kB) is
 * read again from the text; it must count exactly as the same word read
 * from the window.  Text a puts the long mixed-case word W across the
 * window's edge after many "zz"; text b puts W after a few "zz".  Their
 * hashed features then differ only where "zz" counts: its unigram, the
 * bigram "zz zz", its prefix and suffix trigrams. */
static void
test_window_edge(void)
{
	static char a[8192], b[1024], w[301];
	size_t i, na, nb;
	float extra, by;

	for (i = 0; i < 300; i++)
		w[i] = "Ab9Zq3xY"[i % 8];
	for (na = 0; na + 3 <= 4000; na += 3)
		memcpy(a + na, "zz ", 3);
	memcpy(a + na, w, 300);
	strcpy(a + na + 300, " end");
	for (nb = 0; nb < 30; nb += 3)
		memcpy(b + nb, "zz ", 3);
	memcpy(b + nb, w, 300);
	strcpy(b + nb + 300, " end");
	prompt(a, fa);
	prompt(b, fb);
	extra = (float)(na - nb) / 3;	/* more "zz" in a */
	CU_ASSERT_EQUAL(fa[F_DIGITS], fb[F_DIGITS]);
	CU_ASSERT_EQUAL(fa[F_UPPER], fb[F_UPPER]);
	CU_ASSERT_EQUAL(fa[F_MAXWORD], 300);
	CU_ASSERT_EQUAL(fa[F_TOKENS] - fb[F_TOKENS], extra);
	CU_ASSERT_EQUAL(buckets_differing(F_WORD1, 1 << F_WORD1_BITS, &by), 1);
	CU_ASSERT_EQUAL(by, extra);
	CU_ASSERT_EQUAL(buckets_differing(F_WORD2, 1 << F_WORD2_BITS, &by), 1);
	CU_ASSERT_EQUAL(by, extra);
	i = (size_t)buckets_differing(F_AFFIX, 1 << F_AFFIX_BITS, &by);
	CU_ASSERT(i == 1 || i == 2);	/* prefix and suffix may share one */
	CU_ASSERT_EQUAL(by, 2 * extra);
}

/* FNV-1a over the bit patterns of the feature vectors of every prompt
 * in FILES; *records gets the count.  0 when a file cannot be read. */
static uint64_t
features_digest(const char *const *files, size_t nfiles, size_t *records)
{
	uint64_t h = 1469598103934665603ull;
	char *line = NULL;
	size_t size = 0, i, k;
	uint32_t u;
	json_t *r, *p;
	FILE *fp;

	*records = 0;
	for (i = 0; i < nfiles; i++) {
		if ((fp = fopen(files[i], "r")) == NULL) {
			free(line);
			return 0;
		}
		while (getline(&line, &size, fp) > 0) {
			if ((r = json_loads(line, 0, NULL)) == NULL)
				continue;
			p = json_object_get(r, "prompt");
			if (json_is_string(p)) {
				pred_features_prompt(json_string_value(p),
				    json_string_length(p), NULL, 0, fa);
				for (k = 0; k < PRED_NFEATURES; k++) {
					memcpy(&u, &fa[k], sizeof(u));
					h = (h ^ u) * 1099511628211ull;
				}
				(*records)++;
			}
			json_decref(r);
		}
		fclose(fp);
	}
	free(line);
	return h;
}

/* The default model was trained on these exact vectors: a faster scanner
 * must give them bit for bit.  A change to the features is a new
 * PRED_SCHEMA_VERSION, a retrained default model and a new digest here. */
static void
test_schema_digest(void)
{
	const char *top = getenv("top_srcdir");
	char mmlu[4096], dc[4096];
	const char *files[2] = { mmlu, dc };
	size_t n;
	uint64_t h;

	if (top == NULL)
		top = "..";
	snprintf(mmlu, sizeof(mmlu), "%s/predictor/data/mmlu.jsonl", top);
	snprintf(dc, sizeof(dc), "%s/predictor/data/dcrouter.jsonl", top);
	CU_ASSERT_EQUAL(PRED_SCHEMA_VERSION, 2);
	h = features_digest(files, 2, &n);
	CU_ASSERT_EQUAL(n, 17254);
	CU_ASSERT_EQUAL(h, 0x5804a10892b62ce2ull);
	if (h != 0x5804a10892b62ce2ull)
		fprintf(stderr, "features digest %016llx over %zu prompts\n",
		    (unsigned long long)h, n);
}

static void
test_tokens(void)
{
	CU_ASSERT_EQUAL(pred_estimate_tokens("hello world", 11), 2);
	CU_ASSERT_EQUAL(pred_estimate_tokens("123456", 6), 2);
	CU_ASSERT_EQUAL(pred_estimate_tokens("a, b.", 5), 4);
	CU_ASSERT(pred_estimate_tokens("internationalization", 20) >= 2);
}

static void
test_turns(void)
{
	const char *turns[2] = { "first question?", "second question?" };

	pred_features_prompt("third", 5, turns, 2, fa);
	CU_ASSERT_EQUAL(fa[F_USER_TURNS], 3);
	CU_ASSERT_EQUAL(fa[F_MESSAGES], 5);
	CU_ASSERT_EQUAL(fa[F_LAST_CHARS], 5);
	CU_ASSERT_EQUAL(fa[F_CHARS], 15 + 16 + 5);
	CU_ASSERT_EQUAL(fa[F_QMARKS], 2);
	CU_ASSERT_EQUAL(fa[F_LAST_TOKENS], 1);
}

/* A one-message Converse request and the same text as a training record
 * give the same vector. */
static void
test_converse_parity(void)
{
	json_t *req = parse("{\"messages\":[{\"role\":\"user\",\"content\":"
	    "[{\"text\":\"Write a Python function that sorts a list. Explain why.\"}]}]}");
	const char *t = "Write a Python function that sorts a list. Explain why.";

	CU_ASSERT_EQUAL(pred_features_converse(req, fa), 0);
	prompt(t, fb);
	CU_ASSERT_EQUAL(memcmp(fa, fb, sizeof(fa)), 0);
	json_decref(req);
}

/* For a model that reads the dense features only, the n-grams are left
 * at 0 and every dense feature is the same as in the full vector. */
static void
test_converse_dense_only(void)
{
	json_t *req = parse("{\"system\":[{\"text\":\"Be brief.\"}],\"messages\":[{\"role\":\"user\","
	    "\"content\":[{\"text\":\"Solve 3x + 5 = 20 step by step, then write a haiku about it.\"}]},"
	    "{\"role\":\"assistant\",\"content\":[{\"text\":\"x = 5\"}]},{\"role\":\"user\","
	    "\"content\":[{\"text\":\"Now in Python: def f(x): return 3*x+5 \u00e9t\u00e9 ?\"}]}]}");
	int i;

	CU_ASSERT_EQUAL(pred_features_converse(req, fa), 0);
	CU_ASSERT_EQUAL(pred_features_converse_for(req, fb, PRED_NDENSE), 0);
	CU_ASSERT_EQUAL(memcmp(fa, fb, PRED_NDENSE * sizeof(float)), 0);
	for (i = PRED_NDENSE; i < PRED_NFEATURES; i++)
		CU_ASSERT_EQUAL(fb[i], 0.0f);
	CU_ASSERT(bucket_sum(fa, PRED_NDENSE, PRED_NFEATURES - PRED_NDENSE) > 0);
	CU_ASSERT_EQUAL(pred_features_converse_for(req, fb, PRED_NDENSE + 1), 0);
	CU_ASSERT_EQUAL(memcmp(fa, fb, sizeof(fa)), 0);
	json_decref(req);
}

static void
test_converse_blocks(void)
{
	json_t *req = parse("{\"system\":[{\"text\":\"You are terse.\"},{\"cachePoint\":{}}],"
	    "\"messages\":["
	    "{\"role\":\"user\",\"content\":[{\"text\":\"Look:\"},"
	    "  {\"image\":{\"format\":\"png\",\"source\":{\"bytes\":\"AAAA\"}}},"
	    "  {\"document\":{\"name\":\"d\",\"format\":\"pdf\",\"source\":{\"bytes\":\"AAAA\"}}}]},"
	    "{\"role\":\"assistant\",\"content\":[{\"text\":\"Calling a tool.\"},"
	    "  {\"toolUse\":{\"toolUseId\":\"1\",\"name\":\"f\",\"input\":{}}}]},"
	    "{\"role\":\"user\",\"content\":[{\"toolResult\":{\"toolUseId\":\"1\","
	    "  \"content\":[{\"text\":\"secret tool output\"}]}},{\"text\":\"And now?\"}]}],"
	    "\"toolConfig\":{\"tools\":[{\"toolSpec\":{}},{\"toolSpec\":{}}]}}");

	CU_ASSERT_EQUAL(pred_features_converse(req, fa), 0);
	CU_ASSERT_EQUAL(fa[F_IMAGES], 1);
	CU_ASSERT_EQUAL(fa[F_DOCUMENTS], 1);
	CU_ASSERT_EQUAL(fa[F_TOOLS], 2);
	CU_ASSERT_EQUAL(fa[F_TOOL_BLOCKS], 2);
	CU_ASSERT_EQUAL(fa[F_MESSAGES], 3);
	CU_ASSERT_EQUAL(fa[F_USER_TURNS], 2);
	CU_ASSERT_EQUAL(fa[F_SYSTEM_CHARS], 14);
	CU_ASSERT_EQUAL(fa[F_ASSISTANT_CHARS], 15);
	CU_ASSERT_EQUAL(fa[F_LAST_CHARS], 8);
	CU_ASSERT_EQUAL(fa[F_CHARS], 14 + 5 + 8);
	/* tool output and assistant text are not read */
	CU_ASSERT_EQUAL(fa[F_WORDS], 3 + 1 + 2);
	json_decref(req);
}

static void
test_converse_odd(void)
{
	static const char *odd[] = {
		"{}",
		"{\"messages\":\"not an array\",\"system\":5}",
		"{\"messages\":[1,\"x\",null,{\"content\":\"str\"},{\"role\":7,\"content\":[1,[],{}]}]}",
		"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":{\"nested\":{\"a\":[[[[1]]]]}}}]}]}",
		"{\"toolConfig\":{\"tools\":{}},\"system\":[{\"text\":null}]}",
	};
	json_t *req, *deep, *cur;
	size_t i;

	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		req = parse(odd[i]);
		CU_ASSERT_EQUAL(pred_features_converse(req, fa), 0);
		CU_ASSERT(all_finite(fa));
		json_decref(req);
	}
	/* 10000 levels of nesting where a content array is expected */
	deep = json_array();
	for (cur = deep, i = 0; i < 10000; i++) {
		json_t *n = json_array();
		json_array_append_new(cur, n);
		cur = n;
	}
	req = json_pack("{s:[{s:s, s:o}]}", "messages", "role", "user", "content", deep);
	CU_ASSERT_EQUAL(pred_features_converse(req, fa), 0);
	CU_ASSERT_EQUAL(fa[F_WORDS], 0);
	json_decref(req);
	req = json_array();
	CU_ASSERT_EQUAL(pred_features_converse(req, fa), -1);
	CU_ASSERT_EQUAL(bucket_sum(fa, 0, PRED_NFEATURES), 0);
	json_decref(req);
	CU_ASSERT_EQUAL(pred_features_converse(NULL, fa), -1);
}

int
main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("features", NULL, NULL);
	CU_add_test(s, "deterministic", test_deterministic);
	CU_add_test(s, "dense features only", test_converse_dense_only);
	CU_add_test(s, "empty", test_empty);
	CU_add_test(s, "1 MB garbage", test_megabyte_garbage);
	CU_add_test(s, "NUL and invalid UTF-8", test_nul_and_invalid_utf8);
	CU_add_test(s, "scripts", test_scripts);
	CU_add_test(s, "counts", test_counts);
	CU_add_test(s, "tokens", test_tokens);
	CU_add_test(s, "word across the window edge", test_window_edge);
	CU_add_test(s, "schema 2 features of the shipped data", test_schema_digest);
	CU_add_test(s, "turns", test_turns);
	CU_add_test(s, "converse parity", test_converse_parity);
	CU_add_test(s, "converse blocks", test_converse_blocks);
	CU_add_test(s, "converse odd input", test_converse_odd);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	int fails = (int)CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
