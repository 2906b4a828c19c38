/*
 * parse.h: what every parser of untrusted input shares: the sentence a
 * refusal is given in, and the check that nothing follows a JSON value
 * (cJSON_ParseWithLength stops at the end of the value and takes the
 * rest of the body for nothing).
 */
#ifndef OUTPOST_PARSE_H
#define OUTPOST_PARSE_H

#include <stddef.h>

/* Formats the reason into err (when errlen > 0); returns -1. */
int	parse_error(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Whether [p, end) holds JSON whitespace only; 0 when p is NULL. */
int	parse_json_rest_empty(const char *p, const char *end);

#endif /* OUTPOST_PARSE_H */
