/*
 * parse.c: see parse.h.
 */
#include <stdarg.h>
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
