// fuzz-sources: proxy/router.c
/*
 * fuzz_router.c: libFuzzer target for the request-path router. The input,
 * up to its first NUL, is a request path matched against the API's routes
 * and a few more shapes; the raw input (NULs included) is also
 * percent-decoded into buffers of several sizes. Besides ASan and UBSan, it
 * checks the promises of router.h and aborts on a broken one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/router.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const fuzz_patterns[] = {
	"/v1/health",
	"/v1/devices",
	"/v1/devices/{ep}",
	"/v1/devices/{ep}/{path...}",
	"/files/{path...}",
	"/{a}/{b}/{c}/{d}",
	"/{a}/{b}/{c}/{d}/{e}",
	"/{a}/x/{b}",
	"/",
};

/* Checks one capture: NUL-terminated inside its slot, not empty. */
static void
fuzz_check_value(const char *v, int one_segment)
{
	const char *nul = memchr(v, '\0', ROUTER_PARAM_MAX);

	if (nul == NULL || nul == v)
		abort();
	if (one_segment && memchr(v, '/', (size_t)(nul - v)) != NULL)
		abort();
}

static void
fuzz_match(const char *path)
{
	struct router_params p;
	size_t i, k;
	int rc, rest;

	for (i = 0; i < sizeof(fuzz_patterns) / sizeof(fuzz_patterns[0]);
	    i++) {
		memset(&p, 0xa5, sizeof(p));
		rc = router_match(fuzz_patterns[i], path, &p);
		if (rc != 0 && rc != 1)
			abort();
		/* A pattern without captures matches only itself. */
		if (strchr(fuzz_patterns[i], '{') == NULL) {
			if (rc != (strcmp(fuzz_patterns[i], path) == 0))
				abort();
			if (rc == 1 && p.count != 0)
				abort();
			continue;
		}
		if (rc == 0)
			continue;
		/* More captures than ROUTER_MAX_PARAMS never match. */
		if (strstr(fuzz_patterns[i], "{e}") != NULL)
			abort();
		if (path[0] != '/' || p.count < 1 ||
		    p.count > ROUTER_MAX_PARAMS)
			abort();
		rest = strstr(fuzz_patterns[i], "...}") != NULL;
		for (k = 0; k < p.count; k++)
			fuzz_check_value(p.value[k], !rest ||
			    k + 1 < p.count);
	}
}

/* Decodes src[0..len) into a heap buffer of exactly dstlen bytes. */
static void
fuzz_decode(const char *src, size_t len, size_t dstlen)
{
	char *dst = malloc(dstlen == 0 ? 1 : dstlen);
	int n;

	if (dst == NULL)
		return;
	n = router_decode(src, len, dst, dstlen);
	if (n < -1)
		abort();
	if (n >= 0) {
		/* Never longer than the input, always NUL-terminated, and no
		 * NUL inside (a decoded NUL is refused). */
		if ((size_t)n >= dstlen || (size_t)n > len || dst[n] != '\0' ||
		    strlen(dst) != (size_t)n)
			abort();
	}
	free(dst);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path;

	/* An exact-size copy: a read past the end is an ASan report. */
	if ((path = malloc(size + 1)) == NULL)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	fuzz_match(path);
	free(path);

	fuzz_decode((const char *)data, size, ROUTER_PARAM_MAX);
	fuzz_decode((const char *)data, size, size + 1);
	fuzz_decode((const char *)data, size, size % 17);
	return 0;
}
