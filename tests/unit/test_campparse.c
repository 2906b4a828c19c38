/*
 * test_campparse.c: unit tests for modules/campparse.c, the State and
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

#include "modules/campparse.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
