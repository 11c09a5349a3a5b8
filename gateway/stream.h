/*
 * stream.h - the streaming relay (ConverseStream, InvokeModel with and
 * without response stream): route as Converse does, then pass upstream
 * bytes to the client as they arrive.
 */
#ifndef TG_STREAM_H
#define TG_STREAM_H

struct tg_req;

/* Handle POST /model/{model_id}/{action} for action "converse-stream",
 * "invoke" or "invoke-with-response-stream".  The body has been read and
 * the client authenticated as `tenant`. */
void	stream_handle(struct tg_req *, const char *tenant, const char *model_id,
	    const char *action);

#endif
