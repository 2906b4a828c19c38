/*
 * test_alarmparse.c: unit tests for lwm2m/alarmparse.c: every kind of
 * rule read with its defaults, printed back and read again to the same
 * rule, the member at fault named for each refusal (hostile bodies: not
 * JSON, trailing bytes, NUL, members twice, of another kind, numbers out
 * of range or not finite, paths that are not paths, attributes LwM2M
 * forbids), and the acknowledgement's body.
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

#include "lwm2m/alarmparse.h"

static int
parse(const char *body, struct alarm_rule_def *def, char *field, char *err)
{
	return alarmparse_rule(body, strlen(body), def, field, ALARM_FIELD_MAX,
	    err, 256);
}

/* body is refused, naming want_field, with why in the reason. */
static void
refused(const char *body, const char *want_field, const char *why)
{
	struct alarm_rule_def def;
	char field[ALARM_FIELD_MAX], err[256];

	if (parse(body, &def, field, err) != -1)
		fail_msg("accepted: %s", body);
	if (strcmp(field, want_field) != 0)
		fail_msg("%s: field '%s', not '%s' (%s)", body, field,
		    want_field, err);
	if (strstr(err, why) == NULL)
		fail_msg("%s: '%s' does not say '%s'", body, err, why);
	assert_int_equal(def.kind, 0);
	assert_int_equal(def.path[0], '\0');
}

/* Prints def, reads it back, and wants the same rule. */
static void
round_trip(const struct alarm_rule_def *def)
{
	struct alarm_rule_def again;
	char field[ALARM_FIELD_MAX], err[256], *text;
	cJSON *o = alarmparse_json(def);

	assert_non_null(o);
	text = cJSON_PrintUnformatted(o);
	if (parse(text, &again, field, err) != 0)
		fail_msg("%s: %s: %s", text, field, err);
	assert_memory_equal(def, &again, sizeof(again));
	free(text);
	cJSON_Delete(o);
}

static void
test_kinds(void **state)
{
	struct alarm_rule_def d;
	char field[ALARM_FIELD_MAX], err[256];

	(void)state;
	assert_int_equal(parse("{\"kind\":\"threshold\",\"path\":\"/3/0/9\","
	    "\"below\":20,\"hysteresis\":5,\"hold_s\":30,\"tag\":\"site-a\","
	    "\"pmax\":600,\"step\":2}", &d, field, err), 0);
	assert_int_equal(d.kind, ALARM_K_THRESHOLD);
	assert_int_equal(d.severity, ALARM_SEV_MAJOR);
	assert_string_equal(d.path, "3/0/9");
	assert_true(d.below);
	assert_true(d.limit == 20 && d.hysteresis == 5);
	assert_int_equal(d.hold_s, 30);
	assert_int_equal(d.select, ALARM_SEL_TAG);
	assert_string_equal(d.tag, "site-a");
	assert_true(d.push);			/* an LwM2M resource */
	assert_int_equal(d.pmin, -1);
	assert_int_equal(d.pmax, 600);
	assert_true(d.step == 2);
	round_trip(&d);

	assert_int_equal(parse("{\"kind\":\"threshold\",\"path\":\"health/"
	    "cpu_pct\",\"above\":-1.5e1,\"ep\":\"node-1\",\"severity\":"
	    "\"warning\",\"name\":\"CPU \xc3\xa9lev\xc3\xa9\"}", &d, field,
	    err), 0);
	assert_false(d.push);			/* not an LwM2M path */
	assert_true(d.limit == -15);
	assert_int_equal(d.select, ALARM_SEL_EP);
	assert_int_equal(d.severity, ALARM_SEV_WARNING);
	round_trip(&d);

	/* Printed exactly: cJSON's 15 digits would change these. */
	assert_int_equal(parse("{\"kind\":\"threshold\",\"path\":\"x\","
	    "\"above\":6.0888888888888891e+22,\"hysteresis\":0.1}", &d,
	    field, err), 0);
	round_trip(&d);

	assert_int_equal(parse("{\"kind\":\"rate\",\"path\":\"3/0/10\","
	    "\"above\":100,\"per\":\"minute\",\"window\":16}", &d, field, err),
	    0);
	assert_int_equal(d.per_s, 60);
	assert_int_equal(d.window, 16);
	round_trip(&d);
	assert_int_equal(parse("{\"kind\":\"rate\",\"path\":\"x\",\"below\":0}",
	    &d, field, err), 0);
	assert_int_equal(d.per_s, 1);
	assert_int_equal(d.window, 2);

	assert_int_equal(parse("{\"kind\":\"silence\",\"for_s\":600}", &d,
	    field, err), 0);
	assert_string_equal(d.path, "");
	assert_int_equal(d.select, ALARM_SEL_ALL);
	round_trip(&d);
	assert_int_equal(parse("{\"kind\":\"silence\",\"for_s\":1,"
	    "\"path\":\"3/0/9\"}", &d, field, err), 0);
	round_trip(&d);

	assert_int_equal(parse("{\"kind\":\"offline\"}", &d, field, err), 0);
	assert_int_equal(d.offline, ALARM_OFF_EXPIRED);
	round_trip(&d);
	assert_int_equal(parse("{\"kind\":\"offline\",\"state\":\"asleep\","
	    "\"for_s\":3600}", &d, field, err), 0);
	assert_int_equal(d.offline, ALARM_OFF_ASLEEP);
	round_trip(&d);

	assert_int_equal(parse("{\"kind\":\"failure\",\"source\":\"job\","
	    "\"severity\":\"critical\"}", &d, field, err), 0);
	assert_int_equal(d.source, ALARM_SRC_JOB);
	round_trip(&d);
	assert_int_equal(parse(" {\"kind\":\"failure\"} \n", &d, field, err),
	    0);
	assert_int_equal(d.source, ALARM_SRC_ANY);
}

static void
test_hostile(void **state)
{
	char big[ALARM_BODY_MAX + 64];

	(void)state;
	refused("", "", "JSON object");
	refused("[]", "", "JSON object");
	refused("{\"kind\":\"offline\"} x", "", "JSON object");
	refused("{\"kind\":\"offline\",\"kind\":\"offline\"}", "", "twice");
	refused("{\"kind\":\"off\\u0000line\"}", "", "NUL");
	refused("{\"kinds\":1}", "", "unknown member");
	refused("{}", "kind", "kind is required");
	refused("{\"kind\":\"panic\"}", "kind", "one of threshold");
	refused("{\"kind\":7}", "kind", "one of");
	refused("{\"kind\":\"offline\",\"severity\":\"fatal\"}", "severity",
	    "critical");
	refused("{\"kind\":\"offline\",\"name\":\"\"}", "name", "printable");
	refused("{\"kind\":\"offline\",\"name\":\"a\\nb\"}", "name",
	    "printable");
	refused("{\"kind\":\"offline\",\"name\":\"\xc0\xaf\"}", "name", "UTF-8");
	refused("{\"kind\":\"offline\",\"ep\":\"a/b\"}", "ep", "endpoint");
	refused("{\"kind\":\"offline\",\"ep\":\"a\",\"tag\":\"b\"}", "tag",
	    "not both");
	refused("{\"kind\":\"offline\",\"tag\":\"no tag!\"}", "tag", "a tag");
	refused("{\"kind\":\"offline\",\"path\":\"3/0/9\"}", "path",
	    "does not apply to a offline");
	refused("{\"kind\":\"failure\",\"for_s\":3}", "for_s",
	    "does not apply");
	refused("{\"kind\":\"silence\"}", "for_s", "required");
	refused("{\"kind\":\"silence\",\"for_s\":0}", "for_s", "1..2592000");
	refused("{\"kind\":\"silence\",\"for_s\":1.5}", "for_s", "whole");
	refused("{\"kind\":\"silence\",\"for_s\":1e300}", "for_s", "whole");
	refused("{\"kind\":\"silence\",\"for_s\":\"60\"}", "for_s", "whole");
	refused("{\"kind\":\"offline\",\"for_s\":60}", "for_s", "asleep only");
	refused("{\"kind\":\"offline\",\"state\":\"dead\"}", "state",
	    "expired, asleep");
	refused("{\"kind\":\"failure\",\"source\":\"cron\"}", "source",
	    "any, job, campaign");
	refused("{\"kind\":\"threshold\",\"above\":1}", "path", "required");
	refused("{\"kind\":\"threshold\",\"path\":\"3//9\",\"above\":1}",
	    "path", "path");
	refused("{\"kind\":\"threshold\",\"path\":\"3/0/9/\",\"above\":1}",
	    "path", "path");
	refused("{\"kind\":\"threshold\",\"path\":\"/\",\"above\":1}",
	    "path", "path");
	refused("{\"kind\":\"threshold\",\"path\":\"a b\",\"above\":1}",
	    "path", "path");
	refused("{\"kind\":\"threshold\",\"path\":\"a?b\",\"above\":1}",
	    "path", "path");
	refused("{\"kind\":\"threshold\",\"path\":5,\"above\":1}", "path",
	    "path");
	refused("{\"kind\":\"threshold\",\"path\":\"x\"}", "above",
	    "one of above and below");
	refused("{\"kind\":\"threshold\",\"path\":\"x\",\"above\":1,"
	    "\"below\":0}", "below", "not both");
	refused("{\"kind\":\"threshold\",\"path\":\"x\",\"above\":\"1\"}",
	    "above", "a number");
	refused("{\"kind\":\"threshold\",\"path\":\"x\",\"above\":1e999}",
	    "above", "a number");
	refused("{\"kind\":\"threshold\",\"path\":\"x\",\"above\":1,"
	    "\"hysteresis\":-1}", "hysteresis", "at least 0");
	refused("{\"kind\":\"threshold\",\"path\":\"x\",\"above\":1,"
	    "\"hold_s\":86401}", "hold_s", "0..86400");
	refused("{\"kind\":\"threshold\",\"path\":\"x\",\"above\":1,"
	    "\"per\":\"minute\"}", "per", "does not apply");
	refused("{\"kind\":\"rate\",\"path\":\"x\",\"above\":1,"
	    "\"per\":\"hour\"}", "per", "second, minute");
	refused("{\"kind\":\"rate\",\"path\":\"x\",\"above\":1,"
	    "\"window\":1}", "window", "2..16");
	refused("{\"kind\":\"rate\",\"path\":\"x\",\"above\":1,"
	    "\"window\":17}", "window", "2..16");
	refused("{\"kind\":\"rate\",\"path\":\"3/0/9\",\"above\":1,"
	    "\"push\":true}", "push", "does not apply");
	refused("{\"kind\":\"threshold\",\"path\":\"health/cpu\","
	    "\"above\":1,\"push\":true}", "push", "LwM2M resource path");
	refused("{\"kind\":\"threshold\",\"path\":\"3/0\",\"above\":1,"
	    "\"push\":true}", "push", "LwM2M resource path");
	refused("{\"kind\":\"threshold\",\"path\":\"3/0/65536\",\"above\":1,"
	    "\"push\":true}", "push", "LwM2M resource path");
	refused("{\"kind\":\"threshold\",\"path\":\"3/0/9\",\"above\":1,"
	    "\"push\":1}", "push", "true or false");
	refused("{\"kind\":\"threshold\",\"path\":\"3/0/9\",\"above\":1,"
	    "\"push\":false,\"pmax\":5}", "pmax", "needs push");
	refused("{\"kind\":\"threshold\",\"path\":\"3/0/9\",\"above\":1,"
	    "\"pmin\":10,\"pmax\":5}", "pmax", "pmin 10 is above pmax 5");
	refused("{\"kind\":\"threshold\",\"path\":\"3/0/9\",\"above\":1,"
	    "\"pmin\":-1}", "pmin", "0..2147483647");
	refused("{\"kind\":\"threshold\",\"path\":\"3/0/9\",\"above\":1,"
	    "\"pmax\":2147483648}", "pmax", "0..2147483647");
	refused("{\"kind\":\"threshold\",\"path\":\"3/0/9\",\"above\":10,"
	    "\"hysteresis\":4,\"step\":2}", "step", "half the hysteresis");
	refused("{\"kind\":\"threshold\",\"path\":\"3/0/9\",\"above\":10,"
	    "\"step\":-2}", "step", "at least 0");
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"kind\":\"offline\"}", 18);
	big[sizeof(big) - 1] = '\0';
	refused(big, "", "body over 4096 bytes");
	assert_int_equal(alarmparse_rule(NULL, 0, &(struct alarm_rule_def){ 0 },
	    big, ALARM_FIELD_MAX, big, 64), -1);
}

static void
test_paths(void **state)
{
	char p[ALARM_PATH_MAX + 1];

	(void)state;
	assert_true(alarmparse_path_valid("3/0/9"));
	assert_true(alarmparse_path_valid("health/cpu_pct"));
	assert_true(alarmparse_path_valid("a"));
	assert_false(alarmparse_path_valid(""));
	assert_false(alarmparse_path_valid("/3"));
	assert_false(alarmparse_path_valid(NULL));
	memset(p, 'a', sizeof(p));
	p[ALARM_PATH_MAX - 1] = '\0';
	assert_true(alarmparse_path_valid(p));		/* 127 bytes */
	p[ALARM_PATH_MAX - 1] = 'a';
	p[ALARM_PATH_MAX] = '\0';
	assert_false(alarmparse_path_valid(p));
	assert_true(alarmparse_path_lwm2m("3/0/9"));
	assert_true(alarmparse_path_lwm2m("3/0/9/1"));
	assert_false(alarmparse_path_lwm2m("3/0"));
	assert_false(alarmparse_path_lwm2m("3/0/9/1/2"));
	assert_false(alarmparse_path_lwm2m("3/00/9"));
	assert_false(alarmparse_path_lwm2m("health/a/b"));
}

static void
test_ack(void **state)
{
	char by[ALARM_BY_MAX], err[160], big[ALARM_BY_MAX + 32];

	(void)state;
	assert_int_equal(alarmparse_ack("{\"by\":\"ops@site\"}", 17, by, err,
	    sizeof(err)), 0);
	assert_string_equal(by, "ops@site");
	assert_int_equal(alarmparse_ack(NULL, 0, by, err, sizeof(err)), 0);
	assert_string_equal(by, "");
	assert_int_equal(alarmparse_ack(" \n", 2, by, err, sizeof(err)), 0);
	assert_int_equal(alarmparse_ack("{}", 2, by, err, sizeof(err)), 0);
	assert_string_equal(by, "");
	assert_int_equal(alarmparse_ack("{\"by\":\"\"}", 9, by, err,
	    sizeof(err)), -1);
	assert_int_equal(alarmparse_ack("{\"by\":3}", 8, by, err, sizeof(err)),
	    -1);
	assert_int_equal(alarmparse_ack("{\"who\":\"x\"}", 11, by, err,
	    sizeof(err)), -1);
	assert_int_equal(alarmparse_ack("{\"by\":\"a\\u0007\"}", 16, by, err,
	    sizeof(err)), -1);
	assert_int_equal(alarmparse_ack("\"x\"", 3, by, err, sizeof(err)), -1);
	snprintf(big, sizeof(big), "{\"by\":\"%0*d\"}", ALARM_BY_MAX, 0);
	assert_int_equal(alarmparse_ack(big, strlen(big), by, err,
	    sizeof(err)), -1);
	assert_string_equal(by, "");
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(alarm_severity_name(ALARM_SEV_CRITICAL),
	    "critical");
	assert_string_equal(alarm_severity_name(ALARM_SEV_WARNING), "warning");
	assert_string_equal(alarm_severity_name(99), "?");
	assert_int_equal(alarm_severity_of("minor"), ALARM_SEV_MINOR);
	assert_int_equal(alarm_severity_of("Minor"), -1);
	assert_int_equal(alarm_severity_of(NULL), -1);
	assert_string_equal(alarm_kind_name(ALARM_K_RATE), "rate");
	assert_string_equal(alarm_kind_name(-1), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
