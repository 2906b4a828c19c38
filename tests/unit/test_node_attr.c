/*
 * test_node_attr.c: the notification attributes of node/attr.c with a fake
 * clock: the decision "notify now or not" (gt, lt, st within pmin and
 * pmax), Write-Attributes and its rules, inheritance from the instance and
 * the object, and the attributes Discover shows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "node/attr.h"

/* Attributes from a query string "pmin=1&gt=5" (checked to parse). */
static struct attr
attrs(const char *q)
{
	struct attr a;
	char buf[256], err[128], *opt, *save = NULL;

	memset(&a, 0, sizeof(a));
	snprintf(buf, sizeof(buf), "%s", q);
	for (opt = strtok_r(buf, "&", &save); opt != NULL;
	    opt = strtok_r(NULL, "&", &save))
		if (attr_parse(&a, (const uint8_t *)opt, strlen(opt), err,
		    sizeof(err)) == -1)
			fail_msg("%s: %s", opt, err);
	return a;
}

/* The clock of a test, in ms, and an observation started at 0 with v. */
static struct attr_watch
watch(double v)
{
	struct attr_watch w;

	memset(&w, 0, sizeof(w));
	attr_notified(&w, 0, 1, v);
	return w;
}

/* A value at now: the verdict, and the notification recorded if sent. */
static enum attr_verdict
value_at(const struct attr *a, struct attr_watch *w, int64_t now, double v)
{
	enum attr_verdict d = attr_decide(a, w, now, 1, 1, v);

	if (d == ATTR_NOTIFY)
		attr_notified(w, now, 1, v);
	return d;
}

/* A timer at now, the value being v. */
static enum attr_verdict
timer_at(const struct attr *a, struct attr_watch *w, int64_t now, double v)
{
	enum attr_verdict d = attr_decide(a, w, now, 0, 1, v);

	if (d == ATTR_NOTIFY)
		attr_notified(w, now, 1, v);
	return d;
}

/* gt and lt: only crossings are told, either way. */
static void
test_thresholds(void **state)
{
	struct attr a = attrs("gt=50&lt=20");
	struct attr_watch w = watch(40);

	(void)state;
	assert_int_equal(value_at(&a, &w, 1000, 45), ATTR_QUIET);
	assert_int_equal(value_at(&a, &w, 2000, 60), ATTR_NOTIFY);
	assert_int_equal(value_at(&a, &w, 3000, 70), ATTR_QUIET);
	assert_int_equal(value_at(&a, &w, 3500, 50.5), ATTR_QUIET);
	/* Exactly on gt is not above it: a crossing down. */
	assert_int_equal(value_at(&a, &w, 4000, 50), ATTR_NOTIFY);
	assert_int_equal(value_at(&a, &w, 5000, 30), ATTR_QUIET);
	assert_int_equal(value_at(&a, &w, 6000, 10), ATTR_NOTIFY);
	assert_int_equal(value_at(&a, &w, 7000, 19.9), ATTR_QUIET);
	assert_int_equal(value_at(&a, &w, 8000, 20), ATTR_NOTIFY);
	/* Straight across both. */
	assert_int_equal(value_at(&a, &w, 9000, 99), ATTR_NOTIFY);
	assert_int_equal(value_at(&a, &w, 9500, -5), ATTR_NOTIFY);
	/* Negative thresholds (a signal in dBm). */
	a = attrs("lt=-90");
	w = watch(-70);
	assert_int_equal(value_at(&a, &w, 1000, -89), ATTR_QUIET);
	assert_int_equal(value_at(&a, &w, 2000, -91), ATTR_NOTIFY);
}

/* st: a move of st or more from the last value told. */
static void
test_step(void **state)
{
	struct attr a = attrs("st=5");
	struct attr_watch w = watch(100);

	(void)state;
	assert_int_equal(value_at(&a, &w, 1000, 104), ATTR_QUIET);
	assert_int_equal(value_at(&a, &w, 2000, 103), ATTR_QUIET);
	assert_int_equal(value_at(&a, &w, 3000, 105), ATTR_NOTIFY);
	/* Measured from 105 now, not from 100. */
	assert_int_equal(value_at(&a, &w, 4000, 109), ATTR_QUIET);
	assert_int_equal(value_at(&a, &w, 5000, 100), ATTR_NOTIFY);
	/* With gt as well: either condition. */
	a = attrs("gt=200&st=50");
	w = watch(100);
	assert_int_equal(value_at(&a, &w, 1000, 149), ATTR_QUIET);
	assert_int_equal(value_at(&a, &w, 2000, 150), ATTR_NOTIFY);
	assert_int_equal(value_at(&a, &w, 3000, 201), ATTR_NOTIFY);
	/* st 0: any move. */
	a = attrs("st=0");
	w = watch(1);
	assert_int_equal(value_at(&a, &w, 1000, 1), ATTR_QUIET);
	assert_int_equal(value_at(&a, &w, 2000, 1.001), ATTR_NOTIFY);
}

/* pmin holds a crossing back; what is looked at when pmin ends is the
 * value then. pmax sends regardless. */
static void
test_periods(void **state)
{
	struct attr a = attrs("gt=50&pmin=10&pmax=60");
	struct attr_watch w = watch(40);

	(void)state;
	/* A crossing 3 s in waits for pmin. */
	assert_int_equal(value_at(&a, &w, 3000, 60), ATTR_WAIT);
	assert_true(w.pending);
	assert_int_equal(attr_deadline(&a, &w), 10000);
	assert_int_equal(timer_at(&a, &w, 9999, 60), ATTR_WAIT);
	assert_int_equal(timer_at(&a, &w, 10000, 61), ATTR_NOTIFY);
	assert_false(w.pending);
	assert_int_equal(w.last_ms, 10000);
	assert_int_equal(attr_deadline(&a, &w), 70000);
	/* A crossing that went back before pmin ended is not told. */
	assert_int_equal(value_at(&a, &w, 12000, 45), ATTR_WAIT);
	assert_int_equal(value_at(&a, &w, 15000, 55), ATTR_QUIET);
	assert_false(w.pending);
	/* Nothing crosses: pmax after the last one, a notification. */
	assert_int_equal(timer_at(&a, &w, 69999, 55), ATTR_QUIET);
	assert_int_equal(timer_at(&a, &w, 70000, 55), ATTR_NOTIFY);
	assert_int_equal(attr_deadline(&a, &w), 130000);
	/* No pmax: no deadline unless something waits. */
	a = attrs("lt=0");
	w = watch(5);
	assert_int_equal(attr_deadline(&a, &w), INT64_MAX);
	assert_int_equal(timer_at(&a, &w, 999999999, 5), ATTR_QUIET);
	a = attrs("pmax=0");
	assert_int_equal(attr_deadline(&a, &w), INT64_MAX);
}

/* Without gt, lt and st every change is told (within pmin); without a
 * number (an instance) too. */
static void
test_changes_without_conditions(void **state)
{
	struct attr a = attrs("pmin=2");
	struct attr_watch w = watch(1);

	(void)state;
	assert_int_equal(value_at(&a, &w, 2500, 1), ATTR_NOTIFY);
	assert_int_equal(value_at(&a, &w, 3000, 2), ATTR_WAIT);
	/* The pending change goes at pmin, whatever the value is then. */
	assert_int_equal(timer_at(&a, &w, 4500, 1), ATTR_NOTIFY);
	assert_int_equal(attr_decide(&a, &w, 5000, 1, 0, 0), ATTR_WAIT);
	assert_int_equal(attr_decide(&a, &w, 6500, 0, 0, 0), ATTR_NOTIFY);
	attr_notified(&w, 6500, 0, 0);
	assert_int_equal(attr_decide(&a, &w, 99999, 0, 0, 0), ATTR_QUIET);
}

/* Write-Attributes: the levels, the kinds of resources, the rules. */
static void
test_write_rules(void **state)
{
	struct attr cur, w, out;
	char err[160];

	(void)state;
	memset(&cur, 0, sizeof(cur));
	w = attrs("gt=50&lt=20&st=15");
	assert_int_equal(attr_write(&cur, &w, 1, 1, &out, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "lt + 2 st (50) is not below gt 50"));
	w = attrs("gt=50&lt=20&st=14.9");
	assert_int_equal(attr_write(&cur, &w, 1, 1, &out, err, sizeof(err)),
	    0);
	assert_int_equal(out.set, ATTR_NUMERIC);
	/* Not on an instance or an object, not on a string. */
	assert_int_equal(attr_write(&cur, &w, 0, 1, &out, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "attributes of a resource"));
	assert_int_equal(attr_write(&cur, &w, 1, 0, &out, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "numeric resource"));
	/* The rules hold for what the level ends up with. */
	cur = attrs("gt=50");
	w = attrs("lt=50");
	assert_int_equal(attr_write(&cur, &w, 1, 1, &out, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "lt 50 is not below gt 50"));
	w = attrs("lt=60&gt");
	assert_int_equal(attr_write(&cur, &w, 1, 1, &out, err, sizeof(err)),
	    0);
	assert_int_equal(out.set, ATTR_BIT(ATTR_LT));
	assert_true(out.lt == 60);
	cur = attrs("pmax=10");
	w = attrs("pmin=11");
	assert_int_equal(attr_write(&cur, &w, 0, 0, &out, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "pmin 11 is above pmax 10"));
	w = attrs("epmin=5&epmax=4");
	assert_int_equal(attr_write(&cur, &w, 0, 0, &out, err, sizeof(err)),
	    -1);
	w = attrs("st=-1");
	assert_int_equal(attr_write(&cur, &w, 1, 1, &out, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "negative"));
	/* Removing: pmax goes, pmin stays, nothing else. */
	cur = attrs("pmin=5&pmax=10");
	w = attrs("pmax");
	assert_int_equal(attr_write(&cur, &w, 0, 0, &out, err, sizeof(err)),
	    0);
	assert_int_equal(out.set, ATTR_BIT(ATTR_PMIN));
	assert_int_equal(out.pmin, 5);
}

/* The periods inherit level by level; gt, lt and st come as a set from
 * the first level that has any. */
static void
test_inheritance(void **state)
{
	struct attr q = attrs("pmax=30"), res = attrs("lt=5&pmin=2"),
	    inst = attrs("pmin=7&epmax=9"), obj = attrs("pmin=1&pmax=100");
	const struct attr *levels[4] = { &q, &res, &inst, &obj };
	struct attr e;
	char buf[128];

	(void)state;
	attr_effective(&e, levels, 4);
	assert_int_equal(e.pmin, 2);
	assert_int_equal(e.pmax, 30);
	assert_int_equal(e.epmax, 9);
	assert_int_equal(e.set & ATTR_NUMERIC, ATTR_BIT(ATTR_LT));
	assert_int_equal(attr_links(&e, buf, sizeof(buf)), 28);
	assert_string_equal(buf, ";pmin=2;pmax=30;lt=5;epmax=9");
	levels[0] = NULL;
	levels[1] = NULL;
	attr_effective(&e, levels, 4);
	assert_int_equal(e.pmin, 7);
	assert_int_equal(e.pmax, 100);
	assert_int_equal(e.set & ATTR_NUMERIC, 0);
	assert_int_equal(attr_links(&e, buf, 8), -1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(attr_links(&e, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	e = attrs("gt=0.125&st=1e-3");
	assert_int_equal(attr_links(&e, buf, sizeof(buf)), 18);
	assert_string_equal(buf, ";gt=0.125;st=0.001");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_step),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_changes_without_conditions),
		cmocka_unit_test(test_write_rules),
		cmocka_unit_test(test_inheritance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
