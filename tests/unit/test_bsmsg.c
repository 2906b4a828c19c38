/*
 * test_bsmsg.c: the Bootstrap server's codecs and parsers: the writes of
 * /0 and /1 (lwm2m/bsmsg.c), read back through the gateway's own TLV and
 * SenML CBOR readers (lwm2m/senml*.c); the client's Bootstrap-Discover
 * answer, hostile ones included; and the configuration bodies of the API
 * (modules/device/bsparse.c), hostile ones included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/bsmsg.h"
#include "lwm2m/senml.h"
#include "modules/device/bootstrap.h"

static char *
as_json(int cf, const uint8_t *body, size_t len, const char *path)
{
	char err[160];
	char *json = senml_to_json(cf, body, len, path, NULL, NULL, err,
	    sizeof(err));

	if (json == NULL)
		fail_msg("%s", err);
	return json;
}

static void
test_security_tlv_and_cbor(void **state)
{
	static const uint8_t key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	struct bsmsg_security sec = { "coaps://127.0.0.1:5684", 0, 0,
	    (const uint8_t *)"dev-1", 5, NULL, 0, key, sizeof(key), 101 };
	char uri[300];
	uint8_t *b;
	size_t len;
	char *json;

	(void)state;
	b = bsmsg_security(&sec, 1, SENML_CF_TLV, &len);
	assert_non_null(b);
	/* One object instance TLV of id 1 around the resources. */
	assert_int_equal(b[0] & 0xc0, 0x00);
	assert_int_equal(b[1], 1);
	json = as_json(SENML_CF_TLV, b, len, "0/1");
	assert_non_null(strstr(json, "{\"bn\":\"/0/1/\",\"n\":\"0\","
	    "\"vs\":\"coaps://127.0.0.1:5684\"}"));
	/* Read back typed by the object model, as the CBOR below is. */
	assert_non_null(strstr(json, "{\"n\":\"1\",\"vb\":false}"));
	assert_non_null(strstr(json, "{\"n\":\"3\",\"vd\":\"ZGV2LTE\"}"));
	assert_non_null(strstr(json, "{\"n\":\"4\",\"vd\":\"\"}"));
	assert_non_null(strstr(json, "{\"n\":\"10\",\"v\":101}"));
	assert_non_null(memmem(b, len, key, sizeof(key)));
	free(json);
	free(b);
	/* Lengths past 255 and ids past 255: the long forms. */
	memset(uri, 'a', sizeof(uri) - 1);
	memcpy(uri, "coap://", 7);
	uri[sizeof(uri) - 1] = '\0';
	sec.uri = uri;
	sec.ssid = 65534;
	b = bsmsg_security(&sec, 300, SENML_CF_TLV, &len);
	json = as_json(SENML_CF_TLV, b, len, "0/300");
	assert_non_null(strstr(json, "{\"n\":\"10\",\"v\":65534}"));
	assert_non_null(strstr(json, "aaaa\"}"));
	free(json);
	free(b);
	b = bsmsg_security(&sec, 2, SENML_CF_CBOR, &len);
	json = as_json(SENML_CF_CBOR, b, len, NULL);
	assert_non_null(strstr(json, "{\"bn\":\"/0/2/\",\"n\":\"0\","
	    "\"vs\":\"coap://aaa"));
	assert_non_null(strstr(json, "{\"n\":\"1\",\"vb\":false}"));
	assert_non_null(strstr(json, "{\"n\":\"5\",\"vd\":\"AQIDBAUGBwgJCg"));
	assert_non_null(strstr(json, "{\"n\":\"10\",\"v\":65534}"));
	free(json);
	free(b);
	assert_null(bsmsg_security(&sec, 1, 0, &len));
}

static void
test_server_tlv_and_cbor(void **state)
{
	struct bsmsg_server srv = { 1, 86400, 1, "UQ" };
	uint8_t *b;
	size_t len;
	char *json;

	(void)state;
	b = bsmsg_server(&srv, 0, SENML_CF_TLV, &len);
	json = as_json(SENML_CF_TLV, b, len, "1/0");
	assert_string_equal(json, "[{\"bn\":\"/1/0/\",\"n\":\"0\",\"v\":1},"
	    "{\"n\":\"1\",\"v\":86400},{\"n\":\"6\",\"vb\":true},"
	    "{\"n\":\"7\",\"vs\":\"UQ\"}]");
	free(json);
	free(b);
	b = bsmsg_server(&srv, 0, SENML_CF_CBOR, &len);
	json = as_json(SENML_CF_CBOR, b, len, NULL);
	assert_string_equal(json, "[{\"bn\":\"/1/0/\",\"n\":\"0\",\"v\":1},"
	    "{\"n\":\"1\",\"v\":86400},{\"n\":\"6\",\"vb\":true},"
	    "{\"n\":\"7\",\"vs\":\"UQ\"}]");
	free(json);
	free(b);
}

static void
test_discover(void **state)
{
	struct bsmsg_discover d;
	char err[128];
	static const char *const bad[] = {
		"</0/0>;ssid=",			/* empty */
		"</0/0>;ssid=0",
		"</0/0>;ssid=65536",
		"</0/0>;ssid=1x",
		"</0/0>;ssid=\"12\"x",
		"</>;lwm2m=1",
		"</>;lwm2m=1.1.1",
		"</>;lwm2m=.1",
		"</>;lwm2m=123456789.1",
		"<0/0>",
		"</0/0",
		"</0/0>,",
		"garbage",
		"</0/0>;ssid=1\x01",
	};
	size_t i;

	(void)state;
	static const char good[] = "</>;lwm2m=1.1,</0/0>,</0/1>;ssid=101,"
	    "</1/0>;ssid=101,</3/0>";
	assert_int_equal(bsmsg_parse_discover(good, strlen(good), &d, err,
	    sizeof(err)), 0);
	assert_int_equal(d.bs_instance, 0);
	assert_int_equal(d.nsecurity, 2);
	assert_int_equal(d.nserver, 1);
	assert_string_equal(d.version, "1.1");
	assert_int_equal(bsmsg_security_instance(&d), 1);
	/* The bootstrap account elsewhere: /0/0 is free after the Delete. */
	assert_int_equal(bsmsg_parse_discover("</0/5>,</0/0>;ssid=1", 20, &d,
	    err, sizeof(err)), 0);
	assert_int_equal(d.bs_instance, 5);
	assert_int_equal(bsmsg_security_instance(&d), 0);
	assert_int_equal(bsmsg_parse_discover("", 0, &d, err, sizeof(err)),
	    0);
	assert_int_equal(d.bs_instance, -1);
	assert_int_equal(bsmsg_parse_discover(NULL, 0, &d, err, sizeof(err)),
	    0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&d, 0x5a, sizeof(d));
		if (bsmsg_parse_discover(bad[i], strlen(bad[i]), &d, err,
		    sizeof(err)) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_true(err[0] != '\0');
		assert_int_equal(d.bs_instance, -1);
	}
	/* A length that stops short of the NUL: the body is its bytes. */
	assert_int_equal(bsmsg_parse_discover("</0/0>;ssid=1junk", 13, &d,
	    err, sizeof(err)), 0);
}

static void
test_config_bodies(void **state)
{
	struct bs_config cfg;
	struct cred fc;
	char err[200], big[5000];
	static const uint8_t zero[CRED_KEY_MAX];
	static const char *const bad[] = {
		"",
		"[]",
		"{} x",
		"{\"lifetime\": 1, \"lifetime\": 2}",
		"{\"server_uri\": \"coaps://\"}",
		"{\"server_uri\": \"coaps://a b\"}",
		"{\"server_uri\": \"coaps://a\\u0000b\"}",
		"{\"server_uri\": 7}",
		"{\"security_mode\": \"PSK\"}",
		"{\"security_mode\": \"psk\", \"server_uri\": \"coap://x\"}",
		"{\"lifetime\": -1}",
		"{\"lifetime\": 2147483648}",
		"{\"lifetime\": \"300\"}",
		"{\"binding\": \"\"}",
		"{\"binding\": \"X\"}",
		"{\"short_server_id\": 0}",
		"{\"factory_psk_key\": \"00112233445566778899aabbccddeeff\"}",
		"{\"factory_psk_identity\": \"id\", \"factory_psk_key\": "
		    "\"0011\"}",
		"{\"factory_psk_identity\": \"id\", \"factory_psk_key\": "
		    "\"00112233445566778899aabbccddeeff\", \"factory_x509_cn\":"
		    " \"x\"}",
		"{\"factory_rpk\": \"00\"}",
	};
	size_t i;

	(void)state;
	assert_int_equal(bs_parse_config("{}", 2, 1, &cfg, &fc, err,
	    sizeof(err)), 0);
	assert_int_equal(cfg.mode, BS_MODE_UNSET);
	assert_int_equal(fc.kind, 0);
	static const char body[] = "{\"server_uri\": \"coap://gw:5683\", "
	    "\"lifetime\": 60, \"binding\": \"UQ\", \"short_server_id\": 9, "
	    "\"factory_x509_cn\": \"dev\"}";

	assert_int_equal(bs_parse_config(body, strlen(body), 1, &cfg, &fc,
	    err, sizeof(err)), 0);
	assert_string_equal(cfg.server_uri, "coap://gw:5683");
	assert_int_equal(cfg.lifetime, 60);
	assert_int_equal(cfg.ssid, 9);
	assert_int_equal(fc.kind, CRED_X509);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&fc, 0x77, sizeof(fc));
		if (bs_parse_config(bad[i], strlen(bad[i]), 1, &cfg, &fc, err,
		    sizeof(err)) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_memory_equal(fc.key, zero, sizeof(zero));
		assert_null(strstr(err, "00112233"));
	}
	/* A tag's body has no factory members. */
	assert_int_equal(bs_parse_config("{\"factory_x509_cn\": \"x\"}", 24, 0,
	    &cfg, &fc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown member"));
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '}';
	assert_int_equal(bs_parse_config(big, sizeof(big), 1, &cfg, &fc, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "body over"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_security_tlv_and_cbor),
		cmocka_unit_test(test_server_tlv_and_cbor),
		cmocka_unit_test(test_discover),
		cmocka_unit_test(test_config_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
