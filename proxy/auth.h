/*
 * auth.h: API tokens, roles and rate limits of the HTTP API.
 *
 * Tokens come from [auth] admin_token, operate_token, read_token and from
 * [auth] token_file (one "TOKEN ROLE" per line), re-read on SIGHUP. A
 * request names its token as "Authorization: Bearer TOKEN"; it is compared
 * in constant time with every token known. Each route asks for a role per
 * method; the roles are ordered: read < operate < admin.
 *
 * With no token at all the API is open (development on loopback); the HTTP
 * module refuses that on any non-loopback listener.
 */
#ifndef OUTPOST_AUTH_H
#define OUTPOST_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "proxy/tokens.h"

struct sockaddr;

struct auth;

/*
 * Builds the token set of cfg: its *_token keys and its token_file.
 * Returns NULL with err when a token or the file is bad.
 */
struct auth *auth_new(const struct gw_config *cfg, char *err, size_t errlen);
void	auth_free(struct auth *a);

/* Replaces a's tokens with those of cfg, and takes its rate limits.
 * Returns 0, or -1 with err and a unchanged. */
int	auth_reload(struct auth *a, const struct gw_config *cfg, char *err,
	    size_t errlen);

/* Tokens known (0: the API is open). */
size_t	auth_count(const struct auth *a);

/* Takes cfg's rate limits; tokens stay as they are. */
void	auth_set_limits(struct auth *a, const struct gw_config *cfg);

/* Why a request is refused: the HTTP face answers it (http.c). */
struct auth_verdict {
	int		 status;	/* 401, 403 or 429 */
	const char	*code;		/* the JSON error's "error" */
	const char	*header;	/* WWW-Authenticate or Retry-After */
	char		 value[128];	/* its value */
	char		 detail[96];
	enum auth_role	 role;		/* on success: the token's role */
};

/*
 * The per-address limit while tokens are configured: auth_check takes it
 * for every route but public ones (a probe never gets 429), http.c for
 * requests that match no route or method. Returns 0 to go on, or -1 with
 * a 429 and its Retry-After in *v.
 */
struct sockaddr;
int	auth_limit(struct auth *a, const struct sockaddr *peer,
	    struct auth_verdict *v);

/*
 * Checks a request (its Authorization header, or NULL, and the client's
 * address) against the role its route needs. Returns 0 to go on, or -1
 * with the refusal in *v: 401 (no or unknown token), 403 (role too low)
 * or 429 (the token's rate limit). On success v->role is the token's role
 * (admin when the API has no tokens; need on a public route).
 */
int	auth_check(struct auth *a, const char *authorization,
	    const struct sockaddr *peer, enum auth_role need,
	    struct auth_verdict *v);

#endif /* OUTPOST_AUTH_H */
