/*
 * filemode.c - the permission check for files that grant access or hold
 * secrets.  A keys file any local user can append to authenticates anyone
 * who does; a world-readable one hands out its SigV4 secrets.  The check
 * runs on the open descriptor, so it judges the file that is read, not
 * one a rename put in its place in between.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "filemode.h"

int
filemode_check(int fd, const char *path, const char *secret, char *err,
    size_t errlen)
{
	struct stat	 st;
	unsigned	 mode;

	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	mode = (unsigned)st.st_mode & 07777;
	if (mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s: refused: mode %04o lets other users "
		    "change it; run chmod 600 %s", path, mode, path);
		return -1;
	}
	if (secret != NULL && (mode & S_IROTH)) {
		snprintf(err, errlen, "%s: refused: mode %04o lets every user "
		    "read the %s in it; run chmod 600 %s", path, mode, secret, path);
		return -1;
	}
	return 0;
}
