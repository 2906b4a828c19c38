/*
 * parse.c: see parse.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "parse.h"

int
parse_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int
parse_json_rest_empty(const char *p, const char *end)
{
	for (; p != NULL && p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	return p != NULL;
}

int
parse_utf8(const uint8_t *p, size_t n, int no_ctrl)
{
	size_t i = 0, k, more;
	uint32_t cp, min;

	while (i < n) {
		if (p[i] < 0x80) {
			if (p[i] == 0 || (no_ctrl && (p[i] < 0x20 ||
			    p[i] == 0x7f)))
				return 0;
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			more = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			more = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			more = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (n - i - 1 < more)
			return 0;
		for (k = 1; k <= more; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		if (no_ctrl && cp <= 0x9f)
			return 0;
		i += more + 1;
	}
	return 1;
}
