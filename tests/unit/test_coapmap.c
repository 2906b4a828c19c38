/*
 * test_coapmap.c: unit tests for lwm2m/coapmap.c: every row of RFC 8075
 * Table 2 (CoAP response code -> HTTP status), codes the table does not
 * list, the Content-Format <-> media type table both ways, and hostile
 * Content-Type / Accept values; a device's error answer as the API
 * reports it, and Location-Path segments from a device. Every value handed to
 * coapmap_content_format is a heap copy of exactly its length plus the NUL,
 * so that the ASan build (make check-asan) flags a read past it; the
 * buffer-edge cases (a 95/96/97-byte media type) rely on that build too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/coapmap.h"

/* Longest coap-payload type for any int: "...;cf=-2147483648" + NUL. */
#define TYPE_MAX	40

/* coapmap_content_format on an exact-size heap copy of the n bytes of s. */
static int
cf_of_n(const char *s, size_t n)
{
	char *copy;
	int cf;

	copy = malloc(n + 1);
	assert_non_null(copy);
	memcpy(copy, s, n);
	copy[n] = '\0';
	cf = coapmap_content_format(copy);
	free(copy);
	assert_true(cf == COAPMAP_NONE || (cf >= 0 && cf <= 65535));
	return cf;
}

static int
cf_of(const char *s)
{
	return cf_of_n(s, strlen(s));
}

/* Checks a list of { type, want } pairs, naming every one that is wrong. */
struct cf_case {
	const char	*type;
	int		 want;
};

static void
check_cases(const struct cf_case *c, size_t n)
{
	size_t i, bad = 0;
	int got;

	for (i = 0; i < n; i++) {
		got = cf_of(c[i].type);
		if (got != c[i].want) {
			print_error("\"%s\": got %d, want %d\n", c[i].type,
			    got, c[i].want);
			bad++;
		}
	}
	if (bad > 0)
		fail_msg("%zu of %zu media types mapped wrongly", bad, n);
}
#define CHECK_CASES(a)	check_cases((a), sizeof(a) / sizeof((a)[0]))

/* prefix + n copies of c + suffix, on the heap. */
static char *
repeat(const char *prefix, char c, size_t n, const char *suffix)
{
	size_t pl = strlen(prefix), xl = strlen(suffix);
	char *out;

	out = malloc(pl + n + xl + 1);
	assert_non_null(out);
	memcpy(out, prefix, pl);
	memset(out + pl, c, n);
	memcpy(out + pl + n, suffix, xl + 1);
	return out;
}

/* ---- coapmap_status ---- */

/* RFC 8075 §7 Table 2, as coapmap.h documents it. */
static const struct {
	int	cls, detail;
	int	with_body, without_body;
} table2[] = {
	{ 2, 1, 201, 201 },	/* Created */
	{ 2, 2, 200, 204 },	/* Deleted */
	{ 2, 3, 304, 304 },	/* Valid */
	{ 2, 5, 200, 200 },	/* Content */
	{ 4, 0, 400, 400 },	/* Bad Request */
	{ 4, 1, 403, 403 },	/* Unauthorized */
	{ 4, 2, 400, 400 },	/* Bad Option */
	{ 4, 3, 403, 403 },	/* Forbidden */
	{ 4, 4, 404, 404 },	/* Not Found */
	{ 4, 5, 400, 400 },	/* Method Not Allowed */
	{ 4, 6, 406, 406 },	/* Not Acceptable */
	{ 4, 8, 400, 400 },	/* Request Entity Incomplete */
	{ 4, 9, 409, 409 },	/* Conflict */
	{ 4, 12, 412, 412 },	/* Precondition Failed */
	{ 4, 13, 413, 413 },	/* Request Entity Too Large */
	{ 4, 15, 415, 415 },	/* Unsupported Content-Format */
	{ 4, 22, 422, 422 },	/* Unprocessable Entity */
	{ 4, 29, 429, 429 },	/* Too Many Requests */
	{ 5, 0, 500, 500 },	/* Internal Server Error */
	{ 5, 1, 501, 501 },	/* Not Implemented */
	{ 5, 2, 502, 502 },	/* Bad Gateway */
	{ 5, 3, 503, 503 },	/* Service Unavailable */
	{ 5, 4, 504, 504 },	/* Gateway Timeout */
	{ 5, 5, 502, 502 },	/* Proxying Not Supported */
};
#define NTABLE2	(sizeof(table2) / sizeof(table2[0]))

static void
test_status_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NTABLE2; i++) {
		if (coapmap_status(table2[i].cls, table2[i].detail, 1) !=
		    table2[i].with_body ||
		    coapmap_status(table2[i].cls, table2[i].detail, 0) !=
		    table2[i].without_body)
			fail_msg("%d.%02d: got %d/%d, want %d/%d",
			    table2[i].cls, table2[i].detail,
			    coapmap_status(table2[i].cls, table2[i].detail, 1),
			    coapmap_status(table2[i].cls, table2[i].detail, 0),
			    table2[i].with_body, table2[i].without_body);
	}
	/* Any non-zero has_body means a body. */
	assert_int_equal(coapmap_status(2, 2, 2), 200);
	assert_int_equal(coapmap_status(2, 2, -1), 200);
	assert_int_equal(coapmap_status(2, 2, INT_MIN), 200);
}

/*
 * 2.04 Changed: RFC 8075 Table 2 allows 200 OK and 204 No Content (note 2,
 * the same as 2.02 Deleted), and coapmap.h says has_body picks between
 * them. Without a body it is 204; with one it must be 200, as an HTTP 204
 * cannot carry content (RFC 9110 §15.3.5) and a 2.04 with a payload is
 * common (a POST answered with a result).
 */
static void
test_status_changed(void **state)
{
	(void)state;
	assert_int_equal(coapmap_status(2, 4, 0), 204);
	assert_int_equal(coapmap_status(2, 4, 1), 200);
}

/*
 * 2.31 Continue (RFC 7959) is hop-by-hop, "N/A" in RFC 8075 Table 2, and
 * coapmap.h names it as a code with no mapping: 502 with or without body.
 */
static void
test_status_continue(void **state)
{
	(void)state;
	assert_int_equal(coapmap_status(2, 31, 0), 502);
	assert_int_equal(coapmap_status(2, 31, 1), 502);
}

/* Codes the table does not list fall back on their class. */
static void
test_status_unlisted(void **state)
{
	static const int d2[] = { 0, 6, 7, 10, 30 };
	static const int d4[] = { 7, 10, 11, 14, 16, 21, 23, 28, 30, 31 };
	static const int d5[] = { 6, 7, 10, 30, 31 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(d2) / sizeof(d2[0]); i++) {
		assert_int_equal(coapmap_status(2, d2[i], 1), 200);
		assert_int_equal(coapmap_status(2, d2[i], 0), 204);
	}
	for (i = 0; i < sizeof(d4) / sizeof(d4[0]); i++) {
		assert_int_equal(coapmap_status(4, d4[i], 1), 400);
		assert_int_equal(coapmap_status(4, d4[i], 0), 400);
	}
	for (i = 0; i < sizeof(d5) / sizeof(d5[0]); i++) {
		assert_int_equal(coapmap_status(5, d5[i], 1), 500);
		assert_int_equal(coapmap_status(5, d5[i], 0), 500);
	}
	/* Class 3 is reserved: no mapping at all. */
	for (i = 0; i <= 31; i++) {
		assert_int_equal(coapmap_status(3, (int)i, 1), 502);
		assert_int_equal(coapmap_status(3, (int)i, 0), 502);
	}
}

/* Classes outside 2..5 and details outside 0..31 are 502. */
static void
test_status_invalid(void **state)
{
	static const int cls[] = { 0, 1, 6, 7, -1, -2 };
	static const int bad_detail[] = { 32, 33, 99, 100, -1, -5, -100 };
	size_t i, j;
	int d;

	(void)state;
	for (i = 0; i < sizeof(cls) / sizeof(cls[0]); i++)
		for (d = 0; d <= 31; d++) {
			assert_int_equal(coapmap_status(cls[i], d, 1), 502);
			assert_int_equal(coapmap_status(cls[i], d, 0), 502);
		}
	/* 2.32 must not read as 2.32 -> 3.00 etc., nor 4.-1 as 3.99. */
	for (i = 2; i <= 5; i++)
		for (j = 0; j < sizeof(bad_detail) / sizeof(bad_detail[0]);
		    j++) {
			assert_int_equal(coapmap_status((int)i, bad_detail[j],
			    1), 502);
			assert_int_equal(coapmap_status((int)i, bad_detail[j],
			    0), 502);
		}
	/* Codes that alias a table row through class * 100 + detail. */
	assert_int_equal(coapmap_status(1, 101, 1), 502);	/* "2.01" */
	assert_int_equal(coapmap_status(3, 104, 1), 502);	/* "4.04" */
	assert_int_equal(coapmap_status(6, -100, 1), 502);	/* "5.00" */
}

/*
 * Whole-range ints, as a caller that forgot to check might pass: still
 * 502, with no signed overflow on the way (the ASan/UBSan build traps
 * one).
 */
static void
test_status_extreme(void **state)
{
	static const int v[] = {
		INT_MIN, INT_MIN + 1, -21474837, -1, 0, 2, 4, 5, 31, 32,
		21474837, INT_MAX - 1, INT_MAX,
	};
	size_t i, j;
	int s;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (j = 0; j < sizeof(v) / sizeof(v[0]); j++) {
			s = coapmap_status(v[i], v[j], 1);
			if ((v[i] < 2 || v[i] > 5 || v[j] < 0 || v[j] > 31) &&
			    s != 502)
				fail_msg("(%d, %d): %d", v[i], v[j], s);
			assert_true(s >= 200 && s <= 599);
		}
}

/* ---- coapmap_media_type ---- */

static const struct {
	int		 cf;
	const char	*type;
} known[] = {
	{ 0, "text/plain;charset=utf-8" },
	{ 40, "application/link-format" },
	{ 42, "application/octet-stream" },
	{ 50, "application/json" },
	{ 60, "application/cbor" },
	{ 110, "application/senml+json" },
	{ 112, "application/senml+cbor" },
	{ 11542, "application/vnd.oma.lwm2m+tlv" },
	{ 11543, "application/vnd.oma.lwm2m+json" },
};
#define NKNOWN	(sizeof(known) / sizeof(known[0]))

static int
is_known(int cf)
{
	size_t i;

	for (i = 0; i < NKNOWN; i++)
		if (known[i].cf == cf)
			return 1;
	return 0;
}

/* Each known Content-Format, both ways. */
static void
test_known_both_ways(void **state)
{
	char buf[TYPE_MAX];
	const char *t;
	size_t i;

	(void)state;
	for (i = 0; i < NKNOWN; i++) {
		t = coapmap_media_type(known[i].cf, buf, sizeof(buf));
		assert_non_null(t);
		assert_string_equal(t, known[i].type);
		assert_int_equal(cf_of(known[i].type), known[i].cf);
		assert_int_equal(cf_of(t), known[i].cf);
	}
}

/* Every other Content-Format is application/coap-payload;cf=N, and back. */
static void
test_unknown_both_ways(void **state)
{
	char buf[TYPE_MAX], want[TYPE_MAX];
	const char *t;
	int cf;

	(void)state;
	for (cf = 0; cf <= 65535; cf++) {
		if (is_known(cf))
			continue;
		memset(buf, 'x', sizeof(buf));
		t = coapmap_media_type(cf, buf, sizeof(buf));
		snprintf(want, sizeof(want), "application/coap-payload;cf=%d",
		    cf);
		if (t != buf || strcmp(t, want) != 0)
			fail_msg("cf %d: \"%.40s\"", cf, t);
		if (coapmap_content_format(t) != cf)
			fail_msg("\"%s\" does not parse back to %d", t, cf);
	}
	t = coapmap_media_type(41, buf, sizeof(buf));
	assert_string_equal(t, "application/coap-payload;cf=41");
}

/* The buffer: any int fits TYPE_MAX; a short one is cut, NUL-terminated. */
static void
test_media_type_buffer(void **state)
{
	char big[TYPE_MAX], small[8];
	const char *t;
	size_t len;

	(void)state;
	t = coapmap_media_type(INT_MIN, big, sizeof(big));
	assert_ptr_equal(t, big);
	assert_string_equal(t, "application/coap-payload;cf=-2147483648");
	t = coapmap_media_type(INT_MAX, big, sizeof(big));
	assert_string_equal(t, "application/coap-payload;cf=2147483647");
	for (len = 1; len <= sizeof(small); len++) {
		memset(small, 'x', sizeof(small));
		t = coapmap_media_type(41, small, len);
		assert_ptr_equal(t, small);
		assert_int_equal(strlen(t), len - 1);
		assert_memory_equal(t, "application", len - 1);
	}
	/* A known one does not need the buffer at all. */
	assert_string_equal(coapmap_media_type(50, small, 1),
	    "application/json");
}

/* ---- coapmap_content_format ---- */

/* Types are case-insensitive; whitespace around the type and ';' is OK. */
static void
test_tolerance(void **state)
{
	static const struct cf_case c[] = {
		{ "Application/JSON", 50 },
		{ "APPLICATION/CBOR", 60 },
		{ "application/SenML+Json", 110 },
		{ "Application/Vnd.OMA.LwM2M+TLV", 11542 },
		{ "Text/Plain", 0 },
		{ "text/plain", 0 },
		{ " application/json", 50 },
		{ "application/json ", 50 },
		{ "\tapplication/json\t", 50 },
		{ "application/json ; charset=utf-8", 50 },
		{ "application/json;charset=utf-8", 50 },
		{ "application/json; charset=utf-8", 50 },
		{ "application/json\t;\tq=0.9", 50 },
		{ "application/link-format; ct=40", 40 },
		{ "application/json;", 50 },
		{ "text/plain;", 0 },
		{ "text/plain; ", 0 },
		{ "text/plain ; format=flowed", 0 },
		{ "APPLICATION/COAP-PAYLOAD;CF=41", 41 },
		{ "application/coap-payload ; cf=60", 60 },
		{ "application/coap-payload;\tcf=7\t", 7 },
		{ "application/coap-payload; x=y; cf=11544", 11544 },
	};

	(void)state;
	CHECK_CASES(c);
}

/* text/plain maps only with no charset or charset=utf-8. */
static void
test_text_plain_charset(void **state)
{
	static const struct cf_case c[] = {
		{ "text/plain;charset=utf-8", 0 },
		{ "text/plain;charset=UTF-8", 0 },
		{ "text/plain; charset=\"utf-8\"", 0 },
		{ "text/plain; charset=\"UTF-8\"", 0 },
		{ "text/plain; CHARSET=Utf-8", 0 },
		{ "text/plain ; charset=utf-8 ", 0 },
		{ "text/plain; format=flowed; charset=utf-8", 0 },
		{ "text/plain;charset=latin1", COAPMAP_NONE },
		{ "text/plain; charset=iso-8859-1", COAPMAP_NONE },
		{ "text/plain; charset=\"latin1\"", COAPMAP_NONE },
		{ "text/plain; format=flowed; charset=latin1", COAPMAP_NONE },
		{ "text/plain; charset=utf-16", COAPMAP_NONE },
		{ "text/plain; charset=utf8", COAPMAP_NONE },
		{ "text/plain; charset=utf-8x", COAPMAP_NONE },
		{ "text/plain; charset=", COAPMAP_NONE },
		{ "text/plain; charset=\"\"", COAPMAP_NONE },
		{ "text/plain; charset=\"utf-8", COAPMAP_NONE },
		{ "text/plain; charset=utf-8\"", COAPMAP_NONE },
		{ "text/plain; charset= utf-8", COAPMAP_NONE },
		{ "text/plain;charset", COAPMAP_NONE },
		{ "text/plain; charset", COAPMAP_NONE },
	};

	(void)state;
	CHECK_CASES(c);
}

/*
 * A charset other than utf-8 must not hide behind a parameter that has no
 * '=' (an empty one, allowed by RFC 9110 §5.6.6, or a malformed one),
 * behind a quoted ';', or behind a space before '='. The parameter
 * scanner looks for the next '=' past the end of the current parameter,
 * so it reads "foo; charset" as one parameter name and never sees the
 * charset: latin1 text would go to the device as utf-8.
 */
static void
test_text_plain_charset_hidden(void **state)
{
	static const struct cf_case c[] = {
		{ "text/plain;;charset=latin1", COAPMAP_NONE },
		{ "text/plain; ; charset=latin1", COAPMAP_NONE },
		{ "text/plain; foo; charset=latin1", COAPMAP_NONE },
		{ "text/plain; x=\"a;b\"; charset=latin1", COAPMAP_NONE },
		{ "text/plain; charset =latin1", COAPMAP_NONE },
		{ "text/plain; charset; x=y", COAPMAP_NONE },
	};

	(void)state;
	CHECK_CASES(c);
}

/* application/coap-payload;cf=N maps to N, 0..65535, and nothing else. */
static void
test_coap_payload(void **state)
{
	static const struct cf_case c[] = {
		{ "application/coap-payload;cf=0", 0 },
		{ "application/coap-payload;cf=41", 41 },
		{ "application/coap-payload;cf=50", 50 },
		{ "application/coap-payload;cf=65535", 65535 },
		{ "application/coap-payload;cf=\"60\"", 60 },
		{ "application/coap-payload;cf=0007", 7 },
		{ "application/coap-payload", COAPMAP_NONE },
		{ "application/coap-payload;", COAPMAP_NONE },
		{ "application/coap-payload;cf", COAPMAP_NONE },
		{ "application/coap-payload;cf=", COAPMAP_NONE },
		{ "application/coap-payload;cf=\"\"", COAPMAP_NONE },
		{ "application/coap-payload;cf=65536", COAPMAP_NONE },
		{ "application/coap-payload;cf=99999999", COAPMAP_NONE },
		{ "application/coap-payload;cf=9223372036854775807",
		    COAPMAP_NONE },
		{ "application/coap-payload;cf=99999999999999999999",
		    COAPMAP_NONE },
		{ "application/coap-payload;cf=-1", COAPMAP_NONE },
		{ "application/coap-payload;cf=-0", COAPMAP_NONE },
		{ "application/coap-payload;cf=+5", COAPMAP_NONE },
		{ "application/coap-payload;cf= 5", COAPMAP_NONE },
		{ "application/coap-payload;cf=1x", COAPMAP_NONE },
		{ "application/coap-payload;cf=0x10", COAPMAP_NONE },
		{ "application/coap-payload;cf=1.5", COAPMAP_NONE },
		{ "application/coap-payload;ct=41", COAPMAP_NONE },
		{ "application/coap-payload;xcf=41", COAPMAP_NONE },
		{ "application/coap-payload;cfx=41", COAPMAP_NONE },
		{ "application/coap-payloads;cf=41", COAPMAP_NONE },
		{ "application/coap;cf=41", COAPMAP_NONE },
		{ ";cf=", COAPMAP_NONE },
		{ ";cf=41", COAPMAP_NONE },
		{ "cf=99999999", COAPMAP_NONE },
		{ "cf=-1", COAPMAP_NONE },
		{ "cf=1x", COAPMAP_NONE },
		{ "cf=41", COAPMAP_NONE },
	};

	(void)state;
	CHECK_CASES(c);
}

/* The value buffer (32 bytes): 31 digits fit, 32 do not. */
static void
test_coap_payload_long_value(void **state)
{
	char *s;

	(void)state;
	s = repeat("application/coap-payload;cf=", '0', 29, "41");
	assert_int_equal(cf_of(s), 41);
	free(s);
	s = repeat("application/coap-payload;cf=", '0', 30, "41");
	assert_int_equal(cf_of(s), COAPMAP_NONE);
	free(s);
	s = repeat("application/coap-payload;cf=", '0', 10000, "41");
	assert_int_equal(cf_of(s), COAPMAP_NONE);
	free(s);
	s = repeat("application/coap-payload;cf=\"", '0', 29, "41\"");
	assert_int_equal(cf_of(s), 41);
	free(s);
	s = repeat("text/plain;charset=", 'a', 10000, "");
	assert_int_equal(cf_of(s), COAPMAP_NONE);
	free(s);
	s = repeat("application/coap-payload;cf=41;x=", 'a', 10000, "");
	assert_int_equal(cf_of(s), 41);
	free(s);
}

/* Not media types, or not ones we know. */
static void
test_hostile(void **state)
{
	static const struct cf_case c[] = {
		{ "", COAPMAP_NONE },
		{ " ", COAPMAP_NONE },
		{ ";", COAPMAP_NONE },
		{ "/", COAPMAP_NONE },
		{ "//", COAPMAP_NONE },
		{ "a/", COAPMAP_NONE },
		{ "/b", COAPMAP_NONE },
		{ "a/b", COAPMAP_NONE },
		{ "a/b/c", COAPMAP_NONE },
		{ "application/json/", COAPMAP_NONE },
		{ "/application/json", COAPMAP_NONE },
		{ "application//json", COAPMAP_NONE },
		{ "application", COAPMAP_NONE },
		{ "json", COAPMAP_NONE },
		{ "*/*", COAPMAP_NONE },
		{ "application/*", COAPMAP_NONE },
		{ "application/jso", COAPMAP_NONE },
		{ "application/jsonx", COAPMAP_NONE },
		{ "application/json+x", COAPMAP_NONE },
		{ "xapplication/json", COAPMAP_NONE },
		{ "application /json", COAPMAP_NONE },
		{ "application/ json", COAPMAP_NONE },
		{ "application/json x", COAPMAP_NONE },
		{ "application/json, text/plain", COAPMAP_NONE },
		{ "application/json,text/plain", COAPMAP_NONE },
		{ "text/plain;charset=utf-8/", COAPMAP_NONE },
		{ "text/plainx", COAPMAP_NONE },
		{ "text/plai", COAPMAP_NONE },
		{ "text/html", COAPMAP_NONE },
		{ "application/xml", COAPMAP_NONE },
		{ "application/json\r\n", COAPMAP_NONE },
		{ "application/json\r\nX-Evil: 1", COAPMAP_NONE },
		{ "application/\x01json", COAPMAP_NONE },
		{ "application/json\x7f", COAPMAP_NONE },
		{ "application/js\x1bon", COAPMAP_NONE },
		{ "\x01" "application/json", COAPMAP_NONE },
		{ "\napplication/json", COAPMAP_NONE },
		{ "\x80pplication/json", COAPMAP_NONE },
		{ "application/json\xff", COAPMAP_NONE },
		{ "text/plain; charset=utf-8\r\nX: y", COAPMAP_NONE },
		{ "text/plain; charset=utf-\x01" "8", COAPMAP_NONE },
		{ "application/coap-payload;cf=4\x01" "1", COAPMAP_NONE },
		{ "application/coap-payload;cf=41\r\n", COAPMAP_NONE },
		{ "text/plain;charset", COAPMAP_NONE },
		{ "application/coap-payload", COAPMAP_NONE },
	};

	(void)state;
	assert_int_equal(coapmap_content_format(NULL), COAPMAP_NONE);
	CHECK_CASES(c);
}

/*
 * Long values. The bare type is copied into a 96-byte buffer: 95 bytes fit
 * with the NUL, 96 and 97 do not (and must not be written past it; the
 * ASan build checks that).
 */
static void
test_long(void **state)
{
	static const size_t lens[] = { 94, 95, 96, 97, 98, 200 };
	char *s;
	size_t i;

	(void)state;
	s = repeat("", 'a', 10 * 1024, "");
	assert_int_equal(cf_of(s), COAPMAP_NONE);
	free(s);
	s = repeat("application/", 'a', 10 * 1024, "");
	assert_int_equal(cf_of(s), COAPMAP_NONE);
	free(s);
	s = repeat("", 'a', 10 * 1024, "/json");
	assert_int_equal(cf_of(s), COAPMAP_NONE);
	free(s);
	s = repeat("", '/', 10 * 1024, "");
	assert_int_equal(cf_of(s), COAPMAP_NONE);
	free(s);
	s = repeat("", ';', 10 * 1024, "");
	assert_int_equal(cf_of(s), COAPMAP_NONE);
	free(s);
	s = repeat("application/json;", ';', 10 * 1024, "");
	assert_int_equal(cf_of(s), 50);
	free(s);
	s = repeat("application/json;x=", '=', 10 * 1024, "");
	assert_int_equal(cf_of(s), 50);
	free(s);
	s = repeat("text/plain;x=", '"', 10 * 1024, "");
	assert_int_equal(cf_of(s), 0);
	free(s);
	/* Leading and trailing whitespace does not count against the type. */
	s = repeat("", ' ', 10 * 1024, "application/json");
	assert_int_equal(cf_of(s), 50);
	free(s);
	s = repeat("application/json", '\t', 10 * 1024, ";q=1");
	assert_int_equal(cf_of(s), 50);
	free(s);

	/* "application/" + 'a'... to exactly lens[i] bytes, at the edge. */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		s = repeat("application/", 'a', lens[i] - 12, "");
		assert_int_equal(strlen(s), lens[i]);
		assert_int_equal(cf_of(s), COAPMAP_NONE);
		free(s);
		s = repeat("application/", 'a', lens[i] - 12, ";cf=41");
		assert_int_equal(cf_of(s), COAPMAP_NONE);
		free(s);
		s = repeat("", 'a', lens[i] - 5, "/json");
		assert_int_equal(cf_of(s), COAPMAP_NONE);
		free(s);
	}
	/* A known type after the edge cases: nothing carried over. */
	assert_int_equal(cf_of("application/json"), 50);
}

/* Every prefix of the known types and a few tricky ones. */
static void
test_every_prefix(void **state)
{
	static const char *const extra[] = {
		"application/coap-payload;cf=\"41\"",
		"text/plain; charset=\"UTF-8\"",
		"application/coap-payload ; cf=11544 ; x=\"y\"",
	};
	const char *s;
	size_t i, n, len;
	int cf;

	(void)state;
	for (i = 0; i < NKNOWN + sizeof(extra) / sizeof(extra[0]); i++) {
		s = i < NKNOWN ? known[i].type : extra[i - NKNOWN];
		len = strlen(s);
		for (n = 0; n <= len; n++) {
			cf = cf_of_n(s, n);
			/* A cut type is no known type, but "text/plain" and
			 * "application/coap-payload;cf=1" are fine. */
			if (cf != COAPMAP_NONE && n < len &&
			    strncmp(s, "text/plain", 10) != 0 &&
			    strncmp(s, "application/coap-payload", 24) != 0)
				fail_msg("\"%.*s\" -> %d", (int)n, s, cf);
		}
	}
}

/* Random bytes and mixes of pieces: the result is NONE or 0..65535. */
static void
test_random(void **state)
{
	static const char *const pieces[] = {
		"application", "text", "plain", "json", "/", ";", " ", "\t",
		"=", "\"", "cf", "charset", "utf-8", "coap-payload", "41",
		"-", "+", "\x01", "\xff", ",",
	};
	char buf[256];
	size_t len, i, t;
	int round;

	(void)state;
	srandom(11);
	for (round = 0; round < 50000; round++) {
		if (round % 2 == 0) {
			len = (size_t)random() % 128;
			for (i = 0; i < len; i++)
				buf[i] = (char)(1 + random() % 255);
		} else {
			for (len = 0; len < 120;) {
				t = (size_t)random() %
				    (sizeof(pieces) / sizeof(pieces[0]));
				memcpy(buf + len, pieces[t], strlen(pieces[t]));
				len += strlen(pieces[t]);
			}
		}
		(void)cf_of_n(buf, len);
	}
}

/* coapmap_device_error on an exact-size heap copy of diag. */
static const char *
deverr(int cls, int detail, int cf, const char *diag, size_t len,
    char *detail_buf, size_t dlen, char *code)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	const char *name;

	assert_non_null(copy);
	memcpy(copy, diag, len);
	name = coapmap_device_error("node-7", cls, detail, cf, copy, len,
	    detail_buf, dlen, code, 8);
	free(copy);
	return name;
}

/* A device's refusal: the name and phrase of its code, and its diagnostic
 * only when it is text, cut at a character. */
static void
test_device_error(void **state)
{
	char d[512], code[8], longdiag[400];
	size_t i;

	(void)state;
	assert_string_equal(deverr(4, 4, COAPMAP_NONE, "", 0, d, sizeof(d),
	    code), "not_found");
	assert_string_equal(d, "device node-7 answered 4.04 Not Found");
	assert_string_equal(code, "4.04");
	assert_string_equal(deverr(5, 3, 0, "busy", 4, d, sizeof(d), code),
	    "service_unavailable");
	assert_string_equal(d, "device node-7 answered 5.03 Service "
	    "Unavailable: busy");
	assert_string_equal(deverr(4, 6, COAPMAP_NONE, "\xc3\xa9t\xc3\xa9", 5,
	    d, sizeof(d), code), "not_acceptable");
	assert_string_equal(d, "device node-7 answered 4.06 Not Acceptable: "
	    "\xc3\xa9t\xc3\xa9");
	/* Not text: no diagnostic. */
	assert_string_equal(deverr(4, 0, 42, "x", 1, d, sizeof(d), code),
	    "bad_request");
	assert_string_equal(d, "device node-7 answered 4.00 Bad Request");
	deverr(4, 0, COAPMAP_NONE, "a\nb", 3, d, sizeof(d), code);
	assert_string_equal(d, "device node-7 answered 4.00 Bad Request");
	deverr(4, 0, COAPMAP_NONE, "a\0b", 3, d, sizeof(d), code);
	assert_string_equal(d, "device node-7 answered 4.00 Bad Request");
	deverr(4, 0, COAPMAP_NONE, "\xc3", 1, d, sizeof(d), code);
	assert_string_equal(d, "device node-7 answered 4.00 Bad Request");
	deverr(4, 0, COAPMAP_NONE, "\xed\xa0\x80", 3, d, sizeof(d), code);
	assert_string_equal(d, "device node-7 answered 4.00 Bad Request");
	/* Codes nobody named, and odd ones. */
	assert_string_equal(deverr(4, 31, COAPMAP_NONE, "", 0, d, sizeof(d),
	    code), "device_error");
	assert_string_equal(d, "device node-7 answered 4.31 Error");
	deverr(7, 31, COAPMAP_NONE, "", 0, d, sizeof(d), code);
	assert_string_equal(code, "7.31");
	/* Long: cut at COAPMAP_DIAG_MAX bytes, never inside a character. */
	for (i = 0; i + 1 < sizeof(longdiag); i += 2) {
		longdiag[i] = '\xc3';
		longdiag[i + 1] = '\xa9';
	}
	deverr(5, 0, 0, longdiag, sizeof(longdiag), d, sizeof(d), code);
	assert_int_equal(strlen(d), strlen("device node-7 answered 5.00 "
	    "Internal Server Error: ") + COAPMAP_DIAG_MAX + 3);
	deverr(5, 0, 0, longdiag + 1, sizeof(longdiag) - 2, d, sizeof(d), code);
	assert_string_equal(d, "device node-7 answered 5.00 Internal Server "
	    "Error");			/* starts inside a character */
	longdiag[0] = 'a';		/* "a" and the characters after */
	for (i = 1; i + 1 < sizeof(longdiag); i += 2) {
		longdiag[i] = '\xc3';
		longdiag[i + 1] = '\xa9';
	}
	deverr(5, 0, 0, longdiag, sizeof(longdiag) - 1, d, sizeof(d), code);
	assert_int_equal(strlen(d), strlen("device node-7 answered 5.00 "
	    "Internal Server Error: ") + COAPMAP_DIAG_MAX - 1 + 3);
	/* A small buffer gets a terminated, cut detail. */
	deverr(4, 4, 0, "why", 3, d, 10, code);
	assert_string_equal(d, "device no");
}

static int
loc_add(char *loc, const char *seg, size_t len)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, seg, len);
	rc = coapmap_location_add(loc, copy, len);
	free(copy);
	return rc;
}

/* Location-Path segments join into a path fit for a header and JSON. */
static void
test_location(void **state)
{
	static const char *const bad[] = {
		"", ".", "..", "a b", "a/b", "a\r\nb", "a%2F", "\xc3\xa9",
		"a\"", "a?b", "a#b", "a\\b",
	};
	char loc[COAPMAP_LOCATION_MAX] = "";
	char seg[COAPMAP_LOCATION_MAX];
	size_t i;

	(void)state;
	assert_int_equal(loc_add(loc, "33605", 5), 0);
	assert_int_equal(loc_add(loc, "0", 1), 0);
	assert_string_equal(loc, "33605/0");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (loc_add(loc, bad[i], strlen(bad[i])) != -1)
			fail_msg("taken: '%s'", bad[i]);
		assert_string_equal(loc, "33605/0");
	}
	assert_int_equal(loc_add(loc, "a\0b", 3), -1);
	assert_int_equal(loc_add(loc, "...", 3), 0);
	assert_int_equal(loc_add(loc, "A-z_9~", 6), 0);
	assert_string_equal(loc, "33605/0/.../A-z_9~");
	/* Room: up to COAPMAP_LOCATION_MAX - 1 bytes in all. */
	loc[0] = '\0';
	memset(seg, 'x', sizeof(seg));
	assert_int_equal(loc_add(loc, seg, COAPMAP_LOCATION_MAX), -1);
	assert_int_equal(loc_add(loc, seg, COAPMAP_LOCATION_MAX - 3), 0);
	assert_int_equal(loc_add(loc, seg, 2), -1);	/* "/xx" */
	assert_int_equal(loc_add(loc, seg, 1), 0);
	assert_int_equal(strlen(loc), COAPMAP_LOCATION_MAX - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_table),
		cmocka_unit_test(test_status_changed),
		cmocka_unit_test(test_status_continue),
		cmocka_unit_test(test_status_unlisted),
		cmocka_unit_test(test_status_invalid),
		cmocka_unit_test(test_status_extreme),
		cmocka_unit_test(test_known_both_ways),
		cmocka_unit_test(test_unknown_both_ways),
		cmocka_unit_test(test_media_type_buffer),
		cmocka_unit_test(test_tolerance),
		cmocka_unit_test(test_text_plain_charset),
		cmocka_unit_test(test_text_plain_charset_hidden),
		cmocka_unit_test(test_coap_payload),
		cmocka_unit_test(test_coap_payload_long_value),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_device_error),
		cmocka_unit_test(test_location),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
