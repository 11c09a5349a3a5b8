/*
 * request.h - parsing and validating untrusted request bodies and paths.
 */
#ifndef TG_REQUEST_H
#define TG_REQUEST_H

#include <stddef.h>
#include <jansson.h>

enum req_err {
	REQ_OK = 0,
	REQ_E_EMPTY,		/* no body */
	REQ_E_DEPTH,		/* nesting deeper than the limit */
	REQ_E_JSON,		/* not JSON (syntax, invalid UTF-8) */
	REQ_E_SHAPE,		/* JSON, but not a valid Converse request */
	REQ_E_PATH,		/* unusable path or model id */
	REQ_E_NOMEM,		/* out of memory */
};

/* What the router needs to know about one Converse request. */
struct req_converse {
	json_t		*root;		/* the parsed body; owned */
	size_t		 text_chars;	/* characters of text over system + messages */
	size_t		 turns;		/* messages */
	int		 has_tools;	/* toolConfig, toolUse or toolResult present */
	int		 has_images;
	int		 has_documents;
	const char	*request_class;	/* borrowed from root or the header; "" none */
	const char	*conversation_id; /* requestMetadata conversation_id/session_id, "" none */
};

const char	*req_strerror(enum req_err);

/* Parse `body` as a Converse (or ConverseStream) request.  On REQ_OK, out
 * owns the parsed JSON (free with req_converse_free()).  On error, msg gets a
 * message fit for the client: it says what is wrong, never echoes secrets. */
enum req_err	 req_parse_converse(const char *body, size_t len, size_t max_depth,
		     struct req_converse *out, char *msg, size_t msglen);
/* The same checks on an already parsed body (a front door's translation):
 * steals `root`, even on failure; on REQ_OK out owns it. */
enum req_err	 req_converse_from_json(json_t *root, struct req_converse *out,
		     char *msg, size_t msglen);
void		 req_converse_free(struct req_converse *);

/* Parse a JSON body of any shape (InvokeModel) within the depth cap. */
enum req_err	 req_parse_json(const char *body, size_t len, size_t max_depth,
		     json_t **out, char *msg, size_t msglen);

/* Split "/model/{id}/{action}".  The id is percent-decoded into id (one
 * path segment: %2F and %3A decode, a raw '/' cannot appear).  Returns
 * REQ_OK or REQ_E_PATH. */
enum req_err	 req_parse_model_path(const char *path, char *id, size_t idlen,
		     char *action, size_t actlen);

/* Percent-decode s in place (one path segment); -1 on a bad escape,
 * a NUL or a control character. */
int		 req_percent_decode(char *s);

/* Percent-encode s as one path segment ("a:b/c" -> "a%3Ab%2Fc"). */
int		 req_encode_segment(const char *s, char *out, size_t outlen);

/* Replace invalid UTF-8 in s (in place) with '?'. */
void		 req_utf8_sanitize(char *s);

#endif
