/*
 * test_rfc3339.c: unit tests for parse_rfc3339 (parse.c), the one reader
 * of RFC 3339 times that job schedules, history windows and device log
 * filters share: zones, fractions, leap days and seconds, the range of
 * years, and hostile input (dates that do not exist, a missing or broken
 * zone, anything after it, digits where none belong).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* Parses an exact-size copy of s (so ASan sees a read past its end). */
static int
rfc3339(const char *s, int64_t *ms)
{
	size_t len = strlen(s);
	char *copy = malloc(len + 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, len + 1);
	rc = parse_rfc3339(copy, ms);
	free(copy);
	return rc;
}

static void
test_good(void **state)
{
	static const struct {
		const char	*s;
		int64_t		 ms;
	} cases[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2023-11-14T22:13:20Z", 1700000000000LL },
		{ "2023-11-14t22:13:20z", 1700000000000LL },
		{ "2023-11-14T22:13:20.123Z", 1700000000123LL },
		{ "2023-11-14T22:13:20.1239999Z", 1700000000123LL },
		{ "2023-11-14T22:13:20.5Z", 1700000000500LL },
		{ "2023-11-14T23:13:20+01:00", 1700000000000LL },
		{ "2023-11-14T21:43:20-00:30", 1700000000000LL },
		{ "2024-02-29T00:00:00Z", 1709164800000LL },
		{ "2000-02-29T00:00:00Z", 951782400000LL },
		/* A leap second reads as the next second. */
		{ "2016-12-31T23:59:60Z", 1483228800000LL },
		{ "1969-12-31T23:59:59Z", -1000 },
		{ "9999-12-31T23:59:59.999Z", 253402300799999LL },
	};
	size_t i;
	int64_t ms;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ms = 7;
		assert_int_equal(rfc3339(cases[i].s, &ms), 0);
		assert_int_equal(ms, cases[i].ms);
	}
}

static void
test_hostile(void **state)
{
	static const char *const bad[] = {
		"", "Z", "2023", "2023-11-14", "2023-11-14T22:13:20",
		"2023-11-14 22:13:20Z", "2023-11-14X22:13:20Z",
		"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
		"2023-04-31T00:00:00Z", "2023-00-10T00:00:00Z",
		"2023-13-10T00:00:00Z", "2023-11-00T00:00:00Z",
		"2023-11-14T24:00:00Z", "2023-11-14T22:60:00Z",
		"2023-11-14T22:13:61Z", "2023-11-14T22:13:20.Z",
		"2023-11-14T22:13:20ZZ", "2023-11-14T22:13:20Z ",
		"2023-11-14T22:13:20+1:00", "2023-11-14T22:13:20+01:0",
		"2023-11-14T22:13:20+24:00", "2023-11-14T22:13:20+01:60",
		"2023-11-14T22:13:20+0100", "2023-11-14T22:13:20+01:00:00",
		"2023-1a-14T22:13:20Z", "-023-11-14T22:13:20Z",
		"+2023-11-14T22:13:20Z", "2023-11-14T22:13:2\xff", "20231114T221320Z",
	};
	size_t i;
	int64_t ms;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = 7;
		assert_int_equal(rfc3339(bad[i], &ms), -1);
		assert_int_equal(ms, 7);
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
