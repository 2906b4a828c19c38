/*
 * hex.c: see hex.h.
 */
#include "hex.h"

int
hex_nibble(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *in, size_t hexlen, uint8_t *out, size_t max)
{
	size_t i;
	int hi, lo;

	if (hexlen == 0 || hexlen % 2 != 0 || hexlen / 2 > max ||
	    hexlen / 2 > 0x7fffffff)
		return -1;
	for (i = 0; i < hexlen / 2; i++) {
		if ((hi = hex_nibble((unsigned char)in[2 * i])) < 0 ||
		    (lo = hex_nibble((unsigned char)in[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(hexlen / 2);
}

void
hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}
