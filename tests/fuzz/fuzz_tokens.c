// fuzz-sources: proxy/tokens.c hex.c
// fuzz-libs: -lwolfssl
/*
 * fuzz_tokens.c: libFuzzer target for the token file parser
 * (auth_parse_tokens). The input is a token file. Besides ASan and UBSan, it
 * checks the promises of auth.h and aborts on a broken one: a count within
 * max, every token once (by its SHA-256) with a known role, and no token
 * taken from a line whose first field is not a b64token of 16..128
 * characters or sha256:HEX; an error a NUL-terminated "line N: ..." without
 * the text of any line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/tokens.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAX	16

static void
fuzz_check_token(const struct auth_token *t, const struct auth_token *all,
    size_t i)
{
	size_t k;

	if (t->role != AUTH_READ && t->role != AUTH_OPERATE &&
	    t->role != AUTH_ADMIN)
		abort();
	for (k = 0; k < i; k++)
		if (auth_token_equal(&all[k], t->digest))
			abort();
}

/* Whether each of s[0..len) is in set. */
static int
fuzz_all(const char *s, size_t len, const char *set)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return 0;
	return 1;
}

/* Every line with a token starts with a field our rules accept. */
static void
fuzz_check_lines(const char *text, size_t size, int n)
{
	const char *p = text, *end = text + size, *eol, *next;
	size_t len;
	int seen = 0;

	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		next = eol < end ? eol + 1 : end;
		if (eol > p && eol[-1] == '\r')
			eol--;		/* CRLF */
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		for (len = 0; p + len < eol && p[len] != ' ' &&
		    p[len] != '\t'; len++)
			;
		if (len > 0 && *p != '#') {
			seen++;
			if (len >= 7 && memcmp(p, "sha256:", 7) == 0) {
				if (len != 7 + 64 || !fuzz_all(p + 7, 64,
				    "0123456789abcdefABCDEF"))
					abort();
			} else if (len < AUTH_TOKEN_MIN ||
			    len > CONFIG_TOKEN_MAX || !fuzz_all(p, len,
			    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
			    "VWXYZ0123456789-._~+/="))
				abort();
		}
		p = next;
	}
	if (seen != n)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_token *toks = calloc(FUZZ_MAX, sizeof(*toks));
	char *text = malloc(size ? size : 1), err[96];
	int n;
	size_t i;

	if (toks == NULL || text == NULL)
		goto out;
	memcpy(text, data, size);	/* exact size: ASan sees overreads */
	memset(err, 0x5a, sizeof(err));
	n = auth_parse_tokens(text, size, toks, FUZZ_MAX, err, sizeof(err));
	if (n < -1 || n > FUZZ_MAX)
		abort();
	if (n == -1) {
		if (memchr(err, '\0', sizeof(err)) == NULL ||
		    strncmp(err, "line ", 5) != 0)
			abort();
		/* No token text: a message is made of our words only. */
		if (strchr(err, '\'') != NULL)
			abort();
		goto out;
	}
	for (i = 0; i < (size_t)n; i++)
		fuzz_check_token(&toks[i], toks, i);
	if (memchr(text, '\0', size) == NULL)
		fuzz_check_lines(text, size, n);
out:
	free(toks);
	free(text);
	return 0;
}
