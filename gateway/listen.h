/*
 * listen.h - the value of `tiergate serve --listen`, checked before anything
 * is opened: a TCP address (loopback unless named otherwise) or an explicit
 * Unix socket path, never a file created by accident.
 */
#ifndef TG_LISTEN_H
#define TG_LISTEN_H

#include <stddef.h>

struct listen_addr {
	char	 bind[256];	/* what FCGX_OpenSocket gets: "IPV4:PORT" or a path */
	int	 is_unix;	/* bind is a Unix socket path */
	int	 loopback;	/* TCP on 127.0.0.0/8 (always true for Unix sockets) */
};

/* Parse `arg`:
 *   :PORT               127.0.0.1:PORT (loopback; the safe default)
 *   IPV4:PORT           that address; 0.0.0.0:PORT or *:PORT = every interface
 *   localhost:PORT      127.0.0.1:PORT
 *   /PATH, ./PATH, ../PATH, unix:PATH   a Unix socket (the path may not
 *                       contain ':', which libfcgi would take for host:port)
 * PORT is 1-65535 in decimal.  IPv6 is refused: libfcgi binds IPv4 only.
 * Returns 0, or -1 with a reason (for a usage error) in err. */
int	listen_parse(const char *arg, struct listen_addr *out, char *err, size_t errlen);

#endif
