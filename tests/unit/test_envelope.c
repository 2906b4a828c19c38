/*
 * test_envelope.c: unit tests for cloud/envelope.c, the cloud link's
 * requests (JSON from the broker: untrusted) and answers. Good requests
 * with every member; hostile ones: not JSON, not an object, truncated,
 * bad methods and paths, a NUL in a string, an id too long, header
 * injection, too many headers, the headers the link sets itself, two
 * bodies, bad base64, huge input. Answers: text as "body", anything else
 * (binary, invalid UTF-8) as "body_base64", bytes unchanged through both.
 * Run under the sanitizers (make check-asan), every allocation is freed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "base64.h"
#include "cloud/envelope.h"

/* Parses s, which must be good; the caller frees r. */
static void
parse_ok_n(const char *s, size_t len, struct envelope_req *r)
{
	char err[256] = "";

	if (envelope_parse(s, len, r, err, sizeof(err)) != 0)
		fail_msg("'%.200s' refused: %s", s, err);
}

static void
parse_ok(const char *s, struct envelope_req *r)
{
	parse_ok_n(s, strlen(s), r);
}

/*
 * Parses s (len bytes), which must be refused with an error that says
 * want, and with has_id as given (and then id as given).
 */
static void
parse_bad_n(const char *s, size_t len, int has_id, const char *id,
    const char *want)
{
	struct envelope_req r;
	char err[256] = "";

	if (envelope_parse(s, len, &r, err, sizeof(err)) != -1)
		fail_msg("'%.200s' taken", s);
	if (strstr(err, want) == NULL)
		fail_msg("'%.200s': error '%s' does not say '%s'", s, err,
		    want);
	if (r.has_id != has_id)
		fail_msg("'%.200s': has_id %d, want %d", s, r.has_id, has_id);
	if (has_id)
		assert_string_equal(r.id, id);
	envelope_free(&r);
}

static void
parse_bad(const char *s, int has_id, const char *want)
{
	parse_bad_n(s, strlen(s), has_id, has_id ? "r1" : NULL, want);
}

/* A request {"id":"r1","method":"GET","path":PATH,...MORE}, refused. */
static void
bad_with(const char *path, const char *more, const char *want)
{
	char s[8192];

	snprintf(s, sizeof(s), "{\"id\":\"r1\",\"method\":\"GET\","
	    "\"path\":%s%s}", path, more);
	parse_bad(s, 1, want);
}

static void
test_minimal(void **state)
{
	struct envelope_req r;

	(void)state;
	parse_ok("{\"method\":\"GET\",\"path\":\"/v1/devices\"}", &r);
	assert_int_equal(r.has_id, 0);
	assert_string_equal(r.id, "");
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.uri, "/v1/devices");
	assert_int_equal(r.nheaders, 0);
	assert_null(r.body);
	assert_int_equal(r.blen, 0);
	envelope_free(&r);
	assert_null(r.uri);
}

static void
test_full(void **state)
{
	struct envelope_req r;

	(void)state;
	parse_ok("{\"id\": \"c7f1e2\", \"method\": \"PUT\",\n"
	    " \"path\": \"/v1/devices/node-1/r/3/0/15\",\n"
	    " \"query\": \"mode=queue\",\n"
	    " \"headers\": {\"Content-Type\": \"text/plain\",\n"
	    "   \"Accept\": \"application/json\", \"X-Note\": \"a\\tb\"},\n"
	    " \"body\": \"Europe/Berlin \\u00e9\"}", &r);
	assert_int_equal(r.has_id, 1);
	assert_string_equal(r.id, "c7f1e2");
	assert_string_equal(r.method, "PUT");
	assert_string_equal(r.uri,
	    "/v1/devices/node-1/r/3/0/15?mode=queue");
	assert_int_equal(r.nheaders, 3);
	assert_string_equal(r.headers[0].name, "Content-Type");
	assert_string_equal(r.headers[0].value, "text/plain");
	assert_string_equal(r.headers[1].name, "Accept");
	assert_string_equal(r.headers[1].value, "application/json");
	assert_string_equal(r.headers[2].name, "X-Note");
	assert_string_equal(r.headers[2].value, "a\tb");
	assert_int_equal(r.blen, strlen("Europe/Berlin \xc3\xa9"));
	assert_memory_equal(r.body, "Europe/Berlin \xc3\xa9", r.blen);
	envelope_free(&r);
}

static void
test_methods(void **state)
{
	static const char *const m[] = {
		"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"
	};
	struct envelope_req r;
	char s[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		snprintf(s, sizeof(s), "{\"method\":\"%s\",\"path\":\"/\"}",
		    m[i]);
		parse_ok(s, &r);
		assert_string_equal(r.method, m[i]);
		assert_string_equal(r.uri, "/");
		envelope_free(&r);
	}
}

/* The query may come in "query" or after '?' in the path, not both. */
static void
test_query(void **state)
{
	struct envelope_req r;

	(void)state;
	parse_ok("{\"method\":\"GET\",\"path\":\"/v1/x?a=1&b=%20\"}", &r);
	assert_string_equal(r.uri, "/v1/x?a=1&b=%20");
	envelope_free(&r);
	parse_ok("{\"method\":\"GET\",\"path\":\"/v1/x?a=1\",\"query\":\"\"}",
	    &r);
	assert_string_equal(r.uri, "/v1/x?a=1");
	envelope_free(&r);
	parse_ok("{\"method\":\"GET\",\"path\":\"/v1/x\",\"query\":\"\"}", &r);
	assert_string_equal(r.uri, "/v1/x");
	envelope_free(&r);
	parse_ok("{\"method\":\"GET\",\"path\":\"/v1/x\",\"query\":\"a=1\"}",
	    &r);
	assert_string_equal(r.uri, "/v1/x?a=1");
	envelope_free(&r);

	bad_with("\"/v1/x?a=1\"", ",\"query\":\"b=2\"", "query");
	bad_with("\"/v1/x?\"", ",\"query\":\"b=2\"", "query");
	bad_with("\"/v1/x\"", ",\"query\":\"?b=2\"", "query");
	bad_with("\"/v1/x\"", ",\"query\":\"a b\"", "query");
	bad_with("\"/v1/x\"", ",\"query\":\"a\\r\\nX: 1\"", "query");
	bad_with("\"/v1/x\"", ",\"query\":\"a=\\u00e9\"", "query");
	bad_with("\"/v1/x\"", ",\"query\":\"a#b\"", "query");
	bad_with("\"/v1/x\"", ",\"query\":7", "query");
	bad_with("\"/v1/x\"", ",\"query\":null", "query");
}

static void
test_body_base64(void **state)
{
	static const uint8_t want[] = { 0x00, 0x01, 0x02, 0xff };
	struct envelope_req r;

	(void)state;
	parse_ok("{\"method\":\"POST\",\"path\":\"/v1/x\","
	    "\"body_base64\":\"AAEC/w==\"}", &r);
	assert_int_equal(r.blen, sizeof(want));
	assert_memory_equal(r.body, want, sizeof(want));
	envelope_free(&r);
	parse_ok("{\"method\":\"POST\",\"path\":\"/v1/x\","
	    "\"body_base64\":\"\"}", &r);
	assert_int_equal(r.blen, 0);
	envelope_free(&r);
	parse_ok("{\"method\":\"POST\",\"path\":\"/v1/x\",\"body\":\"\"}", &r);
	assert_int_equal(r.blen, 0);
	envelope_free(&r);
}

/* What is not a JSON object has no id to answer. */
static void
test_not_json(void **state)
{
	static const char *const bad[] = {
		"", " ", "nope", "{", "}", "{\"method\":", "{\"method\":\"GET\"",
		"{\"method\":\"GET\",\"path\":\"/\"",
		"{\"method\":\"GET\",\"path\":\"/\"}}",
		"{\"method\":\"GET\",\"path\":\"/\"} x",
		"{\"method\":\"GET\",\"path\":\"/\"}{\"method\":\"DELETE\","
		"\"path\":\"/v1/devices/a\"}",
		"{'method':'GET','path':'/'}", "{method:\"GET\",path:\"/\"}",
		"\xef\xbb\xbf{\"method\":\"GET\",\"path\":\"/\"}x",
	};
	static const char *const not_object[] = {
		"[]", "[{\"method\":\"GET\",\"path\":\"/\"}]", "\"GET /\"", "1",
		"null", "true",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_bad(bad[i], 0, "not JSON");
	for (i = 0; i < sizeof(not_object) / sizeof(not_object[0]); i++)
		parse_bad(not_object[i], 0, "not a JSON object");
}

/* White space around the object, and a C string's NUL after it. */
static void
test_around(void **state)
{
	static const char nul[] = "{\"method\":\"GET\",\"path\":\"/\"}\0";
	struct envelope_req r;

	(void)state;
	parse_ok(" \r\n\t{\"method\":\"GET\",\"path\":\"/\"} \r\n\t", &r);
	assert_string_equal(r.uri, "/");
	envelope_free(&r);
	parse_ok_n(nul, sizeof(nul), &r);
	assert_string_equal(r.uri, "/");
	envelope_free(&r);
}

/* Each proper prefix of a good request is refused, and frees all. */
static void
test_truncated(void **state)
{
	static const char good[] = "{\"id\":\"r1\",\"method\":\"PUT\","
	    "\"path\":\"/v1/x\",\"query\":\"a=1\",\"headers\":{\"Accept\":"
	    "\"text/plain\",\"Content-Type\":\"text/plain\"},\"body\":\"hi\"}";
	struct envelope_req r;
	char err[256];
	size_t n;
	char *copy;

	(void)state;
	for (n = 0; n < sizeof(good) - 1; n++) {
		/* exactly n bytes, so that a read past them is seen */
		copy = malloc(n > 0 ? n : 1);
		assert_non_null(copy);
		memcpy(copy, good, n);
		if (envelope_parse(copy, n, &r, err, sizeof(err)) != -1)
			fail_msg("the first %zu bytes taken", n);
		envelope_free(&r);
		free(copy);
	}
	parse_ok_n(good, sizeof(good) - 1, &r);
	envelope_free(&r);
}

static void
test_bad_method(void **state)
{
	static const char *const bad[] = {
		"\"get\"", "\"Get\"", "\"GET \"", "\" GET\"", "\"TRACE\"",
		"\"CONNECT\"", "\"OPTIONS\"", "\"\"", "\"GETX\"", "1", "null",
		"[\"GET\"]", "{}", "\"G\\u0045T\\r\\n\"",
	};
	char s[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(s, sizeof(s), "{\"id\":\"r1\",\"method\":%s,"
		    "\"path\":\"/\"}", bad[i]);
		parse_bad(s, 1, "method");
	}
	parse_bad("{\"id\":\"r1\",\"path\":\"/\"}", 1, "method");
	/* names are case-sensitive: "Method" is not "method" */
	parse_bad("{\"id\":\"r1\",\"Method\":\"GET\",\"path\":\"/\"}", 1,
	    "method");
}

static void
test_bad_path(void **state)
{
	static const char *const bad[] = {
		"\"\"", "\"v1/x\"", "\" /v1/x\"", "\"/v1/a b\"", "\"/v1/a\\tb\"",
		"\"/v1/x\\r\\nX-Outpost-Role: admin\"", "\"/v1/x\\n\"",
		"\"/v1/x\\r\"", "\"/v1/\\u007f\"", "\"/v1/\\u00e9\"",
		"\"/v1/\xc3\xa9\"", "\"/v1/events#x\"", "\"/v1/x#\"",
		"\"http://h/v1/x\"", "\"*\"", "\"\\\\v1\"", "1", "null",
		"[\"/v1\"]", "{}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		bad_with(bad[i], "", "path");
	parse_bad("{\"id\":\"r1\",\"method\":\"GET\"}", 1, "path");
}

/*
 * A NUL in any string is refused: cJSON would end the string there and
 * the rest would be lost. The escaped backslash before "u0000" is text.
 */
static void
test_nul(void **state)
{
	static const char raw[] = "{\"method\":\"POST\",\"path\":\"/v1/x\","
	    "\"body\":\"a\0b\"}";
	struct envelope_req r;

	(void)state;
	parse_bad("{\"id\":\"r1\",\"method\":\"GET\",\"path\":\"/v1/x\\u0000/y\"}",
	    0, "NUL");
	parse_bad("{\"method\":\"POST\",\"path\":\"/v1/x\","
	    "\"body\":\"abc\\u0000def\"}", 0, "NUL");
	parse_bad("{\"id\":\"r\\u0000\",\"method\":\"GET\",\"path\":\"/\"}", 0,
	    "NUL");
	parse_bad("{\"method\":\"GET\",\"path\":\"/\",\"headers\":"
	    "{\"Accept\":\"a\\u0000\\r\\nX: y\"}}", 0, "NUL");
	parse_bad("{\"method\":\"GET\",\"path\":\"/\",\"headers\":"
	    "{\"Accept\\u0000\":\"a\"}}", 0, "NUL");
	parse_bad("{\"method\\u0000x\":\"GET\",\"path\":\"/\"}", 0, "NUL");
	parse_bad_n(raw, sizeof(raw) - 1, 0, NULL, "NUL");

	parse_ok("{\"method\":\"POST\",\"path\":\"/v1/x\","
	    "\"body\":\"\\\\u0000\"}", &r);
	assert_int_equal(r.blen, 6);
	assert_memory_equal(r.body, "\\u0000", 6);
	envelope_free(&r);
	parse_ok("{\"method\":\"POST\",\"path\":\"/v1/x\","
	    "\"body\":\"\\\"\\u0001\\\\\"}", &r);
	assert_int_equal(r.blen, 3);
	assert_memory_equal(r.body, "\"\x01\\", 3);
	envelope_free(&r);
}

/* has_id says whether the id was read, so that a refusal is answered. */
static void
test_id(void **state)
{
	struct envelope_req r;
	char id[ENVELOPE_ID_MAX + 2], s[512];

	(void)state;
	memset(id, 'i', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	snprintf(s, sizeof(s), "{\"id\":\"%s\",\"method\":\"GET\","
	    "\"path\":\"/\"}", id);
	parse_bad(s, 0, "id");

	id[ENVELOPE_ID_MAX] = '\0';
	snprintf(s, sizeof(s), "{\"id\":\"%s\",\"method\":\"GET\","
	    "\"path\":\"/\"}", id);
	parse_ok(s, &r);
	assert_int_equal(r.has_id, 1);
	assert_string_equal(r.id, id);
	envelope_free(&r);
	/* read, then a bad method: the 400 can name it */
	snprintf(s, sizeof(s), "{\"method\":\"get\",\"path\":\"/\","
	    "\"id\":\"%s\"}", id);
	parse_bad_n(s, strlen(s), 1, id, "method");

	parse_bad("{\"id\":7,\"method\":\"GET\",\"path\":\"/\"}", 0, "id");
	parse_bad("{\"id\":null,\"method\":\"GET\",\"path\":\"/\"}", 0, "id");
	parse_bad("{\"id\":[\"r1\"],\"method\":\"GET\",\"path\":\"/\"}", 0,
	    "id");
	parse_bad("{\"id\":{},\"method\":\"GET\",\"path\":\"/\"}", 0, "id");

	parse_ok("{\"id\":\"\",\"method\":\"GET\",\"path\":\"/\"}", &r);
	assert_int_equal(r.has_id, 1);
	assert_string_equal(r.id, "");
	envelope_free(&r);
}

/* Names are tokens; values have no CR, LF or other control character. */
static void
test_header_injection(void **state)
{
	static const char *const bad[] = {
		"{\"Accept\":\"a\\r\\nX-Outpost-Role: admin\"}",
		"{\"Accept\":\"a\\nb\"}", "{\"Accept\":\"a\\rb\"}",
		"{\"Accept\":\"\\u001b[0m\"}", "{\"Accept\":\"\\u007f\"}",
		"{\"X-A: b\\r\\nX-B\":\"c\"}", "{\"Bad Name\":\"a\"}",
		"{\"a:b\":\"c\"}", "{\"\":\"a\"}", "{\"a\\tb\":\"c\"}",
		"{\"caf\\u00e9\":\"a\"}", "{\"(x)\":\"a\"}", "{\"a/b\":\"c\"}",
		"{\"a\\\"b\":\"c\"}", "{\"Accept\":1}", "{\"Accept\":null}",
		"{\"Accept\":[\"a\"]}", "{\"Accept\":{}}",
		"{\"Accept\":\"a\",\"X-B\":\"b\\r\\n\"}",
	};
	char s[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(s, sizeof(s), ",\"headers\":%s", bad[i]);
		bad_with("\"/\"", s, "headers");
	}
	bad_with("\"/\"", ",\"headers\":[]", "headers");
	bad_with("\"/\"", ",\"headers\":[[\"Accept\",\"a\"]]", "headers");
	bad_with("\"/\"", ",\"headers\":\"Accept: a\"", "headers");
	bad_with("\"/\"", ",\"headers\":7", "headers");
}

/* Names up to 64 bytes, values up to 4096; obs-text is a value's. */
static void
test_header_lengths(void **state)
{
	struct envelope_req r;
	char name[66], value[4098], *s;
	size_t slen = 8192;

	(void)state;
	assert_non_null(s = malloc(slen));
	memset(name, 'n', sizeof(name) - 1);
	name[64] = '\0';
	memset(value, 'v', sizeof(value) - 1);
	value[4096] = '\0';
	snprintf(s, slen, "{\"method\":\"GET\",\"path\":\"/\",\"headers\":"
	    "{\"%s\":\"%s\",\"X-T\":\"caf\xc3\xa9\"}}", name, value);
	parse_ok(s, &r);
	assert_int_equal(r.nheaders, 2);
	assert_string_equal(r.headers[0].name, name);
	assert_string_equal(r.headers[0].value, value);
	assert_string_equal(r.headers[1].value, "caf\xc3\xa9");
	envelope_free(&r);

	name[64] = 'n';
	name[65] = '\0';
	snprintf(s, slen, ",\"headers\":{\"%s\":\"a\"}", name);
	bad_with("\"/\"", s, "headers");
	value[4096] = 'v';
	value[4097] = '\0';
	snprintf(s, slen, ",\"headers\":{\"A\":\"%s\"}", value);
	bad_with("\"/\"", s, "headers");
	free(s);
}

/* At most 32 headers kept; those dropped do not count. */
static void
test_header_count(void **state)
{
	struct envelope_req r;
	char s[4096];
	size_t i, n;

	(void)state;
	n = (size_t)snprintf(s, sizeof(s), "{\"id\":\"r1\",\"method\":\"GET\","
	    "\"path\":\"/\",\"headers\":{\"Host\":\"h\",\"Authorization\":"
	    "\"Bearer x\"");
	for (i = 0; i < ENVELOPE_HEADERS_MAX; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, ",\"X-H%zu\":\"%zu\"",
		    i, i);
	snprintf(s + n, sizeof(s) - n, "}}");
	parse_ok(s, &r);
	assert_int_equal(r.nheaders, ENVELOPE_HEADERS_MAX);
	assert_string_equal(r.headers[0].name, "X-H0");
	assert_string_equal(r.headers[31].name, "X-H31");
	assert_string_equal(r.headers[31].value, "31");
	envelope_free(&r);

	snprintf(s + n, sizeof(s) - n, ",\"X-One-Too-Many\":\"x\"}}");
	parse_bad(s, 1, "at most 32");
}

/* The headers that the link sets itself, or that frame the request. */
static void
test_header_dropped(void **state)
{
	static const char *const own[] = {
		"Authorization", "authorization", "AUTHORIZATION", "Host",
		"hOsT", "Content-Length", "content-length",
		"Transfer-Encoding", "TRANSFER-ENCODING", "Connection",
		"Expect", "Upgrade", "Keep-Alive", "TE", "te", "Trailer",
		"Proxy-Authorization", "X-Outpost-Internal",
		"x-outpost-internal", "X-Outpost-Role", "x-OUTPOST-role",
		"X-Outpost-Anything",
	};
	struct envelope_req r;
	char s[4096];
	size_t i, n;

	(void)state;
	n = (size_t)snprintf(s, sizeof(s), "{\"method\":\"GET\",\"path\":\"/\","
	    "\"headers\":{\"Accept\":\"*/*\"");
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, ",\"%s\":\"admin\"",
		    own[i]);
	snprintf(s + n, sizeof(s) - n, ",\"X-Outpost\":\"k\","
	    "\"X-Outposted\":\"k\",\"Hosts\":\"k\"}}");
	parse_ok(s, &r);
	assert_int_equal(r.nheaders, 4);
	assert_string_equal(r.headers[0].name, "Accept");
	assert_string_equal(r.headers[1].name, "X-Outpost");
	assert_string_equal(r.headers[2].name, "X-Outposted");
	assert_string_equal(r.headers[3].name, "Hosts");
	for (i = 0; i < r.nheaders; i++)
		assert_string_not_equal(r.headers[i].value, "admin");
	envelope_free(&r);
}

static void
test_bad_body(void **state)
{
	static const char *const bad64[] = {
		"\"abc\"", "\"!!!!\"", "\"AAEC/w=\"", "\"AA=C\"", "\"AAEC/w==AA==\"",
		"\"AA EC\"", "\"AAEC\\n\"", "\"AAE-\"", "\"AAE_\"", "7", "null",
		"[\"AAAA\"]",
	};
	char s[256];
	size_t i;

	(void)state;
	bad_with("\"/\"", ",\"body\":\"a\",\"body_base64\":\"YQ==\"", "one at "
	    "most");
	bad_with("\"/\"", ",\"body_base64\":\"YQ==\",\"body\":\"\"", "one at "
	    "most");
	bad_with("\"/\"", ",\"body\":7", "body");
	bad_with("\"/\"", ",\"body\":null", "body");
	bad_with("\"/\"", ",\"body\":{\"a\":1}", "body");
	for (i = 0; i < sizeof(bad64) / sizeof(bad64[0]); i++) {
		snprintf(s, sizeof(s), ",\"body_base64\":%s", bad64[i]);
		bad_with("\"/\"", s, "body_base64");
	}
}

/* A 3 MiB body both ways, a huge path, a huge id, deep nesting. */
static void
test_huge(void **state)
{
	struct envelope_req r;
	size_t n = 3u << 20, i, slen = 2 * n + 128;
	uint8_t *bytes;
	char *b64, *s;

	(void)state;
	assert_non_null(bytes = malloc(n));
	assert_non_null(s = malloc(slen));
	for (i = 0; i < n; i++)
		bytes[i] = (uint8_t)(i * 31 + (i >> 11));
	assert_non_null(b64 = base64_encode(bytes, n));
	snprintf(s, slen, "{\"method\":\"POST\",\"path\":\"/v1/x\","
	    "\"body_base64\":\"%s\"}", b64);
	parse_ok(s, &r);
	assert_int_equal(r.blen, n);
	assert_memory_equal(r.body, bytes, n);
	envelope_free(&r);
	free(b64);

	/* a path of ENVELOPE_URI_MAX is taken, one byte more is not */
	i = (size_t)snprintf(s, slen, "{\"id\":\"r1\",\"method\":\"GET\","
	    "\"path\":\"/");
	memset(s + i, 'p', ENVELOPE_URI_MAX - 1);
	snprintf(s + i + ENVELOPE_URI_MAX - 1, slen - i - ENVELOPE_URI_MAX,
	    "\"}");
	parse_ok(s, &r);
	assert_int_equal(strlen(r.uri), ENVELOPE_URI_MAX);
	envelope_free(&r);
	snprintf(s + i + ENVELOPE_URI_MAX - 1, slen - i - ENVELOPE_URI_MAX,
	    "\",\"query\":\"\"}");
	parse_ok(s, &r);
	envelope_free(&r);
	snprintf(s + i + ENVELOPE_URI_MAX - 1, slen - i - ENVELOPE_URI_MAX,
	    "\",\"query\":\"q\"}");
	parse_bad(s, 1, "too long");
	memset(s + i, 'p', n);
	snprintf(s + i + n, slen - i - n, "\"}");
	parse_bad(s, 1, "too long");

	/* a megabyte id */
	i = (size_t)snprintf(s, slen, "{\"id\":\"");
	memset(s + i, 'i', n);
	snprintf(s + i + n, slen - i - n, "\",\"method\":\"GET\","
	    "\"path\":\"/\"}");
	parse_bad(s, 0, "id");

	/* nesting deeper than cJSON goes */
	i = (size_t)snprintf(s, slen, "{\"method\":\"GET\",\"path\":\"/\","
	    "\"x\":");
	memset(s + i, '[', 100000);
	memset(s + i + 100000, ']', 100000);
	snprintf(s + i + 200000, slen - i - 200000, "}");
	parse_bad(s, 0, "not JSON");
	free(s);
	free(bytes);
}

static void
test_streaming(void **state)
{
	(void)state;
	assert_true(envelope_streaming("/v1/events"));
	assert_true(envelope_streaming("/v1/events?types=alarm"));
	assert_true(envelope_streaming("/v1/events/"));
	assert_true(envelope_streaming("/v1/events/x"));
	assert_false(envelope_streaming("/v1/eventsx"));
	assert_false(envelope_streaming("/v1/event"));
	assert_false(envelope_streaming("/v1/devices"));
	assert_false(envelope_streaming("/v2/events"));
	assert_false(envelope_streaming("/"));
	assert_false(envelope_streaming(""));
}

/* Parses an answer; the caller deletes it. */
static cJSON *
answer_json(char *s)
{
	cJSON *o;

	assert_non_null(s);
	o = cJSON_Parse(s);
	if (o == NULL)
		fail_msg("answer is not JSON: %s", s);
	free(s);
	return o;
}

static const char *
member(cJSON *o, const char *name)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An answer's body bytes: "body" (text) or "body_base64", never both. */
static void
answer_body(cJSON *o, int want_text, const void *want, size_t wlen)
{
	const char *text = member(o, "body"), *b64 = member(o, "body_base64");
	uint8_t *got;
	size_t glen;

	if (wlen == 0) {
		assert_null(cJSON_GetObjectItem(o, "body"));
		assert_null(cJSON_GetObjectItem(o, "body_base64"));
		return;
	}
	if (want_text) {
		assert_non_null(text);
		assert_null(b64);
		assert_int_equal(strlen(text), wlen);
		assert_memory_equal(text, want, wlen);
		return;
	}
	assert_null(text);
	assert_non_null(b64);
	assert_int_equal(base64_decode(b64, strlen(b64), &got, &glen), 0);
	assert_int_equal(glen, wlen);
	assert_memory_equal(got, want, wlen);
	free(got);
}

static void
test_answer(void **state)
{
	static const char *const names[] = { "Content-Type", "ETag" };
	static const char *const values[] = { "application/json", "\"5\"" };
	static const char body[] = "{\"value\": \"Europe/Berlin\"}";
	cJSON *o, *h;

	(void)state;
	o = answer_json(envelope_answer("c7f1e2", 200, names, values, 2,
	    (const uint8_t *)body, strlen(body)));
	assert_string_equal(member(o, "id"), "c7f1e2");
	assert_int_equal(cJSON_GetObjectItem(o, "status")->valueint, 200);
	h = cJSON_GetObjectItemCaseSensitive(o, "headers");
	assert_true(cJSON_IsObject(h));
	assert_int_equal(cJSON_GetArraySize(h), 2);
	assert_string_equal(member(h, "Content-Type"), "application/json");
	assert_string_equal(member(h, "ETag"), "\"5\"");
	answer_body(o, 1, body, strlen(body));
	cJSON_Delete(o);

	/* no id read: no id member; no body: no body member */
	o = answer_json(envelope_answer(NULL, 204, NULL, NULL, 0, NULL, 0));
	assert_null(cJSON_GetObjectItem(o, "id"));
	assert_int_equal(cJSON_GetObjectItem(o, "status")->valueint, 204);
	h = cJSON_GetObjectItemCaseSensitive(o, "headers");
	assert_true(cJSON_IsObject(h));
	assert_int_equal(cJSON_GetArraySize(h), 0);
	answer_body(o, 1, "", 0);
	cJSON_Delete(o);

	/* an id and header values that JSON must escape come back as such */
	o = answer_json(envelope_answer("a\"b\\c\x01", 500, names, values, 1,
	    (const uint8_t *)"\"\\\n\t", 4));
	assert_string_equal(member(o, "id"), "a\"b\\c\x01");
	answer_body(o, 1, "\"\\\n\t", 4);
	cJSON_Delete(o);
}

/* Text is UTF-8 (RFC 3629) without NUL: all else goes as base64. */
static void
test_answer_utf8(void **state)
{
	static const struct {
		const char	*bytes;
		size_t		 len;
		int		 text;
	} cases[] = {
		{ "plain", 5, 1 },
		{ "caf\xc3\xa9", 5, 1 },			/* U+00E9 */
		{ "\xe2\x82\xac", 3, 1 },			/* U+20AC */
		{ "\xf0\x9f\x98\x80", 4, 1 },			/* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", 4, 1 },			/* U+10FFFF */
		{ "\xed\x9f\xbf", 3, 1 },			/* U+D7FF */
		{ "\xee\x80\x80", 3, 1 },			/* U+E000 */
		{ "\xc2\x80", 2, 1 },				/* U+0080 */
		{ "\xe0\xa0\x80", 3, 1 },			/* U+0800 */
		{ "\xf0\x90\x80\x80", 4, 1 },			/* U+10000 */
		{ "\x7f\x01\x1f", 3, 1 },	/* controls are text, escaped */
		{ "a\0b", 3, 0 },				/* NUL */
		{ "\0", 1, 0 },
		{ "ab\0", 3, 0 },
		{ "\xc0\x80", 2, 0 },			/* overlong NUL */
		{ "\xc1\xbf", 2, 0 },			/* overlong 0x7f */
		{ "\xe0\x80\x80", 3, 0 },		/* overlong, 3 bytes */
		{ "\xe0\x9f\xbf", 3, 0 },		/* overlong U+07FF */
		{ "\xf0\x80\x80\x80", 4, 0 },		/* overlong, 4 bytes */
		{ "\xf0\x8f\xbf\xbf", 4, 0 },		/* overlong U+FFFF */
		{ "\xed\xa0\x80", 3, 0 },		/* U+D800 */
		{ "\xed\xbf\xbf", 3, 0 },		/* U+DFFF */
		{ "\xed\xa0\xbd\xed\xb8\x80", 6, 0 },	/* CESU-8 pair */
		{ "\xf4\x90\x80\x80", 4, 0 },		/* U+110000 */
		{ "\xf7\xbf\xbf\xbf", 4, 0 },
		{ "\xf8\x88\x80\x80\x80", 5, 0 },	/* 5 bytes */
		{ "\xfc\x84\x80\x80\x80\x80", 6, 0 },	/* 6 bytes */
		{ "\xfe", 1, 0 },
		{ "\xff", 1, 0 },
		{ "\x80", 1, 0 },			/* lone continuation */
		{ "a\xbf", 2, 0 },
		{ "\xc3", 1, 0 },			/* truncated */
		{ "caf\xc3", 4, 0 },
		{ "\xe2\x82", 2, 0 },
		{ "\xf0\x9f\x98", 3, 0 },
		{ "\xe2\x82x", 3, 0 },
		{ "\xc3\xc3\xa9", 3, 0 },
		{ "\xe2\x28\xa1", 3, 0 },
		{ "\xf0\x9f\x98\x80\x80", 5, 0 },
	};
	cJSON *o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = answer_json(envelope_answer("x", 200, NULL, NULL, 0,
		    (const uint8_t *)cases[i].bytes, cases[i].len));
		if ((member(o, "body") != NULL) != cases[i].text)
			fail_msg("case %zu: want %s", i, cases[i].text ?
			    "body" : "body_base64");
		answer_body(o, cases[i].text, cases[i].bytes, cases[i].len);
		cJSON_Delete(o);
	}
}

/* Every byte value, from a request's body_base64 to an answer's. */
static void
test_round_trip(void **state)
{
	struct envelope_req r;
	uint8_t bytes[256];
	char *b64, s[1024];
	cJSON *o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(255 - i);
	assert_non_null(b64 = base64_encode(bytes, sizeof(bytes)));
	snprintf(s, sizeof(s), "{\"id\":\"rt\",\"method\":\"POST\","
	    "\"path\":\"/v1/x\",\"body_base64\":\"%s\"}", b64);
	free(b64);
	parse_ok(s, &r);
	o = answer_json(envelope_answer(r.id, 201, NULL, NULL, 0, r.body,
	    r.blen));
	assert_string_equal(member(o, "id"), "rt");
	answer_body(o, 0, bytes, sizeof(bytes));
	cJSON_Delete(o);
	envelope_free(&r);

	/* and text, through "body" both ways */
	parse_ok("{\"method\":\"POST\",\"path\":\"/v1/x\","
	    "\"body\":\"\\u20ac \\ud83d\\ude00 \\\"q\\\"\"}", &r);
	assert_int_equal(r.blen, 12);
	o = answer_json(envelope_answer(NULL, 200, NULL, NULL, 0, r.body,
	    r.blen));
	answer_body(o, 1, "\xe2\x82\xac \xf0\x9f\x98\x80 \"q\"", r.blen);
	cJSON_Delete(o);
	envelope_free(&r);
}

static void
test_error(void **state)
{
	cJSON *o, *b;
	const char *text;

	(void)state;
	o = answer_json(envelope_error("r9", 400, "bad_request",
	    "path: \"x\" \x01"));
	assert_string_equal(member(o, "id"), "r9");
	assert_int_equal(cJSON_GetObjectItem(o, "status")->valueint, 400);
	assert_string_equal(member(cJSON_GetObjectItem(o, "headers"),
	    "Content-Type"), "application/json");
	assert_non_null(text = member(o, "body"));
	assert_non_null(b = cJSON_Parse(text));
	assert_string_equal(member(b, "error"), "bad_request");
	assert_string_equal(member(b, "detail"), "path: \"x\" \x01");
	cJSON_Delete(b);
	cJSON_Delete(o);

	o = answer_json(envelope_error(NULL, 503, "busy", ""));
	assert_null(cJSON_GetObjectItem(o, "id"));
	cJSON_Delete(o);
}

/* envelope_free is safe twice, and after a refusal. */
static void
test_free_twice(void **state)
{
	static const char late[] = "{\"method\":\"GET\",\"path\":\"/\","
	    "\"headers\":{\"A\":\"b\"},\"body\":1}";
	struct envelope_req r;
	char err[64];

	(void)state;
	parse_ok("{\"method\":\"GET\",\"path\":\"/\",\"headers\":{\"A\":\"b\"},"
	    "\"body\":\"x\"}", &r);
	envelope_free(&r);
	envelope_free(&r);
	/* refused after the headers were taken: they are freed */
	assert_int_equal(envelope_parse(late, strlen(late), &r, err,
	    sizeof(err)), -1);
	assert_int_equal(r.nheaders, 1);
	envelope_free(&r);
	envelope_free(&r);
	/* a short error buffer is cut, not overrun */
	assert_int_equal(envelope_parse("[]", 2, &r, err, 4), -1);
	assert_string_equal(err, "the");
	envelope_free(&r);
}

/* An endpoint name as a topic level: what MQTT gives a meaning to is
 * escaped, UTF-8 and markup stay; too long is refused, never cut. */
static void
test_topic_level(void **state)
{
	char out[64], small[6];

	(void)state;
	assert_int_equal(envelope_topic_level("pump-7", out, sizeof(out)), 0);
	assert_string_equal(out, "pump-7");
	assert_int_equal(envelope_topic_level("a/b+c#d%e", out, sizeof(out)),
	    0);
	assert_string_equal(out, "a%2Fb%2Bc%23d%25e");
	assert_int_equal(envelope_topic_level("<img src=x> caf\xc3\xa9", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "<img src=x> caf\xc3\xa9");
	assert_int_equal(envelope_topic_level("", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(envelope_topic_level("abcde", small, sizeof(small)),
	    0);
	assert_int_equal(envelope_topic_level("abcdef", small, sizeof(small)),
	    -1);
	assert_int_equal(envelope_topic_level("abc+", small, sizeof(small)),
	    -1);
	assert_int_equal(envelope_topic_level("ab+", small, sizeof(small)), 0);
	assert_string_equal(small, "ab%2B");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_body_base64),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_around),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_method),
		cmocka_unit_test(test_bad_path),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_header_injection),
		cmocka_unit_test(test_header_lengths),
		cmocka_unit_test(test_header_count),
		cmocka_unit_test(test_header_dropped),
		cmocka_unit_test(test_bad_body),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_answer_utf8),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_free_twice),
		cmocka_unit_test(test_topic_level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
