/*
 * priv.h - dropping root when tiergate is started as root without a
 * service manager to do it (spawn-fcgi, lighttpd's mod_fastcgi as root,
 * a shell): `serve --user NAME`, after the socket is bound.
 */
#ifndef TG_PRIV_H
#define TG_PRIV_H

#include <stddef.h>
#include <sys/types.h>

struct priv_user {
	char	 name[64];
	uid_t	 uid;
	gid_t	 gid;
};

/* Look NAME up in the password database.  Returns 0, or -1 with a reason
 * in err (no such user; the user is root). */
int	priv_lookup(const char *name, struct priv_user *out, char *err, size_t errlen);

/* Become `u` for good, in the order OpenBSD's slowcgi uses: supplementary
 * groups, then the real, effective and saved group, then the user ids; then
 * verify that neither uid 0 nor gid 0 can be regained.  Must run before any
 * thread is started.  Returns 0, or -1 with a reason in err (the process
 * must then exit: it may hold some ids and not others). */
int	priv_drop(const struct priv_user *u, char *err, size_t errlen);

#endif
