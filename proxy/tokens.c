/*
 * tokens.c: the token file parser, tokens kept as their SHA-256 and
 * compared in constant time, and the token bucket of the API's rate
 * limits. Pure functions over memory (no I/O, no libevent), so the fuzzer
 * and the unit tests take them alone.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hash.h>

#include <sys/socket.h>

#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "proxy/tokens.h"

static const char *const auth_role_names[] = {
	[AUTH_READ] = "read", [AUTH_OPERATE] = "operate",
	[AUTH_ADMIN] = "admin",
};

int
auth_role_parse(const char *s, size_t len)
{
	int r;

	for (r = AUTH_READ; r <= AUTH_ADMIN; r++)
		if (strlen(auth_role_names[r]) == len &&
		    memcmp(auth_role_names[r], s, len) == 0)
			return r;
	return -1;
}

const char *
auth_role_name(enum auth_role role)
{
	if (role == AUTH_PUBLIC)
		return "none";
	if (role < AUTH_READ || role > AUTH_ADMIN)
		return "admin";
	return auth_role_names[role];
}

/* RFC 6750 b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/",
 * then "=" padding only at the end. */
static int
auth_token_ok(const char *t, size_t len)
{
	size_t i, pad = len;

	while (pad > 0 && t[pad - 1] == '=')
		pad--;
	if (pad == 0)
		return 0;
	for (i = 0; i < pad; i++) {
		unsigned char ch = (unsigned char)t[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~+/", ch) != NULL) ||
		    ch == '\0')
			return 0;
	}
	return 1;
}

int
auth_token_digest(const char *tok, size_t len,
    unsigned char digest[AUTH_DIGEST_LEN])
{
	return wc_Sha256Hash((const unsigned char *)tok, (unsigned)len,
	    digest) == 0 ? 0 : -1;
}

int
auth_token_equal(const struct auth_token *a,
    const unsigned char digest[AUTH_DIGEST_LEN])
{
	volatile unsigned char diff = 0;
	size_t i;

	for (i = 0; i < AUTH_DIGEST_LEN; i++)
		diff |= a->digest[i] ^ digest[i];
	return diff == 0;
}

/* "sha256:" and 64 hex digits into digest. Returns 0, or -1. */
static int
auth_hash_parse(const char *tok, size_t len,
    unsigned char digest[AUTH_DIGEST_LEN])
{
	size_t plen = sizeof(AUTH_HASH_PREFIX) - 1, i;
	int hi, lo;

	if (len != plen + 2 * AUTH_DIGEST_LEN)
		return -1;
	for (i = 0; i < AUTH_DIGEST_LEN; i++) {
		if ((hi = hex_nibble((unsigned char)tok[plen + 2 * i])) < 0 ||
		    (lo = hex_nibble((unsigned char)tok[plen + 2 * i + 1])) < 0)
			return -1;
		digest[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
auth_token_add(struct auth_token *out, size_t *n, size_t max, const char *tok,
    size_t len, int role, char *err, size_t errlen)
{
	size_t plen = sizeof(AUTH_HASH_PREFIX) - 1, i;
	unsigned char digest[AUTH_DIGEST_LEN];

	if (len >= plen && memcmp(tok, AUTH_HASH_PREFIX, plen) == 0) {
		if (auth_hash_parse(tok, len, digest) == -1) {
			snprintf(err, errlen, "a hashed token is sha256: and "
			    "64 hex digits");
			return -1;
		}
	} else if (len < AUTH_TOKEN_MIN || len > CONFIG_TOKEN_MAX) {
		snprintf(err, errlen, "a token must be %d..%d characters",
		    AUTH_TOKEN_MIN, CONFIG_TOKEN_MAX);
		return -1;
	} else if (!auth_token_ok(tok, len)) {
		snprintf(err, errlen, "a token may hold only letters, digits "
		    "and -._~+/ (then = padding)");
		return -1;
	} else if (auth_token_digest(tok, len, digest) == -1) {
		snprintf(err, errlen, "cannot hash a token");
		return -1;
	}
	if (*n >= max) {
		snprintf(err, errlen, "more than %zu tokens", max);
		return -1;
	}
	for (i = 0; i < *n; i++)
		if (auth_token_equal(&out[i], digest)) {
			snprintf(err, errlen, "a token appears twice");
			return -1;
		}
	memset(&out[*n], 0, sizeof(out[*n]));
	memcpy(out[*n].digest, digest, sizeof(digest));
	out[*n].role = (enum auth_role)role;
	(*n)++;
	return 0;
}

/* Splits the next field off [*p, end) at spaces or tabs. */
static size_t
auth_field(const char **p, const char *end, const char **field)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*field = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*p = s;
	return (size_t)(s - *field);
}

int
auth_parse_tokens(const char *text, size_t len, struct auth_token *out,
    size_t max, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *eol, *tok, *role, *extra;
	size_t n = 0, tlen, rlen;
	int line = 0, r;
	char why[128];

	while (p < end) {
		line++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if (eol > p && eol[-1] == '\r')
			eol--;
		if (memchr(p, '\0', (size_t)(eol - p)) != NULL) {
			snprintf(err, errlen, "line %d: NUL byte", line);
			return -1;
		}
		tlen = auth_field(&p, eol, &tok);
		if (tlen == 0 || tok[0] == '#')
			goto next;
		rlen = auth_field(&p, eol, &role);
		if (rlen == 0) {
			snprintf(err, errlen, "line %d: expected TOKEN ROLE",
			    line);
			return -1;
		}
		if (auth_field(&p, eol, &extra) != 0) {
			snprintf(err, errlen, "line %d: text after the role",
			    line);
			return -1;
		}
		if ((r = auth_role_parse(role, rlen)) == -1) {
			/* Not echoed: swapped columns would log a token. */
			snprintf(err, errlen, "line %d: the role must be read, "
			    "operate or admin", line);
			return -1;
		}
		if (auth_token_add(out, &n, max, tok, tlen, r, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "line %d: %s", line, why);
			return -1;
		}
next:
		p = eol;
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
	}
	return (int)n;
}

int
auth_bucket_take(struct auth_bucket *b, int rate, int burst, uint64_t now_ms,
    int *retry_s)
{
	double need;

	if (rate <= 0)
		return 1;
	if (b->last_ms == 0 && b->level == 0)
		b->level = burst;	/* a new bucket starts full */
	else if (now_ms > b->last_ms)
		b->level += (double)(now_ms - b->last_ms) * rate / 1000.0;
	if (b->level > burst)
		b->level = burst;
	b->last_ms = now_ms != 0 ? now_ms : 1;
	if (b->level >= 1.0) {
		b->level -= 1.0;
		return 1;
	}
	need = (1.0 - b->level) / rate;
	*retry_s = (int)need + ((double)(int)need < need ? 1 : 0);
	if (*retry_s < 1)
		*retry_s = 1;
	return 0;
}

void
auth_addr_key(const struct sockaddr *sa, unsigned char key[AUTH_ADDR_KEY_LEN])
{
	const struct in6_addr *a6;

	memset(key, 0, AUTH_ADDR_KEY_LEN);
	if (sa != NULL && sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, 4);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			key[0] = 4;
			memcpy(key + 1, a6->s6_addr + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, a6->s6_addr, 8);
		}
	}
}
