/*
 * test_senml.c: unit tests for lwm2m/senml_dec.c, the conversion of device
 * answers to SenML JSON. LwM2M TLV: the Device object instance and the
 * Access Control object of the LwM2M TS examples (bytes written out by
 * hand), single and multiple resources, resource instances, every length
 * form, values typed by the built-in object model (and opaque where the
 * model knows no resource), every truncation, and hostile nesting,
 * lengths, duplicates and counts. SenML CBOR: packs built with libcbor,
 * every label in both forms, exact numbers, and hostile items (not an
 * array, truncated, huge declared lengths, deep nesting, 10^5 items).
 * SenML JSON: copied as is once it parses. Plain text and opaque: one
 * resource, typed the same way.
 *
 * Every body is handed over as a heap copy of exactly its length, so that
 * ASan flags a read past it; every answer is checked against the promises
 * of senml.h (NULL and a reason, or JSON of the stated length and no
 * reason).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cbor.h>

#include "lwm2m/senml.h"

#define TLV	SENML_CF_TLV
#define CBOR	SENML_CF_CBOR
#define JSON	SENML_CF_JSON

/* The reason of the last failed conversion. */
static char last_err[256];

/*
 * senml_to_json on an exact-size heap copy of body[0..len), checking the
 * promises of senml.h on the way. Returns the JSON (caller frees) or NULL
 * with the reason in last_err.
 */
static char *
conv(int cf, const char *path, const void *body, size_t len)
{
	size_t outlen = 12345;
	uint8_t *copy;
	cJSON *doc;
	char *out;

	copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	if (len > 0)
		memcpy(copy, body, len);
	memset(last_err, 'x', sizeof(last_err));
	out = senml_to_json(cf, len > 0 ? copy : NULL, len, path, NULL, &outlen,
	    last_err, sizeof(last_err));
	free(copy);
	assert_non_null(memchr(last_err, '\0', sizeof(last_err)));
	if (out == NULL) {
		assert_int_equal(outlen, 0);
		if (last_err[0] == '\0')
			fail_msg("NULL without a reason");
		return NULL;
	}
	assert_string_equal(last_err, "");
	assert_int_equal(outlen, strlen(out));
	assert_true(outlen <= SENML_OUT_MAX);
	if (cf != JSON) {
		doc = cJSON_Parse(out);
		if (doc == NULL || !cJSON_IsArray(doc))
			fail_msg("not a JSON array: %.200s", out);
		cJSON_Delete(doc);
	}
	return out;
}

/* The conversion must fail with a reason holding want. */
static void
conv_fail(int cf, const char *path, const void *body, size_t len,
    const char *want)
{
	char *out = conv(cf, path, body, len);

	if (out != NULL)
		fail_msg("converted, want an error \"%s\": %.300s", want, out);
	if (strstr(last_err, want) == NULL)
		fail_msg("error \"%s\", want \"%s\"", last_err, want);
}

/* The conversion must give JSON equal (cJSON_Compare) to want. */
static void
conv_json(int cf, const char *path, const void *body, size_t len,
    const char *want)
{
	cJSON *got, *exp;
	char *out;

	if ((out = conv(cf, path, body, len)) == NULL)
		fail_msg("failed: %s; want %s", last_err, want);
	got = cJSON_Parse(out);
	exp = cJSON_Parse(want);
	assert_non_null(exp);
	if (!cJSON_Compare(got, exp, 1))
		fail_msg("got  %s\nwant %s", out, want);
	cJSON_Delete(got);
	cJSON_Delete(exp);
	free(out);
}

/* The conversion must give exactly want, byte for byte. */
static void
conv_text(int cf, const char *path, const void *body, size_t len,
    const char *want)
{
	char *out;

	if ((out = conv(cf, path, body, len)) == NULL)
		fail_msg("failed: %s; want %s", last_err, want);
	if (strcmp(out, want) != 0)
		fail_msg("got  %s\nwant %s", out, want);
	free(out);
}

#define TLV_JSON(path, b, want)	conv_json(TLV, path, b, sizeof(b), want)
#define TLV_TEXT(path, b, want)	conv_text(TLV, path, b, sizeof(b), want)
#define TLV_FAIL(path, b, want)	conv_fail(TLV, path, b, sizeof(b), want)

/* ---- LwM2M TLV ---- */

/* A read of /3/0, the Device object instance (LwM2M TS, TLV examples). */
static const uint8_t device[] = {
	0xc8, 0x00, 0x14, 'O', 'p', 'e', 'n', ' ', 'M', 'o', 'b', 'i', 'l',
	'e', ' ', 'A', 'l', 'l', 'i', 'a', 'n', 'c', 'e',   /* 0 Manufacturer */
	0xc8, 0x01, 0x16, 'L', 'i', 'g', 'h', 't', 'w', 'e', 'i', 'g', 'h',
	't', ' ', 'M', '2', 'M', ' ', 'C', 'l', 'i', 'e', 'n', 't', /* 1 */
	0xc8, 0x02, 0x09, '3', '4', '5', '0', '0', '0', '1', '2', '3', /* 2 */
	0xc3, 0x03, '1', '.', '0',			/* 3 Firmware Version */
	0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05, /* 6 Power Sources */
	0x88, 0x07, 0x08, 0x42, 0x00, 0x0e, 0xd8, 0x42, 0x01, 0x13, 0x88,
							/* 7 Voltage */
	0x87, 0x08, 0x41, 0x00, 0x7d, 0x42, 0x01, 0x03, 0x84, /* 8 Current */
	0xc1, 0x09, 0x64,				/* 9 Battery Level */
	0xc1, 0x0a, 0x0f,				/* 10 Memory Free */
	0x83, 0x0b, 0x41, 0x00, 0x00,			/* 11 Error Code */
	0xc4, 0x0d, 0x51, 0x82, 0x42, 0x8f,		/* 13 Current Time */
	0xc6, 0x0e, '+', '0', '2', ':', '0', '0',	/* 14 UTC Offset */
	0xc1, 0x10, 'U',				/* 16 Binding */
};
/* Where each top-level TLV of device starts, and its end. */
static const size_t device_cuts[] = {
	0, 23, 48, 60, 65, 73, 84, 93, 96, 99, 104, 110, 118, 121
};

/*
 * The records of device typed by the built-in Device object: Binding "U"
 * is a String, though one byte long (a guess would make it 85).
 */
#define DEVICE_REST \
	"{\"n\":\"1\",\"vs\":\"Lightweight M2M Client\"}," \
	"{\"n\":\"2\",\"vs\":\"345000123\"}," \
	"{\"n\":\"3\",\"vs\":\"1.0\"}," \
	"{\"n\":\"6/0\",\"v\":1},{\"n\":\"6/1\",\"v\":5}," \
	"{\"n\":\"7/0\",\"v\":3800},{\"n\":\"7/1\",\"v\":5000}," \
	"{\"n\":\"8/0\",\"v\":125},{\"n\":\"8/1\",\"v\":900}," \
	"{\"n\":\"9\",\"v\":100},{\"n\":\"10\",\"v\":15}," \
	"{\"n\":\"11/0\",\"v\":0}," \
	"{\"n\":\"13\",\"v\":1367491215}," \
	"{\"n\":\"14\",\"vs\":\"+02:00\"}," \
	"{\"n\":\"16\",\"vs\":\"U\"}"
#define DEVICE_JSON(bn) "[{\"bn\":\"" bn "\",\"n\":\"0\",\"vs\":\"Open " \
	"Mobile Alliance\"}," DEVICE_REST "]"

static void
test_tlv_device(void **state)
{
	(void)state;
	assert_int_equal(sizeof(device), 121);
	/* Exactly: bn on the first record only, body order, no spaces. */
	TLV_TEXT("3/0", device, DEVICE_JSON("/3/0/"));
	/* Parsed back, for good measure. */
	TLV_JSON("3/0", device, DEVICE_JSON("/3/0/"));
	/* A leading '/' is tolerated. */
	TLV_TEXT("/3/0", device, DEVICE_JSON("/3/0/"));
	/* Another instance of the same object: only bn changes. */
	TLV_TEXT("3/7", device, DEVICE_JSON("/3/7/"));
}

/* The same resources wrapped in an object instance TLV of the path's id. */
static void
test_tlv_instance_wrapped(void **state)
{
	uint8_t b[4 + sizeof(device)];
	char *plain, *wrapped;

	(void)state;
	b[0] = 0x10;		/* object instance, 8-bit id, 16-bit length */
	b[1] = 0x00;
	b[2] = 0x00;
	b[3] = sizeof(device);
	memcpy(b + 4, device, sizeof(device));
	plain = conv(TLV, "3/0", device, sizeof(device));
	wrapped = conv(TLV, "3/0", b, sizeof(b));
	assert_non_null(plain);
	assert_non_null(wrapped);
	assert_string_equal(plain, wrapped);
	free(plain);
	free(wrapped);
	/* The wrapper's id must be the path's. */
	TLV_FAIL("3/1", b, "object instance 0 where the path names 1");
	/* It must be the whole body. */
	{
		uint8_t c[sizeof(b) + 3];

		memcpy(c, b, sizeof(b));
		memcpy(c + sizeof(b), "\xc1\x09\x64", 3);
		TLV_FAIL("3/0", c, "more data after the object instance");
	}
	/* An empty instance has no record. */
	TLV_TEXT("3/0", ((const uint8_t[]){ 0x00, 0x00 }), "[]");
}

/* The Access Control object, two instances, a 16-bit resource instance id. */
static const uint8_t acl[] = {
	0x08, 0x00, 0x0e,			/* object instance 0 */
	0xc1, 0x00, 0x01, 0xc1, 0x01, 0x00,
	0x83, 0x02, 0x41, 0x7f, 0x07,
	0xc1, 0x03, 0x7f,
	0x08, 0x02, 0x12,			/* object instance 2 */
	0xc1, 0x00, 0x03, 0xc1, 0x01, 0x00,
	0x87, 0x02, 0x41, 0x7f, 0x07, 0x61, 0x01, 0x36, 0x01,
	0xc1, 0x03, 0x7f,
};
static const size_t acl_cuts[] = { 0, 17, 38 };
#define ACL_JSON "[{\"bn\":\"/2/\",\"n\":\"0/0\",\"v\":1},{\"n\":\"0/1\"," \
	"\"v\":0},{\"n\":\"0/2/127\",\"v\":7},{\"n\":\"0/3\",\"v\":127}," \
	"{\"n\":\"2/0\",\"v\":3},{\"n\":\"2/1\",\"v\":0},{\"n\":\"2/2/127\"," \
	"\"v\":7},{\"n\":\"2/2/310\",\"v\":1},{\"n\":\"2/3\",\"v\":127}]"

static void
test_tlv_object(void **state)
{
	(void)state;
	TLV_TEXT("2", acl, ACL_JSON);
	/* An object body holds object instances only. */
	TLV_FAIL("3", device, "resource 0 in an object body");
	/* The same bytes read as one instance: instances do not nest. */
	TLV_FAIL("2/0", acl, "TLV at byte 17: more data after the object "
	    "instance the path names");
	TLV_FAIL("2/2", acl, "TLV at byte 0: object instance 0 where the path "
	    "names 2");
	/* An empty object. */
	conv_text(TLV, "2", "", 0, "[]");
	conv_text(TLV, "3/0", "", 0, "[]");
}

static void
test_tlv_resource_single(void **state)
{
	(void)state;
	TLV_TEXT("3/0/9", ((const uint8_t[]){ 0xc1, 0x09, 0x64 }),
	    "[{\"bn\":\"/3/0/9\",\"v\":100}]");
	conv_text(TLV, "3/0/0", device, 23,
	    "[{\"bn\":\"/3/0/0\",\"vs\":\"Open Mobile Alliance\"}]");
	TLV_TEXT("3/0/13", ((const uint8_t[]){ 0xc4, 0x0d, 0x51, 0x82, 0x42,
	    0x8f }), "[{\"bn\":\"/3/0/13\",\"v\":1367491215}]");
	/* The id must be the path's. */
	TLV_FAIL("3/0/8", ((const uint8_t[]){ 0xc1, 0x09, 0x64 }),
	    "resource 9 where the path names 8");
	/* One resource, and nothing after it. */
	TLV_FAIL("3/0/9", ((const uint8_t[]){ 0xc1, 0x09, 0x64, 0xc1, 0x09,
	    0x64 }), "more data after the resource");
	TLV_FAIL("3/0/9", ((const uint8_t[]){ 0xc1, 0x09, 0x64, 0x00 }),
	    "more data after the resource");
	/* Not an instance, not nothing. */
	TLV_FAIL("3/0/9", ((const uint8_t[]){ 0x01, 0x09, 0x64 }),
	    "object instance 9 where the path names a resource");
	conv_fail(TLV, "3/0/9", "", 0, "empty body");
	conv_fail(TLV, "3/0/9/0", "", 0, "empty body");
}

static void
test_tlv_resource_multiple(void **state)
{
	static const uint8_t mr[] = { 0x86, 0x06, 0x41, 0x00, 0x01, 0x41,
	    0x01, 0x05 };
	static const char want[] = "[{\"bn\":\"/3/0/6/\",\"n\":\"0\",\"v\":1},"
	    "{\"n\":\"1\",\"v\":5}]";

	(void)state;
	TLV_TEXT("3/0/6", mr, want);
	/* The bare resource instances say the same. */
	conv_text(TLV, "3/0/6", mr + 2, 6, want);
	/* A resource instance path. */
	conv_text(TLV, "3/0/6/1", mr + 5, 3, "[{\"bn\":\"/3/0/6/1\",\"v\":5}]");
	conv_fail(TLV, "3/0/6/0", mr + 5, 3, "resource instance 1 where the "
	    "path names 0");
	conv_fail(TLV, "3/0/6/0", mr + 2, 6, "more data after the resource "
	    "instance");
	/* A multiple resource or a resource at a resource instance path. */
	TLV_FAIL("3/0/6/6", mr, "multiple resource 6 where the path names a "
	    "resource instance");
	TLV_FAIL("3/0/9/9", ((const uint8_t[]){ 0xc1, 0x09, 0x64 }),
	    "resource 9 where the path names a resource instance");
	TLV_FAIL("3/0/7", mr, "multiple resource 6 where the path names 7");
	/* Bare instances must all be instances. */
	TLV_FAIL("3/0/6", ((const uint8_t[]){ 0x41, 0x00, 0x01, 0xc1, 0x01,
	    0x05 }), "resource 1 inside multiple resource 6");
}

/* Values typed by the built-in model (senml.h), written exactly. */
static void
test_tlv_values(void **state)
{
	(void)state;
	/* Integer (/1/0/2, Default Minimum Period): signed, 1 to 8 bytes. */
	TLV_TEXT("1/0/2", ((const uint8_t[]){ 0xc1, 0x02, 0xff }),
	    "[{\"bn\":\"/1/0/2\",\"v\":-1}]");
	TLV_TEXT("1/0/2", ((const uint8_t[]){ 0xc2, 0x02, 0x80, 0x00 }),
	    "[{\"bn\":\"/1/0/2\",\"v\":-32768}]");
	TLV_TEXT("1/0/2", ((const uint8_t[]){ 0xc2, 0x02, 0x7f, 0xff }),
	    "[{\"bn\":\"/1/0/2\",\"v\":32767}]");
	TLV_TEXT("1/0/2", ((const uint8_t[]){ 0xc4, 0x02, 0xff, 0xff, 0xff,
	    0xfe }), "[{\"bn\":\"/1/0/2\",\"v\":-2}]");
	/* 64-bit, past what a double holds: written exactly. */
	TLV_TEXT("1/0/2", ((const uint8_t[]){ 0xc8, 0x02, 0x08, 0x80, 0, 0, 0,
	    0, 0, 0, 0 }), "[{\"bn\":\"/1/0/2\",\"v\":-9223372036854775808}]");
	TLV_TEXT("1/0/2", ((const uint8_t[]){ 0xc8, 0x02, 0x08, 0x7f, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff }),
	    "[{\"bn\":\"/1/0/2\",\"v\":9223372036854775807}]");
	TLV_TEXT("1/0/2", ((const uint8_t[]){ 0xc8, 0x02, 0x08, 0x00, 0x20,
	    0, 0, 0, 0, 0, 0x01 }),
	    "[{\"bn\":\"/1/0/2\",\"v\":9007199254740993}]");
	/* Another length is no Integer: opaque. */
	TLV_TEXT("1/0/2", ((const uint8_t[]){ 0xc3, 0x02, 0, 1, 2 }),
	    "[{\"bn\":\"/1/0/2\",\"vd\":\"AAEC\"}]");
	TLV_TEXT("1/0/2", ((const uint8_t[]){ 0xc0, 0x02 }),
	    "[{\"bn\":\"/1/0/2\",\"vd\":\"\"}]");
	/* Unsigned Integer (/1/0/1, Lifetime). */
	TLV_TEXT("1/0/1", ((const uint8_t[]){ 0xc1, 0x01, 0xff }),
	    "[{\"bn\":\"/1/0/1\",\"v\":255}]");
	TLV_TEXT("1/0/1", ((const uint8_t[]){ 0xc8, 0x01, 0x08, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff }),
	    "[{\"bn\":\"/1/0/1\",\"v\":18446744073709551615}]");
	/* Time (/3/0/13). */
	TLV_TEXT("3/0/13", ((const uint8_t[]){ 0xc4, 0x0d, 0x51, 0x82, 0x42,
	    0x8f }), "[{\"bn\":\"/3/0/13\",\"v\":1367491215}]");
	/* String: one byte is a string, not 85; four bytes too. */
	TLV_TEXT("3/0/16", ((const uint8_t[]){ 0xc1, 0x10, 'U' }),
	    "[{\"bn\":\"/3/0/16\",\"vs\":\"U\"}]");
	TLV_TEXT("3/0/3", ((const uint8_t[]){ 0xc4, 0x03, 'v', '1', '.', '2' }),
	    "[{\"bn\":\"/3/0/3\",\"vs\":\"v1.2\"}]");
	TLV_TEXT("3/0/3", ((const uint8_t[]){ 0xc0, 0x03 }),
	    "[{\"bn\":\"/3/0/3\",\"vs\":\"\"}]");
	TLV_TEXT("3/0/3", ((const uint8_t[]){ 0xc3, 0x03, 'a', '"', '\\' }),
	    "[{\"bn\":\"/3/0/3\",\"vs\":\"a\\\"\\\\\"}]");
	TLV_TEXT("3/0/3", ((const uint8_t[]){ 0xc5, 0x03, 0xc3, 0xa9, 't',
	    0xc3, 0xa9 }), "[{\"bn\":\"/3/0/3\",\"vs\":\"\xc3\xa9t\xc3\xa9\"}]");
	/* A tab is text in a String (escaped), not a reason for opaque. */
	TLV_TEXT("3/0/3", ((const uint8_t[]){ 0xc3, 0x03, 'a', '\t', 'b' }),
	    "[{\"bn\":\"/3/0/3\",\"vs\":\"a\\tb\"}]");
	/* Not UTF-8, or a NUL: opaque, base64url without padding. */
	TLV_TEXT("3/0/3", ((const uint8_t[]){ 0xc3, 0x03, 0xfb, 0xff, 0xfe }),
	    "[{\"bn\":\"/3/0/3\",\"vd\":\"-__-\"}]");
	TLV_TEXT("3/0/3", ((const uint8_t[]){ 0xc3, 0x03, 0xc0, 0xaf, 'x' }),
	    "[{\"bn\":\"/3/0/3\",\"vd\":\"wK94\"}]");		/* overlong */
	TLV_TEXT("3/0/3", ((const uint8_t[]){ 0xc3, 0x03, 0xed, 0xa0, 0x80 }),
	    "[{\"bn\":\"/3/0/3\",\"vd\":\"7aCA\"}]");		/* surrogate */
	TLV_TEXT("3/0/3", ((const uint8_t[]){ 0xc3, 0x03, 'a', 'b', 0xe2 }),
	    "[{\"bn\":\"/3/0/3\",\"vd\":\"YWLi\"}]");	/* cut sequence */
	TLV_TEXT("3/0/3", ((const uint8_t[]){ 0xc3, 0x03, 'a', 0, 'b' }),
	    "[{\"bn\":\"/3/0/3\",\"vd\":\"YQBi\"}]");
	/* Boolean (/1/0/6): one byte, 0 or 1. */
	TLV_TEXT("1/0/6", ((const uint8_t[]){ 0xc1, 0x06, 0x01 }),
	    "[{\"bn\":\"/1/0/6\",\"vb\":true}]");
	TLV_TEXT("1/0/6", ((const uint8_t[]){ 0xc1, 0x06, 0x00 }),
	    "[{\"bn\":\"/1/0/6\",\"vb\":false}]");
	TLV_TEXT("1/0/6", ((const uint8_t[]){ 0xc1, 0x06, 0x02 }),
	    "[{\"bn\":\"/1/0/6\",\"vd\":\"Ag\"}]");
	TLV_TEXT("1/0/6", ((const uint8_t[]){ 0xc2, 0x06, 0x00, 0x01 }),
	    "[{\"bn\":\"/1/0/6\",\"vd\":\"AAE\"}]");
	/* Float (/6/0/0, Latitude): 4 or 8 bytes, the shortest decimal. */
	TLV_TEXT("6/0/0", ((const uint8_t[]){ 0xc4, 0x00, 0x3f, 0xc0, 0, 0 }),
	    "[{\"bn\":\"/6/0/0\",\"v\":1.5}]");
	TLV_TEXT("6/0/0", ((const uint8_t[]){ 0xc4, 0x00, 0x3f, 0x8c, 0xcc,
	    0xcd }), "[{\"bn\":\"/6/0/0\",\"v\":1.1}]");
	TLV_TEXT("6/0/0", ((const uint8_t[]){ 0xc8, 0x00, 0x08, 0x40, 0x09,
	    0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18 }),
	    "[{\"bn\":\"/6/0/0\",\"v\":3.141592653589793}]");
	TLV_TEXT("6/0/0", ((const uint8_t[]){ 0xc8, 0x00, 0x08, 0x3f, 0xb9,
	    0x99, 0x99, 0x99, 0x99, 0x99, 0x9a }),
	    "[{\"bn\":\"/6/0/0\",\"v\":0.1}]");
	TLV_TEXT("6/0/0", ((const uint8_t[]){ 0xc4, 0x00, 0, 0, 0, 0 }),
	    "[{\"bn\":\"/6/0/0\",\"v\":0}]");
	/* No JSON number for a NaN or an infinity; 2 bytes are no Float. */
	TLV_TEXT("6/0/0", ((const uint8_t[]){ 0xc4, 0x00, 0x7f, 0xc0, 0, 0 }),
	    "[{\"bn\":\"/6/0/0\",\"vd\":\"f8AAAA\"}]");
	TLV_TEXT("6/0/0", ((const uint8_t[]){ 0xc8, 0x00, 0x08, 0xff, 0xf0,
	    0, 0, 0, 0, 0, 0 }), "[{\"bn\":\"/6/0/0\",\"vd\":\"__AAAAAAAAA\"}]");
	TLV_TEXT("6/0/0", ((const uint8_t[]){ 0xc2, 0x00, 0x3f, 0xc0 }),
	    "[{\"bn\":\"/6/0/0\",\"vd\":\"P8A\"}]");
	/* Objlnk (/0/0/17): "OID:IID". */
	TLV_TEXT("0/0/17", ((const uint8_t[]){ 0xc4, 0x11, 0x00, 0x03, 0x00,
	    0x00 }), "[{\"bn\":\"/0/0/17\",\"vlo\":\"3:0\"}]");
	TLV_TEXT("0/0/17", ((const uint8_t[]){ 0xc4, 0x11, 0xff, 0xff, 0xff,
	    0xff }), "[{\"bn\":\"/0/0/17\",\"vlo\":\"65535:65535\"}]");
	TLV_TEXT("0/0/17", ((const uint8_t[]){ 0xc2, 0x11, 0x00, 0x03 }),
	    "[{\"bn\":\"/0/0/17\",\"vd\":\"AAM\"}]");
	/* Objlnk instances of a multiple resource (/3/0/22, ExtDevInfo). */
	TLV_TEXT("3/0/22", ((const uint8_t[]){ 0x88, 0x16, 0x0c, 0x44, 0x00,
	    0x00, 0x03, 0x00, 0x01, 0x44, 0x01, 0x00, 0x03, 0x00, 0x02 }),
	    "[{\"bn\":\"/3/0/22/\",\"n\":\"0\",\"vlo\":\"3:1\"},"
	    "{\"n\":\"1\",\"vlo\":\"3:2\"}]");
	/* Opaque (/0/0/3): always base64url, even clean text. */
	TLV_TEXT("0/0/3", ((const uint8_t[]){ 0xc5, 0x03, 'a', 'b', 'c', 'd',
	    'e' }), "[{\"bn\":\"/0/0/3\",\"vd\":\"YWJjZGU\"}]");
	TLV_TEXT("0/0/3", ((const uint8_t[]){ 0xc1, 0x03, 0x07 }),
	    "[{\"bn\":\"/0/0/3\",\"vd\":\"Bw\"}]");
	/* An executable has no value: what a device sends is opaque. */
	TLV_TEXT("3/0/4", ((const uint8_t[]){ 0xc1, 0x04, 0x01 }),
	    "[{\"bn\":\"/3/0/4\",\"vd\":\"AQ\"}]");
	/* A resource or an object the model does not know: opaque, never
	 * guessed, whatever the bytes look like. */
	TLV_TEXT("3/0/999", ((const uint8_t[]){ 0xe3, 0x03, 0xe7, 'a', 'b',
	    'c' }),
	    "[{\"bn\":\"/3/0/999\",\"vd\":\"YWJj\"}]");
	TLV_TEXT("32769/0/1", ((const uint8_t[]){ 0xc1, 0x01, 0x01 }),
	    "[{\"bn\":\"/32769/0/1\",\"vd\":\"AQ\"}]");
	TLV_TEXT("32769/0/1", ((const uint8_t[]){ 0xc4, 0x01, 'a', 'b', 'c',
	    'd' }), "[{\"bn\":\"/32769/0/1\",\"vd\":\"YWJjZA\"}]");
}

/* Plain text (0) and opaque (42): one resource, typed by the model. */
static void
test_text_values(void **state)
{
	(void)state;
#define TEXT(path, s, want)	conv_text(SENML_CF_TEXT, path, s, \
	    strlen(s), want)
	TEXT("3/0/16", "U", "[{\"bn\":\"/3/0/16\",\"vs\":\"U\"}]");
	TEXT("3/0/14", "+02:00", "[{\"bn\":\"/3/0/14\",\"vs\":\"+02:00\"}]");
	TEXT("3/0/9", "100", "[{\"bn\":\"/3/0/9\",\"v\":100}]");
	TEXT("3/0/9", "-7", "[{\"bn\":\"/3/0/9\",\"v\":-7}]");
	TEXT("3/0/9", "-0", "[{\"bn\":\"/3/0/9\",\"v\":0}]");
	TEXT("3/0/9", "-9223372036854775808",
	    "[{\"bn\":\"/3/0/9\",\"v\":-9223372036854775808}]");
	TEXT("3/0/9", "9223372036854775808",
	    "[{\"bn\":\"/3/0/9\",\"vd\":\"OTIyMzM3MjAzNjg1NDc3NTgwOA\"}]");
	TEXT("3/0/9", "1.5", "[{\"bn\":\"/3/0/9\",\"vd\":\"MS41\"}]");
	TEXT("3/0/9", "+1", "[{\"bn\":\"/3/0/9\",\"vd\":\"KzE\"}]");
	TEXT("3/0/9", "", "[{\"bn\":\"/3/0/9\",\"vd\":\"\"}]");
	TEXT("1/0/1", "18446744073709551615",
	    "[{\"bn\":\"/1/0/1\",\"v\":18446744073709551615}]");
	TEXT("1/0/1", "-1", "[{\"bn\":\"/1/0/1\",\"vd\":\"LTE\"}]");
	TEXT("3/0/13", "1367491215",
	    "[{\"bn\":\"/3/0/13\",\"v\":1367491215}]");
	TEXT("6/0/0", "-43.5723", "[{\"bn\":\"/6/0/0\",\"v\":-43.5723}]");
	TEXT("6/0/0", "1e3", "[{\"bn\":\"/6/0/0\",\"v\":1000}]");
	TEXT("6/0/0", "0.1", "[{\"bn\":\"/6/0/0\",\"v\":0.1}]");
	TEXT("6/0/0", "1e999", "[{\"bn\":\"/6/0/0\",\"vd\":\"MWU5OTk\"}]");
	TEXT("6/0/0", "NaN", "[{\"bn\":\"/6/0/0\",\"vd\":\"TmFO\"}]");
	TEXT("6/0/0", ".5", "[{\"bn\":\"/6/0/0\",\"vd\":\"LjU\"}]");
	TEXT("6/0/0", "01", "[{\"bn\":\"/6/0/0\",\"vd\":\"MDE\"}]");
	TEXT("1/0/6", "1", "[{\"bn\":\"/1/0/6\",\"vb\":true}]");
	TEXT("1/0/6", "0", "[{\"bn\":\"/1/0/6\",\"vb\":false}]");
	TEXT("1/0/6", "true", "[{\"bn\":\"/1/0/6\",\"vd\":\"dHJ1ZQ\"}]");
	TEXT("0/0/17", "3:0", "[{\"bn\":\"/0/0/17\",\"vlo\":\"3:0\"}]");
	TEXT("0/0/17", "3:65536",
	    "[{\"bn\":\"/0/0/17\",\"vd\":\"Mzo2NTUzNg\"}]");
	TEXT("0/0/17", ":0", "[{\"bn\":\"/0/0/17\",\"vd\":\"OjA\"}]");
	TEXT("3/0/22/1", "3:2", "[{\"bn\":\"/3/0/22/1\",\"vlo\":\"3:2\"}]");
	/* Unknown to the model: opaque, never guessed. */
	TEXT("3/0/999", "hello", "[{\"bn\":\"/3/0/999\",\"vd\":\"aGVsbG8\"}]");
	TEXT("32769/0/1", "42", "[{\"bn\":\"/32769/0/1\",\"vd\":\"NDI\"}]");
	/* Opaque is opaque, whatever the model says. */
	conv_text(SENML_CF_OPAQUE, "3/0/16", "U", 1,
	    "[{\"bn\":\"/3/0/16\",\"vd\":\"VQ\"}]");
	conv_text(SENML_CF_OPAQUE, "5/0/0", "\x00\xff", 2,
	    "[{\"bn\":\"/5/0/0\",\"vd\":\"AP8\"}]");
	/* A text String with a NUL or bad UTF-8 is opaque. */
	conv_text(SENML_CF_TEXT, "3/0/16", "a\0b", 3,
	    "[{\"bn\":\"/3/0/16\",\"vd\":\"YQBi\"}]");
	conv_text(SENML_CF_TEXT, "3/0/16", "\xff", 1,
	    "[{\"bn\":\"/3/0/16\",\"vd\":\"_w\"}]");
	/* The path must name a resource or a resource instance. */
	conv_fail(SENML_CF_TEXT, "3/0", "U", 1, "plain text: path '3/0' is "
	    "not an LwM2M resource");
	conv_fail(SENML_CF_OPAQUE, "3", "U", 1, "opaque: path '3' is not");
	conv_fail(SENML_CF_TEXT, "3/0/x", "U", 1, "is not an LwM2M resource");
	conv_fail(SENML_CF_TEXT, NULL, "U", 1, "path '(none)'");
#undef TEXT
}

/* Every length form, ids of both sizes, and the 3 bits that go unused. */
static void
test_tlv_lengths(void **state)
{
	size_t n = 70000, i;
	uint8_t *b;
	char *out;

	(void)state;
	/* 0xcb: 3-bit length 3 would be "ab" + 1; the 8-bit field says 2. */
	TLV_TEXT("3/0/1", ((const uint8_t[]){ 0xcb, 0x01, 0x02, 'a', 'b' }),
	    "[{\"bn\":\"/3/0/1\",\"vs\":\"ab\"}]");
	/* A 16-bit resource id and a 16-bit length (resources the model
	 * does not know: opaque). */
	TLV_TEXT("3/0/300", ((const uint8_t[]){ 0xf0, 0x01, 0x2c, 0x00, 0x03,
	    'a', 'b', 'c' }), "[{\"bn\":\"/3/0/300\",\"vd\":\"YWJj\"}]");
	TLV_TEXT("3/0/65535", ((const uint8_t[]){ 0xe3, 0xff, 0xff, 'a', 'b',
	    'c' }), "[{\"bn\":\"/3/0/65535\",\"vd\":\"YWJj\"}]");
	TLV_TEXT("3/65535", ((const uint8_t[]){ 0x20, 0xff, 0xff }), "[]");
	/* A 24-bit length, 70000 bytes of text. */
	b = malloc(5 + n);
	assert_non_null(b);
	b[0] = 0xd8;
	b[1] = 0x00;
	b[2] = (uint8_t)(n >> 16);
	b[3] = (uint8_t)(n >> 8);
	b[4] = (uint8_t)n;
	memset(b + 5, 'a', n);
	out = conv(TLV, "3/0/0", b, 5 + n);
	assert_non_null(out);
	assert_int_equal(strlen(out),
	    strlen("[{\"bn\":\"/3/0/0\",\"vs\":\"\"}]") + n);
	for (i = 0; i < n; i++)
		if (out[22 + i] != 'a')
			fail_msg("byte %zu", i);
	free(out);
	/* The same inside a multiple resource and an object instance. */
	b[0] = 0x58;	/* resource instance 0, 24-bit length */
	conv_fail(TLV, "3/0/0", b, 4 + n, "length 70000 runs past the end of "
	    "the body (69999 bytes left)");
	out = conv(TLV, "3/0/0", b, 5 + n);
	assert_non_null(out);
	assert_non_null(strstr(out, "\"bn\":\"/3/0/0/\",\"n\":\"0\""));
	free(out);
	free(b);
	/* Lengths that run past the end, of every size. */
	TLV_FAIL("3/0/0", ((const uint8_t[]){ 0xc5, 0x00, 'a', 'b' }),
	    "length 5 runs past the end of the body (2 bytes left)");
	TLV_FAIL("3/0/0", ((const uint8_t[]){ 0xc8, 0x00, 0xff, 'a' }),
	    "length 255 runs past");
	TLV_FAIL("3/0/0", ((const uint8_t[]){ 0xd0, 0x00, 0xff, 0xff, 'a' }),
	    "length 65535 runs past");
	TLV_FAIL("3/0/0", ((const uint8_t[]){ 0xd8, 0x00, 0xff, 0xff, 0xff,
	    'a' }), "length 16777215 runs past");
	TLV_FAIL("3/0", ((const uint8_t[]){ 0xc1, 0x09, 0x64, 0xf8, 0x01, 0x00,
	    0xff, 0xff, 0xff }), "TLV at byte 3: resource 256: length "
	    "16777215 runs past the end of the body (0 bytes left)");
}

/*
 * Every proper prefix of a body fails, except a cut between two top-level
 * TLVs, which is a body of its own: it gives exactly the records before
 * the cut (the rule chosen for truncation: no partial TLV is ever used).
 */
static void
check_prefixes(const char *path, const uint8_t *b, size_t len,
    const size_t *cuts, size_t ncuts)
{
	cJSON *full, *part, *x, *y;
	size_t l, k, nrec;
	char *out;

	out = conv(TLV, path, b, len);
	assert_non_null(out);
	full = cJSON_Parse(out);
	free(out);
	for (l = 0; l < len; l++) {
		for (k = 0; k < ncuts && cuts[k] != l; k++)
			;
		out = conv(TLV, path, b, l);
		if (k == ncuts) {
			if (out != NULL)
				fail_msg("%s: prefix of %zu bytes converted: "
				    "%s", path, l, out);
			continue;
		}
		if (out == NULL)
			fail_msg("%s: prefix of %zu bytes: %s", path, l,
			    last_err);
		part = cJSON_Parse(out);
		free(out);
		nrec = (size_t)cJSON_GetArraySize(part);
		assert_true(nrec < (size_t)cJSON_GetArraySize(full));
		for (k = 0; k < nrec; k++) {
			x = cJSON_GetArrayItem(part, (int)k);
			y = cJSON_GetArrayItem(full, (int)k);
			if (!cJSON_Compare(x, y, 1))
				fail_msg("%s: prefix of %zu bytes: record %zu",
				    path, l, k);
		}
		cJSON_Delete(part);
	}
	cJSON_Delete(full);
}

static void
test_tlv_truncated(void **state)
{
	uint8_t w[3 + 14];

	(void)state;
	check_prefixes("3/0", device, sizeof(device), device_cuts,
	    sizeof(device_cuts) / sizeof(device_cuts[0]) - 1);
	check_prefixes("2", acl, sizeof(acl), acl_cuts,
	    sizeof(acl_cuts) / sizeof(acl_cuts[0]) - 1);
	/* One TLV holding everything: no proper prefix is a body. */
	w[0] = 0x08;
	w[1] = 0x05;
	w[2] = 14;
	memcpy(w + 3, acl + 3, 14);
	check_prefixes("2", w, 3 + 14, (const size_t[]){ 0 }, 1);
	check_prefixes("3/0/7", device + 73, 11, NULL, 0);
	check_prefixes("3/0/13", device + 104, 6, NULL, 0);
	/* The cuts of the device body fail with the reason of the cut. */
	conv_fail(TLV, "3/0", device, 1, "TLV at byte 0: header cut short "
	    "(1 of 3 bytes)");
	conv_fail(TLV, "3/0", device, 22, "TLV at byte 0: resource 0: length "
	    "20 runs past the end of the body (19 bytes left)");
	conv_fail(TLV, "3/0", device, 70, "TLV at byte 65: multiple resource "
	    "6: length 6 runs past the end of the body (3 bytes left)");
}

/* Nesting the format does not allow, and kinds where they do not belong. */
static void
test_tlv_nesting(void **state)
{
	(void)state;
	/* An object instance in an object instance. */
	TLV_FAIL("3", ((const uint8_t[]){ 0x03, 0x00, 0x00, 0x01, 0x00 }),
	    "TLV at byte 2: object instance 1 inside object instance 0");
	TLV_FAIL("3/0", ((const uint8_t[]){ 0x02, 0x00, 0x00, 0x00 }),
	    "object instance 0 inside object instance 0");
	/* A resource instance outside a multiple resource. */
	TLV_FAIL("3", ((const uint8_t[]){ 0x03, 0x00, 0x41, 0x00, 0x01 }),
	    "resource instance 0 inside object instance 0");
	TLV_FAIL("3/0", ((const uint8_t[]){ 0xc1, 0x09, 0x64, 0x41, 0x00,
	    0x01 }), "resource instance 0 inside object instance 0");
	/* A resource, a multiple resource, an instance in a multiple one. */
	TLV_FAIL("3/0", ((const uint8_t[]){ 0x83, 0x06, 0xc1, 0x00, 0x01 }),
	    "resource 0 inside multiple resource 6");
	TLV_FAIL("3/0", ((const uint8_t[]){ 0x85, 0x06, 0x83, 0x00, 0x41,
	    0x00, 0x01 }), "multiple resource 0 inside multiple resource 6");
	TLV_FAIL("3/0/6", ((const uint8_t[]){ 0x85, 0x06, 0x03, 0x00, 0x41,
	    0x00, 0x01 }), "object instance 0 inside multiple resource 6");
	/* A resource instance's value is a value, never parsed as TLV. */
	TLV_TEXT("3", ((const uint8_t[]){ 0x08, 0x00, 0x07, 0x85, 0x06, 0x43,
	    0x00, 0x41, 0x00, 0x01 }), "[{\"bn\":\"/3/\",\"n\":\"0/6/0\","
	    "\"vd\":\"QQAB\"}]");
	/* A multiple resource with no instances, at every level. */
	TLV_FAIL("3/0/6", ((const uint8_t[]){ 0x80, 0x06 }),
	    "multiple resource 6 has no instances");
	TLV_FAIL("3/0", ((const uint8_t[]){ 0xc1, 0x09, 0x64, 0x80, 0x06 }),
	    "TLV at byte 3: multiple resource 6 has no instances");
	TLV_FAIL("3", ((const uint8_t[]){ 0x02, 0x00, 0x80, 0x06 }),
	    "multiple resource 6 has no instances");
	/* A child running past its parent, with the body going on. */
	TLV_FAIL("3", ((const uint8_t[]){ 0x03, 0x00, 0xc5, 0x00, 0x01, 0x01,
	    0x01, 0x01, 0x01, 0x01, 0x01 }), "TLV at byte 2: resource 0: "
	    "length 5 runs past the end of its parent (1 bytes left)");
	TLV_FAIL("3/0", ((const uint8_t[]){ 0x84, 0x06, 0x41, 0x00, 0x01,
	    0x05, 0xc1, 0x09, 0x64 }), "header cut short");
	/* A header cut short after a whole TLV, for each header size. */
	TLV_FAIL("3/0", ((const uint8_t[]){ 0xc1, 0x09, 0x64, 0xc1 }),
	    "TLV at byte 3: header cut short (1 of 2 bytes)");
	TLV_FAIL("3/0", ((const uint8_t[]){ 0xc1, 0x09, 0x64, 0xe1, 0x00 }),
	    "header cut short (2 of 3 bytes)");
	TLV_FAIL("3/0", ((const uint8_t[]){ 0xc1, 0x09, 0x64, 0xf8, 0x00, 0x01,
	    0x00, 0x00 }), "header cut short (5 of 6 bytes)");
	/* The wrong kind at the top of a resource path. */
	TLV_FAIL("3/0/0", ((const uint8_t[]){ 0x00, 0x00 }),
	    "object instance 0 where the path names a resource");
}

/* Two TLVs for one thing, and the TLV cap. */
static void
test_tlv_duplicates(void **state)
{
	(void)state;
	TLV_FAIL("3/0", ((const uint8_t[]){ 0xc1, 0x09, 0x64, 0xc1, 0x09,
	    0x63 }), "TLV: /3/0/9 appears twice");
	TLV_FAIL("3/0", ((const uint8_t[]){ 0xc1, 0x06, 0x64, 0x83, 0x06,
	    0x41, 0x00, 0x01 }), "/3/0/6 appears twice");
	TLV_FAIL("3/0", ((const uint8_t[]){ 0x86, 0x06, 0x41, 0x00, 0x01, 0x41,
	    0x00, 0x05 }), "/3/0/6/0 appears twice");
	TLV_FAIL("3/0", ((const uint8_t[]){ 0x83, 0x06, 0x41, 0x00, 0x01, 0x83,
	    0x06, 0x41, 0x01, 0x05 }), "/3/0/6 appears twice");
	TLV_FAIL("3", ((const uint8_t[]){ 0x00, 0x00, 0x03, 0x00, 0xc1, 0x00,
	    0x01 }), "/3/0 appears twice");
	TLV_FAIL("3", ((const uint8_t[]){ 0x20, 0x01, 0x00, 0x20, 0x01,
	    0x00 }), "/3/256 appears twice");
	TLV_FAIL("3/0/6", ((const uint8_t[]){ 0x41, 0x00, 0x01, 0x41, 0x00,
	    0x05 }), "/3/0/6/0 appears twice");
	/* The same ids in different parents are fine. */
	TLV_TEXT("3", ((const uint8_t[]){ 0x03, 0x00, 0xc1, 0x09, 0x01,
	    0x03, 0x01, 0xc1, 0x09, 0x02 }), "[{\"bn\":\"/3/\",\"n\":\"0/9\","
	    "\"v\":1},{\"n\":\"1/9\",\"v\":2}]");
}

/* n resources of 0 bytes with 16-bit ids 0..n-1, optionally wrapped. */
static uint8_t *
many(size_t n, int wrap, size_t *len)
{
	size_t i, o = 0;
	uint8_t *b;

	*len = 3 * n + (wrap ? 5 : 0);
	b = malloc(*len);
	assert_non_null(b);
	if (wrap) {
		b[o++] = 0x18;	/* object instance 0, 24-bit length */
		b[o++] = 0x00;
		b[o++] = (uint8_t)(3 * n >> 16);
		b[o++] = (uint8_t)(3 * n >> 8);
		b[o++] = (uint8_t)(3 * n);
	}
	for (i = 0; i < n; i++) {
		b[o++] = 0xe0;
		b[o++] = (uint8_t)(i >> 8);
		b[o++] = (uint8_t)i;
	}
	return b;
}

static void
test_tlv_cap(void **state)
{
	uint8_t *b;
	size_t len;
	char *out;

	(void)state;
	b = many(SENML_RECORDS_MAX, 0, &len);
	out = conv(TLV, "3/0", b, len);
	assert_non_null(out);
	assert_non_null(strstr(out, "{\"n\":\"4095\",\"vd\":\"\"}]"));
	free(out);
	free(b);
	b = many(SENML_RECORDS_MAX + 1, 0, &len);
	conv_fail(TLV, "3/0", b, len, "more than 4096 TLVs");
	free(b);
	/* The wrapper counts too. */
	b = many(SENML_RECORDS_MAX, 1, &len);
	conv_fail(TLV, "3/0", b, len, "more than 4096 TLVs");
	free(b);
	b = many(SENML_RECORDS_MAX - 1, 1, &len);
	out = conv(TLV, "3/0", b, len);
	assert_non_null(out);
	free(out);
	free(b);
}

static void
test_tlv_path(void **state)
{
	static const char *const bad[] = {
		"", "/", "//3", "3/", "3//0", "/3/", "03", "3/00", "65536",
		"3/0/99999", "3/0/0/0/0", "a", "3/a", "-3", "+3", "3 ", " 3",
		"3/0/9?", "3.0", "4294967299",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TLV_FAIL(bad[i], ((const uint8_t[]){ 0xc1, 0x09, 0x64 }),
		    "is not an LwM2M object, instance");
	TLV_FAIL(NULL, ((const uint8_t[]){ 0xc1, 0x09, 0x64 }), "(none)");
	TLV_TEXT("0/0/0", ((const uint8_t[]){ 0xc1, 0x00, 0x64 }),
	    "[{\"bn\":\"/0/0/0\",\"vs\":\"d\"}]");
	TLV_TEXT("65535/65535/65535/65535", ((const uint8_t[]){ 0x61, 0xff,
	    0xff, 0x01 }), "[{\"bn\":\"/65535/65535/65535/65535\",\"vd\":\"AQ\"}]");
}

/* ---- SenML CBOR ---- */

/* An integer item of the smallest width. */
static cbor_item_t *
cint(int64_t v)
{
	uint64_t u = v >= 0 ? (uint64_t)v : (uint64_t)(-1 - v);
	cbor_item_t *i;

	if (u < 256)
		i = v >= 0 ? cbor_build_uint8((uint8_t)u) :
		    cbor_build_negint8((uint8_t)u);
	else if (u < 65536)
		i = v >= 0 ? cbor_build_uint16((uint16_t)u) :
		    cbor_build_negint16((uint16_t)u);
	else if (u <= UINT32_MAX)
		i = v >= 0 ? cbor_build_uint32((uint32_t)u) :
		    cbor_build_negint32((uint32_t)u);
	else
		i = v >= 0 ? cbor_build_uint64(u) : cbor_build_negint64(u);
	assert_non_null(i);
	return i;
}

static cbor_item_t *
cstr(const char *s)
{
	cbor_item_t *i = cbor_build_string(s);

	assert_non_null(i);
	return i;
}

/* A record: a definite map of n key, value pairs (items it takes over). */
static cbor_item_t *
rec(size_t n, ...)
{
	cbor_item_t *m = cbor_new_definite_map(n), *k, *v;
	va_list ap;
	size_t i;

	assert_non_null(m);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		k = va_arg(ap, cbor_item_t *);
		v = va_arg(ap, cbor_item_t *);
		assert_true(cbor_map_add(m, (struct cbor_pair){
		    .key = cbor_move(k), .value = cbor_move(v) }));
	}
	va_end(ap);
	return m;
}

/* A pack: a definite array of n records (items it takes over). */
static cbor_item_t *
pack(size_t n, ...)
{
	cbor_item_t *a = cbor_new_definite_array(n);
	va_list ap;
	size_t i;

	assert_non_null(a);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_true(cbor_array_push(a,
		    cbor_move(va_arg(ap, cbor_item_t *))));
	va_end(ap);
	return a;
}

/* The encoding of item, which it frees. */
static uint8_t *
encode(cbor_item_t *item, size_t *len)
{
	unsigned char *buf = NULL;
	size_t size = 0;

	*len = cbor_serialize_alloc(item, &buf, &size);
	assert_true(*len > 0);
	cbor_decref(&item);
	return buf;
}

static void
cbor_json(cbor_item_t *item, const char *want)
{
	uint8_t *b;
	size_t len;

	b = encode(item, &len);
	conv_json(CBOR, NULL, b, len, want);
	free(b);
}

static void
cbor_text(cbor_item_t *item, const char *want)
{
	uint8_t *b;
	size_t len;

	b = encode(item, &len);
	conv_text(CBOR, NULL, b, len, want);
	free(b);
}

static void
cbor_fail(cbor_item_t *item, const char *want)
{
	uint8_t *b;
	size_t len;

	b = encode(item, &len);
	conv_fail(CBOR, NULL, b, len, want);
	free(b);
}

#define CBOR_FAIL(b, want)	conv_fail(CBOR, NULL, b, sizeof(b), want)

/* What a Device object read looks like in SenML CBOR (LwM2M 1.1). */
static cbor_item_t *
lwm2m_read(void)
{
	static const uint8_t opaque[] = { 0xfb, 0xff, 0x00 };

	return pack(8,
	    rec(3, cint(-2), cstr("/3/0/"), cint(0), cstr("0"), cint(3),
		cstr("Open Mobile Alliance")),
	    rec(2, cint(0), cstr("6/0"), cint(2), cint(1)),
	    rec(2, cint(0), cstr("7/0"), cint(2), cint(3800)),
	    rec(2, cint(0), cstr("9"), cint(2), cbor_build_float4(99.5f)),
	    rec(3, cint(0), cstr("13"), cint(2), cint(1367491215), cint(6),
		cint(-5)),
	    rec(2, cint(0), cstr("15"), cint(3), cstr("Europe/Berlin")),
	    rec(2, cint(0), cstr("20"), cint(4), cbor_build_bool(true)),
	    rec(2, cint(0), cstr("99"), cint(8),
		cbor_build_bytestring(opaque, sizeof(opaque))));
}

#define LWM2M_READ_JSON \
	"[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"Open Mobile Alliance\"}," \
	"{\"n\":\"6/0\",\"v\":1},{\"n\":\"7/0\",\"v\":3800}," \
	"{\"n\":\"9\",\"v\":99.5},{\"n\":\"13\",\"v\":1367491215,\"t\":-5}," \
	"{\"n\":\"15\",\"vs\":\"Europe/Berlin\"},{\"n\":\"20\",\"vb\":true}," \
	"{\"n\":\"99\",\"vd\":\"-_8A\"}]"

static void
test_cbor_lwm2m(void **state)
{
	(void)state;
	cbor_json(lwm2m_read(), LWM2M_READ_JSON);
	/* Fields keep their order, numbers are exact. */
	cbor_text(lwm2m_read(), LWM2M_READ_JSON);
	/* An empty pack. */
	cbor_text(pack(0), "[]");
	/* Indefinite arrays and maps are CBOR too. */
	CBOR_FAIL(((const uint8_t[]){ 0x9f, 0xbf, 0x00, 0x61, 'a', 0x02, 0x01,
	    0xff }), "cut short");
	conv_text(CBOR, NULL, (const uint8_t[]){ 0x9f, 0xbf, 0x00, 0x61, 'a',
	    0x02, 0x01, 0xff, 0xa0, 0xff }, 10, "[{\"n\":\"a\",\"v\":1},{}]");
}

/* Every label, as an integer and as text, and their types. */
static void
test_cbor_labels(void **state)
{
	static const char want[] = "[{\"bver\":10,\"bn\":\"urn:dev:\","
	    "\"bt\":1.5,\"bu\":\"Cel\",\"bv\":2,\"bs\":3,\"n\":\"temp\","
	    "\"u\":\"K\",\"v\":-4,\"vs\":\"s\",\"vb\":false,\"s\":5,"
	    "\"t\":6,\"ut\":7,\"vd\":\"AQ\",\"vlo\":\"3:0\"}]";
	static const char *const names[] = { "bver", "bn", "bt", "bu", "bv",
	    "bs", "n", "u", "v", "vs", "vb", "s", "t", "ut", "vd" };
	static const int labels[] = { -1, -2, -3, -4, -5, -6, 0, 1, 2, 3, 4,
	    5, 6, 7, 8 };
	static const uint8_t one = 1;
	cbor_item_t *m[2];
	size_t i, k;

	(void)state;
	for (k = 0; k < 2; k++) {
		m[k] = cbor_new_definite_map(16);
		for (i = 0; i < 15; i++) {
			cbor_item_t *key = k == 0 ? cint(labels[i]) :
			    cstr(names[i]), *val;

			switch (labels[i]) {
			case -1:
				val = cint(10);
				break;
			case -2: case -4: case 0: case 1: case 3:
				val = cstr(i == 1 ? "urn:dev:" : i == 3 ?
				    "Cel" : i == 6 ? "temp" : i == 7 ? "K" :
				    "s");
				break;
			case -3:
				val = cbor_build_float8(1.5);
				break;
			case 2:
				val = cint(-4);
				break;
			case 4:
				val = cbor_build_bool(false);
				break;
			case 8:
				val = cbor_build_bytestring(&one, 1);
				break;
			default:
				val = cint(labels[i] < 0 ? -labels[i] - 3 :
				    labels[i]);
				break;
			}
			assert_true(cbor_map_add(m[k], (struct cbor_pair){
			    .key = cbor_move(key), .value = cbor_move(val) }));
		}
		assert_true(cbor_map_add(m[k], (struct cbor_pair){
		    .key = cbor_move(cstr("vlo")),
		    .value = cbor_move(cstr("3:0")) }));
	}
	cbor_text(pack(1, m[0]), want);
	cbor_text(pack(1, m[1]), want);
}

/* Numbers come out exactly, whatever their CBOR form. */
static void
test_cbor_numbers(void **state)
{
	cbor_item_t *frac;

	(void)state;
	cbor_text(pack(1, rec(1, cint(2), cbor_build_uint64(UINT64_MAX))),
	    "[{\"v\":18446744073709551615}]");
	cbor_text(pack(1, rec(1, cint(2), cbor_build_negint64(UINT64_MAX))),
	    "[{\"v\":-18446744073709551616}]");
	cbor_text(pack(1, rec(1, cint(2), cbor_build_uint64(
	    9007199254740993u))), "[{\"v\":9007199254740993}]");
	cbor_text(pack(1, rec(1, cint(2), cbor_build_negint8(0))),
	    "[{\"v\":-1}]");
	cbor_text(pack(1, rec(1, cint(2), cbor_build_float2(-2.5f))),
	    "[{\"v\":-2.5}]");
	cbor_text(pack(1, rec(1, cint(2), cbor_build_float4(0.1f))),
	    "[{\"v\":0.10000000149011612}]");
	cbor_text(pack(1, rec(1, cint(2), cbor_build_float8(1e300))),
	    "[{\"v\":1e+300}]");
	/* A decimal fraction, tag 4 on [exponent, mantissa]. */
	frac = pack(2, cint(-2), cint(27315));
	cbor_text(pack(1, rec(1, cint(2), cbor_build_tag(4, cbor_move(frac)))),
	    "[{\"v\":27315e-2}]");
	frac = pack(2, cint(3), cint(-5));
	cbor_text(pack(1, rec(1, cint(6), cbor_build_tag(4, cbor_move(frac)))),
	    "[{\"t\":-5e3}]");
	/* Not a number JSON can carry, or not a number at all. */
	cbor_fail(pack(1, rec(1, cint(2), cbor_build_float8(NAN))),
	    "record 0: v: NaN has no JSON form");
	cbor_fail(pack(1, rec(1, cint(2), cbor_build_float4(INFINITY))),
	    "record 0: v: infinity has no JSON form");
	cbor_fail(pack(1, rec(1, cint(-3), cbor_build_float2(-INFINITY))),
	    "record 0: bt: infinity");
	frac = pack(3, cint(1), cint(2), cint(3));
	cbor_fail(pack(1, rec(1, cint(2), cbor_build_tag(4, cbor_move(frac)))),
	    "tag 4 is not on [integer exponent, integer mantissa]");
	cbor_fail(pack(1, rec(1, cint(2), cbor_build_tag(4,
	    cbor_move(cint(5))))),
	    "tag 4 is not on");
	frac = pack(2, cint(1), cbor_build_float4(2.0f));
	cbor_fail(pack(1, rec(1, cint(2), cbor_build_tag(4, cbor_move(frac)))),
	    "tag 4 is not on");
	cbor_fail(pack(1, rec(1, cint(2), cbor_build_tag(1,
	    cbor_move(cint(5))))),
	    "tag 1 has no use in SenML");
	cbor_fail(pack(1, rec(1, cint(2), cbor_build_tag(2, cbor_move(
	    cbor_build_bytestring((const uint8_t *)"\1\2", 2))))),
	    "tag 2 has no use");
	CBOR_FAIL(((const uint8_t[]){ 0x81, 0xa1, 0x02, 0xc4, 0xc4, 0x82, 0x01,
	    0x01 }), "a tag on a tag");
	/* Tag 4 where no number goes. */
	frac = pack(2, cint(1), cint(2));
	cbor_fail(pack(1, rec(1, cint(0), cbor_build_tag(4, cbor_move(frac)))),
	    "record 0: n: not text");
	CBOR_FAIL(((const uint8_t[]){ 0xc4, 0x80 }), "not an array");
}

/* Values of the wrong type, labels SenML does not have. */
static void
test_cbor_types(void **state)
{
	(void)state;
	cbor_fail(pack(1, rec(1, cint(0), cint(5))), "record 0: n: not text");
	cbor_fail(pack(1, rec(1, cint(-2), cbor_build_bytestring(
	    (const uint8_t *)"a", 1))), "record 0: bn: not text");
	cbor_fail(pack(1, rec(1, cint(2), cstr("5"))),
	    "record 0: v: not a number");
	cbor_fail(pack(1, rec(1, cint(2), cbor_build_bool(true))),
	    "v: not a number");
	cbor_fail(pack(1, rec(1, cint(2), cbor_new_null())), "v: not a number");
	cbor_fail(pack(1, rec(1, cint(4), cint(1))), "vb: not a boolean");
	cbor_fail(pack(1, rec(1, cint(4), cbor_new_undef())),
	    "vb: not a boolean");
	cbor_fail(pack(1, rec(1, cint(8), cstr("AQ"))),
	    "vd: not a byte string");
	cbor_fail(pack(1, rec(1, cint(3), cbor_build_bytestring(
	    (const uint8_t *)"a", 1))), "vs: not text");
	cbor_fail(pack(1, rec(1, cint(-1), cint(-10))),
	    "bver: not an unsigned integer");
	cbor_fail(pack(1, rec(1, cint(-1), cint(11))),
	    "record 0: version 11 is newer than 10");
	cbor_fail(pack(1, rec(1, cstr("vlo"), cint(3))), "vlo: not text");
	cbor_fail(pack(2, rec(0), rec(1, cint(2), pack(0))),
	    "record 1: v: not a number");
	cbor_fail(pack(1, rec(1, cint(3), rec(0))), "vs: not text");
	/* Text must be UTF-8 without NUL; control characters are escaped. */
	/* (libcbor 0.8 itself refuses bad UTF-8; NUL is ours to refuse.) */
	cbor_fail(pack(1, rec(1, cint(3), cbor_build_stringn("a\xff", 2))),
	    "SenML CBOR: malformed (bad UTF-8");
	cbor_fail(pack(1, rec(1, cint(3), cbor_build_stringn("a\0b", 3))),
	    "vs: not UTF-8 text without NUL");
	cbor_fail(pack(1, rec(1, cint(0), cbor_build_stringn("\xed\xa0\x80",
	    3))), "SenML CBOR: malformed (bad UTF-8");
	cbor_fail(pack(1, rec(1, cint(0), cbor_build_stringn("\xc0\xaf", 2))),
	    "SenML CBOR: malformed (bad UTF-8");
	cbor_fail(pack(1, rec(1, cint(0), cbor_build_stringn("\0", 1))),
	    "record 0: n: not UTF-8 text without NUL");
	cbor_text(pack(1, rec(1, cint(3), cstr("a\tb\x01"))),
	    "[{\"vs\":\"a\\tb\\u0001\"}]");
	cbor_text(pack(1, rec(1, cint(3), cstr(""))), "[{\"vs\":\"\"}]");
	cbor_text(pack(1, rec(1, cint(8), cbor_build_bytestring(
	    (const uint8_t *)"", 0))),
	    "[{\"vd\":\"\"}]");
	/* Integer labels: the table is conclusive. */
	cbor_fail(pack(1, rec(1, cint(-7), cint(1))), "record 0: unknown "
	    "label -7");
	cbor_fail(pack(1, rec(1, cint(9), cint(1))), "unknown label 9");
	cbor_fail(pack(1, rec(1, cbor_build_uint64(UINT64_MAX), cint(1))),
	    "unknown label 18446744073709551615");
	cbor_fail(pack(1, rec(1, cbor_build_negint64(UINT64_MAX), cint(1))),
	    "unknown label -18446744073709551616");
	cbor_fail(pack(1, rec(1, cbor_build_uint64(4294967298u), cint(1))),
	    "unknown label 4294967298");
	/* Other labels are neither. */
	cbor_fail(pack(1, rec(1, cbor_build_float4(2.0f), cint(1))),
	    "label neither an integer nor text");
	cbor_fail(pack(1, rec(1, cbor_build_bytestring((const uint8_t *)"n",
	    1), cstr("x"))), "label neither an integer nor text");
	/* Text labels: extensions pass, must-understand ones do not. */
	cbor_text(pack(1, rec(4, cint(0), cstr("x"), cstr("foo"), cint(7),
	    cstr("bar"), cstr("baz"), cstr("q"), cbor_build_bool(true))),
	    "[{\"n\":\"x\",\"foo\":7,\"bar\":\"baz\",\"q\":true}]");
	cbor_fail(pack(1, rec(2, cint(0), cstr("x"), cstr("foo_"), cint(7))),
	    "record 0: field 1: unknown must-understand label");
	cbor_fail(pack(1, rec(1, cstr("foo"), cbor_build_bytestring(
	    (const uint8_t *)"a", 1))), "extension field: not text, a number "
	    "or a boolean");
	cbor_fail(pack(1, rec(1, cstr("foo"), pack(0))), "extension field");
	cbor_fail(pack(1, rec(1, cstr("foo"), cbor_new_null())),
	    "extension field");
	cbor_fail(pack(1, rec(1, cbor_build_stringn("f\0", 2), cint(1))),
	    "record 0: field 0: label not UTF-8 text without NUL");
	/* A field twice, in either form. */
	cbor_fail(pack(1, rec(2, cint(0), cstr("a"), cstr("n"), cstr("b"))),
	    "record 0: field 1: label appears twice");
	cbor_fail(pack(1, rec(2, cint(2), cint(1), cint(2), cint(1))),
	    "label appears twice");
	cbor_fail(pack(1, rec(2, cstr("x"), cint(1), cstr("x"), cint(1))),
	    "label appears twice");
}

/* Bodies that are not a pack, or not a whole one. */
static void
test_cbor_shape(void **state)
{
	uint8_t *b;
	size_t len, l;

	(void)state;
	cbor_fail(rec(1, cint(0), cstr("a")), "SenML CBOR: not an array");
	cbor_fail(cint(5), "not an array");
	cbor_fail(cstr("[]"), "not an array");
	cbor_fail(pack(2, rec(0), cint(1)), "record 1 is not a map");
	cbor_fail(pack(1, pack(0)), "record 0 is not a map");
	conv_fail(CBOR, NULL, "", 0, "SenML CBOR: empty body");
	/* Every proper prefix fails; so does anything after the pack. */
	b = encode(lwm2m_read(), &len);
	for (l = 0; l < len; l++) {
		char *out = conv(CBOR, NULL, b, l);

		if (out != NULL)
			fail_msg("prefix of %zu bytes converted: %s", l, out);
	}
	conv_fail(CBOR, NULL, b, 1, "SenML CBOR at byte 0: array of 8 items in "
	    "1 bytes");
	conv_fail(CBOR, NULL, b, 10, "cut short at byte");
	b = realloc(b, len + 1);
	assert_non_null(b);
	b[len] = 0x00;
	conv_fail(CBOR, NULL, b, len + 1, "SenML CBOR: 1 bytes after the pack");
	free(b);
	/* Not CBOR: reserved, unassigned simple values, stray break. */
	CBOR_FAIL(((const uint8_t[]){ 0x1c }), "malformed item");
	CBOR_FAIL(((const uint8_t[]){ 0x81, 0xa1, 0x02, 0xf0 }),
	    "malformed item");
	CBOR_FAIL(((const uint8_t[]){ 0xff }), "break where none belongs");
	CBOR_FAIL(((const uint8_t[]){ 0x81, 0xff }), "break where none");
	CBOR_FAIL(((const uint8_t[]){ 0x9f, 0xbf, 0x00, 0xff, 0xff }),
	    "malformed");
	/* Indefinite-length strings are not used (RFC 8428 §6). */
	CBOR_FAIL(((const uint8_t[]){ 0x81, 0xa1, 0x03, 0x7f, 0x61, 'a',
	    0xff }), "indefinite-length string");
	CBOR_FAIL(((const uint8_t[]){ 0x81, 0xa1, 0x08, 0x5f, 0x41, 'a',
	    0xff }), "indefinite-length string");
}

/* Declared lengths no body could hold: refused before any allocation. */
static void
test_cbor_huge(void **state)
{
	(void)state;
	CBOR_FAIL(((const uint8_t[]){ 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff }), "SenML CBOR at byte 0: array of "
	    "18446744073709551615 items in 9 bytes");
	CBOR_FAIL(((const uint8_t[]){ 0x9a, 0x7f, 0xff, 0xff, 0xff, 0x00 }),
	    "array of 2147483647 items");
	CBOR_FAIL(((const uint8_t[]){ 0x82, 0xa0 }), "array of 2 items in 2 "
	    "bytes");
	CBOR_FAIL(((const uint8_t[]){ 0x82, 0xa0, 0xa1 }), "map of 1 pairs in "
	    "1 bytes");
	CBOR_FAIL(((const uint8_t[]){ 0x83, 0xa0, 0xa0, 0x81 }),
	    "SenML CBOR at byte 3: array of 1 items in 1 bytes");
	CBOR_FAIL(((const uint8_t[]){ 0x81, 0xbb, 0x10, 0, 0, 0, 0, 0, 0, 0,
	    0x00, 0x00 }), "SenML CBOR at byte 1: map of 1152921504606846976 "
	    "pairs in 11 bytes");
	CBOR_FAIL(((const uint8_t[]){ 0x81, 0xa2, 0x00, 0x61, 'a' }),
	    "map of 2 pairs in 4 bytes");
	CBOR_FAIL(((const uint8_t[]){ 0x81, 0xa1, 0x03, 0x7b, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'a' }), "cut short");
	CBOR_FAIL(((const uint8_t[]){ 0x81, 0xa1, 0x08, 0x5a, 0xff, 0xff,
	    0xff, 0xff, 'a' }), "cut short");
	CBOR_FAIL(((const uint8_t[]){ 0x81, 0xa1, 0x03, 0x78, 0x02, 'a' }),
	    "cut short");
}

/* A body of prefix, n copies of c, suffix. */
static uint8_t *
repeat(const uint8_t *prefix, size_t pl, uint8_t c, size_t n,
    const uint8_t *suffix, size_t sl, size_t *len)
{
	uint8_t *b;

	*len = pl + n + sl;
	b = malloc(*len);
	assert_non_null(b);
	if (pl > 0)
		memcpy(b, prefix, pl);
	memset(b + pl, c, n);
	if (sl > 0)
		memcpy(b + pl + n, suffix, sl);
	return b;
}

/* Nesting and counts: bounded before libcbor builds (and frees) a tree. */
static void
test_cbor_bounds(void **state)
{
	uint8_t *b;
	size_t len, i;
	char *out;

	(void)state;
	/* 10^5 nested arrays: libcbor would free them recursively. */
	b = repeat(NULL, 0, 0x81, 100000, (const uint8_t *)"\x00", 1, &len);
	conv_fail(CBOR, NULL, b, len, "SenML CBOR at byte 4: nested more than "
	    "4 deep");
	free(b);
	b = repeat(NULL, 0, 0x9f, 100000, NULL, 0, &len);
	conv_fail(CBOR, NULL, b, len, "nested more than 4 deep");
	free(b);
	b = repeat((const uint8_t *)"\x81\xa1\x02", 3, 0xc4, 100000,
	    (const uint8_t *)"\x00", 1, &len);
	conv_fail(CBOR, NULL, b, len, "a tag on a tag");
	free(b);
	/* Four levels pass the scan; what is nested is still wrong. */
	CBOR_FAIL(((const uint8_t[]){ 0x81, 0xa1, 0x02, 0x81, 0x81, 0x00 }),
	    "record 0: v: not a number");
	CBOR_FAIL(((const uint8_t[]){ 0x81, 0xa1, 0x02, 0x81, 0x81, 0x81,
	    0x00 }), "SenML CBOR at byte 5: nested more than 4 deep");
	CBOR_FAIL(((const uint8_t[]){ 0x81, 0xa1, 0x02, 0x81, 0x80 }),
	    "record 0: v: not a number");
	/* 10^5 items, definite and not. */
	b = repeat((const uint8_t *)"\x9a\x00\x01\x86\xa0", 5, 0x00, 100000,
	    NULL, 0, &len);
	conv_fail(CBOR, NULL, b, len, "more than 32768 items");
	free(b);
	b = repeat((const uint8_t *)"\x9f", 1, 0xa0, 100000,
	    (const uint8_t *)"\xff", 1, &len);
	conv_fail(CBOR, NULL, b, len, "more than 32768 items");
	free(b);
	/* Records: 4096 pass, 4097 do not. */
	b = repeat((const uint8_t *)"\x99\x10\x00", 3, 0xa0, 4096, NULL, 0,
	    &len);
	out = conv(CBOR, NULL, b, len);
	assert_non_null(out);
	assert_int_equal(strlen(out), 2 + 4096 * 3 - 1);
	free(out);
	free(b);
	b = repeat((const uint8_t *)"\x99\x10\x01", 3, 0xa0, 4097, NULL, 0,
	    &len);
	conv_fail(CBOR, NULL, b, len, "SenML CBOR: more than 4096 records");
	free(b);
	/* Fields: 64 pass, 65 do not. */
	for (i = 64; i <= 65; i++) {
		cbor_item_t *m = cbor_new_definite_map(i);
		char name[8];
		size_t k;

		for (k = 0; k < i; k++) {
			snprintf(name, sizeof(name), "x%zu", k);
			assert_true(cbor_map_add(m, (struct cbor_pair){
			    .key = cbor_move(cstr(name)),
			    .value = cbor_move(cint((int64_t)k)) }));
		}
		b = encode(pack(1, m), &len);
		out = conv(CBOR, NULL, b, len);
		if (i == 64) {
			assert_non_null(out);
			assert_non_null(strstr(out, "\"x63\":63}]"));
		} else
			conv_fail(CBOR, NULL, b, len, "record 0 has more than "
			    "64 fields");
		free(out);
		free(b);
	}
}

/* The input and output caps. */
static void
test_cbor_sizes(void **state)
{
	size_t n = SENML_IN_MAX - 16, len;
	uint8_t *b;

	(void)state;
	/* A control-character string escapes to six times its size. */
	b = malloc(16 + n);
	assert_non_null(b);
	memcpy(b, "\x81\xa1\x03\x7a", 4);
	b[4] = (uint8_t)(n >> 24);
	b[5] = (uint8_t)(n >> 16);
	b[6] = (uint8_t)(n >> 8);
	b[7] = (uint8_t)n;
	memset(b + 8, 0x01, n);
	len = 8 + n;
	conv_fail(CBOR, NULL, b, len, "SenML JSON of 6291371 bytes is over "
	    "the 4194304-byte limit");
	/* As plain text it fits. */
	memset(b + 8, 'a', n);
	{
		char *out = conv(CBOR, NULL, b, len);

		assert_non_null(out);
		assert_int_equal(strlen(out), n + 11);
		free(out);
	}
	free(b);
	b = calloc(1, SENML_IN_MAX + 1);
	assert_non_null(b);
	conv_fail(CBOR, NULL, b, SENML_IN_MAX + 1, "body of 1048577 bytes is "
	    "over the 1048576-byte limit");
	conv_fail(TLV, "3/0", b, SENML_IN_MAX + 1, "over the 1048576-byte");
	conv_fail(JSON, NULL, b, SENML_IN_MAX + 1, "over the 1048576-byte");
	free(b);
}

/* ---- SenML JSON, other formats, the API ---- */

static void
test_json(void **state)
{
	static const char doc[] = " [ {\"bn\" : \"/3/0/\", \"n\":\"0\",\"v\""
	    ":1.50} ]\n";
	static const char *const bad[] = { "", "[", "[]x", "[]]", "{\"a\":}",
	    "nul", "[1,]", "\xff" };
	size_t i;

	(void)state;
	/* Copied byte for byte, not re-encoded. */
	conv_text(JSON, NULL, doc, strlen(doc), doc);
	conv_text(JSON, "ignored", "[]", 2, "[]");
	conv_text(JSON, NULL, "3", 1, "3");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		conv_fail(JSON, NULL, bad[i], strlen(bad[i]), "SenML JSON: not "
		    "JSON");
	conv_fail(JSON, NULL, "[]\0[]", 5, "SenML JSON: NUL byte");
	conv_fail(JSON, NULL, "[1]\0", 4, "NUL byte");
}

static void
test_other_formats(void **state)
{
	static const int cfs[] = { 40, 50, 60, 111, 11543, -1, 65536 };
	char want[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cfs) / sizeof(cfs[0]); i++) {
		snprintf(want, sizeof(want), "no conversion from "
		    "Content-Format %d", cfs[i]);
		conv_fail(cfs[i], "3/0", device, sizeof(device), want);
		assert_string_equal(last_err, want);
	}
}

static void
test_api(void **state)
{
	char err[12];
	size_t outlen;
	char *out;

	(void)state;
	/* No err buffer, no outlen. */
	assert_null(senml_to_json(TLV, device, 5, "3/0", NULL, NULL, NULL,
	    0));
	out = senml_to_json(TLV, device, sizeof(device), "3/0", NULL, NULL,
	    NULL, 0);
	assert_non_null(out);
	free(out);
	/* A short err buffer gets a NUL-terminated prefix. */
	memset(err, 'x', sizeof(err));
	assert_null(senml_to_json(60, NULL, 0, NULL, NULL, &outlen, err,
	    sizeof(err)));
	assert_string_equal(err, "no conversi");
	/* What a path says. */
	assert_int_equal(senml_path_depth("3"), 1);
	assert_int_equal(senml_path_depth("/3/0/9"), 3);
	assert_int_equal(senml_path_depth("3/0/9/1"), 4);
	assert_int_equal(senml_path_depth("health"), -1);
	assert_int_equal(senml_path_depth("3/0/"), -1);
	assert_int_equal(senml_path_depth(NULL), -1);
	/* An errlen of 0 leaves err alone. */
	memset(err, 'x', sizeof(err));
	assert_null(senml_to_json(60, NULL, 0, NULL, NULL, &outlen, err, 0));
	assert_int_equal(err[0], 'x');
	/* A length without a body. */
	assert_null(senml_to_json(TLV, NULL, 3, "3/0", NULL, &outlen, err,
	    sizeof(err)));
	assert_string_equal(err, "no body but");
	/* A success clears err. */
	out = senml_to_json(TLV, device, sizeof(device), "3/0", NULL, &outlen,
	    err, sizeof(err));
	assert_non_null(out);
	assert_string_equal(err, "");
	assert_int_equal(outlen, strlen(out));
	assert_int_equal(outlen, strlen(DEVICE_JSON("/3/0/")));
	free(out);
}

/*
 * Random mutations of valid bodies in all three formats: every answer
 * keeps the promises that conv() checks, under ASan.
 */
static void
test_mutations(void **state)
{
	uint8_t *cb, buf[256];
	size_t cblen, i, j, len, n;
	const uint8_t *src;
	char *out;
	static const char *const paths[] = { "3", "3/0", "3/0/6", "3/0/6/1" };

	(void)state;
	cb = encode(lwm2m_read(), &cblen);
	assert_true(cblen <= sizeof(buf));
	srandom(8428);
	for (i = 0; i < 20000; i++) {
		src = i & 1 ? cb : device;
		len = i & 1 ? cblen : sizeof(device);
		memcpy(buf, src, len);
		n = 1 + (size_t)random() % 4;
		for (j = 0; j < n; j++)
			buf[(size_t)random() % len] = (uint8_t)random();
		if (random() % 4 == 0)
			len = (size_t)random() % (len + 1);
		out = conv(i & 1 ? CBOR : TLV, paths[i / 2 % 4], buf, len);
		free(out);
	}
	free(cb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlv_device),
		cmocka_unit_test(test_tlv_instance_wrapped),
		cmocka_unit_test(test_tlv_object),
		cmocka_unit_test(test_tlv_resource_single),
		cmocka_unit_test(test_tlv_resource_multiple),
		cmocka_unit_test(test_tlv_values),
		cmocka_unit_test(test_text_values),
		cmocka_unit_test(test_tlv_lengths),
		cmocka_unit_test(test_tlv_truncated),
		cmocka_unit_test(test_tlv_nesting),
		cmocka_unit_test(test_tlv_duplicates),
		cmocka_unit_test(test_tlv_cap),
		cmocka_unit_test(test_tlv_path),
		cmocka_unit_test(test_cbor_lwm2m),
		cmocka_unit_test(test_cbor_labels),
		cmocka_unit_test(test_cbor_numbers),
		cmocka_unit_test(test_cbor_types),
		cmocka_unit_test(test_cbor_shape),
		cmocka_unit_test(test_cbor_huge),
		cmocka_unit_test(test_cbor_bounds),
		cmocka_unit_test(test_cbor_sizes),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_other_formats),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
