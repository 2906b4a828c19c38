// fuzz-sources: proxy/router.c hex.c
// fuzz-libs: -levent
/*
 * fuzz_router.c: libFuzzer target for the request-path router. The input,
 * up to its first NUL, is a request path matched against the API's routes
 * and a few more shapes; it is also taken as a request target the way
 * proxy/http.c takes one (evhttp's URI parser, then the path through the
 * router and the query through evhttp_parse_query_str and the lookups the
 * handlers make); the raw input (NULs included) is also percent-decoded
 * into buffers of several sizes. Besides ASan and UBSan, it checks the
 * promises of router.h and aborts on a broken one.
 */
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "proxy/router.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const fuzz_patterns[] = {
	"/v1/health",
	"/v1/devices",
	"/v1/devices/{ep}",
	"/v1/devices/{ep}/{path...}",
	"/v1/devices/{ep}/r/{path...}",
	"/v1/devices/{ep}/observe/{path...}",
	"/v1/devices/{ep}/ops",
	"/v1/devices/{ep}/tags",
	"/v1/ops/{id}",
	"/v1/firmware/{id}/image",
	"/metrics",
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

/* The query keys the handlers look up (http_query). */
static const char *const fuzz_query_keys[] = {
	"after", "cached", "discover", "ep", "limit", "mode", "stale",
	"state", "timeout", "type",
};

/*
 * As http_dispatch: the request target through evhttp's URI parser (as
 * evhttp parses a request line), its path through the router, its query
 * into key/value pairs that must be NUL-terminated strings.
 */
static void
fuzz_target(const char *target)
{
	struct evhttp_uri *uri;
	struct evkeyvalq q;
	struct evkeyval *kv;
	const char *path, *query, *v;
	size_t i;

	if ((uri = evhttp_uri_parse_with_flags(target,
	    EVHTTP_URI_NONCONFORMANT)) == NULL)
		return;
	path = evhttp_uri_get_path(uri);
	query = evhttp_uri_get_query(uri);
	fuzz_match(path == NULL || *path == '\0' ? "/" : path);
	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) == 0) {
		TAILQ_FOREACH(kv, &q, next)
			if (kv->key == NULL || kv->value == NULL ||
			    strlen(kv->key) > strlen(query) ||
			    strlen(kv->value) > strlen(query))
				abort();
		for (i = 0; i < sizeof(fuzz_query_keys) /
		    sizeof(fuzz_query_keys[0]); i++)
			if ((v = evhttp_find_header(&q, fuzz_query_keys[i])) !=
			    NULL && strlen(v) > strlen(query))
				abort();
	}
	evhttp_clear_headers(&q);
	evhttp_uri_free(uri);
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
	fuzz_target(path);
	free(path);

	fuzz_decode((const char *)data, size, ROUTER_PARAM_MAX);
	fuzz_decode((const char *)data, size, size + 1);
	fuzz_decode((const char *)data, size, size % 17);
	return 0;
}
