/*
 * base64.h: RFC 4648 base64 with padding, for bodies that JSON must carry
 * as text (an op's result, the cloud link's requests and answers).
 */
#ifndef OUTPOST_BASE64_H
#define OUTPOST_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* p[0..len) as base64 with padding, NUL-terminated; the caller frees it.
 * NULL when out of memory. */
char	*base64_encode(const uint8_t *p, size_t len);

/* Decodes s[0..len) (base64 with padding, length a multiple of 4, no
 * white space) into a buffer it allocates (*out, freed by the caller,
 * never NULL on success) and *outlen. Returns 0, or -1 when s is not such
 * base64 or memory is short. */
int	 base64_decode(const char *s, size_t len, uint8_t **out,
	    size_t *outlen);

#endif /* OUTPOST_BASE64_H */
