// fuzz-sources: proxy/crange.c
/*
 * fuzz_crange.c: libFuzzer target for the Content-Range parser of firmware
 * uploads. The input, up to its first NUL, is the header value. Besides
 * ASan and UBSan it checks crange.h's promise: an accepted range has
 * first <= last < total <= CRANGE_MAX, and prints back to the same text.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy/crange.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), back[96];
	uint64_t a, b, t;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (crange_parse(s, &a, &b, &t) == 0) {
		if (!(a <= b && b < t && t <= CRANGE_MAX))
			abort();
		snprintf(back, sizeof(back), "bytes %" PRIu64 "-%" PRIu64 "/%"
		    PRIu64, a, b, t);
		/* Leading zeros are the one spelling that does not come back. */
		if (strchr(s, '0') == NULL && strcasecmp(back, s) != 0)
			abort();
	}
	free(s);
	return 0;
}
