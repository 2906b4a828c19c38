/*
 * test_senml_enc.c: unit tests for lwm2m/senml_enc.c, a write's SenML JSON
 * encoded for the device: LwM2M TLV (bytes written out by hand, among them
 * the Device object example of the LwM2M TS), plain text and opaque, and
 * SenML CBOR (read back with libcbor); each type of the object model, each
 * shape of path (an object's create, an instance, a resource, its
 * instances, one resource instance), a model with an operator's object;
 * and hostile packs: not JSON, wrong shapes, wrong types, huge numbers,
 * fractions, bad base64url, names that are no paths or lie outside the
 * path written, unknown objects and resources, 4097 records.
 *
 * Every body is handed over as a heap copy of exactly its length, so that
 * ASan flags a read past it; every answer is checked against the promises
 * of senml.h (NULL and a reason, or a body of the stated length and no
 * reason).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "lwm2m/objmodel.h"
#include "lwm2m/senml.h"

#define TLV	SENML_CF_TLV
#define TEXT	SENML_CF_TEXT
#define CBOR	SENML_CF_CBOR

static char last_err[256];
static int last_cf;
static const struct lwm2m_model *model;

/* senml_encode on an exact-size heap copy of json, checking senml.h's
 * promises. Returns the body (caller frees) or NULL, reason in last_err. */
static uint8_t *
enc(int cf, const char *path, const char *json, size_t len, size_t *outlen)
{
	uint8_t *copy, *out;

	copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	memcpy(copy, json, len);
	memset(last_err, 'x', sizeof(last_err));
	*outlen = 12345;
	last_cf = -7;
	out = senml_encode(cf, len > 0 ? copy : NULL, len, path, model,
	    &last_cf, outlen, last_err, sizeof(last_err));
	free(copy);
	assert_non_null(memchr(last_err, '\0', sizeof(last_err)));
	if (out == NULL) {
		assert_true(last_err[0] != '\0');
		assert_int_equal(*outlen, 0);
		assert_int_equal(last_cf, cf);
	} else {
		assert_string_equal(last_err, "");
		assert_true(*outlen <= SENML_OUT_MAX);
	}
	return out;
}

#define enc_str(cf, path, json, n)	enc(cf, path, json, strlen(json), n)

/* json written to path in cf gives exactly want[0..wlen), in wcf. */
static void
expect_cf(int cf, const char *path, const char *json, int wcf,
    const void *want, size_t wlen)
{
	size_t n;
	uint8_t *out = enc(cf, path, json, strlen(json), &n);

	if (out == NULL)
		fail_msg("%s at %s: %s", json, path, last_err);
	assert_int_equal(last_cf, wcf);
	if (n != wlen || memcmp(out, want, n) != 0) {
		size_t i;

		for (i = 0; i < n; i++)
			print_message("%02x ", out[i]);
		print_message("\n");
		fail_msg("%s at %s: %zu bytes, not the %zu expected", json,
		    path, n, wlen);
	}
	free(out);
}

#define EXPECT(cf, path, json, ...) do {				\
	static const uint8_t want_[] = { __VA_ARGS__ };			\
	expect_cf(cf, path, json, cf, want_, sizeof(want_));		\
} while (0)

/* json written to path in cf is refused with a reason holding why. */
static void
expect_fail(int cf, const char *path, const char *json, const char *why)
{
	size_t n;
	uint8_t *out = enc(cf, path, json, strlen(json), &n);

	if (out != NULL)
		fail_msg("%s at %s: encoded, not refused", json, path);
	if (strstr(last_err, why) == NULL)
		fail_msg("%s at %s: reason \"%s\" lacks \"%s\"", json, path,
		    last_err, why);
}

/* ---- TLV, by type ---- */

static void
test_tlv_types(void **state)
{
	(void)state;
	/* String: /3/0/14 UTC Offset. */
	EXPECT(TLV, "3/0/14", "[{\"bn\":\"/3/0/14\",\"vs\":\"+02\"}]",
	    0xC3, 0x0E, '+', '0', '2');
	EXPECT(TLV, "3/0/14", "[{\"n\":\"/3/0/14\",\"vs\":\"\"}]",
	    0xC0, 0x0E);
	/* Integer: the fewest bytes, two's complement. */
	EXPECT(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":87}]",
	    0xC1, 0x09, 0x57);
	EXPECT(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":-1}]",
	    0xC1, 0x09, 0xFF);
	EXPECT(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":-129}]",
	    0xC2, 0x09, 0xFF, 0x7F);
	EXPECT(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":70000}]",
	    0xC4, 0x09, 0x00, 0x01, 0x11, 0x70);
	EXPECT(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":-9007199254740991}]",
	    0xC8, 0x09, 0x08, 0xFF, 0xE0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01);
	EXPECT(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":4.0}]",
	    0xC1, 0x09, 0x04);
	/* Time: /3/0/13. */
	EXPECT(TLV, "3/0/13", "[{\"bn\":\"/3/0/13\",\"v\":1700000000}]",
	    0xC4, 0x0D, 0x65, 0x53, 0xF1, 0x00);
	/* Unsigned: /1/0/1 Lifetime; top bit clear for a 1.0 client. */
	EXPECT(TLV, "1/0/1", "[{\"bn\":\"/1/0/1\",\"v\":300}]",
	    0xC2, 0x01, 0x01, 0x2C);
	EXPECT(TLV, "1/0/1", "[{\"bn\":\"/1/0/1\",\"v\":200}]",
	    0xC2, 0x01, 0x00, 0xC8);
	EXPECT(TLV, "1/0/1", "[{\"bn\":\"/1/0/1\",\"v\":0}]",
	    0xC1, 0x01, 0x00);
	EXPECT(TLV, "1/0/1", "[{\"bn\":\"/1/0/1\",\"v\":4294967295}]",
	    0xC8, 0x01, 0x08, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF);
	/* Float: 4 bytes when a float holds it, else 8. */
	EXPECT(TLV, "6/0/0", "[{\"bn\":\"/6/0/0\",\"v\":1.5}]",
	    0xC4, 0x00, 0x3F, 0xC0, 0x00, 0x00);
	EXPECT(TLV, "6/0/0", "[{\"bn\":\"/6/0/0\",\"v\":-43}]",
	    0xC4, 0x00, 0xC2, 0x2C, 0x00, 0x00);
	EXPECT(TLV, "6/0/0", "[{\"bn\":\"/6/0/0\",\"v\":0.1}]",
	    0xC8, 0x00, 0x08, 0x3F, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A);
	/* Boolean: /1/0/6. */
	EXPECT(TLV, "1/0/6", "[{\"bn\":\"/1/0/6\",\"vb\":true}]",
	    0xC1, 0x06, 0x01);
	EXPECT(TLV, "1/0/6", "[{\"bn\":\"/1/0/6\",\"vb\":false}]",
	    0xC1, 0x06, 0x00);
	/* Objlnk: /1/0/10 APN Link. */
	EXPECT(TLV, "1/0/10", "[{\"bn\":\"/1/0/10\",\"vlo\":\"11:65535\"}]",
	    0xC4, 0x0A, 0x00, 0x0B, 0xFF, 0xFF);
	/* Opaque: /5/0/0 Package, base64url. */
	EXPECT(TLV, "5/0/0", "[{\"bn\":\"/5/0/0\",\"vd\":\"AQID\"}]",
	    0xC3, 0x00, 0x01, 0x02, 0x03);
	EXPECT(TLV, "5/0/0", "[{\"bn\":\"/5/0/0\",\"vd\":\"-_8\"}]",
	    0xC2, 0x00, 0xFB, 0xFF);
	EXPECT(TLV, "5/0/0", "[{\"bn\":\"/5/0/0\",\"vd\":\"\"}]",
	    0xC0, 0x00);
	/* A resource id past 255 takes two bytes: 3303/0/5750. */
	EXPECT(TLV, "3303/0/5750", "[{\"bn\":\"/3303/0/5750\",\"vs\":\"x\"}]",
	    0xE1, 0x16, 0x76, 'x');
}

/* Lengths of 8 and more: one, two and three length bytes. */
static void
test_tlv_lengths(void **state)
{
	char json[80000];
	size_t n, i;
	uint8_t *out;

	(void)state;
	EXPECT(TLV, "3/0/15", "[{\"bn\":\"/3/0/15\",\"vs\":\"Europe/Paris\"}]",
	    0xC8, 0x0F, 0x0C, 'E', 'u', 'r', 'o', 'p', 'e', '/', 'P', 'a',
	    'r', 'i', 's');
	n = (size_t)snprintf(json, sizeof(json), "[{\"bn\":\"/3/0/15\","
	    "\"vs\":\"");
	for (i = 0; i < 300; i++)
		json[n++] = 'a';
	memcpy(json + n, "\"}]", 4);
	out = enc(TLV, "3/0/15", json, strlen(json), &n);
	assert_non_null(out);
	assert_int_equal(n, 4 + 300);
	assert_memory_equal(out, "\xD0\x0F\x01\x2C", 4);
	free(out);
	n = (size_t)snprintf(json, sizeof(json), "[{\"bn\":\"/3/0/15\","
	    "\"vs\":\"");
	for (i = 0; i < 70000; i++)
		json[n++] = 'b';
	memcpy(json + n, "\"}]", 4);
	out = enc(TLV, "3/0/15", json, strlen(json), &n);
	assert_non_null(out);
	assert_int_equal(n, 5 + 70000);
	assert_memory_equal(out, "\xD8\x0F\x01\x11\x70", 5);
	free(out);
}

/* ---- TLV, by shape ---- */

static void
test_tlv_shapes(void **state)
{
	(void)state;
	/* An instance: resources, base name carried, any order. */
	EXPECT(TLV, "3/0", "[{\"bn\":\"/3/0/\",\"n\":\"15\",\"vs\":\"UTC\"},"
	    "{\"n\":\"14\",\"vs\":\"+02\"}]",
	    0xC3, 0x0E, '+', '0', '2', 0xC3, 0x0F, 'U', 'T', 'C');
	/* The LwM2M TS example: /3/0/7 as a multiple resource. */
	EXPECT(TLV, "3/0", "[{\"bn\":\"/3/0/7/\",\"n\":\"1\",\"v\":5000},"
	    "{\"n\":\"0\",\"v\":3800},{\"bn\":\"/3/0/9\",\"v\":100}]",
	    0x88, 0x07, 0x08, 0x42, 0x00, 0x0E, 0xD8, 0x42, 0x01, 0x13, 0x88,
	    0xC1, 0x09, 0x64);
	/* The resource itself. */
	EXPECT(TLV, "3/0/7", "[{\"bn\":\"/3/0/7/\",\"n\":\"0\",\"v\":3800},"
	    "{\"n\":\"1\",\"v\":5000}]",
	    0x88, 0x07, 0x08, 0x42, 0x00, 0x0E, 0xD8, 0x42, 0x01, 0x13, 0x88);
	/* One resource instance. */
	EXPECT(TLV, "3/0/7/1", "[{\"bn\":\"/3/0/7/1\",\"v\":5000}]",
	    0x42, 0x01, 0x13, 0x88);
	/* A create: object instances around their resources. */
	EXPECT(TLV, "3303", "[{\"bn\":\"/3303/1/\",\"n\":\"5750\","
	    "\"vs\":\"y\"},{\"bn\":\"/3303/0/\",\"n\":\"5750\",\"vs\":\"x\"}]",
	    0x04, 0x00, 0xE1, 0x16, 0x76, 'x',
	    0x04, 0x01, 0xE1, 0x16, 0x76, 'y');
	EXPECT(TLV, "1", "[{\"bn\":\"/1/2/\",\"n\":\"0\",\"v\":7},"
	    "{\"n\":\"1\",\"v\":60},{\"n\":\"7\",\"vs\":\"U\"}]",
	    0x08, 0x02, 0x09, 0xC1, 0x00, 0x07, 0xC1, 0x01, 0x3C, 0xC1, 0x07,
	    'U');
	/* An instance id past 255, and a name of the 1.1 style. */
	EXPECT(TLV, "2", "[{\"n\":\"/2/300/3\",\"v\":1}]",
	    0x23, 0x01, 0x2C, 0xC1, 0x03, 0x01);
	/* Times, units and unknown fields are left out. */
	EXPECT(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"bt\":1.7e9,\"t\":0,"
	    "\"u\":\"%EL\",\"bver\":10,\"x\":[1],\"v\":1}]",
	    0xC1, 0x09, 0x01);
}

/* ---- plain text, opaque ---- */

static void
expect_text(const char *path, const char *json, const char *want)
{
	expect_cf(TEXT, path, json, TEXT, want, strlen(want));
}

static void
test_text(void **state)
{
	(void)state;
	expect_text("3/0/14", "[{\"bn\":\"/3/0/14\",\"vs\":\"+02\"}]", "+02");
	expect_text("3/0/14", "[{\"bn\":\"/3/0/14\",\"vs\":\"\"}]", "");
	expect_text("1/0/1", "[{\"bn\":\"/1/0/1\",\"v\":300}]", "300");
	expect_text("3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":-5}]", "-5");
	expect_text("3/0/13", "[{\"bn\":\"/3/0/13\",\"v\":1700000000}]",
	    "1700000000");
	expect_text("6/0/0", "[{\"bn\":\"/6/0/0\",\"v\":21.5}]", "21.5");
	expect_text("6/0/0", "[{\"bn\":\"/6/0/0\",\"v\":0.1}]", "0.1");
	expect_text("6/0/0", "[{\"bn\":\"/6/0/0\",\"v\":-43.5723}]",
	    "-43.5723");
	expect_text("1/0/6", "[{\"bn\":\"/1/0/6\",\"vb\":true}]", "1");
	expect_text("1/0/6", "[{\"bn\":\"/1/0/6\",\"vb\":false}]", "0");
	expect_text("1/0/10", "[{\"bn\":\"/1/0/10\",\"vlo\":\"11:0\"}]",
	    "11:0");
	expect_text("3/0/7/1", "[{\"bn\":\"/3/0/7/1\",\"v\":5000}]", "5000");
	/* Opaque has no text form: its bytes, as opaque. */
	expect_cf(TEXT, "5/0/0", "[{\"bn\":\"/5/0/0\",\"vd\":\"AP8\"}]",
	    SENML_CF_OPAQUE, "\x00\xff", 2);
	/* One value only. */
	expect_fail(TEXT, "3/0", "[{\"bn\":\"/3/0/14\",\"vs\":\"+02\"}]",
	    "plain text holds one value");
	expect_fail(TEXT, "3/0/7", "[{\"bn\":\"/3/0/7/0\",\"v\":1},"
	    "{\"bn\":\"/3/0/7/1\",\"v\":2}]", "plain text holds one value");
}

/* ---- SenML CBOR ---- */

/* The only map of the CBOR array out (n bytes): its two pairs. */
static cbor_item_t *
cbor_one(const uint8_t *out, size_t n, struct cbor_pair **pairs)
{
	struct cbor_load_result res;
	cbor_item_t *doc = cbor_load(out, n, &res), *map;

	assert_non_null(doc);
	assert_int_equal(res.read, n);
	assert_true(cbor_isa_array(doc));
	assert_int_equal(cbor_array_size(doc), 1);
	map = cbor_array_handle(doc)[0];
	assert_true(cbor_isa_map(map));
	assert_int_equal(cbor_map_size(map), 2);
	*pairs = cbor_map_handle(map);
	assert_int_equal(cbor_get_int(pairs[0]->key), 0);
	return doc;
}

static void
test_cbor(void **state)
{
	struct cbor_pair *p;
	cbor_item_t *doc;
	uint8_t *out;
	size_t n;

	(void)state;
	/* String: {0: "/3/0/14", 3: "+02"}. */
	EXPECT(CBOR, "3/0/14", "[{\"bn\":\"/3/0/14\",\"vs\":\"+02\"}]",
	    0x81, 0xA2, 0x00, 0x67, '/', '3', '/', '0', '/', '1', '4',
	    0x03, 0x63, '+', '0', '2');
	/* Integers in their shortest form, negative too; Boolean; Opaque. */
	EXPECT(CBOR, "1/0/1", "[{\"bn\":\"/1/0/1\",\"v\":300}]",
	    0x81, 0xA2, 0x00, 0x66, '/', '1', '/', '0', '/', '1', 0x02, 0x19,
	    0x01, 0x2C);
	EXPECT(CBOR, "3/0/13", "[{\"bn\":\"/3/0/13\",\"v\":-70000}]",
	    0x81, 0xA2, 0x00, 0x67, '/', '3', '/', '0', '/', '1', '3', 0x02,
	    0x3A, 0x00, 0x01, 0x11, 0x6F);
	EXPECT(CBOR, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":-2}]",
	    0x81, 0xA2, 0x00, 0x66, '/', '3', '/', '0', '/', '9', 0x02, 0x21);
	EXPECT(CBOR, "1/0/6", "[{\"bn\":\"/1/0/6\",\"vb\":true}]",
	    0x81, 0xA2, 0x00, 0x66, '/', '1', '/', '0', '/', '6', 0x04, 0xF5);
	EXPECT(CBOR, "5/0/0", "[{\"bn\":\"/5/0/0\",\"vd\":\"AQI\"}]",
	    0x81, 0xA2, 0x00, 0x66, '/', '5', '/', '0', '/', '0', 0x08, 0x42,
	    0x01, 0x02);
	/* Float as a double; Objlnk under "vlo". */
	out = enc_str(CBOR, "6/0/0", "[{\"bn\":\"/6/0/0\",\"v\":21.5}]", &n);
	assert_non_null(out);
	doc = cbor_one(out, n, &p);
	assert_int_equal(cbor_get_int(p[1].key), 2);
	assert_true(cbor_float_get_width(p[1].value) == CBOR_FLOAT_64);
	assert_true(cbor_float_get_float8(p[1].value) == 21.5);
	cbor_decref(&doc);
	free(out);
	out = enc_str(CBOR, "1/0/10", "[{\"bn\":\"/1/0/10\",\"vlo\":\"3:0\"}]",
	    &n);
	assert_non_null(out);
	doc = cbor_one(out, n, &p);
	assert_memory_equal(cbor_string_handle(p[1].key), "vlo", 3);
	assert_memory_equal(cbor_string_handle(p[1].value), "3:0", 3);
	cbor_decref(&doc);
	free(out);
	/* Several records, each named in full, in path order. */
	out = enc_str(CBOR, "3/0", "[{\"bn\":\"/3/0/\",\"n\":\"15\","
	    "\"vs\":\"a\"},{\"n\":\"14\",\"vs\":\"b\"}]", &n);
	assert_non_null(out);
	{
		struct cbor_load_result res;
		cbor_item_t *d = cbor_load(out, n, &res), **recs;

		assert_non_null(d);
		assert_int_equal(cbor_array_size(d), 2);
		recs = cbor_array_handle(d);
		assert_memory_equal(cbor_string_handle(
		    cbor_map_handle(recs[0])[0].value), "/3/0/14", 7);
		assert_memory_equal(cbor_string_handle(
		    cbor_map_handle(recs[1])[0].value), "/3/0/15", 7);
		cbor_decref(&d);
	}
	free(out);
}

/* ---- a model with an operator's object ---- */

#define VENDOR "<LWM2M><Object><Name>Valve</Name><ObjectID>33000</ObjectID>" \
	"<MultipleInstances>Multiple</MultipleInstances>"		\
	"<Mandatory>Optional</Mandatory><Resources>"			\
	"<Item ID=\"1\"><Name>Mode</Name><Operations>RW</Operations>"	\
	"<MultipleInstances>Single</MultipleInstances>"		\
	"<Mandatory>Optional</Mandatory><Type>Corelnk</Type></Item>"	\
	"<Item ID=\"2\"><Name>Level</Name><Operations>RW</Operations>"	\
	"<MultipleInstances>Single</MultipleInstances>"		\
	"<Mandatory>Optional</Mandatory><Type>Float</Type></Item>"	\
	"</Resources></Object></LWM2M>"

static void
test_model(void **state)
{
	struct lwm2m_model *m = lwm2m_model_new();
	char err[160];

	(void)state;
	assert_non_null(m);
	assert_int_equal(lwm2m_ddf_parse(m, VENDOR, strlen(VENDOR), "v.xml",
	    err, sizeof(err)), 1);
	expect_fail(TLV, "33000/0/1", "[{\"bn\":\"/33000/0/1\","
	    "\"vs\":\"</a>\"}]", "object 33000 is not in the object model");
	model = m;
	EXPECT(TLV, "33000/0/1", "[{\"bn\":\"/33000/0/1\",\"vs\":\"</a>\"}]",
	    0xC4, 0x01, '<', '/', 'a', '>');
	EXPECT(TLV, "33000/0", "[{\"bn\":\"/33000/0/2\",\"v\":2}]",
	    0xC4, 0x02, 0x40, 0x00, 0x00, 0x00);
	expect_fail(TLV, "33000/0/3", "[{\"bn\":\"/33000/0/3\",\"v\":2}]",
	    "object 33000 (Valve) has no resource 3");
	/* The built-in objects are still there. */
	EXPECT(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":1}]", 0xC1, 0x09, 0x01);
	model = NULL;
	lwm2m_model_free(m);
}

/* ---- hostile packs ---- */

static void
test_not_a_pack(void **state)
{
	static const char *const bad[] = { "", "[", "{}", "1", "\"x\"",
	    "null", "[{\"bn\":\"/3/0/14\",\"vs\":\"a\"}] x",
	    "[{\"bn\":\"/3/0/14\",\"vs\":\"a\"},]", "[{'bn':1}]",
	    "[{\"bn\":\"/3/0/9\",\"v\":NaN}]",
	    "[{\"bn\":\"/3/0/9\",\"v\":Infinity}]",
	    "[{\"bn\":\"/3/0/9\",\"v\":0x10}]" };
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fail(TLV, "3/0/14", bad[i], "");
	expect_fail(TLV, "3/0/14", "[]", "no records");
	expect_fail(TLV, "3/0/14", "[1]", "record 0 is not a JSON object");
	expect_fail(TLV, "3/0/14", "[[{\"bn\":\"/3/0/14\",\"vs\":\"a\"}]]",
	    "not a JSON object");
	expect_fail(TLV, "3/0/14", "{\"bn\":\"/3/0/14\",\"vs\":\"a\"}",
	    "an array of records");
	/* NUL bytes and no body. */
	{
		static const char nul[] = "[{\"bn\":\"/3/0/14\",\"vs\":\"a\0\"}]";

		assert_null(enc(TLV, "3/0/14", nul, sizeof(nul) - 1, &n));
	}
	assert_non_null(strstr(last_err, "NUL"));
	assert_null(enc(TLV, "3/0/14", "", 0, &n));
	/* Not a target, not a path. */
	expect_fail(SENML_CF_JSON, "3/0/14", "[{\"bn\":\"/3/0/14\","
	    "\"vs\":\"a\"}]", "no encoding in Content-Format 110");
	expect_fail(SENML_CF_OPAQUE, "3/0/14", "[{\"bn\":\"/3/0/14\","
	    "\"vs\":\"a\"}]", "no encoding");
	expect_fail(TLV, "config", "[{\"bn\":\"/3/0/14\",\"vs\":\"a\"}]",
	    "not an LwM2M path");
	expect_fail(TLV, NULL, "[{\"bn\":\"/3/0/14\",\"vs\":\"a\"}]",
	    "not an LwM2M path");
	/* Deep nesting: cJSON's own limit, or not a record. */
	{
		char deep[4100];

		memset(deep, '[', 2000);
		memset(deep + 2000, ']', 2000);
		deep[4000] = '\0';
		expect_fail(TLV, "3/0/14", deep, "");
	}
}

static void
test_bad_records(void **state)
{
	(void)state;
	expect_fail(TLV, "3/0/14", "[{\"bn\":\"/3/0/14\"}]", "no value");
	expect_fail(TLV, "3/0/14", "[{\"vs\":\"a\"}]", "not an LwM2M path");
	expect_fail(TLV, "3/0/14", "[{\"bn\":\"/3/0/14\",\"vs\":\"a\","
	    "\"v\":1}]", "two values");
	expect_fail(TLV, "3/0/14", "[{\"bn\":\"/3/0/14\",\"vs\":\"a\","
	    "\"vs\":\"b\"}]", "has \"vs\" twice");
	expect_fail(TLV, "3/0/14", "[{\"bn\":\"/3/0/14\",\"bn\":\"/3/0/14\","
	    "\"vs\":\"b\"}]", "twice");
	expect_fail(TLV, "3/0/14", "[{\"bn\":3,\"vs\":\"a\"}]",
	    "\"bn\" is not a string");
	expect_fail(TLV, "3/0/14", "[{\"bn\":\"/3/0/\",\"n\":14,\"vs\":\"a\"}]",
	    "\"n\" is not a string");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"bv\":1,\"v\":1}]",
	    "no place in a write");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"s\":1,\"v\":1}]",
	    "no place in a write");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"bs\":1,\"v\":1}]",
	    "no place in a write");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"crit_\":1,\"v\":1}]",
	    "\"crit_\" must be understood");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"\\u0001_\":1,"
	    "\"v\":1}]", "(not shown)");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"bver\":11,\"v\":1}]",
	    "bver");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"bver\":\"1\","
	    "\"v\":1}]", "bver");
	{
		/* More than SENML_FIELDS_MAX fields. */
		char json[2048];
		size_t n = (size_t)snprintf(json, sizeof(json),
		    "[{\"bn\":\"/3/0/9\",\"v\":1");
		int i;

		for (i = 0; i < SENML_FIELDS_MAX; i++)
			n += (size_t)snprintf(json + n, sizeof(json) - n,
			    ",\"x%d\":0", i);
		snprintf(json + n, sizeof(json) - n, "}]");
		expect_fail(TLV, "3/0/9", json, "more than 64 fields");
	}
}

static void
test_bad_names(void **state)
{
	static const char *const notpaths[] = { "/3/0/x", "3/0/14",
	    "/3/0/14/", "/03/0/14", "/3/0/65536", "/3/0/14/0/1", "//3/0/14",
	    "/3/0/-1", "/3/0/+1", "/3 /0/14", "/", "" };
	char json[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(notpaths) / sizeof(notpaths[0]); i++) {
		snprintf(json, sizeof(json), "[{\"bn\":\"%s\",\"vs\":\"a\"}]",
		    notpaths[i]);
		expect_fail(TLV, "3", json, "is not an LwM2M path");
	}
	/* Outside the path written, or no resource. */
	expect_fail(TLV, "3/0/14", "[{\"bn\":\"/3/0/15\",\"vs\":\"a\"}]",
	    "/3/0/15 is not the resource of the path written");
	expect_fail(TLV, "3/0/14", "[{\"bn\":\"/3/0/14\",\"vs\":\"a\"},"
	    "{\"bn\":\"/3/0/15\",\"vs\":\"a\"}]", "/3/0/15 is not");
	expect_fail(TLV, "3/0", "[{\"bn\":\"/3/1/14\",\"vs\":\"a\"}]",
	    "not a resource under the path written");
	expect_fail(TLV, "3/0", "[{\"bn\":\"/4/0/14\",\"vs\":\"a\"}]",
	    "not a resource under");
	expect_fail(TLV, "3", "[{\"bn\":\"/3/0\",\"vs\":\"a\"}]",
	    "not a resource under");
	expect_fail(TLV, "3/0/7/1", "[{\"bn\":\"/3/0/7/0\",\"v\":1}]",
	    "is not the resource of");
	expect_fail(TLV, "3/0/7/1", "[{\"bn\":\"/3/0/7\",\"v\":1}]",
	    "is not the resource of");
	/* A base name carries; a new one replaces it. */
	expect_fail(TLV, "3/0", "[{\"bn\":\"/3/0/\",\"n\":\"14\",\"vs\":\"a\"},"
	    "{\"n\":\"0/1\",\"vs\":\"b\"}]", "/3/0/0/1");
	/* Too long for a path. */
	expect_fail(TLV, "3", "[{\"bn\":\"/3/0/00000000000000000000000000000"
	    "00000000000000000000000000000000000000\",\"vs\":\"a\"}]",
	    "\"bn\" is not a string of a path");
	expect_fail(TLV, "3", "[{\"bn\":\"/3/0/000000000000000000000000000000"
	    "\",\"n\":\"000000000000000000000000000000000000000000000\","
	    "\"vs\":\"a\"}]", "too long");
	/* What the model does not know, or has no value. */
	expect_fail(TLV, "33605", "[{\"bn\":\"/33605/0/1\",\"vs\":\"a\"}]",
	    "object 33605 is not in the object model");
	expect_fail(TLV, "3/0", "[{\"bn\":\"/3/0/99\",\"vs\":\"a\"}]",
	    "object 3 (Device) has no resource 99");
	expect_fail(TLV, "3/0/4", "[{\"bn\":\"/3/0/4\",\"vs\":\"a\"}]",
	    "is executed, it has no value");
	expect_fail(TLV, "3/0/7", "[{\"bn\":\"/3/0/7\",\"v\":1}]",
	    "has multiple instances: name each (/3/0/7/0)");
	expect_fail(TLV, "3/0", "[{\"bn\":\"/3/0/14/0\",\"vs\":\"a\"}]",
	    "has a single instance");
	/* A path twice. */
	expect_fail(TLV, "3/0", "[{\"bn\":\"/3/0/14\",\"vs\":\"a\"},"
	    "{\"bn\":\"/3/0/15\",\"vs\":\"a\"},{\"n\":\"/3/0/14\","
	    "\"bn\":\"\",\"vs\":\"b\"}]", "/3/0/14 is written twice");
	expect_fail(TLV, "3/0/7", "[{\"bn\":\"/3/0/7/0\",\"v\":1},"
	    "{\"bn\":\"/3/0/7/0\",\"v\":2}]", "twice");
}

static void
test_bad_values(void **state)
{
	(void)state;
	/* The field of another type. */
	expect_fail(TLV, "3/0/14", "[{\"bn\":\"/3/0/14\",\"v\":2}]",
	    "resource 14 (UTC Offset) is String: give its value as \"vs\", "
	    "not \"v\"");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"vs\":\"2\"}]",
	    "as \"v\", not \"vs\"");
	expect_fail(TLV, "1/0/6", "[{\"bn\":\"/1/0/6\",\"v\":1}]",
	    "as \"vb\"");
	expect_fail(TLV, "1/0/10", "[{\"bn\":\"/1/0/10\",\"vs\":\"1:0\"}]",
	    "as \"vlo\"");
	expect_fail(TLV, "5/0/0", "[{\"bn\":\"/5/0/0\",\"vs\":\"AQ\"}]",
	    "as \"vd\"");
	/* The right field, of the wrong JSON type. */
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":\"2\"}]",
	    "\"v\" is not a number");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":true}]",
	    "\"v\" is not a number");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":null}]",
	    "\"v\" is not a number");
	expect_fail(TLV, "3/0/14", "[{\"bn\":\"/3/0/14\",\"vs\":1}]",
	    "\"vs\" is not a string");
	expect_fail(TLV, "3/0/14", "[{\"bn\":\"/3/0/14\",\"vs\":[\"a\"]}]",
	    "\"vs\" is not a string");
	expect_fail(TLV, "1/0/6", "[{\"bn\":\"/1/0/6\",\"vb\":1}]",
	    "\"vb\" is not true or false");
	expect_fail(TLV, "1/0/6", "[{\"bn\":\"/1/0/6\",\"vb\":\"true\"}]",
	    "\"vb\" is not true or false");
	/* Integers: fractions, huge numbers, past 2^53. */
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":1.5}]",
	    "1.5 is not an integer");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":1e-7}]",
	    "is not an integer");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":9007199254740992}]",
	    "beyond 2^53");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":-9.3e18}]",
	    "beyond 2^53");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":1e300}]",
	    "beyond 2^53");
	expect_fail(TLV, "3/0/9", "[{\"bn\":\"/3/0/9\",\"v\":1e999}]",
	    "no finite number");
	expect_fail(TLV, "3/0/13", "[{\"bn\":\"/3/0/13\",\"v\":0.5}]",
	    "not an integer");
	expect_fail(TLV, "1/0/1", "[{\"bn\":\"/1/0/1\",\"v\":-1}]",
	    "-1 is below 0");
	expect_fail(TLV, "1/0/1", "[{\"bn\":\"/1/0/1\",\"v\":18446744073709551615}]",
	    "beyond 2^53");
	expect_fail(TLV, "6/0/0", "[{\"bn\":\"/6/0/0\",\"v\":-1e999}]",
	    "no finite number");
	/* Strings that are not UTF-8, and NUL by escape. */
	expect_fail(TLV, "3/0/14", "[{\"bn\":\"/3/0/14\",\"vs\":\"\xff\"}]",
	    "not UTF-8");
	expect_fail(TLV, "3/0/14", "[{\"bn\":\"/3/0/14\",\"vs\":\"\xed\xa0\x80\"}]",
	    "not UTF-8");
	/* Objlnk. */
	expect_fail(TLV, "1/0/10", "[{\"bn\":\"/1/0/10\",\"vlo\":\"11\"}]",
	    "not \"OID:IID\"");
	expect_fail(TLV, "1/0/10", "[{\"bn\":\"/1/0/10\",\"vlo\":\"65536:0\"}]",
	    "not \"OID:IID\"");
	expect_fail(TLV, "1/0/10", "[{\"bn\":\"/1/0/10\",\"vlo\":\"01:0\"}]",
	    "not \"OID:IID\"");
	expect_fail(TLV, "1/0/10", "[{\"bn\":\"/1/0/10\",\"vlo\":\"1:-0\"}]",
	    "not \"OID:IID\"");
	expect_fail(TLV, "1/0/10", "[{\"bn\":\"/1/0/10\",\"vlo\":\"1:0:2\"}]",
	    "not \"OID:IID\"");
	expect_fail(TLV, "1/0/10", "[{\"bn\":\"/1/0/10\",\"vlo\":\":\"}]",
	    "not \"OID:IID\"");
	/* Base64url: padding, the other alphabet, impossible lengths, bits
	 * past the data. */
	expect_fail(TLV, "5/0/0", "[{\"bn\":\"/5/0/0\",\"vd\":\"AQ==\"}]",
	    "'=' at 2");
	expect_fail(TLV, "5/0/0", "[{\"bn\":\"/5/0/0\",\"vd\":\"A+/A\"}]",
	    "'+' at 1");
	expect_fail(TLV, "5/0/0", "[{\"bn\":\"/5/0/0\",\"vd\":\"AQIDB\"}]",
	    "5 characters cannot be whole bytes");
	expect_fail(TLV, "5/0/0", "[{\"bn\":\"/5/0/0\",\"vd\":\"AR\"}]",
	    "bits set past the data");
	expect_fail(TLV, "5/0/0", "[{\"bn\":\"/5/0/0\",\"vd\":\"A Q\"}]",
	    "not base64url");
}

/* SENML_RECORDS_MAX records are fine; one more is not. */
static void
test_record_count(void **state)
{
	size_t cap = 64 * 5000, n, i, outlen;
	char *json = malloc(cap);
	uint8_t *out;

	(void)state;
	assert_non_null(json);
	n = (size_t)snprintf(json, cap, "[{\"bn\":\"/3/0/7/\",\"n\":\"0\","
	    "\"v\":0}");
	for (i = 1; i < SENML_RECORDS_MAX; i++)
		n += (size_t)snprintf(json + n, cap - n, ",{\"n\":\"%zu\","
		    "\"v\":%zu}", i, i);
	snprintf(json + n, cap - n, "]");
	out = enc(TLV, "3/0/7", json, strlen(json), &outlen);
	assert_non_null(out);
	/* A multiple resource TLV (16-bit length) around 4096 instances. */
	assert_int_equal(out[0], 0x90);
	assert_int_equal(out[1], 7);
	assert_int_equal(outlen, 4 + ((size_t)out[2] << 8 | out[3]));
	free(out);
	snprintf(json + n, cap - n, ",{\"n\":\"%d\",\"v\":1}]",
	    SENML_RECORDS_MAX);
	expect_fail(TLV, "3/0/7", json, "more than 4096 records");
	free(json);
}

/* Every prefix of good packs is refused or encoded, never a crash. */
static void
test_prefixes(void **state)
{
	static const char *const packs[] = {
	    "[{\"bn\":\"/3/0/\",\"n\":\"14\",\"vs\":\"+02\"},{\"n\":\"7/0\","
	    "\"v\":1},{\"n\":\"13\",\"v\":5}]",
	    "[{\"bn\":\"/5/0/0\",\"vd\":\"AQIDBAU\"}]",
	    "[{\"n\":\"/1/0/10\",\"vlo\":\"3:0\"}]" };
	static const int cfs[] = { TLV, TEXT, CBOR };
	size_t i, k, c, n;
	uint8_t *out;

	(void)state;
	for (i = 0; i < sizeof(packs) / sizeof(packs[0]); i++)
		for (k = 0; k <= strlen(packs[i]); k++)
			for (c = 0; c < 3; c++) {
				out = enc(cfs[c], i == 0 ? "3/0" : i == 1 ?
				    "5/0/0" : "1/0/10", packs[i], k, &n);
				if (k < strlen(packs[i]))
					assert_null(out);
				free(out);
			}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlv_types),
		cmocka_unit_test(test_tlv_lengths),
		cmocka_unit_test(test_tlv_shapes),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_cbor),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_not_a_pack),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_record_count),
		cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
