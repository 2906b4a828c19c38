/*
 * attr.h: the query attributes of a request (LwM2M "Write-Attributes"
 * names, RFC 7641 observe): pmin and pmax are honoured; gt, lt, st, epmin
 * and epmax are checked and ignored. Peer input: bounded, never trusted.
 */
#ifndef OUTPOST_NODE_ATTR_H
#define OUTPOST_NODE_ATTR_H

#include <stddef.h>
#include <stdint.h>

#define ATTR_PERIOD_MAX	(365 * 86400)	/* seconds, pmin and pmax */

struct attr {
	int		pmin;		/* seconds, when has_pmin */
	int		pmax;
	unsigned	has_pmin:1;
	unsigned	has_pmax:1;
};

/*
 * Applies one Uri-Query option value (len bytes, no NUL needed) to a, which
 * the caller zeroes before the first. pmin and pmax take a decimal number
 * 0..ATTR_PERIOD_MAX; gt, lt and st take a decimal number (sign, fraction
 * and exponent allowed) and epmin, epmax a whole one. A repeated or unknown
 * name, a missing or bad value, or an embedded NUL is an error. Returns 0,
 * or -1 with a reason in err (a unchanged).
 */
int	attr_parse(struct attr *a, const uint8_t *opt, size_t len, char *err,
	    size_t errlen);

/* Checks what one option cannot: pmin above pmax. Returns 0 or -1. */
int	attr_check(const struct attr *a, char *err, size_t errlen);

#endif /* OUTPOST_NODE_ATTR_H */
