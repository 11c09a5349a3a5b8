/*
 * auth.h - who is calling: gateway-issued API keys (Bearer / x-api-key,
 * stored as SHA-256 hashes) and SigV4 key pairs, from the keys file
 * (tiergate-keys(5)).
 */
#ifndef TG_AUTH_H
#define TG_AUTH_H

#include <stddef.h>

struct tg_req;
struct tg_keys;

enum auth_err {
	AUTH_OK = 0,
	AUTH_E_MISSING,		/* no credentials in the request */
	AUTH_E_INVALID,		/* an API key that matches no entry */
	AUTH_E_SIGV4,		/* a SigV4 signature that does not verify */
	AUTH_E_MALFORMED,	/* an Authorization header we cannot read */
};

/* Load the keys file.  Returns a new table (free with auth_keys_free()) or
 * NULL with "file:line: message" in err.  Secrets are never in err. */
struct tg_keys	*auth_keys_load(const char *path, char *err, size_t errlen);
void		 auth_keys_free(struct tg_keys *);
size_t		 auth_keys_count(const struct tg_keys *);

/*
 * A keys file that is reloaded when it changes (checked at most once a
 * second, by whichever thread asks).  A file that no longer loads is
 * logged and the previous keys keep serving.  Tables that were replaced
 * are kept until auth_keyring_free(): a thread may still be reading one,
 * and an edit costs only the file's size.
 */
struct tg_keyring;
struct tg_keyring *auth_keyring_new(const char *path, char *err, size_t errlen);
const struct tg_keys *auth_keyring_get(struct tg_keyring *);
void		 auth_keyring_free(struct tg_keyring *);

/* Authenticate `req`.  On AUTH_OK *tenant is the key's tenant (borrowed
 * from the table).  With no keys table (NULL) every request is anonymous
 * and allowed.  On failure the error has been sent (401/403). */
enum auth_err	 auth_check(const struct tg_keys *, struct tg_req *, const char **tenant);

/* `tiergate keygen TENANT [--sigv4]`: print a new key and its keys-file line. */
int		 auth_cmd_keygen(int, char **);

#endif
