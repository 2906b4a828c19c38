/*
 * test_node_logring.c: the ring of recent log lines (node/logring.c) and
 * the Event Log object /20/0 over it (node/obj_eventlog.c): bounds in
 * bytes, wrapping, lines cut at a character, control bytes, the rendering
 * and its since filter, LogStart and LogStop with hostile arguments, and
 * the object read as the gateway reads it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "node/logring.h"
#include "node/nconf.h"
#include "node/object.h"

/* Counts the lines of a rendering and checks each one's form. */
static size_t
check_lines(const char *s)
{
	size_t n = 0;
	const char *e;

	for (; *s != '\0'; s = e + 1) {
		e = strchr(s, '\n');
		assert_non_null(e);
		/* "SECONDS.MMM " */
		assert_true(s[0] == '-' || (s[0] >= '0' && s[0] <= '9'));
		assert_non_null(memchr(s, '.', (size_t)(e - s)));
		assert_non_null(memchr(s, ' ', (size_t)(e - s)));
		n++;
	}
	return n;
}

static void
test_basic(void **state)
{
	struct logring *r = logring_new(4096);
	char *s;
	size_t len;

	(void)state;
	assert_non_null(r);
	s = logring_render(r, INT64_MIN, &len);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	logring_add(r, 1700000000123LL, "first", 5);
	logring_add(r, 1700000001005LL, "second line", 11);
	logring_add(r, 1700000002000LL, "", 0);
	assert_int_equal(logring_count(r), 3);
	s = logring_render(r, INT64_MIN, &len);
	assert_string_equal(s, "1700000000.123 first\n"
	    "1700000001.005 second line\n1700000002.000 \n");
	assert_int_equal(len, strlen(s));
	free(s);
	/* since: at or after. */
	s = logring_render(r, 1700000001005LL, NULL);
	assert_string_equal(s, "1700000001.005 second line\n"
	    "1700000002.000 \n");
	free(s);
	s = logring_render(r, INT64_MAX, NULL);
	assert_string_equal(s, "");
	free(s);
	logring_clear(r);
	assert_int_equal(logring_count(r), 0);
	assert_int_equal(logring_used(r), 0);
	logring_free(r);
	logring_free(NULL);
}

/* Bounded in bytes: the oldest go, the newest stay, in order, across
 * many wraps of the buffer. */
static void
test_bounded(void **state)
{
	struct logring *r = logring_new(LOGRING_MIN);
	char line[64], *s, *p;
	size_t i, n;
	long last = -1, k;

	(void)state;
	for (i = 0; i < 5000; i++) {
		n = (size_t)snprintf(line, sizeof(line), "line %zu %.*s", i,
		    (int)(i % 37), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		logring_add(r, (int64_t)i, line, n);
		assert_true(logring_used(r) <= LOGRING_MIN);
	}
	s = logring_render(r, INT64_MIN, NULL);
	n = check_lines(s);
	assert_int_equal(n, logring_count(r));
	assert_true(n > 3);
	/* Consecutive, ending with the last one. */
	for (p = s; (p = strstr(p, " line ")) != NULL; p += 6) {
		k = strtol(p + 6, NULL, 10);
		if (last >= 0)
			assert_int_equal(k, last + 1);
		last = k;
	}
	assert_int_equal(last, 4999);
	free(s);
	logring_free(r);
	/* A ring asked smaller is LOGRING_MIN. */
	r = logring_new(1);
	memset(line, 'a', sizeof(line));
	for (i = 0; i < 100; i++)
		logring_add(r, 1, line, sizeof(line));
	assert_true(logring_used(r) <= LOGRING_MIN);
	assert_true(logring_count(r) >= 1);
	logring_free(r);
}

/* Hostile lines: too long, control bytes, NULs, a character cut. */
static void
test_hostile_lines(void **state)
{
	struct logring *r = logring_new(8192);
	char big[5000], *s;
	size_t i;
	const char ctl[] = "a\nb\rc\0d\x1b[31me\x7f";
	/* 239 'x' then a 2-byte character across the 240 mark. */
	char utf[300];

	(void)state;
	memset(big, 'z', sizeof(big));
	logring_add(r, 5, big, sizeof(big));
	s = logring_render(r, INT64_MIN, NULL);
	assert_int_equal(strlen(s), strlen("0.005 ") + LOGRING_LINE_MAX + 1);
	free(s);
	logring_clear(r);
	logring_add(r, 5, ctl, sizeof(ctl) - 1);
	s = logring_render(r, INT64_MIN, NULL);
	assert_string_equal(s, "0.005 a b c d [31me \n");
	free(s);
	logring_clear(r);
	memset(utf, 'x', 239);
	utf[239] = (char)0xc3;
	utf[240] = (char)0xa9;
	logring_add(r, 5, utf, 241);
	s = logring_render(r, INT64_MIN, NULL);
	assert_int_equal(strlen(s), strlen("0.005 ") + 239 + 1);
	free(s);
	/* Negative and extreme times render as numbers. */
	logring_clear(r);
	logring_add(r, -1, "neg", 3);
	logring_add(r, INT64_MAX, "max", 3);
	logring_add(r, INT64_MIN, "min", 3);
	s = logring_render(r, INT64_MIN, NULL);
	assert_int_equal(check_lines(s), 3);
	assert_non_null(strstr(s, "-1.999 neg\n"));
	free(s);
	/* Random bytes of random lengths keep the bounds. */
	srand(7);
	for (i = 0; i < 20000; i++) {
		size_t n = (size_t)rand() % sizeof(big);
		size_t k;

		for (k = 0; k < n; k++)
			big[k] = (char)rand();
		logring_add(r, rand(), big, n);
		assert_true(logring_used(r) <= 8192);
	}
	s = logring_render(r, INT64_MIN, NULL);
	assert_int_equal(check_lines(s), logring_count(r));
	free(s);
	logring_free(r);
}

static void
test_stopped(void **state)
{
	struct logring *r = logring_new(1024);

	(void)state;
	logring_add(r, 1, "kept", 4);
	logring_set_stopped(r, 1);
	assert_true(logring_stopped(r));
	logring_add(r, 2, "dropped", 7);
	assert_int_equal(logring_count(r), 1);
	logring_set_stopped(r, 0);
	logring_add(r, 3, "kept", 4);
	assert_int_equal(logring_count(r), 2);
	logring_free(r);
}

static void
test_eventlog_arg(void **state)
{
	static const struct {
		const char	*arg;
		int		 want;
	} cases[] = {
		{ "", 0 }, { "0", 0 }, { "1", 1 }, { "0='0'", 0 },
		{ "0='1'", 1 }, { "2", -1 }, { "0='2'", -1 }, { "1='1'", -1 },
		{ "0='1", -1 }, { "0=1", -1 }, { "0='1',1='0'", -1 },
		{ "01", -1 }, { " 1", -1 }, { "0=''", -1 }, { "'", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(eventlog_arg((const uint8_t *)cases[i].arg,
		    strlen(cases[i].arg)), cases[i].want);
	assert_int_equal(eventlog_arg((const uint8_t *)"\0", 1), -1);
}

static int64_t
fake_now(void *arg)
{
	(void)arg;
	return 1700000000;
}

/* The object as the agent serves it, over a ring. */
static void
test_eventlog_object(void **state)
{
	static const struct obj_env env = { fake_now, NULL, NULL, NULL };
	struct node_config cfg;
	struct obj o;
	struct obj_value v;
	enum obj_action act;
	enum node_result res;
	char err[200], *blob, *senml;
	size_t len;

	(void)state;
	nconf_defaults(&cfg);
	assert_int_equal(cfg.log_ring, 16384);
	obj_init(&o, &cfg, &env);
	assert_non_null(obj_def_find(o.table, OBJ_EVENTLOG));
	o.logs = logring_new((size_t)cfg.log_ring);
	logring_add(o.logs, 1700000000500LL, "firmware health: disk bad", 25);
	assert_int_equal(obj_read(&o, "ep", &o.fw, 20, 4013, &v, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(v.i, 2);	/* running, holds lines */
	assert_int_equal(obj_read(&o, "ep", &o.fw, 20, 4015, &v, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(v.i, LOGRING_FORMAT);
	assert_int_equal(obj_read(&o, "ep", &o.fw, 20, 4010, &v, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(v.i, 0);
	/* LogData is read alone, whole. */
	assert_int_equal(obj_read(&o, "ep", &o.fw, 20, 4014, &v, err,
	    sizeof(err)), NODE_NOT_ACCEPTABLE);
	assert_int_equal(obj_read_blob(&o, "ep", &o.fw, 20, 4014, &blob,
	    &len, &res, err, sizeof(err)), 0);
	assert_int_equal(res, NODE_OK);
	assert_string_equal(blob, "1700000000.500 firmware health: disk bad\n");
	free(blob);
	assert_int_equal(obj_read_blob(&o, "ep", &o.fw, 20, 4013, &blob,
	    &len, &res, err, sizeof(err)), -1);
	assert_int_equal(obj_read_blob(&o, "ep", &o.fw, 3, 0, &blob,
	    &len, &res, err, sizeof(err)), -1);
	/* The instance's SenML leaves LogData out. */
	senml = obj_read_senml(&o, "ep", &o.fw, 20, err, sizeof(err));
	assert_non_null(senml);
	assert_null(strstr(senml, "4014"));
	assert_non_null(strstr(senml, "4013"));
	free(senml);
	/* LogStop keeps, LogStart empties. */
	assert_int_equal(obj_execute_args(&o, &o.fw, 20, 4012, NULL, 0, &act,
	    err, sizeof(err)), NODE_OK);
	assert_int_equal(obj_read(&o, "ep", &o.fw, 20, 4013, &v, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(v.i, 3);
	logring_add(o.logs, 1, "not kept", 8);
	assert_int_equal(logring_count(o.logs), 1);
	assert_int_equal(obj_execute_args(&o, &o.fw, 20, 4011,
	    (const uint8_t *)"0='1'", 5, &act, err, sizeof(err)), NODE_OK);
	assert_int_equal(logring_count(o.logs), 1);
	assert_int_equal(obj_execute_args(&o, &o.fw, 20, 4011, NULL, 0, &act,
	    err, sizeof(err)), NODE_OK);
	assert_int_equal(logring_count(o.logs), 0);
	assert_int_equal(obj_execute_args(&o, &o.fw, 20, 4012,
	    (const uint8_t *)"0='7'", 5, &act, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	assert_false(logring_stopped(o.logs));
	/* Not writable, not executable where it should not be. */
	assert_int_equal(obj_write(&o, &o.fw, 20, 4015,
	    (const uint8_t *)"1", 1, &act, err, sizeof(err)), NODE_NOT_ALLOWED);
	assert_int_equal(obj_execute(&o, &o.fw, 20, 4014, &act, err,
	    sizeof(err)), NODE_NOT_ALLOWED);
	logring_free(o.logs);
	/* A device without a ring reads as empty. */
	o.logs = NULL;
	assert_int_equal(obj_read_blob(&o, "ep", &o.fw, 20, 4014, &blob,
	    &len, &res, err, sizeof(err)), 0);
	assert_string_equal(blob, "");
	free(blob);
	assert_int_equal(obj_execute(&o, &o.fw, 20, 4011, &act, err,
	    sizeof(err)), NODE_INTERNAL);
	/* [node] log_ring = 0: no object 20. */
	cfg.log_ring = 0;
	obj_init(&o, &cfg, &env);
	assert_null(obj_def_find(o.table, OBJ_EVENTLOG));
	cfg.fleet = 10;
	cfg.fleet_log_ring = 512;
	obj_init(&o, &cfg, &env);
	assert_non_null(obj_def_find(o.table, OBJ_EVENTLOG));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_hostile_lines),
		cmocka_unit_test(test_stopped),
		cmocka_unit_test(test_eventlog_arg),
		cmocka_unit_test(test_eventlog_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
