/*
 * openai.h - the OpenAI-compatible front door: POST /v1/chat/completions
 * and GET /v1/models, on the same routing path as Converse (route.c), with
 * errors in OpenAI's shape {"error": {"message", "type", "param", "code"}}.
 */
#ifndef TG_OPENAI_H
#define TG_OPENAI_H

#include <stddef.h>

struct tg_req;
struct route_ctx;
struct oa_chat;
struct oa_facts;

/* From here on every error of `req` goes out in OpenAI's shape; until
 * oa_authenticated() is called a refused credential is a 401. */
void	oa_begin(struct tg_req *);
/* The client is authenticated: errors keep their own status. */
void	oa_authenticated(struct tg_req *);

/* POST /v1/chat/completions; the body was read and the client
 * authenticated as `tenant`. */
void	oa_chat_completions(struct tg_req *, const char *tenant);
/* GET /v1/models and GET /v1/models/{id}. */
void	oa_models(struct tg_req *);

/* An error in OpenAI's shape; `param` and `code` may be NULL. */
int	oa_send_error(struct tg_req *, int status, const char *type, const char *param,
	    const char *code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Between openai.c and openai_stream.c: the facts of rc's answer (id
 * written into idbuf), and the streamed call of a prepared request whose
 * Converse body is `body` (borrowed). */
void	oa_facts_init(struct oa_facts *, const struct route_ctx *, const struct oa_chat *,
	    char *idbuf, size_t idlen);
void	oa_stream(struct route_ctx *, const struct oa_chat *, const char *body, size_t len);

#endif
