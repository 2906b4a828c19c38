/*
 * test_metrics.c: unit tests for the parts of /metrics that need no
 * running gateway: a histogram's buckets (gateway.c), the outcome a
 * proxied request is counted under (proxy/metrics.c), and the reading of
 * /proc/self/stat, on this process's own line and on lines with a hostile
 * name, cut short, or with numbers that are none. Each line given to the
 * parser is a heap copy of exactly its length, so that the ASan build
 * (make check-asan) flags a read past it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway.h"
#include "proxy/metrics.h"

/* A /proc/pid/stat line of 52 fields with name in field 2, utime 11,
 * stime 22, starttime 33, vsize 44, rss 55 (proc(5)). */
static int
parse(const char *name, struct metrics_proc *pr)
{
	char line[1024];
	char *copy;
	int n, rc;

	n = snprintf(line, sizeof(line), "1234 (%s) S 1 1234 1234 0 -1 "
	    "4194560 100 0 0 0 11 22 0 0 20 0 1 0 33 44 55 "
	    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 "
	    "0 0 0 0 0 0 0 0\n", name);
	if ((copy = malloc((size_t)n)) == NULL)
		fail();
	memcpy(copy, line, (size_t)n);
	rc = metrics_proc_stat(copy, (size_t)n, pr);
	free(copy);
	return rc;
}

static int
parse_raw(const char *s, struct metrics_proc *pr)
{
	size_t n = strlen(s);
	char *copy = malloc(n + 1);
	int rc;

	if (copy == NULL)
		fail();
	memcpy(copy, s, n);
	rc = metrics_proc_stat(copy, n, pr);
	free(copy);
	return rc;
}

static void
test_proc_stat_fields(void **state)
{
	struct metrics_proc pr;

	(void)state;
	assert_int_equal(parse("outpost", &pr), 0);
	assert_int_equal(pr.utime, 11);
	assert_int_equal(pr.stime, 22);
	assert_int_equal(pr.starttime, 33);
	assert_int_equal(pr.vsize, 44);
	assert_int_equal(pr.rss, 55);
}

/* A process may name itself anything (prctl PR_SET_NAME): spaces and
 * parentheses in the name do not move the fields. */
static void
test_proc_stat_hostile_name(void **state)
{
	static const char *names[] = {
		"a b", ") S 1 2 3 4 5 6 7 8 9 10 11 12", "((", "))", "x) (y",
		"", " ",
	};
	struct metrics_proc pr;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(parse(names[i], &pr), 0);
		assert_int_equal(pr.utime, 11);
		assert_int_equal(pr.rss, 55);
	}
}

static void
test_proc_stat_refused(void **state)
{
	static const char *bad[] = {
		"",
		"1234 outpost S 1",			/* no name */
		"1234 (outpost)",			/* no fields */
		"1234 (outpost) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 "
		    "18 19 20",				/* no rss */
		"1234 (outpost) S 1 2 3 4 5 6 7 8 9 10 x 12 13 14 15 16 17 "
		    "18 19 20 21 22",			/* utime not a number */
		"1234 (outpost) S 1 2 3 4 5 6 7 8 9 10 -1 12 13 14 15 16 17 "
		    "18 19 20 21 22",			/* negative */
		"1234 (outpost) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 "
		    "18 19 99999999999999999999 21 22",	/* vsize > 2^64 */
		"1234 (outpost) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 "
		    "18 19 20  22",			/* an empty field */
		"1234 (outpost)S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 "
		    "18 19 20 21 22",			/* no space after it */
	};
	struct metrics_proc pr;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_raw(bad[i], &pr) != -1)
			fail_msg("accepted: %s", bad[i]);
	/* The largest number that fits, and the last field at the end. */
	assert_int_equal(parse_raw("1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 "
	    "15 16 17 18 19 18446744073709551615 21", &pr), 0);
	assert_true(pr.vsize == UINT64_MAX);
	assert_int_equal(pr.rss, 21);
}

/* This process's own line reads, and says what getrusage-free sources
 * agree on: a resident set, a virtual size at least as big. */
static void
test_proc_stat_self(void **state)
{
	struct metrics_proc pr;
	char buf[1024];
	ssize_t n;
	int fd;

	(void)state;
	assert_true((fd = open("/proc/self/stat", O_RDONLY)) >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_true(n > 0);
	assert_int_equal(metrics_proc_stat(buf, (size_t)n, &pr), 0);
	assert_true(pr.rss > 0);
	assert_true(pr.vsize >= pr.rss * (uint64_t)sysconf(_SC_PAGESIZE));
	assert_true(pr.starttime > 0);
}

/* le is inclusive: a value on a bound counts in that bucket; above the
 * last, in +Inf. */
static void
test_observe_buckets(void **state)
{
	const struct metrics_buckets *b = &metrics_proxy_buckets;
	struct metrics_hist h;

	(void)state;
	assert_true(b->n > 0 && b->n <= METRICS_BUCKETS_MAX);
	assert_true(b->le[0] == 0.005 && b->le[b->n - 1] == 60);
	memset(&h, 0, sizeof(h));
	metrics_observe(&h, b, 0);
	metrics_observe(&h, b, 0.005);
	metrics_observe(&h, b, 0.0051);
	metrics_observe(&h, b, 60);
	metrics_observe(&h, b, 61);
	assert_int_equal(h.bucket[0], 2);
	assert_int_equal(h.bucket[1], 1);
	assert_int_equal(h.bucket[b->n - 1], 1);
	assert_int_equal(h.bucket[b->n], 1);
	assert_int_equal(h.count, 5);
	assert_true(h.sum > 121.0100 && h.sum < 121.0102);
	assert_true(metrics_op_buckets.n <= METRICS_BUCKETS_MAX);
}

/* What a request was becomes its outcome with its status. */
static void
test_proxy_outcome(void **state)
{
	static const struct {
		int	px, status, counted;
	} cases[] = {
		{ MPX_OK, 200, MPX_OK },
		{ MPX_OK, 304, MPX_OK },
		{ MPX_OK, 404, MPX_ERROR },	/* the device's 4.04 */
		{ MPX_OK, 502, MPX_ERROR },	/* not convertible */
		{ MPX_CACHED, 200, MPX_CACHED },
		{ MPX_CACHED, 504, MPX_ERROR },	/* only-if-cached, none */
		{ MPX_QUEUED, 202, MPX_QUEUED },
		{ MPX_QUEUED, 429, MPX_ERROR },	/* queue full */
		{ MPX_QUEUED, 507, MPX_ERROR },
		{ MPX_TIMEOUT, 504, MPX_TIMEOUT },
		{ MPX_ERROR, 503, MPX_ERROR },
		{ MPX_OK, 499, MPX_CLOSED },
		{ MPX_QUEUED, 499, MPX_CLOSED },
	};
	struct metrics m;
	struct timespec t0;
	size_t i;
	int j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&m, 0, sizeof(m));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		metrics_proxy_count(&m, cases[i].px, cases[i].status, &t0);
		for (j = 0; j < MPX__COUNT; j++)
			if (m.proxy[j].count != (j == cases[i].counted))
				fail_msg("case %zu: outcome %d counted %llu",
				    i, j, (unsigned long long)m.proxy[j].count);
		/* Just now: well under the first bound. */
		assert_int_equal(m.proxy[cases[i].counted].bucket[0], 1);
	}
	/* Not a proxied request: nothing. */
	memset(&m, 0, sizeof(m));
	metrics_proxy_count(&m, MPX_NONE, 200, &t0);
	for (j = 0; j < MPX__COUNT; j++)
		assert_int_equal(m.proxy[j].count, 0);
	/* The time is the monotonic clock's since t0. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t0.tv_sec -= 2;
	metrics_proxy_count(&m, MPX_OK, 200, &t0);
	assert_true(m.proxy[MPX_OK].sum >= 2 && m.proxy[MPX_OK].sum < 3);
	assert_int_equal(m.proxy[MPX_OK].bucket[8], 1);	/* le=2.5 */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_stat_fields),
		cmocka_unit_test(test_proc_stat_hostile_name),
		cmocka_unit_test(test_proc_stat_refused),
		cmocka_unit_test(test_proc_stat_self),
		cmocka_unit_test(test_observe_buckets),
		cmocka_unit_test(test_proxy_outcome),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
