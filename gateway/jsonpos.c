/*
 * jsonpos.c - a tiny JSON scanner that walks text to a key path.
 *
 * Jansson keeps no positions for values, so config errors that are found
 * after parsing would otherwise have no line and column.  This scanner only
 * ever runs on a document Jansson already accepted (or on the way to an
 * error message), so it is tolerant rather than validating.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"

struct jp {
	const char	*s;
	const char	*p;
};

static void
jp_ws(struct jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

/* Skip a string starting at the quote; leaves p after the closing quote. */
static void
jp_string(struct jp *j)
{
	for (j->p++; *j->p != '\0' && *j->p != '"'; j->p++)
		if (*j->p == '\\' && j->p[1] != '\0')
			j->p++;
	if (*j->p == '"')
		j->p++;
}

/* Skip one value of any depth: strings are skipped whole, brackets
 * counted, so nesting costs no recursion and has no limit. */
static void
jp_value(struct jp *j)
{
	size_t	 depth = 0;

	jp_ws(j);
	do {
		if (*j->p == '"') {
			jp_string(j);
			continue;
		}
		if (*j->p == '{' || *j->p == '[')
			depth++;
		else if ((*j->p == '}' || *j->p == ']') && depth > 0)
			depth--;
		else if (depth == 0 && strchr(",]}", *j->p) != NULL)
			return;
		if (*j->p != '\0')
			j->p++;
	} while (depth > 0 && *j->p != '\0');
	while (*j->p != '\0' && depth == 0 && strchr(",]} \t\r\n:", *j->p) == NULL)
		j->p++;
}

/* Compare the string token at p (a quote) with name[0..len). */
static int
jp_key_is(const char *p, const char *name, size_t len)
{
	return p[0] == '"' && strncmp(p + 1, name, len) == 0 && p[len + 1] == '"';
}

/* Inside an object at '{': move to the value of key `name`; set *key to
 * the key's quote. Returns 0 when found. */
static int
jp_member(struct jp *j, const char *name, size_t len, const char **key)
{
	if (*j->p != '{')
		return -1;
	for (j->p++;;) {
		jp_ws(j);
		if (*j->p != '"')
			return -1;
		*key = j->p;
		jp_string(j);
		jp_ws(j);
		if (*j->p == ':')
			j->p++;
		jp_ws(j);
		if (jp_key_is(*key, name, len))
			return 0;
		jp_value(j);
		jp_ws(j);
		if (*j->p != ',')
			return -1;
		j->p++;
	}
}

static int
jp_element(struct jp *j, long idx)
{
	if (*j->p != '[')
		return -1;
	for (j->p++; idx > 0; idx--) {
		jp_value(j);
		jp_ws(j);
		if (*j->p != ',')
			return -1;
		j->p++;
	}
	jp_ws(j);
	return *j->p == ']' || *j->p == '\0' ? -1 : 0;
}

/* One path step: ".name", "name" (first), "[N]" or "[\"name\"]". */
static int
jp_step(struct jp *j, const char **path, const char **found)
{
	const char	*q = *path, *end, *key;
	char		*num_end;
	long		 idx;

	if (*q == '.')
		q++;
	jp_ws(j);
	if (q[0] == '[' && q[1] == '"') {
		if ((end = strstr(q + 2, "\"]")) == NULL)
			return -1;
		*path = end + 2;
		if (jp_member(j, q + 2, end - q - 2, &key))
			return -1;
		*found = key;
		return 0;
	}
	if (q[0] == '[') {
		idx = strtol(q + 1, &num_end, 10);
		if (*num_end != ']')
			return -1;
		*path = num_end + 1;
		if (jp_element(j, idx))
			return -1;
		*found = j->p;
		return 0;
	}
	end = q + strcspn(q, ".[");
	*path = end;
	if (jp_member(j, q, end - q, &key))
		return -1;
	*found = key;
	return 0;
}

int
jsonpos_locate(const char *text, const char *path, size_t *line, size_t *col)
{
	struct jp	 j = { text, text };
	const char	*found = text, *p;
	int		 rc = 0;

	while (*path != '\0' && (rc = jp_step(&j, &path, &found)) == 0)
		;
	*line = 1;
	*col = 1;
	for (p = text; p < found; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else if ((*p & 0xc0) != 0x80)
			(*col)++;
	}
	return rc;
}
