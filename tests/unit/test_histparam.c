/*
 * test_histparam.c: the query of a history read (proxy/histparam.c):
 * times as RFC 3339 and Unix seconds, the default window, steps with
 * units, limits, cursors, and hostile input (overflowing numbers, bad
 * dates, trailing bytes, empty values, a window the wrong way round).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proxy/histparam.h"

#define NOW	1765085510123LL		/* 2025-12-07T05:31:50.123Z */

static void
test_times(void **state)
{
	char buf[HISTPARAM_TIME_LEN];

	(void)state;
	assert_int_equal(histparam_time("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(histparam_time("2025-12-07T05:31:50Z"),
	    1765085510000LL);
	assert_int_equal(histparam_time("2025-12-07T05:31:50.123Z"),
	    1765085510123LL);
	assert_int_equal(histparam_time("2025-12-07T05:31:50.1239999Z"),
	    1765085510123LL);
	assert_int_equal(histparam_time("2025-12-07T05:31:50.5Z"),
	    1765085510500LL);
	assert_int_equal(histparam_time("2025-12-07T06:31:50+01:00"),
	    1765085510000LL);
	assert_int_equal(histparam_time("2025-12-07T04:31:50-01:00"),
	    1765085510000LL);
	assert_int_equal(histparam_time("2024-02-29T00:00:00Z"),
	    1709164800000LL);
	assert_int_equal(histparam_time("1765085510"), 1765085510000LL);
	assert_int_equal(histparam_time("1765085510.25"), 1765085510250LL);
	assert_int_equal(histparam_time("0"), 0);
	assert_string_equal(histparam_time_str(1765085510123LL, buf),
	    "2025-12-07T05:31:50.123Z");
	assert_string_equal(histparam_time_str(0, buf),
	    "1970-01-01T00:00:00.000Z");
	assert_string_equal(histparam_time_str(HISTPARAM_TIME_MAX, buf),
	    "9999-12-31T23:59:59.999Z");
	assert_int_equal(histparam_time("9999-12-31T23:59:59.999Z"),
	    HISTPARAM_TIME_MAX);
}

static void
test_hostile_times(void **state)
{
	static const char *const bad[] = {
		"", "-1", "+5", " 1", "1 ", "1e9", "0x10", "1.", ".5", "1..2",
		"99999999999999999999999", "253402300800", "18446744073709551616",
		"2025-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
		"2025-04-31T00:00:00Z", "2025-12-07T24:00:00Z",
		"2025-12-07T05:60:00Z", "2025-12-07T05:31:61Z",
		"2025-12-07T05:31:50", "2025-12-07T05:31:50ZZ",
		"2025-12-07T05:31:50.Z", "2025-12-07T05:31:50+1:00",
		"2025-12-07T05:31:50+24:00", "2025-12-07T05:31:50+01:60",
		"2025-12-07X05:31:50Z", "2025-1a-07T05:31:50Z",
		"1969-12-31T23:59:59Z", "1970-01-01T00:00:00+00:01",
		"2025-12-07T05:31:50\xff", "1765085510\n", "NaN", "inf",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (histparam_time(bad[i]) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(histparam_time(NULL), -1);
}

static int
parse(const char *from, const char *to, const char *step, const char *limit,
    const char *after, struct history_query *q, char *field)
{
	char err[256];

	return histparam_parse(from, to, step, limit, after, NOW, q, field, 16,
	    err, sizeof(err));
}

static void
test_defaults(void **state)
{
	struct history_query q;
	char field[16];

	(void)state;
	assert_int_equal(parse(NULL, NULL, NULL, NULL, NULL, &q, field), 0);
	assert_int_equal(q.to_ms, NOW + 1);
	assert_int_equal(q.from_ms, NOW + 1 - 3600000);
	assert_int_equal(q.step_ms, 0);
	assert_int_equal(q.limit, HISTORY_LIMIT_DEFAULT);
	assert_false(q.has_after);
	/* to alone: the hour before it; from alone: until now. */
	assert_int_equal(parse(NULL, "1765085510", NULL, NULL, NULL, &q,
	    field), 0);
	assert_int_equal(q.from_ms, 1765085510000LL - 3600000);
	assert_int_equal(parse("1765000000", NULL, NULL, NULL, NULL, &q,
	    field), 0);
	assert_int_equal(q.from_ms, 1765000000000LL);
	assert_int_equal(q.to_ms, NOW + 1);
	/* The hour before the epoch's first: from 0. */
	assert_int_equal(parse(NULL, "10", NULL, NULL, NULL, &q, field), 0);
	assert_int_equal(q.from_ms, 0);
}

static void
test_step_limit_after(void **state)
{
	struct history_query q;
	struct history_row r;
	char field[16], cur[HISTPARAM_CURSOR_LEN];

	(void)state;
	assert_int_equal(parse(NULL, NULL, "300", "5", NULL, &q, field), 0);
	assert_int_equal(q.step_ms, 300000);
	assert_int_equal(q.limit, 5);
	assert_int_equal(parse(NULL, NULL, "5m", NULL, NULL, &q, field), 0);
	assert_int_equal(q.step_ms, 300000);
	assert_int_equal(parse(NULL, NULL, "2h", NULL, NULL, &q, field), 0);
	assert_int_equal(q.step_ms, 7200000);
	assert_int_equal(parse(NULL, NULL, "366d", NULL, NULL, &q, field), 0);
	assert_int_equal(parse(NULL, NULL, "1s", "10000", NULL, &q, field), 0);
	assert_int_equal(q.step_ms, 1000);
	assert_int_equal(q.limit, 10000);
	/* Cursors: as printed, and of the read's kind. */
	assert_int_equal(parse(NULL, NULL, NULL, NULL, "p1765085510000", &q,
	    field), 0);
	assert_true(q.has_after);
	assert_int_equal(q.after_ms, 1765085510000LL);
	assert_int_equal(q.after_kind, HISTORY_POINT);
	assert_int_equal(parse(NULL, NULL, NULL, NULL, "b1", &q, field), 0);
	assert_int_equal(q.after_kind, HISTORY_BUCKET);
	assert_int_equal(parse(NULL, NULL, "60", NULL, "s1765085460000", &q,
	    field), 0);
	assert_int_equal(q.after_ms, 1765085460000LL);
	memset(&r, 0, sizeof(r));
	r.t_ms = 42;
	r.kind = HISTORY_POINT;
	assert_string_equal(histparam_cursor(&r, 0, cur), "p42");
	r.kind = HISTORY_BUCKET;
	assert_string_equal(histparam_cursor(&r, 0, cur), "b42");
	assert_string_equal(histparam_cursor(&r, 60000, cur), "s42");
}

static void
test_hostile_parameters(void **state)
{
	static const struct {
		const char *from, *to, *step, *limit, *after, *field;
	} bad[] = {
		{ "x", NULL, NULL, NULL, NULL, "from" },
		{ NULL, "", NULL, NULL, NULL, "to" },
		{ "200", "100", NULL, NULL, NULL, "from" },
		{ "100", "100", NULL, NULL, NULL, "from" },
		{ NULL, NULL, "0", NULL, NULL, "step" },
		{ NULL, NULL, "0m", NULL, NULL, "step" },
		{ NULL, NULL, "-5", NULL, NULL, "step" },
		{ NULL, NULL, "5x", NULL, NULL, "step" },
		{ NULL, NULL, "5ms", NULL, NULL, "step" },
		{ NULL, NULL, "367d", NULL, NULL, "step" },
		{ NULL, NULL, "31622401", NULL, NULL, "step" },
		{ NULL, NULL, "99999999999999999999999d", NULL, NULL, "step" },
		{ NULL, NULL, "", NULL, NULL, "step" },
		{ NULL, NULL, "1.5", NULL, NULL, "step" },
		{ NULL, NULL, NULL, "0", NULL, "limit" },
		{ NULL, NULL, NULL, "10001", NULL, "limit" },
		{ NULL, NULL, NULL, "-1", NULL, "limit" },
		{ NULL, NULL, NULL, "", NULL, "limit" },
		{ NULL, NULL, NULL, "1x", NULL, "limit" },
		{ NULL, NULL, NULL, "99999999999999999999", NULL, "limit" },
		{ NULL, NULL, NULL, NULL, "", "after" },
		{ NULL, NULL, NULL, NULL, "p", "after" },
		{ NULL, NULL, NULL, NULL, "x5", "after" },
		{ NULL, NULL, NULL, NULL, "s5", "after" },	/* no step */
		{ NULL, NULL, "60", NULL, "p5", "after" },	/* a step */
		{ NULL, NULL, NULL, NULL, "p5x", "after" },
		{ NULL, NULL, NULL, NULL, "p-5", "after" },
		{ NULL, NULL, NULL, NULL, "p9999999999999999", "after" },
		{ NULL, NULL, NULL, NULL, "p253402300800000", "after" },
	};
	struct history_query q;
	char field[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		field[0] = '\0';
		if (parse(bad[i].from, bad[i].to, bad[i].step, bad[i].limit,
		    bad[i].after, &q, field) != -1)
			fail_msg("case %zu accepted", i);
		if (strcmp(field, bad[i].field) != 0)
			fail_msg("case %zu: field %s, not %s", i, field,
			    bad[i].field);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_hostile_times),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_step_limit_after),
		cmocka_unit_test(test_hostile_parameters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
