// fuzz-sources: proxy/tokens.c
/*
 * fuzz_tokens.c: libFuzzer target for the token file parser
 * (auth_parse_tokens). The input is a token file. Besides ASan and UBSan, it
 * checks the promises of auth.h and aborts on a broken one: a count within
 * max, every token within its bounds, NUL-padded, of the b64token set, once,
 * with a known role; an error a NUL-terminated "line N: ..." without the
 * text of any line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/auth.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAX	16

static void
fuzz_check_token(const struct auth_token *t, const struct auth_token *all,
    size_t i)
{
	size_t k;

	if (t->len < AUTH_TOKEN_MIN || t->len > CONFIG_TOKEN_MAX ||
	    strlen(t->token) != t->len)
		abort();
	for (k = t->len; k < sizeof(t->token); k++)
		if (t->token[k] != '\0')
			abort();
	if (strspn(t->token, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
	    "VWXYZ0123456789-._~+/=") != t->len)
		abort();
	if (t->role != AUTH_READ && t->role != AUTH_OPERATE &&
	    t->role != AUTH_ADMIN)
		abort();
	for (k = 0; k < i; k++)
		if (auth_token_equal(&all[k], t->token, t->len))
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
out:
	free(toks);
	free(text);
	return 0;
}
