/*
 * test_router.c: unit tests for proxy/router.c: exact routes, {name}
 * captures with percent-decoding, the {name...} rest capture, and hostile
 * paths. Every path handed to the router is a heap copy of exactly its
 * length plus the NUL, so that ASan flags a read past it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/router.h"

/* The API's routes (proxy/api.c) and a few more shapes. */
#define R_HEALTH	"/v1/health"
#define R_DEVICES	"/v1/devices"
#define R_DEVICE	"/v1/devices/{ep}"
#define R_RESOURCE	"/v1/devices/{ep}/{path...}"
#define R_FILES		"/files/{path...}"

static const char *const patterns[] = {
	R_HEALTH, R_DEVICES, R_DEVICE, R_RESOURCE, R_FILES, "/",
	"/{a}/{b}/{c}/{d}", "/{a}/x/{b}",
};
#define NPATTERNS	(sizeof(patterns) / sizeof(patterns[0]))

/* router_match on an exact-size heap copy of path. */
static int
match(const char *pattern, const char *path, struct router_params *p)
{
	size_t len = strlen(path);
	char *copy;
	int rc;

	copy = malloc(len + 1);
	assert_non_null(copy);
	memcpy(copy, path, len + 1);
	memset(p, 0x5a, sizeof(*p));
	rc = router_match(pattern, copy, p);
	free(copy);
	assert_true(rc == 0 || rc == 1);
	return rc;
}

static void
no_match(const char *pattern, const char *path)
{
	struct router_params p;

	if (match(pattern, path, &p) != 0)
		fail_msg("\"%s\" matched \"%.80s\"", pattern, path);
}

/* Matches, with the given captures (NULL-terminated list). */
static void
yes_match(const char *pattern, const char *path, ...)
{
	struct router_params p;
	const char *want;
	size_t n = 0;
	va_list ap;

	if (match(pattern, path, &p) != 1)
		fail_msg("\"%s\" did not match \"%.80s\"", pattern, path);
	va_start(ap, path);
	while ((want = va_arg(ap, const char *)) != NULL) {
		assert_true(n < p.count);
		if (strcmp(p.value[n], want) != 0)
			fail_msg("\"%s\" on \"%.80s\": capture %zu is \"%s\", "
			    "want \"%s\"", pattern, path, n, p.value[n], want);
		n++;
	}
	va_end(ap);
	assert_int_equal(p.count, n);
}

/* router_decode of an exact-size heap copy (no NUL after it). */
static int
decode(const char *src, size_t len, char *dst, size_t dstlen)
{
	char *copy;
	int rc;

	copy = malloc(len == 0 ? 1 : len);
	assert_non_null(copy);
	memcpy(copy, src, len);
	rc = router_decode(copy, len, dst, dstlen);
	free(copy);
	return rc;
}

/* A string of n copies of s, on the heap. */
static char *
repeat(const char *prefix, const char *s, size_t n, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(s), xl = strlen(suffix), i;
	char *out;

	out = malloc(pl + sl * n + xl + 1);
	assert_non_null(out);
	memcpy(out, prefix, pl);
	for (i = 0; i < n; i++)
		memcpy(out + pl + i * sl, s, sl);
	memcpy(out + pl + n * sl, suffix, xl + 1);
	return out;
}

/* ---- exact routes ---- */

static void
test_exact(void **state)
{
	(void)state;
	yes_match(R_HEALTH, "/v1/health", NULL);
	yes_match(R_DEVICES, "/v1/devices", NULL);
	yes_match("/", "/", NULL);
	no_match(R_HEALTH, "/v1/healt");
	no_match(R_HEALTH, "/v1/healthz");
	no_match(R_HEALTH, "/v1/health/x");
	no_match(R_HEALTH, "/v1");
	no_match(R_HEALTH, "/v2/health");
	no_match(R_HEALTH, "/V1/health");
	no_match(R_HEALTH, "v1/health");
	no_match(R_HEALTH, "");
	no_match(R_HEALTH, "/");
	no_match(R_DEVICES, "/v1/devices/x");
	no_match("/", "//");
	no_match("/", "");
	/* Exact segments compare raw: an escape is not the letter. */
	no_match(R_HEALTH, "/v1/h%65alth");
	/* A pattern must start with '/'. */
	no_match("v1/health", "v1/health");
}

static void
test_trailing_slash(void **state)
{
	(void)state;
	no_match(R_HEALTH, "/v1/health/");
	no_match(R_DEVICES, "/v1/devices/");
	no_match(R_DEVICE, "/v1/devices/node-1/");
	no_match(R_DEVICE, "/v1/devices/");
	no_match(R_FILES, "/files/a/");
	no_match(R_FILES, "/files/");
}

static void
test_empty_segments(void **state)
{
	(void)state;
	no_match(R_HEALTH, "//v1/health");
	no_match(R_HEALTH, "/v1//health");
	no_match(R_DEVICE, "/v1/devices//");
	no_match(R_DEVICE, "/v1//devices/x");
	no_match(R_RESOURCE, "/v1/devices/x//3");
	no_match(R_FILES, "/files//a");
	no_match(R_FILES, "/files/a//b");
	no_match("/{a}/x/{b}", "//x/b");
	no_match("/{a}/x/{b}", "/a/x/");
}

/* ---- captures ---- */

static void
test_capture(void **state)
{
	(void)state;
	yes_match(R_DEVICE, "/v1/devices/node-1", "node-1", NULL);
	yes_match(R_DEVICE, "/v1/devices/urn%3Aimei%3A1", "urn:imei:1", NULL);
	yes_match(R_DEVICE, "/v1/devices/urn%3aimei%3a1", "urn:imei:1", NULL);
	yes_match(R_DEVICE, "/v1/devices/a%20b", "a b", NULL);
	yes_match(R_DEVICE, "/v1/devices/a+b", "a+b", NULL);
	yes_match(R_DEVICE, "/v1/devices/%25", "%", NULL);
	yes_match(R_DEVICE, "/v1/devices/%2541", "%41", NULL);
	yes_match(R_DEVICE, "/v1/devices/x", "x", NULL);
	yes_match(R_DEVICE, "/v1/devices/%7B%7D", "{}", NULL);
	yes_match("/{a}/x/{b}", "/1/x/2", "1", "2", NULL);
	yes_match("/{a}/{b}/{c}/{d}", "/1/2/3/4", "1", "2", "3", "4", NULL);
}

static void
test_capture_segment_count(void **state)
{
	(void)state;
	no_match(R_DEVICE, "/v1/devices/a/b");
	no_match(R_DEVICE, "/v1/devices");
	no_match("/{a}/x/{b}", "/1/y/2");
	no_match("/{a}/x/{b}", "/1/x");
	no_match("/{a}/x/{b}", "/1/x/2/3");
	no_match("/{a}/{b}/{c}/{d}", "/1/2/3");
	no_match("/{a}/{b}/{c}/{d}", "/1/2/3/4/5");
}

/* More captures than ROUTER_MAX_PARAMS never match. */
static void
test_too_many_captures(void **state)
{
	(void)state;
	no_match("/{a}/{b}/{c}/{d}/{e}", "/1/2/3/4/5");
	no_match("/{a}/{b}/{c}/{d}/{e...}", "/1/2/3/4/5");
}

/* A capture never holds '/' or NUL, and a bad escape never matches. */
static void
test_capture_bad_bytes(void **state)
{
	static const char *const bad[] = {
		"a%2Fb", "a%2fb", "%2F", "%00", "a%00", "%4", "%zz", "%",
		"a%", "%g0", "%0g", "%%", "%%41", "%-1", "% 1", "%+1", "%4 ",
	};
	char path[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/v1/devices/%s", bad[i]);
		no_match(R_DEVICE, path);
		snprintf(path, sizeof(path), "/files/ok/%s/ok", bad[i]);
		no_match(R_FILES, path);
		snprintf(path, sizeof(path), "/v1/devices/%s/3/0", bad[i]);
		no_match(R_RESOURCE, path);
		snprintf(path, sizeof(path), "/v1/devices/x/%s", bad[i]);
		no_match(R_RESOURCE, path);
	}
}

/* ROUTER_PARAM_MAX - 1 decoded bytes fit; one more never matches. */
static void
test_capture_length(void **state)
{
	char *path, *want;

	(void)state;
	path = repeat("/v1/devices/", "a", ROUTER_PARAM_MAX - 1, "");
	want = repeat("", "a", ROUTER_PARAM_MAX - 1, "");
	yes_match(R_DEVICE, path, want, NULL);
	free(path);
	free(want);

	path = repeat("/v1/devices/", "a", ROUTER_PARAM_MAX, "");
	no_match(R_DEVICE, path);
	free(path);
	path = repeat("/v1/devices/", "b", 300, "");
	no_match(R_DEVICE, path);
	free(path);

	/* The limit is on decoded bytes: 255 escapes are 765 raw bytes. */
	path = repeat("/v1/devices/", "%41", ROUTER_PARAM_MAX - 1, "");
	want = repeat("", "A", ROUTER_PARAM_MAX - 1, "");
	yes_match(R_DEVICE, path, want, NULL);
	free(path);
	free(want);
	path = repeat("/v1/devices/", "%41", ROUTER_PARAM_MAX, "");
	no_match(R_DEVICE, path);
	free(path);

	/* A long first capture does not spill into the second. */
	path = repeat("/", "c", ROUTER_PARAM_MAX - 1, "/x/d");
	want = repeat("", "c", ROUTER_PARAM_MAX - 1, "");
	yes_match("/{a}/x/{b}", path, want, "d", NULL);
	free(path);
	free(want);
}

/* Bytes >= 0x80 pass through as they are, raw or escaped. */
static void
test_non_ascii(void **state)
{
	struct router_params p;
	char path[32];
	int c;

	(void)state;
	yes_match(R_DEVICE, "/v1/devices/caf\xc3\xa9", "caf\xc3\xa9", NULL);
	yes_match(R_DEVICE, "/v1/devices/caf%C3%A9", "caf\xc3\xa9", NULL);
	yes_match(R_DEVICE, "/v1/devices/\xff\xfe", "\xff\xfe", NULL);
	yes_match(R_DEVICE, "/v1/devices/%FF", "\xff", NULL);
	no_match(R_HEALTH, "/v1/h\xc3\xa9" "alth");
	no_match(R_HEALTH, "/v1/health\xff");
	/* Every byte as a one-byte capture: all but '/' and '%' match. */
	for (c = 1; c < 256; c++) {
		snprintf(path, sizeof(path), "/v1/devices/%c", c);
		if (c == '/' || c == '%') {
			no_match(R_DEVICE, path);
			continue;
		}
		if (match(R_DEVICE, path, &p) != 1)
			fail_msg("byte 0x%02x did not match", c);
		assert_int_equal(p.count, 1);
		assert_int_equal((unsigned char)p.value[0][0], c);
		assert_int_equal(p.value[0][1], '\0');
	}
}

/* ---- the rest capture ---- */

static void
test_rest_capture(void **state)
{
	(void)state;
	yes_match(R_FILES, "/files/a", "a", NULL);
	yes_match(R_FILES, "/files/a/b/c", "a/b/c", NULL);
	yes_match(R_FILES, "/files/a%20b/c%3Ad", "a b/c:d", NULL);
	yes_match(R_RESOURCE, "/v1/devices/urn%3Aimei%3A1/3/0/1",
	    "urn:imei:1", "3/0/1", NULL);
	yes_match(R_RESOURCE, "/v1/devices/n/3", "n", "3", NULL);
	no_match(R_RESOURCE, "/v1/devices/n");
	no_match(R_RESOURCE, "/v1/devices/n/");
	no_match(R_FILES, "/files");
	/* A '/' that comes from %2F is not a separator. */
	no_match(R_FILES, "/files/a%2Fb");
	/* A rest capture must end the pattern. */
	no_match("/{p...}/x", "/a/x");
	no_match("/{p...}/x", "/a");
	/* "{...}" is an ordinary capture named "...": one segment. */
	yes_match("/{...}", "/a", "a", NULL);
	no_match("/{...}", "/a/b");
}

/* The joined rest fits ROUTER_PARAM_MAX - 1 bytes, '/'s included. */
static void
test_rest_length(void **state)
{
	char *path, *want;

	(void)state;
	/* 127 x "a/" + "a": 255 bytes */
	path = repeat("/files/", "a/", 127, "a");
	want = repeat("", "a/", 127, "a");
	yes_match(R_FILES, path, want, NULL);
	free(path);
	free(want);
	path = repeat("/files/", "a/", 128, "a");
	no_match(R_FILES, path);
	free(path);
	path = repeat("/files/", "ab", 128, "");
	no_match(R_FILES, path);
	free(path);
	/* Ends on a separator exactly at the limit. */
	path = repeat("/files/", "b", ROUTER_PARAM_MAX - 1, "/c");
	no_match(R_FILES, path);
	free(path);
	path = repeat("/files/", "b", ROUTER_PARAM_MAX - 2, "/c");
	no_match(R_FILES, path);
	free(path);
	path = repeat("/files/", "b", ROUTER_PARAM_MAX - 3, "/c");
	want = repeat("", "b", ROUTER_PARAM_MAX - 3, "/c");
	yes_match(R_FILES, path, want, NULL);
	free(path);
	free(want);
}

/* Each match starts from count 0, whatever the struct held before. */
static void
test_count_reset(void **state)
{
	struct router_params p;
	char path[] = "/v1/devices/n";

	(void)state;
	memset(&p, 0x5a, sizeof(p));
	assert_int_equal(router_match("/{a}/x/{b}", "/1/x/2", &p), 1);
	assert_int_equal(p.count, 2);
	assert_int_equal(router_match("/{a}/x/{b}", "/1/x/%zz", &p), 0);
	assert_int_equal(router_match(R_DEVICE, path, &p), 1);
	assert_int_equal(p.count, 1);
	assert_string_equal(p.value[0], "n");
	assert_int_equal(router_match(R_HEALTH, "/v1/health", &p), 1);
	assert_int_equal(p.count, 0);
}

/* ---- router_decode ---- */

static void
test_decode(void **state)
{
	char dst[16];

	(void)state;
	assert_int_equal(decode("abc", 3, dst, sizeof(dst)), 3);
	assert_string_equal(dst, "abc");
	assert_int_equal(decode("%41%62", 6, dst, sizeof(dst)), 2);
	assert_string_equal(dst, "Ab");
	assert_int_equal(decode("", 0, dst, sizeof(dst)), 0);
	assert_string_equal(dst, "");
	/* len, not a NUL, ends the input. */
	assert_int_equal(decode("abc%41", 3, dst, sizeof(dst)), 3);
	assert_string_equal(dst, "abc");
	/* An escape cut by len is bad, even if the bytes go on: on a copy
	 * (ASan sees a read past len) and in place (the bytes after len are
	 * valid hex, which must not be used). */
	assert_int_equal(decode("a%41", 3, dst, sizeof(dst)), -1);
	assert_int_equal(decode("a%41", 2, dst, sizeof(dst)), -1);
	assert_int_equal(router_decode("a%41", 3, dst, sizeof(dst)), -1);
	assert_int_equal(router_decode("%41", 2, dst, sizeof(dst)), -1);
	assert_int_equal(router_decode("%41", 1, dst, sizeof(dst)), -1);
	/* Decoding is one pass: %25 gives '%', not a new escape. */
	assert_int_equal(decode("%2541", 5, dst, sizeof(dst)), 3);
	assert_string_equal(dst, "%41");
	assert_int_equal(decode("%2F", 3, dst, sizeof(dst)), 1);
	assert_string_equal(dst, "/");
	assert_int_equal(decode("%00", 3, dst, sizeof(dst)), -1);
	assert_int_equal(decode("%", 1, dst, sizeof(dst)), -1);
	assert_int_equal(decode("%4", 2, dst, sizeof(dst)), -1);
	assert_int_equal(decode("%zz", 3, dst, sizeof(dst)), -1);
	assert_int_equal(decode("%4g", 3, dst, sizeof(dst)), -1);
	assert_int_equal(decode("%g4", 3, dst, sizeof(dst)), -1);
	assert_int_equal(decode("a\0b", 3, dst, sizeof(dst)), -1);
}

/* dst never gets more than dstlen bytes, NUL included. */
static void
test_decode_room(void **state)
{
	char *dst;
	size_t n;

	(void)state;
	for (n = 0; n < 6; n++) {
		dst = malloc(n == 0 ? 1 : n);	/* exact: ASan sees overruns */
		assert_non_null(dst);
		dst[0] = '#';
		if (n >= 4) {
			assert_int_equal(decode("abc", 3, dst, n), 3);
			assert_string_equal(dst, "abc");
		} else {
			assert_int_equal(decode("abc", 3, dst, n), -1);
			if (n == 0)
				assert_int_equal(dst[0], '#');
		}
		if (n >= 2) {
			assert_int_equal(decode("%41", 3, dst, n), 1);
			assert_string_equal(dst, "A");
		} else
			assert_int_equal(decode("%41", 3, dst, n), -1);
		if (n >= 1)
			assert_int_equal(decode("", 0, dst, n), 0);
		else
			assert_int_equal(decode("", 0, dst, n), -1);
		free(dst);
	}
}

/* ---- hostile paths ---- */

/*
 * Every prefix of some paths, against every pattern: no crash, no read past
 * the end; an exact pattern matches only itself; captures are bounded, and
 * a one-segment capture holds no '/'.
 */
static void
test_every_prefix(void **state)
{
	static const char *const paths[] = {
		"/v1/devices/urn%3Aimei%3A1/3/0/1",
		"/v1/health",
		"/files/a%20b/%2F/%00/%4/c",
		"/v1/devices/%C3%A9%zz%",
		"//v1//devices///",
		"/1/x/2/3/4/5",
	};
	struct router_params p;
	char buf[64];
	size_t i, j, k, n, len;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		len = strlen(paths[i]);
		for (n = 0; n <= len; n++) {
			memcpy(buf, paths[i], n);
			buf[n] = '\0';
			for (j = 0; j < NPATTERNS; j++) {
				rc = match(patterns[j], buf, &p);
				if (strchr(patterns[j], '{') == NULL) {
					assert_int_equal(rc,
					    strcmp(patterns[j], buf) == 0);
					continue;
				}
				if (rc == 0)
					continue;
				assert_true(p.count >= 1 &&
				    p.count <= ROUTER_MAX_PARAMS);
				for (k = 0; k < p.count; k++) {
					assert_non_null(memchr(p.value[k],
					    '\0', ROUTER_PARAM_MAX));
					assert_true(p.value[k][0] != '\0');
				}
				if (strstr(patterns[j], "...}") == NULL)
					for (k = 0; k < p.count; k++)
						assert_null(strchr(p.value[k],
						    '/'));
			}
		}
	}
}

/* 64 KiB paths of every shape: no match, no crash, no slow path. */
static void
test_huge_paths(void **state)
{
	const size_t n = 64 * 1024;
	char *path;
	size_t i;

	(void)state;
	path = repeat("/v1/devices/", "a", n, "");
	for (i = 0; i < NPATTERNS; i++)
		no_match(patterns[i], path);
	free(path);
	path = repeat("", "/", n, "");
	for (i = 0; i < NPATTERNS; i++)
		no_match(patterns[i], path);
	free(path);
	path = repeat("/files", "/a", n / 2, "");
	for (i = 0; i < NPATTERNS; i++)
		no_match(patterns[i], path);
	free(path);
	path = repeat("/v1/devices/", "%41", n / 3, "");
	for (i = 0; i < NPATTERNS; i++)
		no_match(patterns[i], path);
	free(path);
	path = repeat("/v1/health", "/x", n / 2, "");
	for (i = 0; i < NPATTERNS; i++)
		no_match(patterns[i], path);
	free(path);
	path = repeat("/v1/devices/", "%", n, "");
	for (i = 0; i < NPATTERNS; i++)
		no_match(patterns[i], path);
	free(path);
	path = repeat("/v1/devices/", "\xff", n, "");
	for (i = 0; i < NPATTERNS; i++)
		no_match(patterns[i], path);
	free(path);
}

/* Random bytes, and random mixes of path pieces: the invariants hold. */
static void
test_random_paths(void **state)
{
	static const char *const pieces[] = {
		"/", "v1", "devices", "health", "files", "%", "%2F", "%00",
		"%41", "%zz", "%4", "a", "x", "\xff", "{", "}", "...", "//",
	};
	struct router_params p;
	char buf[512];
	size_t len, i, j, k, t;
	int round;

	(void)state;
	srandom(7);
	for (round = 0; round < 20000; round++) {
		if (round % 2 == 0) {
			len = (size_t)random() % 64;
			for (i = 0; i < len; i++)
				buf[i] = (char)(1 + random() % 255);
			if (len > 0 && random() % 2)
				buf[0] = '/';
		} else {
			for (len = 0; len < 200;) {
				t = (size_t)random() %
				    (sizeof(pieces) / sizeof(pieces[0]));
				memcpy(buf + len, pieces[t], strlen(pieces[t]));
				len += strlen(pieces[t]);
			}
		}
		buf[len] = '\0';
		for (j = 0; j < NPATTERNS; j++) {
			if (match(patterns[j], buf, &p) == 0)
				continue;
			assert_true(p.count <= ROUTER_MAX_PARAMS);
			for (k = 0; k < p.count; k++)
				assert_non_null(memchr(p.value[k], '\0',
				    ROUTER_PARAM_MAX));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_trailing_slash),
		cmocka_unit_test(test_empty_segments),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_capture_segment_count),
		cmocka_unit_test(test_too_many_captures),
		cmocka_unit_test(test_capture_bad_bytes),
		cmocka_unit_test(test_capture_length),
		cmocka_unit_test(test_non_ascii),
		cmocka_unit_test(test_rest_capture),
		cmocka_unit_test(test_rest_length),
		cmocka_unit_test(test_count_reset),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_room),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_huge_paths),
		cmocka_unit_test(test_random_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
