/*
 * test_dmparse.c: unit tests for lwm2m/dmparse.c, the bodies of the
 * device-management operations: Write-Attributes (JSON to a Uri-Query,
 * the rules of LwM2M 1.1 Core 5.1.2), Execute arguments (the syntax of
 * 5.4.5) and Read-Composite paths, with hostile input. Every body is an
 * exact-size heap copy, so that the ASan build flags a read past it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/dmparse.h"

/* dm_attributes on an exact-size copy of s: 0 or -1, query and err. */
static int
attrs(const char *s, char *query, size_t qlen, char *err)
{
	size_t n = strlen(s);
	char *copy = malloc(n > 0 ? n : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, n);
	rc = dm_attributes(copy, n, query, qlen, err, 160);
	free(copy);
	return rc;
}

static void
attrs_ok(const char *body, const char *want)
{
	char query[DM_QUERY_MAX], err[160];

	if (attrs(body, query, sizeof(query), err) != 0)
		fail_msg("%s: refused: %s", body, err);
	assert_string_equal(query, want);
}

static void
attrs_bad(const char *body, const char *why)
{
	char query[DM_QUERY_MAX] = "x", err[160];

	if (attrs(body, query, sizeof(query), err) != -1)
		fail_msg("%s: taken as %s", body, query);
	assert_string_equal(query, "");
	if (strstr(err, why) == NULL)
		fail_msg("%s: '%s' lacks '%s'", body, err, why);
}

static void
test_attributes(void **state)
{
	char query[8], err[160];

	(void)state;
	attrs_ok("{\"pmin\":5,\"pmax\":10}", "pmin=5&pmax=10");
	/* The query's order is LwM2M's, whatever the body's. */
	attrs_ok("{\"epmax\":9,\"st\":0.5,\"lt\":-3,\"gt\":30.5,\"pmin\":0,"
	    "\"epmin\":1,\"pmax\":2147483647}", "pmin=0&pmax=2147483647&"
	    "gt=30.5&lt=-3&st=0.5&epmin=1&epmax=9");
	attrs_ok("{\"pmin\":null,\"gt\":null}", "pmin&gt");
	attrs_ok("{\"pmin\":5.0}", "pmin=5");
	attrs_ok("{\"gt\":0.1}", "gt=0.1");
	attrs_ok("{\"gt\":1e300}", "gt=1e+300");
	attrs_ok(" {\"st\":0} \n", "st=0");
	/* The rules apply among values set, not to null. */
	attrs_ok("{\"pmin\":50,\"pmax\":null}", "pmin=50&pmax");
	attrs_ok("{\"lt\":10,\"gt\":30,\"st\":9.99}", "gt=30&lt=10&st=9.99");
	attrs_ok("{\"lt\":30,\"gt\":null}", "gt&lt=30");
	attrs_ok("{\"pmin\":5,\"pmax\":5}", "pmin=5&pmax=5");

	attrs_bad("{\"pmin\":6,\"pmax\":5}", "pmin must not be above pmax");
	attrs_bad("{\"epmin\":6,\"epmax\":5}", "epmin must not be above epmax");
	attrs_bad("{\"lt\":5,\"gt\":5}", "lt must be below gt");
	attrs_bad("{\"lt\":10,\"gt\":30,\"st\":10}", "lt + 2*st");
	attrs_bad("{\"pmin\":-1}", "whole number");
	attrs_bad("{\"pmax\":0.5}", "whole number");
	attrs_bad("{\"epmin\":2147483648}", "whole number");
	attrs_bad("{\"pmin\":1e400}", "a number or null");
	attrs_bad("{\"st\":-0.1}", "st must not be negative");
	attrs_bad("{\"gt\":\"5\"}", "a number or null");
	attrs_bad("{\"gt\":true}", "a number or null");
	attrs_bad("{\"gt\":[1]}", "a number or null");
	attrs_bad("{\"GT\":1}", "unknown attribute 'GT'");
	attrs_bad("{\"pmin\":1,\"pmin\":1}", "pmin given twice");
	attrs_bad("{\"pmin\":1,\"pmin\":null}", "pmin given twice");
	attrs_bad("{}", "no attribute given");
	attrs_bad("[]", "JSON object");
	attrs_bad("5", "JSON object");
	attrs_bad("", "JSON object");
	attrs_bad("{\"pmin\":1}{}", "JSON object");
	attrs_bad("{\"pmin\":1", "JSON object");
	attrs_bad("{\"pm\\u0000in\":1}", "JSON object");
	attrs_bad("{\"\":1}", "unknown attribute ''");

	/* No room for the query: refused, never cut. */
	assert_int_equal(attrs("{\"pmin\":12345,\"pmax\":123456}", query,
	    sizeof(query), err), -1);
	assert_string_equal(query, "");
	assert_int_equal(dm_attributes(NULL, 0, query, sizeof(query), err,
	    sizeof(err)), -1);
}

/* A body over the limit is refused before it is parsed. */
static void
test_attributes_long(void **state)
{
	char query[DM_QUERY_MAX], err[160], *body;
	size_t n = DM_BODY_MAX + 1;

	(void)state;
	body = malloc(n);
	assert_non_null(body);
	memset(body, ' ', n);
	memcpy(body, "{\"pmin\":1}", 10);
	assert_int_equal(dm_attributes(body, n, query, sizeof(query), err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "over"));
	assert_int_equal(dm_attributes(body, n - 1, query, sizeof(query), err,
	    sizeof(err)), 0);
	free(body);
	assert_true(dm_attribute_name("epmax"));
	assert_false(dm_attribute_name("mode"));
	assert_false(dm_attribute_name(NULL));
}

static int
args(const char *s, size_t n)
{
	uint8_t *copy = malloc(n > 0 ? n : 1);
	char err[160];
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, n);
	rc = dm_execute_args(copy, n, err, sizeof(err));
	if (rc == -1)
		assert_non_null(strstr(err, "execute arguments"));
	free(copy);
	return rc;
}

static void
test_execute_args(void **state)
{
	static const char *const good[] = {
		"", "0", "9", "0,1", "0='abc'", "0='',1=''", "5='a!#$%&()*+,-./"
		":;<=>?@[]^_`{|}~'", "0='http://a.b/c?d=e',1",
	};
	static const char *const bad[] = {
		"a", ",", "0,", ",0", "00", "10", "0=", "0=a", "0='", "0='a",
		"0='a b'", "0='a\"'", "0='a\\'", "0='a'b", "0='a''", "0;1",
		"0 ", " 0", "0='\t'", "0='\x7f'", "0='\xc3\xa9'", "0=''=''",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (args(good[i], strlen(good[i])) != 0)
			fail_msg("refused: %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (args(bad[i], strlen(bad[i])) != -1)
			fail_msg("taken: %s", bad[i]);
	/* An embedded NUL is a byte like any other: refused. */
	assert_int_equal(args("0='a\0b'", 7), -1);
	assert_int_equal(args("0\0", 2), -1);
}

static void
test_paths(void **state)
{
	static const char *const good[] = {
		"/0", "/3", "/3/0", "/3/0/7", "/3/0/7/1", "/65535/65535/65535/"
		"65535",
	};
	static const char *const bad[] = {
		"", "/", "3", "//3", "/3/", "/3//0", "/03", "/65536", "/3/0/7/1/"
		"2", "/3a", "/-1", "/3/0 ", "/99999999999999999999",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(dm_path_valid(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dm_path_valid(bad[i], strlen(bad[i])))
			fail_msg("taken: %s", bad[i]);
	assert_false(dm_path_valid(NULL, 0));
	assert_true(dm_path_valid("/3/0xx", 4));	/* only len counts */
}

static char *
composite(const char *s, size_t *n, char *err)
{
	size_t len = strlen(s);
	char *copy = malloc(len > 0 ? len : 1), *out;

	assert_non_null(copy);
	memcpy(copy, s, len);
	out = dm_composite(copy, len, n, err, 160);
	free(copy);
	return out;
}

static void
test_composite(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{}", "{\"paths\":[]}", "{\"paths\":\"/3\"}",
		"{\"paths\":[\"3/0\"]}", "{\"paths\":[3]}", "{\"paths\":[null]}",
		"{\"paths\":[\"/3\",\"/3\"]}", "{\"paths\":[\"/3\"],\"x\":1}",
		"{\"x\":1,\"paths\":[\"/3\"]}", "{\"Paths\":[\"/3\"]}",
		"{\"paths\":[\"/3\\u0000\"]}", "{\"paths\":[\"/3\"]} 1",
		"{\"paths\":[\"/3\"]", "{\"paths\":[\"/\"]}",
	};
	char err[160], body[2048], *out;
	size_t i, n;
	int k;

	(void)state;
	out = composite("{\"paths\":[\"/3/0/0\",\"/3303/0/5700\",\"/1\"]}", &n,
	    err);
	assert_non_null(out);
	assert_string_equal(out, "[{\"n\":\"/3/0/0\"},{\"n\":\"/3303/0/5700\"},"
	    "{\"n\":\"/1\"}]");
	assert_int_equal(n, strlen(out));
	free(out);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 99;
		if ((out = composite(bad[i], &n, err)) != NULL)
			fail_msg("taken: %s as %s", bad[i], out);
		assert_int_equal(n, 0);
		assert_true(strlen(err) > 0);
	}
	/* DM_COMPOSITE_MAX paths, and one more. */
	for (k = DM_COMPOSITE_MAX; k <= DM_COMPOSITE_MAX + 1; k++) {
		n = (size_t)snprintf(body, sizeof(body), "{\"paths\":[");
		for (i = 0; i < (size_t)k; i++)
			n += (size_t)snprintf(body + n, sizeof(body) - n,
			    "%s\"/%zu\"", i > 0 ? "," : "", i);
		snprintf(body + n, sizeof(body) - n, "]}");
		out = composite(body, &n, err);
		if (k == DM_COMPOSITE_MAX) {
			assert_non_null(out);
		} else {
			assert_null(out);
			assert_non_null(strstr(err, "1..64"));
		}
		free(out);
	}
}

static int
composite_set(const char *s, char paths[DM_COMPOSITE_MAX][DM_PATH_LEN],
    char *err)
{
	size_t len = strlen(s);
	char *copy = malloc(len > 0 ? len : 1);
	int n;

	assert_non_null(copy);
	memcpy(copy, s, len);
	n = dm_composite_set(copy, len, paths, err, 160);
	free(copy);
	return n;
}

/* An Observe-Composite's set: the rules of Read-Composite, but sorted by
 * ids as numbers and each path once; the same set has the same id, and
 * its body and names read back. */
static void
test_composite_set(void **state)
{
	static const char *const bad[] = {
		"", "{}", "{\"paths\":[]}", "{\"paths\":[\"3/0\"]}",
		"{\"paths\":[\"/3\"],\"x\":1}", "{\"paths\":[\"/65536\"]}",
		"{\"paths\":[\"/3/0/1/2/3\"]}", "{\"paths\":[\"/03\"]}",
		"{\"paths\":[\"/3\\u0000\"]}",
	};
	char paths[DM_COMPOSITE_MAX][DM_PATH_LEN], back[DM_COMPOSITE_MAX]
	    [DM_PATH_LEN], err[160], id[DM_COMPOSITE_ID_LEN + 1],
	    id2[DM_COMPOSITE_ID_LEN + 1], body[2048], *out;
	size_t i, len;
	int n, k;

	(void)state;
	n = composite_set("{\"paths\":[\"/3303/0/5700\",\"/3/0/10\",\"/3/0\","
	    "\"/3/0/9\",\"/3/0/10\",\"/3\",\"/3/0/9/1\"]}", paths, err);
	assert_int_equal(n, 6);
	assert_string_equal(paths[0], "/3");
	assert_string_equal(paths[1], "/3/0");
	assert_string_equal(paths[2], "/3/0/9");
	assert_string_equal(paths[3], "/3/0/9/1");
	assert_string_equal(paths[4], "/3/0/10");
	assert_string_equal(paths[5], "/3303/0/5700");
	dm_composite_id(paths, n, id);
	assert_int_equal(strlen(id), DM_COMPOSITE_ID_LEN);
	assert_int_equal(strspn(id, "0123456789abcdef"), DM_COMPOSITE_ID_LEN);

	/* The body reads back as the same set, with the same id. */
	assert_non_null(out = dm_composite_body(paths, n));
	assert_string_equal(out, "{\"paths\":[\"/3\",\"/3/0\",\"/3/0/9\","
	    "\"/3/0/9/1\",\"/3/0/10\",\"/3303/0/5700\"]}");
	assert_int_equal(composite_set(out, back, err), n);
	dm_composite_id(back, n, id2);
	assert_string_equal(id, id2);
	free(out);
	assert_non_null(out = dm_composite_names(paths, 2, &len));
	assert_string_equal(out, "[{\"n\":\"/3\"},{\"n\":\"/3/0\"}]");
	assert_int_equal(len, strlen(out));
	free(out);

	/* Another order, the same set; another set, another id. */
	n = composite_set("{\"paths\":[\"/3/0/9\",\"/3303/0/5700\"]}", paths,
	    err);
	dm_composite_id(paths, n, id);
	n = composite_set("{\"paths\":[\"/3303/0/5700\",\"/3/0/9\","
	    "\"/3/0/9\"]}", paths, err);
	assert_int_equal(n, 2);
	dm_composite_id(paths, n, id2);
	assert_string_equal(id, id2);
	n = composite_set("{\"paths\":[\"/3/0/9\"]}", paths, err);
	dm_composite_id(paths, n, id2);
	assert_string_not_equal(id, id2);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (composite_set(bad[i], paths, err) != -1)
			fail_msg("taken: %s", bad[i]);
		assert_true(strlen(err) > 0);
	}
	/* Repeats count toward DM_COMPOSITE_MAX, as the body holds them. */
	for (k = DM_COMPOSITE_MAX; k <= DM_COMPOSITE_MAX + 1; k++) {
		len = (size_t)snprintf(body, sizeof(body), "{\"paths\":[");
		for (i = 0; i < (size_t)k; i++)
			len += (size_t)snprintf(body + len, sizeof(body) - len,
			    "%s\"/%zu\"", i > 0 ? "," : "", i % 3);
		snprintf(body + len, sizeof(body) - len, "]}");
		n = composite_set(body, paths, err);
		assert_int_equal(n, k == DM_COMPOSITE_MAX ? 3 : -1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_attributes_long),
		cmocka_unit_test(test_execute_args),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_composite),
		cmocka_unit_test(test_composite_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
