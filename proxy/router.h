/*
 * router.h: matching request paths against route patterns. Pure functions
 * over untrusted input (the request path), bounded by the caller's sizes.
 */
#ifndef OUTPOST_ROUTER_H
#define OUTPOST_ROUTER_H

#include <stddef.h>

#define ROUTER_MAX_PARAMS	4
#define ROUTER_PARAM_MAX	256	/* bytes of one decoded parameter */

struct router_params {
	char	value[ROUTER_MAX_PARAMS][ROUTER_PARAM_MAX];
	size_t	count;
};

/*
 * Matches path (raw, as sent, without the query) against pattern, where a
 * "{name}" segment captures one segment, percent-decoded, and a final
 * "{name...}" captures the rest of the path (decoded per segment, joined
 * with '/'). Returns 1 on a match, 0 otherwise. A segment that decodes to
 * something holding NUL or '/', a bad %-escape, an empty segment or an
 * over-long value never matches a capture.
 */
int	router_match(const char *pattern, const char *path,
	    struct router_params *out);

/* Percent-decodes src[0..len) into dst (dstlen bytes, NUL-terminated).
 * Returns the decoded length or -1 (bad escape, NUL, no room). */
int	router_decode(const char *src, size_t len, char *dst, size_t dstlen);

#endif /* OUTPOST_ROUTER_H */
