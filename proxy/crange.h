/*
 * crange.h: the Content-Range header of a request (RFC 9110 §14.4), as a
 * resumable upload sends it. A pure function over untrusted input.
 */
#ifndef OUTPOST_CRANGE_H
#define OUTPOST_CRANGE_H

#include <stdint.h>

#define CRANGE_MAX	((uint64_t)1 << 53)	/* largest size accepted */

/*
 * Parses "bytes FIRST-LAST/TOTAL" (decimal digits only, FIRST <= LAST <
 * TOTAL <= CRANGE_MAX; "bytes" in any case). Returns 0 with the three
 * values, or -1 for anything else ("*" forms included).
 */
int	crange_parse(const char *s, uint64_t *first, uint64_t *last,
	    uint64_t *total);

#endif /* OUTPOST_CRANGE_H */
