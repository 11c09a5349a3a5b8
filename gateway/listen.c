/*
 * listen.c - parse `--listen` (listen.h).  Pure: opens nothing, so that a
 * malformed value is a usage error before the config is even read.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listen.h"

/* Decimal 1-65535, nothing else. */
static int
listen_port(const char *s)
{
	long	 v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

static int
listen_unix(const char *path, struct listen_addr *out, char *err, size_t errlen)
{
	if (strchr(path, ':') != NULL) {
		snprintf(err, errlen, "--listen %s: a Unix socket path may not contain ':'", path);
		return -1;
	}
	if (strlen(path) >= 108) {	/* sizeof(sun_path) on Linux */
		snprintf(err, errlen, "--listen %s: Unix socket path too long", path);
		return -1;
	}
	snprintf(out->bind, sizeof(out->bind), "%s", path);
	out->is_unix = out->loopback = 1;
	return 0;
}

/* host is "", "*", "localhost" or an IPv4 literal; port already checked. */
static int
listen_inet(const char *arg, const char *host, int port, struct listen_addr *out,
    char *err, size_t errlen)
{
	struct in_addr	 a;

	if (*host == '\0' || strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "*") == 0)
		host = "0.0.0.0";
	if (inet_pton(AF_INET, host, &a) != 1) {
		snprintf(err, errlen, "--listen %s: '%s' is not an IPv4 address "
		    "(IPv6 and host names are not supported)", arg, host);
		return -1;
	}
	snprintf(out->bind, sizeof(out->bind), "%s:%d", host, port);
	out->is_unix = 0;
	out->loopback = (ntohl(a.s_addr) >> 24) == 127;
	return 0;
}

int
listen_parse(const char *arg, struct listen_addr *out, char *err, size_t errlen)
{
	char		 host[64];
	const char	*colon;
	int		 port;

	memset(out, 0, sizeof(*out));
	if (strcmp(arg, "unix:") == 0) {
		snprintf(err, errlen, "--listen %s: needs a path", arg);
		return -1;
	}
	if (strncmp(arg, "unix:", 5) == 0)
		return listen_unix(arg + 5, out, err, errlen);
	if (arg[0] == '/' || strncmp(arg, "./", 2) == 0 || strncmp(arg, "../", 3) == 0)
		return listen_unix(arg, out, err, errlen);
	if (arg[0] == '[') {
		snprintf(err, errlen, "--listen %s: IPv6 is not supported; use an "
		    "IPv4 address such as 127.0.0.1:PORT", arg);
		return -1;
	}
	if ((colon = strrchr(arg, ':')) == NULL) {
		snprintf(err, errlen, "--listen %s: expected HOST:PORT, :PORT or a Unix "
		    "socket path starting with '/', './' or 'unix:'", arg);
		return -1;
	}
	if ((port = listen_port(colon + 1)) < 0) {
		snprintf(err, errlen, "--listen %s: the port must be a number in [1, 65535]", arg);
		return -1;
	}
	if ((size_t)(colon - arg) >= sizeof(host)) {
		snprintf(err, errlen, "--listen %s: host too long", arg);
		return -1;
	}
	memcpy(host, arg, colon - arg);
	host[colon - arg] = '\0';
	return listen_inet(arg, host, port, out, err, errlen);
}
