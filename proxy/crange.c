/*
 * crange.c: Content-Range of an upload part.
 */
#include <stddef.h>
#include <strings.h>

#include "proxy/crange.h"

/* Reads 1..16 digits from *sp into *out, advancing *sp. */
static int
crange_number(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t n = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if (i == 16)
			return -1;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || n > CRANGE_MAX)
		return -1;
	*sp = s + i;
	*out = n;
	return 0;
}

int
crange_parse(const char *s, uint64_t *first, uint64_t *last,
    uint64_t *total)
{
	uint64_t a, b, t;

	if (strncasecmp(s, "bytes ", 6) != 0)
		return -1;
	s += 6;
	if (crange_number(&s, &a) == -1 || *s++ != '-' ||
	    crange_number(&s, &b) == -1 || *s++ != '/' ||
	    crange_number(&s, &t) == -1 || *s != '\0')
		return -1;
	if (a > b || b >= t)
		return -1;
	*first = a;
	*last = b;
	*total = t;
	return 0;
}
