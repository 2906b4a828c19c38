/*
 * router.c: see router.h.
 */
#include <string.h>

#include "hex.h"
#include "proxy/router.h"

int
router_decode(const char *src, size_t len, char *dst, size_t dstlen)
{
	size_t i, n = 0;
	int hi, lo, c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			hi = hex_nibble((unsigned char)src[i + 1]);
			lo = hex_nibble((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (c == '\0' || n + 1 >= dstlen)
			return -1;
		dst[n++] = (char)c;
	}
	if (n >= dstlen)
		return -1;
	dst[n] = '\0';
	return (int)n;
}

/* Length of the segment starting at s (up to '/' or the end). */
static size_t
seglen(const char *s)
{
	const char *e = strchr(s, '/');

	return e != NULL ? (size_t)(e - s) : strlen(s);
}

/* Captures the rest of path (segments decoded, joined by '/') into dst. */
static int
router_rest(const char *path, char *dst, size_t dstlen)
{
	size_t n = 0, l;
	int d;

	for (;;) {
		l = seglen(path);
		if (l == 0)
			return -1;
		d = router_decode(path, l, dst + n, dstlen - n);
		if (d < 0 || memchr(dst + n, '/', (size_t)d) != NULL)
			return -1;
		n += (size_t)d;
		path += l;
		if (*path == '\0')
			return 0;
		if (n + 1 >= dstlen)
			return -1;
		dst[n++] = '/';
		dst[n] = '\0';
		path++;
	}
}

int
router_match(const char *pattern, const char *path,
    struct router_params *out)
{
	size_t pl, l;
	int d;

	out->count = 0;
	if (*pattern != '/' || *path != '/')
		return 0;
	for (;;) {
		pattern++;
		path++;
		pl = seglen(pattern);
		l = seglen(path);
		if (pl > 2 && pattern[0] == '{' && pattern[pl - 1] == '}') {
			char *dst;

			if (out->count == ROUTER_MAX_PARAMS)
				return 0;
			dst = out->value[out->count];
			if (pl > 5 && memcmp(pattern + pl - 4, "...}", 4) == 0)
				return pattern[pl] == '\0' && router_rest(path,
				    dst, ROUTER_PARAM_MAX) == 0 &&
				    ++out->count > 0;
			if (l == 0)
				return 0;
			d = router_decode(path, l, dst, ROUTER_PARAM_MAX);
			if (d <= 0 || memchr(dst, '/', (size_t)d) != NULL)
				return 0;
			out->count++;
		} else if (pl != l || memcmp(pattern, path, l) != 0) {
			return 0;
		}
		pattern += pl;
		path += l;
		if (*pattern == '\0' || *path == '\0')
			return *pattern == '\0' && *path == '\0';
	}
}
