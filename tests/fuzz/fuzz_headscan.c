// fuzz-sources: proxy/headscan.c
/*
 * fuzz_headscan.c: libFuzzer target for the end of a request head
 * (headscan). Besides ASan and UBSan, it checks the answer against a plain
 * search for LF LF or LF CR LF, and that feeding the bytes in two pieces
 * (split where the first byte says) gives the same answer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/headscan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Whether s[0..len) holds LF LF or LF CR LF. */
static int
naive(const uint8_t *s, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (s[i] != '\n')
			continue;
		if (s[i + 1] == '\n' ||
		    (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n'))
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *s = malloc(size ? size : 1);
	size_t cut = size > 0 ? data[0] % (size + 1) : 0;
	int st = 0, whole, split;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	whole = headscan(&st, s, size);
	st = 0;
	split = headscan(&st, s, cut) || headscan(&st, s + cut, size - cut);
	if (whole != naive(s, size) || split != whole)
		abort();
	free(s);
	return 0;
}
