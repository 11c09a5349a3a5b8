/*
 * priv.c - privilege drop (priv.h).
 */
#include "autoconf.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "priv.h"

int
priv_lookup(const char *name, struct priv_user *out, char *err, size_t errlen)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		snprintf(err, errlen, "--user %s: %s", name,
		    errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		snprintf(err, errlen, "--user %s: uid or gid 0 is root: name an "
		    "unprivileged user", name);
		return -1;
	}
	if (snprintf(out->name, sizeof(out->name), "%s", name) >= (int)sizeof(out->name)) {
		snprintf(err, errlen, "--user: name too long");
		return -1;
	}
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	return 0;
}

/* After the drop: every id is the user's and root cannot come back. */
static int
priv_verify(const struct priv_user *u)
{
	uid_t	 ru, eu, su;
	gid_t	 rg, eg, sg;

	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return -1;
	if (ru != u->uid || eu != u->uid || su != u->uid ||
	    rg != u->gid || eg != u->gid || sg != u->gid)
		return -1;
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1 || setegid(0) != -1)
		return -1;
	return getgroups(0, NULL) == 1 ? 0 : -1;
}

int
priv_drop(const struct priv_user *u, char *err, size_t errlen)
{
	const char	*step;

	if (setgroups(1, &u->gid) != 0)
		step = "setgroups";
	else if (setresgid(u->gid, u->gid, u->gid) != 0)
		step = "setresgid";
	else if (setresuid(u->uid, u->uid, u->uid) != 0)
		step = "setresuid";
	else if (priv_verify(u) != 0) {
		snprintf(err, errlen, "--user %s: root privileges could still be "
		    "regained after dropping them", u->name);
		return -1;
	} else
		return 0;
	snprintf(err, errlen, "--user %s: %s: %s", u->name, step, strerror(errno));
	return -1;
}
