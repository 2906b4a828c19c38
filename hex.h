/*
 * hex.h: hexadecimal digits, the one copy for every parser that reads them
 * (keys, digests, tokens, percent-escapes) and every writer.
 */
#ifndef OUTPOST_HEX_H
#define OUTPOST_HEX_H

#include <stddef.h>
#include <stdint.h>

/* The value of hex digit c (either case), or -1. */
int	hex_nibble(int c);

/* Decodes in[0..hexlen) (an even, non-zero number of digits, nothing
 * else) into out, at most max bytes. Returns the byte count, or -1. */
int	hex_decode(const char *in, size_t hexlen, uint8_t *out, size_t max);

/* Writes in[0..len) as 2 * len lowercase digits and a NUL into out. */
void	hex_encode(const uint8_t *in, size_t len, char *out);

#endif /* OUTPOST_HEX_H */
