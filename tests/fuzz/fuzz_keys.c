/*
 * fuzz_keys.c - libFuzzer harness for the keys-file loader (gateway/auth.c,
 * auth_keys_load(); format in tiergate-keys(5)).  The input is written to a
 * private temporary file of mode 0600, as an operator keeps it, and loaded.
 *
 * A file that loads holds at most one key per line; one that does not
 * gets a message that names the file.
 */
#include <assert.h>

#include "auth.h"
#include "fuzz.h"

static size_t
fuzz_lines(const uint8_t *data, size_t size)
{
	size_t	 i, n = 1;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_keys	*t;
	char		 path[4096], err[1024] = "";

	fuzz_file(data, size, "", path, sizeof(path));
	if ((t = auth_keys_load(path, err, sizeof(err))) != NULL) {
		assert(auth_keys_count(t) <= fuzz_lines(data, size));
		auth_keys_free(t);
	} else
		assert(strncmp(err, path, strlen(path)) == 0);
	fuzz_file_done(path);
	return 0;
}
