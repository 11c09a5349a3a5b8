/*
 * exclude.c - the exclusion list of `tiergate train`, `eval` and `predict`
 * (--exclude-file; the shipped one is predictor/data/excluded-sources.txt):
 * one entry per line, a source prefix or "model:NAME"; '#' starts a
 * comment, blanks around an entry are ignored.
 */
#include "autoconf.h"

#include <ctype.h>
#include <string.h>

#include "pred_impl.h"

int
pred_excluded(const char *text, const char *s, int is_model)
{
	const char *p = text, *e, *q;
	size_t n;

	while (p != NULL && *p) {
		e = p + strcspn(p, "\n");
		q = memchr(p, '#', (size_t)(e - p));
		n = (size_t)((q != NULL ? q : e) - p);
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		while (n > 0 && isspace((unsigned char)*p))
			p++, n--;
		if (is_model && n > 6 && !strncmp(p, "model:", 6) &&
		    n - 6 == strlen(s) && !strncmp(p + 6, s, n - 6))
			return 1;
		if (!is_model && n > 0 && strncmp(p, "model:", 6) && !strncmp(s, p, n))
			return 1;
		p = *e ? e + 1 : e;
	}
	return 0;
}
