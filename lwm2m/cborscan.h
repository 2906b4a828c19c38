/*
 * cborscan.h: the bounds check of a CBOR body from the wire, before
 * libcbor's cbor_load builds a tree of it. Shared by the gateway's SenML
 * CBOR conversion (senml_cbor.c) and the node agent's Bootstrap-Write
 * decoder (node/bswrite.c). Pure: no I/O, no globals.
 *
 * cbor_load allocates whatever an array or map header declares, and
 * libcbor frees a tree recursively; so the declared sizes (each item takes
 * a byte at least), the item count and the nesting are bounded here first,
 * by libcbor's streaming decoder, which allocates nothing.
 */
#ifndef OUTPOST_CBORSCAN_H
#define OUTPOST_CBORSCAN_H

#include <stddef.h>
#include <stdint.h>

#define CBORSCAN_DEPTH_MAX	8	/* the most any caller may allow */

/* What a body may hold. */
struct cborscan_limits {
	const char	*what;	/* the body's name, first in every message:
				   "SenML CBOR" */
	size_t		 items;	/* data items, tags counted */
	int		 depth;	/* containers open at once, at most
				   CBORSCAN_DEPTH_MAX */
	int		 tag4;	/* 1: tag 4 (a decimal fraction) may stand
				   on an item, once; 0: no tag at all */
};

/*
 * Checks that body[0..len) is one CBOR item within lim and nothing after
 * it, with definite-length strings only. Returns 0; or -1 and a
 * NUL-terminated reason in err (when errlen > 0), such as
 * "SenML CBOR at byte 0: array of 8 items in 1 bytes".
 */
int	cborscan_body(const uint8_t *body, size_t len,
	    const struct cborscan_limits *lim, char *err, size_t errlen);

#endif
