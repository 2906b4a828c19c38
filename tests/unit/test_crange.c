/*
 * test_crange.c: unit tests for proxy/crange.c, the Content-Range header
 * of an upload part: the good forms and hostile ones (signs, spaces,
 * overflow, reversed and empty ranges, the '*' forms, trailing bytes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proxy/crange.h"

static int
parse(const char *s, uint64_t *a, uint64_t *b, uint64_t *t)
{
	size_t len = strlen(s);
	char *copy = malloc(len + 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, len + 1);
	rc = crange_parse(copy, a, b, t);
	free(copy);
	return rc;
}

static void
test_good(void **state)
{
	uint64_t a, b, t;

	(void)state;
	assert_int_equal(parse("bytes 0-99/100", &a, &b, &t), 0);
	assert_true(a == 0 && b == 99 && t == 100);
	assert_int_equal(parse("Bytes 5-5/6", &a, &b, &t), 0);
	assert_true(a == 5 && b == 5 && t == 6);
	assert_int_equal(parse("bytes 0-9007199254740991/9007199254740992",
	    &a, &b, &t), 0);
	assert_true(t == CRANGE_MAX);
}

static void
test_hostile(void **state)
{
	static const char *const bad[] = {
		"", "bytes", "bytes ", "bytes 0-99", "bytes 0-99/", "bytes -1-99/100",
		"bytes +0-99/100", "bytes 0-+99/100", "bytes 0 -99/100",
		"bytes  0-99/100", "bytes 0-99/100 ", "bytes 0-99/100x",
		"bytes 99-0/100", "bytes 0-100/100", "bytes 0-99/99",
		"bytes */100", "bytes 0-99/*", "bits 0-99/100", "bytes=0-99/100",
		"bytes 0-99/9007199254740993", "bytes 0-99/99999999999999999999",
		"bytes 0x0-99/100", "bytes 0-99/100\n", "bytes 1-0/0",
		"bytes 0-0/0", "bytes 00000000000000000-1/2",
	};
	uint64_t a = 7, b = 7, t = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &a, &b, &t) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_true(a == 7 && b == 7 && t == 7);
	}
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
