/*
 * tokens.h: API tokens as data (proxy/tokens.c): their roles, the token
 * file's parser, their digests and the token bucket of a rate limit. No
 * I/O; proxy/auth.c keeps the set the gateway runs with (auth.h).
 */
#ifndef OUTPOST_TOKENS_H
#define OUTPOST_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* 0 is what a route row that names no role gets: it means admin, so a
 * route added without thought is closed rather than open. */
enum auth_role {
	AUTH_UNSET = 0,
	AUTH_PUBLIC,		/* no token needed (/v1/health) */
	AUTH_READ,
	AUTH_OPERATE,
	AUTH_ADMIN,
};

#define AUTH_TOKEN_MIN		16	/* shorter tokens are refused */
#define AUTH_TOKENS_MAX		10000
#define AUTH_FILE_MAX		(1 << 20)

/* A token bucket: level requests available, refilled at rate per second up
 * to burst. */
struct auth_bucket {
	double		level;
	uint64_t	last_ms;
};

#define AUTH_DIGEST_LEN		32	/* SHA-256 */
#define AUTH_HASH_PREFIX	"sha256:"

/* A token is kept as its SHA-256 only: the gateway holds no token it was
 * given in the file, and a file may give hashes instead of tokens. */
struct auth_token {
	unsigned char		digest[AUTH_DIGEST_LEN];
	enum auth_role		role;
	struct auth_bucket	bucket;
};

/* "read", "operate", "admin" (exactly) to a role; -1 if none. */
int	auth_role_parse(const char *s, size_t len);
const char *auth_role_name(enum auth_role role);

/*
 * Parses the text of a token file into out[0..max): lines "TOKEN ROLE",
 * blank lines and "#" comments; a token is AUTH_TOKEN_MIN..CONFIG_TOKEN_MAX
 * characters of RFC 6750's b64token set, or "sha256:" and the 64 hex
 * digits of a token's SHA-256. Every token appears once. Returns the
 * count, or -1 with err ("line 3: the role must be read, operate or
 * admin"); err never holds a token.
 */
int	auth_parse_tokens(const char *text, size_t len, struct auth_token *out,
	    size_t max, char *err, size_t errlen);

/* The SHA-256 of tok[0..len) into digest. Returns 0 or -1. */
int	auth_token_digest(const char *tok, size_t len,
	    unsigned char digest[AUTH_DIGEST_LEN]);

/* Whether a is the token of digest, in time that depends on neither. */
int	auth_token_equal(const struct auth_token *a,
	    const unsigned char digest[AUTH_DIGEST_LEN]);

/* Appends tok[0..len) (a token, or "sha256:" and its hash) with role to
 * out[0..*n) (max entries), refusing a bad, too short or repeated token.
 * Returns 0 or -1 with err. */
int	auth_token_add(struct auth_token *out, size_t *n, size_t max,
	    const char *tok, size_t len, int role, char *err, size_t errlen);

/*
 * A token bucket step at now_ms: 1 and one request taken, or 0 and the
 * seconds until one is available in *retry_s. rate 0 never limits.
 */
int	auth_bucket_take(struct auth_bucket *b, int rate, int burst,
	    uint64_t now_ms, int *retry_s);

/*
 * The client of sa as a rate limit counts it, into key: the family (4 or
 * 6) then the IPv4 address, or the first 64 bits of an IPv6 one (a client
 * owns a /64 at least: one key per /64, or it would have 2^64 of them);
 * v4-mapped is IPv4. All zeroes for NULL or another family.
 */
#define AUTH_ADDR_KEY_LEN	9
struct sockaddr;
void	auth_addr_key(const struct sockaddr *sa,
	    unsigned char key[AUTH_ADDR_KEY_LEN]);

#endif /* OUTPOST_TOKENS_H */
