/*
 * export-features - write the feature vectors of labelled records for
 * experiments outside tiergate (structures.py).
 *
 * usage: export-features MATRIX INDEX FILE.jsonl...
 *
 * MATRIX gets one row of PRED_NFEATURES float32 (host byte order) per
 * record, computed by pred_features_prompt(), the same call `tiergate
 * train` makes; INDEX gets one JSON line per row: id, source, scores and
 * chars (feature 0, the prompt length in bytes).  A line that is not an
 * object with a string "prompt" is an error, as in `tiergate train`.
 * Not installed; built on demand by structures.sh against the build tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pred.h"

#define EXPORT_MAXTURNS	64

/* Write one record's row and index line; -1 on a bad record. */
static int
export_record(json_t *rec, FILE *matrix, FILE *index)
{
	const char	*turns[EXPORT_MAXTURNS];
	float		 f[PRED_NFEATURES];
	json_t		*prompt, *arr, *v, *line;
	size_t		 nturns = 0, i;
	char		*text;

	prompt = json_object_get(rec, "prompt");
	if (!json_is_string(prompt))
		return -1;
	arr = json_object_get(rec, "turns");
	json_array_foreach(arr, i, v)
		if (json_is_string(v) && nturns < EXPORT_MAXTURNS)
			turns[nturns++] = json_string_value(v);
	pred_features_prompt(json_string_value(prompt),
	    json_string_length(prompt), nturns ? turns : NULL, nturns, f);
	if (fwrite(f, sizeof(f[0]), PRED_NFEATURES, matrix) != PRED_NFEATURES)
		return -1;
	line = json_pack("{s:O?,s:O?,s:O?,s:f}", "id", json_object_get(rec, "id"),
	    "source", json_object_get(rec, "source"),
	    "scores", json_object_get(rec, "scores"), "chars", (double)f[0]);
	text = line ? json_dumps(line, JSON_COMPACT) : NULL;
	json_decref(line);
	if (text == NULL)
		return -1;
	fprintf(index, "%s\n", text);
	free(text);
	return 0;
}

static int
export_file(const char *path, FILE *matrix, FILE *index)
{
	json_error_t	 jerr;
	json_t		*rec;
	FILE		*fp;
	char		*buf = NULL;
	size_t		 cap = 0;
	long		 lineno = 0;
	int		 rc = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	while (getline(&buf, &cap, fp) > 0) {
		lineno++;
		rec = json_loads(buf, 0, &jerr);
		if (rec == NULL || export_record(rec, matrix, index) == -1) {
			fprintf(stderr, "%s:%ld: not a record with a string "
			    "prompt (or write error)\n", path, lineno);
			json_decref(rec);
			goto fail;
		}
		json_decref(rec);
	}
	fprintf(stderr, "%s: %ld records\n", path, lineno);
	rc = ferror(fp) ? -1 : 0;
fail:
	free(buf);
	fclose(fp);
	return rc;
}

int
main(int argc, char *argv[])
{
	FILE	*matrix = NULL, *index = NULL;
	int	 i, rc = 1;

	if (argc < 4) {
		fprintf(stderr, "usage: export-features MATRIX INDEX "
		    "FILE.jsonl...\n");
		return 2;
	}
	if ((matrix = fopen(argv[1], "wb")) == NULL ||
	    (index = fopen(argv[2], "w")) == NULL) {
		perror(matrix ? argv[2] : argv[1]);
		goto fail;
	}
	for (i = 3; i < argc; i++)
		if (export_file(argv[i], matrix, index) == -1)
			goto fail;
	rc = 0;
fail:
	if (matrix && fclose(matrix) != 0)
		rc = 1;
	if (index && fclose(index) != 0)
		rc = 1;
	return rc;
}
