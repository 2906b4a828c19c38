/*
 * parse.h: what every parser of untrusted input shares: the sentence a
 * refusal is given in, the check that nothing follows a JSON value
 * (cJSON_ParseWithLength stops at the end of the value and takes the
 * rest of the body for nothing), and whether bytes are UTF-8 text.
 */
#ifndef OUTPOST_PARSE_H
#define OUTPOST_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Formats the reason into err (when errlen > 0); returns -1. */
int	parse_error(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Whether p[0..n) is UTF-8 as RFC 3629 defines it (no overlong forms, no
 * surrogates, nothing past U+10FFFF) without NUL; with no_ctrl, also
 * without C0 controls (tab and newline included), DEL or C1 controls.
 */
int	parse_utf8(const uint8_t *p, size_t n, int no_ctrl);

/* Whether [p, end) holds JSON whitespace only; 0 when p is NULL. */
int	parse_json_rest_empty(const char *p, const char *end);

/*
 * body (len bytes, at most max) as one JSON object, nothing after it,
 * without an escaped NUL (cJSON ends a string there: "a\u0000b" would read
 * as "a", a name other than the one sent), each member one of
 * known[0..nknown) (nknown <= 32) given once: with a member twice, the
 * sender may mean the one that would not be used. Returns the object, the
 * caller's to cJSON_Delete, with bit i of *seen set for each known[i]
 * given; or NULL with a reason in err: "body over 4096 bytes", "strings
 * must not hold NUL", "body must be a JSON object", "unknown member
 * (known: ep, tags)", "member ep given twice".
 */
struct cJSON;
struct cJSON *parse_json_object(const char *body, size_t len, size_t max,
	    const char *const known[], size_t nknown, unsigned *seen,
	    char *err, size_t errlen);

/*
 * An RFC 3339 date-time ("2026-12-07T22:00:00Z", "...T23:00:00.25+01:00";
 * 't' for 'T', 'z' for 'Z') as Unix milliseconds in *ms: the
 * first three digits of a fraction kept, a leap second (:60) read as the
 * next one, computed from the civil date (no timegm, no TZ). Years 0000 to
 * 9999, so *ms may be below 0. Returns 0, or -1 when s is none (a date
 * that does not exist, an hour past 23, a missing zone, anything after).
 */
int	parse_rfc3339(const char *s, int64_t *ms);

#endif /* OUTPOST_PARSE_H */
