/*
 * test_whparse.c: unit tests for proxy/whparse.c, the status line of an
 * https:// webhook receiver's answer, with good and hostile lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proxy/whparse.h"

/* On an exact-size heap copy, so that ASan sees a read past the end. */
static int
status(const char *s, size_t len)
{
	char *copy = malloc(len ? len : 1);
	int code;

	assert_non_null(copy);
	memcpy(copy, s, len);
	code = webhook_status_line(copy, len);
	free(copy);
	return code;
}

#define S(s)	status(s, sizeof(s) - 1)

static void
test_good_lines(void **state)
{
	(void)state;
	assert_int_equal(S("HTTP/1.1 204 No Content"), 204);
	assert_int_equal(S("HTTP/1.1 200 OK"), 200);
	assert_int_equal(S("HTTP/1.0 503 Service Unavailable"), 503);
	assert_int_equal(S("HTTP/1.1 299"), 299);
	assert_int_equal(S("HTTP/1.1 100 "), 100);
	assert_int_equal(S("HTTP/1.1 999 x"), 999);
}

static void
test_hostile_lines(void **state)
{
	static const char *const bad[] = {
		"", "H", "HTTP/1.1", "HTTP/1.1 ", "HTTP/1.1 20", "HTTP/1.1 2000",
		"HTTP/1.1 20x OK", "HTTP/1.1 -20 OK", "HTTP/1.1 099 OK",
		"HTTP/1.2 200 OK", "HTTP/2 200 OK", "http/1.1 200 OK",
		"HTTP/1.1  200 OK", "HTTP/1.1\t200 OK", "ICY 200 OK",
		"HTTP/1.1 200OK", " HTTP/1.1 200 OK",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (status(bad[i], strlen(bad[i])) != -1)
			fail_msg("'%s' parsed", bad[i]);
	/* A NUL where a digit goes, and a length that cuts the code. */
	assert_int_equal(status("HTTP/1.1 2\0" "0 OK", 14), -1);
	assert_int_equal(status("HTTP/1.1 200 OK", 11), -1);
	assert_int_equal(status("HTTP/1.1 200 OK", 12), 200);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_lines),
		cmocka_unit_test(test_hostile_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
