/*
 * test_devlog.c: a device's Event Log read into lines (lwm2m/devlog.c):
 * outpost-node's "SECONDS.MMM TEXT" lines, lines without a time, the
 * since filter and the limit, and hostile bodies (bad UTF-8, controls,
 * NULs, huge numbers, lines too long, no newline at the end); since=
 * values, good and bad.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/devlog.h"

static cJSON *
lines(const char *body, size_t len, int64_t since, size_t limit)
{
	cJSON *a = devlog_lines((const uint8_t *)body, len, since, limit);

	assert_non_null(a);
	return a;
}

static const char *
text_of(const cJSON *a, int i)
{
	return cJSON_GetObjectItem(cJSON_GetArrayItem(a, i), "text")->
	    valuestring;
}

static const cJSON *
t_of(const cJSON *a, int i)
{
	return cJSON_GetObjectItem(cJSON_GetArrayItem(a, i), "t");
}

static void
test_node_lines(void **state)
{
	const char body[] = "1700000000.123 first\n"
	    "1700000001.005 second line\n1700000002.000 \n";
	cJSON *a;

	(void)state;
	a = lines(body, strlen(body), INT64_MIN, 100);
	assert_int_equal(cJSON_GetArraySize(a), 3);
	assert_string_equal(t_of(a, 0)->valuestring,
	    "2023-11-14T22:13:20.123Z");
	assert_string_equal(text_of(a, 0), "first");
	assert_string_equal(text_of(a, 1), "second line");
	assert_string_equal(text_of(a, 2), "");
	cJSON_Delete(a);
	/* since: at or after; limit: the last ones. */
	a = lines(body, strlen(body), 1700000001005LL, 100);
	assert_int_equal(cJSON_GetArraySize(a), 2);
	assert_string_equal(text_of(a, 0), "second line");
	cJSON_Delete(a);
	a = lines(body, strlen(body), INT64_MIN, 2);
	assert_int_equal(cJSON_GetArraySize(a), 2);
	assert_string_equal(text_of(a, 0), "second line");
	assert_string_equal(text_of(a, 1), "");
	cJSON_Delete(a);
	a = lines(body, strlen(body), INT64_MIN, 0);
	assert_int_equal(cJSON_GetArraySize(a), 0);
	cJSON_Delete(a);
	a = lines("", 0, INT64_MIN, 10);
	assert_int_equal(cJSON_GetArraySize(a), 0);
	cJSON_Delete(a);
}

static void
test_untimed_and_hostile(void **state)
{
	const char body[] = "plain text\r\n17 x\n1.5\n-1.250 before\n"
	    "99999999999999999 big\n1.2345678901 toolong\n\xff\xc3\x28 b\x01"
	    "\x7f\tz\n1.0 a\0b\nlast without newline";
	char big[5000];
	cJSON *a;

	(void)state;
	a = lines(body, sizeof(body) - 1, INT64_MIN, 100);
	assert_int_equal(cJSON_GetArraySize(a), 9);
	assert_true(cJSON_IsNull(t_of(a, 0)));
	assert_string_equal(text_of(a, 0), "plain text");
	assert_string_equal(t_of(a, 1)->valuestring,
	    "1970-01-01T00:00:17.000Z");
	assert_string_equal(text_of(a, 1), "x");
	assert_true(cJSON_IsNull(t_of(a, 2)));	/* no text after */
	assert_string_equal(text_of(a, 2), "1.5");
	assert_string_equal(t_of(a, 3)->valuestring,
	    "1969-12-31T23:59:58.750Z");
	assert_true(cJSON_IsNull(t_of(a, 4)));	/* out of range */
	assert_true(cJSON_IsNull(t_of(a, 5)));	/* 10 fraction digits */
	assert_string_equal(text_of(a, 6), "?" "?( b?" "? z");
	assert_string_equal(text_of(a, 7), "a?b");
	assert_string_equal(text_of(a, 8), "last without newline");
	cJSON_Delete(a);
	/* With since, untimed lines are left out. */
	a = lines(body, sizeof(body) - 1, 0, 100);
	assert_int_equal(cJSON_GetArraySize(a), 2);
	cJSON_Delete(a);
	/* A line too long is cut; many lines cost a bounded answer. */
	memset(big, 'q', sizeof(big));
	a = lines(big, sizeof(big), INT64_MIN, 100);
	assert_int_equal(strlen(text_of(a, 0)), DEVLOG_TEXT_MAX);
	cJSON_Delete(a);
	memset(big, '\n', sizeof(big));
	a = lines(big, sizeof(big), INT64_MIN, 1000000);
	assert_int_equal(cJSON_GetArraySize(a), DEVLOG_LINES_MAX);
	cJSON_Delete(a);
}

static void
test_since(void **state)
{
	static const struct {
		const char	*s;
		int		 rc;
		int64_t		 ms;
	} cases[] = {
		{ "1700000000", 0, 1700000000000LL },
		{ "1700000000.5", 0, 1700000000500LL },
		{ "0", 0, 0 },
		{ "2023-11-14T22:13:20Z", 0, 1700000000000LL },
		{ "2023-11-14T22:13:20.123Z", 0, 1700000000123LL },
		{ "2023-11-14T23:13:20.1+01:00", 0, 1700000000100LL },
		{ "2024-02-29T00:00:00Z", 0, 1709164800000LL },
		{ "2023-02-29T00:00:00Z", -1, 0 },
		{ "2023-11-14T22:13:20", -1, 0 },
		{ "2023-11-14 22:13:20Z", -1, 0 },
		{ "2023-13-14T22:13:20Z", -1, 0 },
		{ "2023-11-14T22:13:20.Z", -1, 0 },
		{ "2023-11-14T22:13:20Z ", -1, 0 },
		{ "", -1, 0 }, { "abc", -1, 0 }, { "1e9", -1, 0 },
		{ "99999999999999999999", -1, 0 }, { "1.", -1, 0 },
		{ "--1", -1, 0 }, { "1 ", -1, 0 },
	};
	size_t i;
	int64_t ms;
	char buf[40];

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ms = -7;
		assert_int_equal(devlog_since(cases[i].s, &ms), cases[i].rc);
		if (cases[i].rc == 0)
			assert_int_equal(ms, cases[i].ms);
	}
	assert_string_equal(devlog_time_str(1700000000123LL, buf,
	    sizeof(buf)), "2023-11-14T22:13:20.123Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_lines),
		cmocka_unit_test(test_untimed_and_hostile),
		cmocka_unit_test(test_since),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
