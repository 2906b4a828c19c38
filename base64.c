/*
 * base64.c: RFC 4648 base64 (base64.h).
 */
#include <stdlib.h>
#include <string.h>

#include "base64.h"

static const char base64_tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
base64_encode(const uint8_t *p, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = base64_tab[p[i] >> 2];
		*o++ = base64_tab[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*o++ = base64_tab[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		*o++ = base64_tab[p[i + 2] & 63];
	}
	if (i < len) {
		*o++ = base64_tab[p[i] >> 2];
		*o++ = base64_tab[(p[i] & 3) << 4 |
		    (i + 1 < len ? p[i + 1] >> 4 : 0)];
		*o++ = i + 1 < len ? base64_tab[(p[i + 1] & 15) << 2] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int
base64_value(int c)
{
	const char *p;

	if (c == '\0' || (p = strchr(base64_tab, c)) == NULL)
		return -1;
	return (int)(p - base64_tab);
}

int
base64_decode(const char *s, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	size_t i, n = 0;
	int v[4], j, pad;

	*out = NULL;
	*outlen = 0;
	if (len % 4 != 0)
		return -1;
	if ((buf = malloc(len / 4 * 3 + 1)) == NULL)
		return -1;
	for (i = 0; i < len; i += 4) {
		pad = 0;
		for (j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == len && j >= 2) {
				/* '=' only at the end, and only as padding */
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad > 0 || (v[j] = base64_value(
			    (unsigned char)s[i + j])) == -1) {
				free(buf);
				return -1;
			}
		}
		buf[n++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			buf[n++] = (uint8_t)(v[1] << 4 | v[2] >> 2);
		if (pad < 1)
			buf[n++] = (uint8_t)(v[2] << 6 | v[3]);
	}
	*out = buf;
	*outlen = n;
	return 0;
}
