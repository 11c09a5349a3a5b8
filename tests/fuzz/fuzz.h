/*
 * fuzz.h - helpers shared by the libFuzzer harnesses in tests/fuzz.
 *
 * libFuzzer hands over bytes that are not NUL-terminated; the parsers of
 * tiergate take either (pointer, length), a C string or a file.  These
 * helpers make the last two from the first, with nothing kept between
 * runs: every string and file made here is freed or removed by the caller
 * in the same run (free(), fuzz_file_done()).
 */
#ifndef TG_FUZZ_H
#define TG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A NUL-terminated copy of data (a NUL inside cuts the string short, as
 * it would for the C code that receives it).  Aborts when out of memory. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Write data to a new private file (mode 0600) under $TMPDIR or /tmp and
 * put its name into path.  Aborts on failure: the harness cannot run. */
static inline void
fuzz_file(const uint8_t *data, size_t size, const char *suffix, char *path,
    size_t pathlen)
{
	const char	*dir = getenv("TMPDIR");
	FILE		*f;
	int		 fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(path, pathlen, "%s/tgfuzz-XXXXXX%s", dir, suffix) >= pathlen ||
	    (fd = mkstemps(path, (int)strlen(suffix))) == -1 ||
	    (f = fdopen(fd, "w")) == NULL)
		abort();
	if ((size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		abort();
}

static inline void
fuzz_file_done(const char *path)
{
	unlink(path);
}

#endif
