/*
 * test_campparse.c: unit tests for lwm2m/campparse.c, the State and
 * Update Result a campaign reads from a device's SenML JSON: the forms
 * outpost-node and LwM2M clients send, and hostile packs (not arrays,
 * wrong types, huge and fractional numbers, over-long names, truncation).
 * Every body is an exact-size heap copy without a NUL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lwm2m/campparse.h"

static int
parse(const char *s, size_t len, int *st, int *res)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	if (copy == NULL)
		abort();
	memcpy(copy, s, len);
	rc = campparse_fw(copy, len, st, res);
	free(copy);
	return rc;
}

static int
parse_str(const char *s, int *st, int *res)
{
	return parse(s, strlen(s), st, res);
}

static void
test_good(void **state)
{
	int st, res;

	(void)state;
	assert_int_equal(parse_str("[{\"bn\":\"/5/0/\",\"n\":\"1\",\"vs\":\"x\"},"
	    "{\"n\":\"3\",\"v\":2},{\"n\":\"5\",\"v\":0}]", &st, &res), 0);
	assert_int_equal(st, 2);
	assert_int_equal(res, 0);
	assert_int_equal(parse_str("[{\"n\":\"/5/0/5\",\"v\":8},"
	    "{\"n\":\"/5/0/3\",\"v\":0}]", &st, &res), 0);
	assert_true(st == 0 && res == 8);
	/* No Update Result: -1 for it. */
	assert_int_equal(parse_str("[{\"bn\":\"/5/0/\",\"n\":\"3\",\"v\":1}]",
	    &st, &res), 0);
	assert_true(st == 1 && res == -1);
}

static void
test_hostile(void **state)
{
	static const char *const bad[] = {
		"", "{}", "null", "[]", "[1,2]", "\"/5/0/3\"",
		"[{\"n\":\"/5/0/3\",\"v\":\"2\"}]",
		"[{\"n\":\"/5/0/3\",\"v\":2.5}]",
		"[{\"n\":\"/5/0/3\",\"v\":-1}]",
		"[{\"n\":\"/5/0/3\",\"v\":1e300}]",
		"[{\"n\":\"/5/0/3\",\"v\":256}]",
		"[{\"n\":\"/5/0/3\",\"vb\":true}]",
		"[{\"n\":\"/3/0/3\",\"v\":2}]",
		"[{\"n\":3,\"v\":2}]",
		"[{\"bn\":5,\"n\":\"/5/0/33\",\"v\":2}]",
		"[[{\"n\":\"/5/0/3\",\"v\":2}]]",
	};
	char big[600];
	int st, res;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_str(bad[i], &st, &res) != -1)
			fail_msg("accepted %s", bad[i]);
	/* A base name too long to hold is not used for names. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "[{\"bn\":\"", 8);
	memcpy(big + 400, "\",\"n\":\"/5/0/3\",\"v\":2}]", 22);
	assert_int_equal(parse(big, 422, &st, &res), 0);
	assert_int_equal(st, 2);
	/* Every truncation of a good pack fails cleanly. */
	{
		const char *good = "[{\"bn\":\"/5/0/\",\"n\":\"3\",\"v\":2}]";
		size_t n;

		for (n = 0; n + 1 < strlen(good); n++)
			assert_int_equal(parse(good, n, &st, &res), -1);
	}
	assert_int_equal(campparse_fw(NULL, 0, &st, &res), -1);
}

/* campparse_value over a byte string. */
static int
value(const char *path, int cf, const void *b, size_t len, int *st, int *res)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	if (copy == NULL)
		abort();
	if (len > 0)
		memcpy(copy, b, len);
	rc = campparse_value(path, cf, b == NULL ? NULL : copy, len, st, res);
	free(copy);
	return rc;
}

static void
test_value(void **state)
{
	static const uint8_t tlv3[] = { 0xc1, 0x03, 0x02 };
	static const uint8_t tlv5[] = { 0xc1, 0x05, 0x08 };
	static const uint8_t cbor3[] = { 0x81, 0xa2, 0x00, 0x66, '/', '5',
	    '/', '0', '/', '3', 0x02, 0x03 };
	int st, res;

	(void)state;
	assert_int_equal(value("5/0/3", 0, "2", 1, &st, &res), 0);
	assert_true(st == 2 && res == -1);
	assert_int_equal(value("5/0/5", -1, "255", 3, &st, &res), 0);
	assert_true(st == -1 && res == 255);
	assert_int_equal(value("5/0/3", 11542, tlv3, sizeof(tlv3), &st,
	    &res), 0);
	assert_true(st == 2 && res == -1);
	assert_int_equal(value("5/0/5", 11542, tlv5, sizeof(tlv5), &st,
	    &res), 0);
	assert_true(st == -1 && res == 8);
	assert_int_equal(value("5/0/3", 112, cbor3, sizeof(cbor3), &st,
	    &res), 0);
	assert_true(st == 3 && res == -1);
	assert_int_equal(value("5/0/3", 110, "[{\"n\":\"/5/0/3\",\"v\":1}]",
	    22, &st, &res), 0);
	assert_true(st == 1 && res == -1);
}

static void
test_value_hostile(void **state)
{
	static const char *const text[] = {
		"", "256", "-1", "1 ", " 1", "0x1", "1234", "1.0", "+1", "\0",
	};
	/* A TLV for resource 5 where 3 was observed; one cut short. */
	static const uint8_t tlv_other[] = { 0xc1, 0x05, 0x02 };
	static const uint8_t tlv_short[] = { 0xc1, 0x03 };
	static const uint8_t cbor_short[] = { 0x81, 0xa2, 0x00, 0x66, '/' };
	int st, res;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		if (value("5/0/3", 0, text[i], strlen(text[i]) +
		    (text[i][0] == '\0'), &st, &res) != -1)
			fail_msg("accepted '%s'", text[i]);
		assert_true(st == -1 && res == -1);
	}
	assert_int_equal(value("3/0/3", 0, "2", 1, &st, &res), -1);
	assert_int_equal(value("5/0/3", 50, "2", 1, &st, &res), -1);
	assert_int_equal(value("5/0/3", 11542, tlv_other, sizeof(tlv_other),
	    &st, &res), -1);
	assert_int_equal(value("5/0/3", 11542, tlv_short, sizeof(tlv_short),
	    &st, &res), -1);
	assert_int_equal(value("5/0/3", 112, cbor_short, sizeof(cbor_short),
	    &st, &res), -1);
	/* A SenML pack that names the other resource only. */
	assert_int_equal(value("5/0/3", 110, "[{\"n\":\"/5/0/5\",\"v\":1}]",
	    22, &st, &res), -1);
	assert_true(st == -1 && res == -1);
	assert_int_equal(value("5/0/3", 0, NULL, 0, &st, &res), -1);
}

static int
request(const char *s, struct camp_req *r, char *err, size_t errlen)
{
	char *copy = malloc(strlen(s) + 1);	/* no NUL read past len */
	int rc;

	if (copy == NULL)
		abort();
	memcpy(copy, s, strlen(s));
	rc = campparse_request(copy, strlen(s), r, err, errlen);
	free(copy);
	return rc;
}

static void
test_request(void **state)
{
	struct camp_req r;
	char err[256];

	(void)state;
	assert_int_equal(request("{\"image\":\"901e26f797a70ec6\","
	    "\"target\":\"all\"}", &r, err, sizeof(err)), 0);
	assert_string_equal(r.image, "901e26f797a70ec6");
	assert_true(r.all && r.neps == 0 && r.ntags == 0);
	assert_true(r.group_size == -1 && r.max_concurrent == -1 &&
	    r.failure_percent == -1 && r.group_percent == 0);
	assert_true(r.delivery == DELIVER_LWM2M && r.win_from == -1);
	campparse_request_free(&r);

	assert_int_equal(request("{\"image\":\"ab\",\"target\":{\"eps\":"
	    "[\"n-2\",\"n-1\"],\"tags\":[\"site-a\",\"canary\","
	    "\"site-a\"]},\"policy\":{\"group_percent\":10,"
	    "\"max_concurrent\":5,\"failure_percent\":0,\"window\":"
	    "{\"from\":\"23:00\",\"to\":\"01:30\"}}}", &r, err,
	    sizeof(err)), 0);
	assert_int_equal(r.neps, 2);
	assert_string_equal(r.eps[0], "n-2");	/* the operator's order */
	assert_int_equal(r.ntags, 2);
	assert_string_equal(r.tags[0], "canary");
	assert_string_equal(r.tags[1], "site-a");
	assert_true(r.group_percent == 10 && r.max_concurrent == 5 &&
	    r.failure_percent == 0);
	assert_true(r.win_from == 23 * 60 && r.win_to == 90);
	campparse_request_free(&r);

	assert_int_equal(request("{\"image\":\"ab\",\"target\":\"all\","
	    "\"policy\":{\"delivery\":\"multicast\",\"max_concurrent\":"
	    "3}}", &r, err, sizeof(err)), 0);
	assert_true(r.delivery == DELIVER_MULTICAST && r.max_concurrent == 3);
	campparse_request_free(&r);
}

static void
test_request_hostile(void **state)
{
	static const struct {
		const char *body, *why;
	} bad[] = {
		{ "", "JSON object" },
		{ "[]", "JSON object" },
		{ "{\"image\":\"ab\",\"target\":\"all\"} x", "JSON" },
		{ "{\"target\":\"all\"}", "image" },
		{ "{\"image\":\"\",\"target\":\"all\"}", "image" },
		{ "{\"image\":\"0123456789abcdef0\",\"target\":\"all\"}",
		    "image" },
		{ "{\"image\":7,\"target\":\"all\"}", "image" },
		{ "{\"image\":\"ab\"}", "target" },
		{ "{\"image\":\"ab\",\"target\":\"some\"}", "target" },
		{ "{\"image\":\"ab\",\"target\":{}}", "target" },
		{ "{\"image\":\"ab\",\"target\":{\"eps\":\"a\"}}",
		    "target" },
		{ "{\"image\":\"ab\",\"target\":{\"eps\":[]}}", "empty" },
		{ "{\"image\":\"ab\",\"target\":{\"eps\":[\"a/b\"]}}",
		    "eps[0]" },
		{ "{\"image\":\"ab\",\"target\":{\"eps\":[\"a\",null]}}",
		    "eps[1]" },
		{ "{\"image\":\"ab\",\"target\":{\"eps\":[\"aaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}}",
		    "eps[0]" },
		{ "{\"image\":\"ab\",\"target\":{\"tags\":[]}}", "empty" },
		{ "{\"image\":\"ab\",\"target\":{\"tags\":[\"a b\"]}}",
		    "target.tags" },
		{ "{\"image\":\"ab\",\"target\":{\"tags\":\"a\"}}",
		    "target" },
		{ "{\"image\":\"ab\",\"target\":\"all\",\"policy\":[]}",
		    "policy" },
		{ "{\"image\":\"ab\",\"target\":\"all\",\"policy\":"
		    "{\"max_concurrent\":0}}", "max_concurrent" },
		{ "{\"image\":\"ab\",\"target\":\"all\",\"policy\":"
		    "{\"group_size\":1.5}}", "group_size" },
		{ "{\"image\":\"ab\",\"target\":\"all\",\"policy\":"
		    "{\"group_percent\":1e300}}", "group_percent" },
		{ "{\"image\":\"ab\",\"target\":\"all\",\"policy\":"
		    "{\"failure_percent\":-1}}", "failure_percent" },
		{ "{\"image\":\"ab\",\"target\":\"all\",\"policy\":"
		    "{\"delivery\":\"pigeon\"}}", "delivery" },
		{ "{\"image\":\"ab\",\"target\":\"all\",\"policy\":"
		    "{\"delivery\":\"multicast\",\"group_size\":2}}",
		    "groups" },
		{ "{\"image\":\"ab\",\"target\":{\"eps\":[\"a\"]},"
		    "\"policy\":{\"delivery\":\"multicast\"}}", "all" },
		{ "{\"image\":\"ab\",\"target\":\"all\",\"policy\":"
		    "{\"window\":{\"from\":\"24:00\",\"to\":\"01:00\"}}}",
		    "window" },
		{ "{\"image\":\"ab\",\"target\":\"all\",\"policy\":"
		    "{\"window\":{\"from\":\"01:00\"}}}", "window" },
		{ "{\"image\":\"ab\",\"target\":\"all\",\"policy\":"
		    "{\"window\":{\"from\":\"1:00\",\"to\":\"01:60\"}}}",
		    "window" },
	};
	struct camp_req r;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (request(bad[i].body, &r, err, sizeof(err)) != -1)
			fail_msg("accepted %s", bad[i].body);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'", bad[i].body,
			    err, bad[i].why);
		campparse_request_free(&r);
	}
	/* Every truncation of a good request is refused cleanly. */
	{
		const char *good = "{\"image\":\"ab\",\"target\":{\"tags\":"
		    "[\"x\"]}}";
		char *copy = malloc(strlen(good));
		size_t n;

		assert_non_null(copy);
		memcpy(copy, good, strlen(good));
		for (n = 0; n < strlen(good); n++) {
			assert_int_equal(campparse_request(copy, n, &r, err,
			    sizeof(err)), -1);
			campparse_request_free(&r);
		}
		free(copy);
	}
	assert_int_equal(campparse_request(NULL, 0, &r, err, sizeof(err)), -1);
	campparse_request_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_value),
		cmocka_unit_test(test_value_hostile),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_request_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
