/*
 * jsonpos.h - find where a key sits in JSON text, for error messages.
 *
 * Paths look like routers[1].fallback or models["a.b:0"].input
 */
#ifndef TG_JSONPOS_H
#define TG_JSONPOS_H

#include <stddef.h>

/* Set *line and *col (1-based) to the position of the key (or array element)
 * named by `path` in the JSON document `text`.  When the path is only
 * partly present, the deepest part found is used.  Returns 0 when the whole
 * path was found, -1 otherwise.  Never fails on malformed text. */
int	jsonpos_locate(const char *text, const char *path, size_t *line, size_t *col);

#endif
