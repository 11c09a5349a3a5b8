/*
 * filemode.h - refuse a file that grants access or holds secrets when its
 * mode lets other local users change it, or read the secrets in it
 * (gateway/filemode.c).  Used for the keys file (auth.c) and the AWS
 * credentials file (creds.c).
 */
#ifndef TG_FILEMODE_H
#define TG_FILEMODE_H

#include <stddef.h>

/*
 * Check the open file `fd`, named `path` in messages.  Group- or
 * world-writable is always refused; world-readable is refused when
 * `secret` is not NULL (what the file holds, as the message names it:
 * "SigV4 secrets").  Returns 0, or -1 with err set to a message that
 * names the file, its mode and the fix ("chmod 600 PATH").
 */
int	filemode_check(int fd, const char *path, const char *secret, char *err,
	    size_t errlen);

#endif
