/*
 * bench_openai.c - what the Chat Completions translation adds per request,
 * against the Converse path's own work on the same request, one call at a
 * time in the same run (CLOCK_MONOTONIC around each call, 10% warm-up):
 *
 *   request  Converse: req_parse_converse() of the Converse body.
 *            Chat:     req_parse_json() of the OpenAI body,
 *                      oa_chat_from_json(), req_converse_from_json() of
 *                      the translation (route_prepare_json()) and
 *                      json_dumps() of it (the upstream body).
 *   answer   Converse: json_dumps() of the Converse answer.
 *            Chat:     oa_completion() and json_dumps() of it.
 *
 * for three requests: the short question of bench-gateway.sh, 2 kB of
 * text, and a 600 kB image (a data URL; a base64 image block in Converse).
 * Usage: bench_openai [CALLS] (default 20000; the image case runs CALLS/100).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "benchlib.h"
#include "openai_impl.h"
#include "request.h"

#define IMAGE_B64	600000

struct bench_case {
	const char	*name;
	char		*chat;		/* OpenAI body */
	char		*converse;	/* the same request as Converse */
};

static uint64_t
time_converse(const char *body)
{
	struct req_converse	 c;
	char			 msg[256];
	uint64_t		 t0 = bench_now_ns();

	if (req_parse_converse(body, strlen(body), 64, &c, msg, sizeof(msg)) != REQ_OK)
		abort();
	t0 = bench_now_ns() - t0;
	req_converse_free(&c);
	return t0;
}

static uint64_t
time_chat(const char *body)
{
	struct req_converse	 c;
	struct oa_chat		 chat;
	struct oa_fault		 f;
	json_t			*root;
	char			 msg[256], *s;
	uint64_t		 t0 = bench_now_ns();

	if (req_parse_json(body, strlen(body), 64, &root, msg, sizeof(msg)) != REQ_OK ||
	    oa_chat_from_json(root, &chat, &f) != OA_OK ||
	    req_converse_from_json(json_incref(chat.converse), &c, msg, sizeof(msg)) != REQ_OK ||
	    (s = json_dumps(chat.converse, JSON_COMPACT)) == NULL)
		abort();
	t0 = bench_now_ns() - t0;
	free(s);
	req_converse_free(&c);
	oa_chat_free(&chat);
	return t0;
}

static uint64_t
time_answer(const json_t *answer, int chat)
{
	struct oa_facts	 f = { "chatcmpl-0123456789abcdef0123456789abcdef", 1700000000,
	    "anthropic.claude-3-haiku-20240307-v1:0", "support", "a reason of some length",
	    NULL, 20, 70, 0, 0 };
	json_t		*out = NULL;
	char		*s;
	uint64_t	 t0 = bench_now_ns();

	if (chat)
		out = oa_completion(answer, &f);
	if ((s = json_dumps(chat ? out : answer, JSON_COMPACT)) == NULL)
		abort();
	t0 = bench_now_ns() - t0;
	free(s);
	json_decref(out);
	return t0;
}

/* Median of `n` timings of fn(arg, k), after n/10 untimed calls. */
static double
median_us(uint64_t (*fn)(const void *, int), const void *arg, int k, size_t n)
{
	uint64_t	*t = calloc(n, sizeof(*t));
	double		 m;
	size_t		 i;

	if (t == NULL)
		abort();
	for (i = 0; i < n / 10; i++)
		fn(arg, k);
	for (i = 0; i < n; i++)
		t[i] = fn(arg, k);
	m = (double)bench_summarize(t, n).p50 / 1000;
	free(t);
	return m;
}

static uint64_t
req_fn(const void *body, int chat)
{
	return chat ? time_chat(body) : time_converse(body);
}

static uint64_t
answer_fn(const void *answer, int chat)
{
	return time_answer(answer, chat);
}

static char *
text_of(size_t n, char c)
{
	char	*s = malloc(n + 1);
	size_t	 i;

	if (s == NULL)
		abort();
	for (i = 0; i < n; i++)
		s[i] = c == ' ' ? "abcdefg "[i % 8] : "ABCDEFGH"[i % 8];
	s[n] = '\0';
	return s;
}

static void
make_case(struct bench_case *bc, const char *name, const char *text, const char *b64)
{
	size_t	 n = strlen(text) + (b64 != NULL ? strlen(b64) : 0) + 512;

	bc->name = name;
	bc->chat = malloc(n);
	bc->converse = malloc(n);
	if (bc->chat == NULL || bc->converse == NULL)
		abort();
	if (b64 == NULL) {
		snprintf(bc->chat, n, "{\"model\":\"support\",\"messages\":[{\"role\":"
		    "\"user\",\"content\":\"%s\"}]}", text);
		snprintf(bc->converse, n, "{\"messages\":[{\"role\":\"user\",\"content\":"
		    "[{\"text\":\"%s\"}]}]}", text);
		return;
	}
	snprintf(bc->chat, n, "{\"model\":\"support\",\"messages\":[{\"role\":\"user\","
	    "\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
	    "\"data:image/png;base64,%s\"}},{\"type\":\"text\",\"text\":\"%s\"}]}]}", b64, text);
	snprintf(bc->converse, n, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"image\":"
	    "{\"format\":\"png\",\"source\":{\"bytes\":\"%s\"}}},{\"text\":\"%s\"}]}]}", b64, text);
}

int
main(int argc, char **argv)
{
	size_t			 calls = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000, n, i;
	struct bench_case	 cases[3];
	char			*text = text_of(2000, ' '), *b64 = text_of(IMAGE_B64, 'A');
	json_t			*answer;
	double			 a, b;

	if (calls < 100)
		calls = 100;
	make_case(&cases[0], "short question", "What is the capital of France? "
	    "Answer in one word.", NULL);
	make_case(&cases[1], "2 kB of text", text, NULL);
	make_case(&cases[2], "600 kB image + text", "Describe this picture.", b64);
	printf("request (median per call)          Converse      Chat   added\n");
	for (i = 0; i < 3; i++) {
		n = i == 2 ? calls / 100 : calls;
		a = median_us(req_fn, cases[i].converse, 0, n);
		b = median_us(req_fn, cases[i].chat, 1, n);
		printf("%-30s %9.2f us %7.2f us %+7.2f us\n", cases[i].name, a, b, b - a);
	}
	answer = json_pack("{s:{s:{s:s, s:[{s:s}]}}, s:s, s:{s:i, s:i, s:i}, s:{s:i}}",
	    "output", "message", "role", "assistant", "content", "text", text, "stopReason",
	    "end_turn", "usage", "inputTokens", 20, "outputTokens", 70, "totalTokens", 90,
	    "metrics", "latencyMs", 9);
	a = median_us(answer_fn, answer, 0, calls);
	b = median_us(answer_fn, answer, 1, calls);
	printf("%-30s %9.2f us %7.2f us %+7.2f us\n", "answer, 2 kB of text", a, b, b - a);
	json_decref(answer);
	return 0;
}
