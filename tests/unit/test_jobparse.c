/*
 * test_jobparse.c: unit tests for the job request parser (lwm2m/jobreq.c,
 * jobstep.c, jobbody.c, jobprint.c, jobjson.c, jobparse.c): the request of
 * jobparse.h and how its steps expand, every refusal with the field it
 * names, hostile bodies (deep nesting, huge numbers, overlong strings,
 * bytes that are not UTF-8, 4 MB, members twice), the printed request read
 * back to the same request (also with its times past), and the values
 * read out of a device's pack. Every body is an exact-size heap copy
 * without a NUL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/jobparse.h"
#include "lwm2m/objmodel.h"

#define NOW		1796601600	/* 2026-12-07T00:00:00Z */
#define IMG		"0123456789abcdef"

static char field[JOB_FIELD_MAX], err[256];

static int
parse_len(const char *s, size_t len, const struct lwm2m_model *m,
    int64_t now, struct job_req *req)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	if (copy == NULL)
		abort();
	memcpy(copy, s, len);
	rc = jobparse_request(copy, len, m, now, req, field, sizeof(field),
	    err, sizeof(err));
	free(copy);
	return rc;
}

static int
parse(const char *s, struct job_req *req)
{
	return parse_len(s, strlen(s), NULL, NOW, req);
}

/* The request with steps s (a JSON array) and a target of one device. */
static int
parse_steps(const char *steps, struct job_req *req)
{
	char *buf;
	int rc;

	if (asprintf(&buf, "{\"steps\": %s, \"target\": {\"endpoints\": "
	    "[\"a\"]}}", steps) == -1)
		abort();
	rc = parse(buf, req);
	free(buf);
	return rc;
}

/* The request with one delete step and the rest given. */
static int
parse_rest(const char *rest, struct job_req *req)
{
	char *buf;
	int rc;

	if (asprintf(&buf, "{\"steps\": [{\"op\": \"delete\", \"path\": "
	    "\"/9/1\"}]%s}", rest) == -1)
		abort();
	rc = parse(buf, req);
	free(buf);
	return rc;
}

static void
assert_steq(const struct job_step *a, const struct job_step *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->method, b->method);
	assert_int_equal(a->risk, b->risk);
	assert_int_equal(a->senml, b->senml);
	assert_string_equal(a->path, b->path);
	assert_string_equal(a->query, b->query);
	assert_string_equal(a->image, b->image);
	assert_int_equal(a->content_format, b->content_format);
	assert_int_equal(a->len, b->len);
	assert_true((a->body == NULL) == (b->body == NULL));
	if (a->body != NULL)
		assert_memory_equal(a->body, b->body, a->len + 1);
	assert_string_equal(a->until.path, b->until.path);
	assert_true(a->until.equals == b->until.equals);
	assert_string_equal(a->until.fail_path, b->until.fail_path);
	assert_true(a->until.fail_at_least == b->until.fail_at_least);
}

/* Field by field. */
static void
assert_req_equal(const struct job_req *a, const struct job_req *b)
{
	size_t i;
	int k;

	assert_string_equal(a->name, b->name);
	assert_int_equal(a->nsteps, b->nsteps);
	for (k = 0; k < a->nsteps; k++)
		assert_steq(&a->steps[k], &b->steps[k]);
	assert_int_equal(a->all, b->all);
	assert_int_equal(a->neps, b->neps);
	for (i = 0; i < a->neps; i++)
		assert_string_equal(a->eps[i], b->eps[i]);
	assert_int_equal(a->ntags, b->ntags);
	for (k = 0; k < a->ntags; k++)
		assert_string_equal(a->tags[k], b->tags[k]);
	assert_int_equal(a->continuous, b->continuous);
	assert_memory_equal(&a->rollout, &b->rollout, sizeof(a->rollout));
	assert_true(a->sched.start_at == b->sched.start_at);
	assert_true(a->sched.end_at == b->sched.end_at);
	assert_int_equal(a->sched.win_from, b->sched.win_from);
	assert_int_equal(a->sched.win_to, b->sched.win_to);
	assert_string_equal(a->sched.tz, b->sched.tz);
	assert_memory_equal(&a->pre, &b->pre, sizeof(a->pre));
}

/* print(r) parses back to r, also after a restart (now 0), and prints
 * the same again. */
static void
assert_round_trip(const struct job_req *r)
{
	struct job_req back;
	char *text, *again;

	assert_non_null(text = jobparse_print(r));
	if (parse_len(text, strlen(text), NULL, 0, &back) != 0)
		fail_msg("%s: %s: %s", text, field, err);
	assert_req_equal(r, &back);
	assert_non_null(again = jobparse_print(&back));
	assert_string_equal(text, again);
	free(again);
	free(text);
	jobparse_free(&back);
}

static const char example[] =
    "{\"name\": \"rotate the reporting period\","
    " \"steps\": ["
    "  {\"op\": \"write\", \"path\": \"/1/0/3\", \"value\": 60},"
    "  {\"op\": \"partial-write\", \"path\": \"/3/0\","
    "   \"value\": {\"14\": \"+01:00\"}},"
    "  {\"op\": \"write\", \"path\": \"/3/0/15\","
    "   \"senml\": [{\"n\": \"\", \"vs\": \"UTC\"}]},"
    "  {\"op\": \"execute\", \"path\": \"/3/0/4\", \"args\": \"0='now'\"},"
    "  {\"op\": \"write-attributes\", \"path\": \"/3303/0/5700\","
    "   \"attributes\": {\"pmin\": 10, \"pmax\": 60}},"
    "  {\"op\": \"create\", \"path\": \"/9\", \"value\": {\"0\": \"pkg\"}},"
    "  {\"op\": \"delete\", \"path\": \"/9/1\"},"
    "  {\"op\": \"firmware\", \"image\": \"" IMG "\"},"
    "  {\"op\": \"software\", \"image\": \"" IMG "\", \"instance\": 0,"
    "   \"action\": \"install\"},"
    "  {\"op\": \"execute\", \"path\": \"/3/0/4\","
    "   \"until\": {\"path\": \"/3/0/13\", \"equals\": 0}}"
    " ],"
    " \"target\": {\"endpoints\": [\"a\", \"b\"], \"tags\": [\"site-a\"],"
    "  \"all\": false, \"continuous\": false},"
    " \"rollout\": {\"group_size\": 100, \"max_concurrent\": 50,"
    "  \"rate\": {\"per_minute\": 10, \"ramp_factor\": 2,"
    "   \"ramp_every\": 5, \"max_per_minute\": 200},"
    "  \"failure\": {\"group_percent\": 20, \"overall_percent\": 10},"
    "  \"approval\": true, \"timeout_s\": 600, \"retries\": 2,"
    "  \"backoff_s\": 30},"
    " \"schedule\": {\"start_at\": \"2026-12-07T22:00:00Z\","
    "  \"end_at\": \"2026-12-08T06:00:00Z\","
    "  \"window\": {\"from\": \"22:00\", \"to\": \"04:00\","
    "   \"tz\": \"Europe/Berlin\"}},"
    " \"preconditions\": {\"battery_min\": 30, \"external_power\": true,"
    "  \"recheck_s\": 300}"
    "}";

/* The header's example, expanded. */
static void
test_example(void **state)
{
	struct job_req r;
	const struct job_step *s = r.steps;

	(void)state;
	if (parse(example, &r) != 0)
		fail_msg("%s: %s", field, err);
	assert_string_equal(r.name, "rotate the reporting period");
	assert_int_equal(r.nsteps, 12);
	assert_int_equal(s[0].kind, JSK_WRITE);
	assert_int_equal(s[0].method, DEVREQ_PUT);
	assert_string_equal(s[0].path, "1/0/3");
	assert_int_equal(s[0].senml, 1);
	assert_string_equal(s[0].body, "[{\"n\":\"/1/0/3\",\"v\":60}]");
	assert_int_equal(s[0].len, strlen(s[0].body));
	assert_int_equal(s[0].risk, 0);
	assert_string_equal(s[0].until.path, "");
	assert_int_equal(s[1].kind, JSK_PARTIAL_WRITE);
	assert_int_equal(s[1].method, DEVREQ_POST);
	assert_string_equal(s[1].path, "3/0");
	assert_string_equal(s[1].body, "[{\"n\":\"/3/0/14\",\"vs\":\"+01:00\"}]");
	assert_string_equal(s[2].body, "[{\"n\":\"/3/0/15\",\"vs\":\"UTC\"}]");
	assert_int_equal(s[3].kind, JSK_EXECUTE);
	assert_int_equal(s[3].method, DEVREQ_POST);
	assert_string_equal(s[3].body, "0='now'");
	assert_int_equal(s[3].content_format, 0);
	assert_int_equal(s[3].senml, 0);
	assert_int_equal(s[4].kind, JSK_WRITE_ATTRIBUTES);
	assert_int_equal(s[4].method, DEVREQ_PUT);
	assert_string_equal(s[4].path, "3303/0/5700");
	assert_string_equal(s[4].query, "pmin=10&pmax=60");
	assert_null(s[4].body);
	assert_int_equal(s[4].content_format, -1);
	/* A create goes to the object, the new instance in its body. */
	assert_int_equal(s[5].kind, JSK_CREATE);
	assert_int_equal(s[5].method, DEVREQ_POST);
	assert_string_equal(s[5].path, "9");
	assert_string_equal(s[5].body, "[{\"n\":\"/9/0/0\",\"vs\":\"pkg\"}]");
	assert_int_equal(s[6].kind, JSK_DELETE);
	assert_int_equal(s[6].method, DEVREQ_DELETE);
	assert_string_equal(s[6].path, "9/1");
	assert_null(s[6].body);
	/* firmware: the URI, then Update. */
	assert_int_equal(s[7].kind, JSK_FIRMWARE);
	assert_int_equal(s[7].method, DEVREQ_PUT);
	assert_string_equal(s[7].path, "5/0/1");
	assert_string_equal(s[7].image, IMG);
	assert_null(s[7].body);
	assert_int_equal(s[7].senml, 0);
	assert_int_equal(s[7].risk, JRISK_BATTERY | JRISK_UPDATE);
	assert_string_equal(s[7].until.path, "5/0/3");
	assert_true(s[7].until.equals == 2);
	assert_string_equal(s[7].until.fail_path, "5/0/5");
	assert_true(s[7].until.fail_at_least == 2);
	assert_int_equal(s[8].kind, JSK_FIRMWARE);
	assert_int_equal(s[8].method, DEVREQ_POST);
	assert_string_equal(s[8].path, "5/0/2");
	assert_string_equal(s[8].image, "");
	assert_int_equal(s[8].risk, JRISK_BATTERY | JRISK_APPLY);
	assert_string_equal(s[8].until.path, "5/0/5");
	assert_true(s[8].until.equals == 1);
	assert_string_equal(s[8].until.fail_path, "5/0/5");
	assert_true(s[8].until.fail_at_least == 2);
	/* software install: the URI, then Install. */
	assert_int_equal(s[9].kind, JSK_SOFTWARE);
	assert_int_equal(s[9].method, DEVREQ_PUT);
	assert_string_equal(s[9].path, "9/0/3");
	assert_string_equal(s[9].image, IMG);
	assert_int_equal(s[9].risk, JRISK_BATTERY);
	assert_string_equal(s[9].until.path, "9/0/7");
	assert_true(s[9].until.equals == 3);
	assert_string_equal(s[9].until.fail_path, "9/0/9");
	assert_true(s[9].until.fail_at_least == 50);
	assert_int_equal(s[10].method, DEVREQ_POST);
	assert_string_equal(s[10].path, "9/0/4");
	assert_string_equal(s[10].until.path, "9/0/7");
	assert_true(s[10].until.equals == 4);
	assert_string_equal(s[10].until.fail_path, "9/0/9");
	assert_string_equal(s[11].path, "3/0/4");
	assert_string_equal(s[11].until.path, "3/0/13");
	assert_true(s[11].until.equals == 0);
	assert_string_equal(s[11].until.fail_path, "");
	/* target */
	assert_int_equal(r.neps, 2);
	assert_string_equal(r.eps[0], "a");
	assert_string_equal(r.eps[1], "b");
	assert_int_equal(r.ntags, 1);
	assert_string_equal(r.tags[0], "site-a");
	assert_int_equal(r.all, 0);
	assert_int_equal(r.continuous, 0);
	/* rollout */
	assert_int_equal(r.rollout.groups, 0);
	assert_int_equal(r.rollout.group_size, 100);
	assert_int_equal(r.rollout.group_percent, 0);
	assert_int_equal(r.rollout.max_concurrent, 50);
	assert_true(r.rollout.rate == 10);
	assert_true(r.rollout.ramp_factor == 2);
	assert_int_equal(r.rollout.ramp_every, 5);
	assert_true(r.rollout.rate_max == 200);
	assert_int_equal(r.rollout.fail_group_percent, 20);
	assert_int_equal(r.rollout.fail_overall_percent, 10);
	assert_int_equal(r.rollout.approval, 1);
	assert_int_equal(r.rollout.timeout_s, 600);
	assert_int_equal(r.rollout.retries, 2);
	assert_int_equal(r.rollout.backoff_s, 30);
	/* schedule */
	assert_true(r.sched.start_at == NOW + 22 * 3600);
	assert_true(r.sched.end_at == NOW + 30 * 3600);
	assert_int_equal(r.sched.win_from, 22 * 60);
	assert_int_equal(r.sched.win_to, 4 * 60);
	assert_string_equal(r.sched.tz, "Europe/Berlin");
	assert_int_equal(r.pre.battery_min, 30);
	assert_int_equal(r.pre.external_power, 1);
	assert_int_equal(r.pre.recheck_s, 300);
	assert_round_trip(&r);
	jobparse_free(&r);
	/* Freed twice is fine. */
	jobparse_free(&r);
}

/* What is not given is the header's default. */
static void
test_defaults(void **state)
{
	struct job_req r;

	(void)state;
	assert_int_equal(parse_steps("[{\"op\": \"delete\", \"path\": "
	    "\"/9/1\"}]", &r), 0);
	assert_string_equal(r.name, "");
	assert_int_equal(r.nsteps, 1);
	assert_int_equal(r.rollout.groups, 0);
	assert_int_equal(r.rollout.group_size, 0);
	assert_int_equal(r.rollout.group_percent, 0);
	assert_int_equal(r.rollout.max_concurrent, -1);
	assert_true(r.rollout.rate == 0 && r.rollout.ramp_factor == 0 &&
	    r.rollout.rate_max == 0);
	assert_int_equal(r.rollout.ramp_every, 0);
	assert_int_equal(r.rollout.fail_group_percent, -1);
	assert_int_equal(r.rollout.fail_overall_percent, -1);
	assert_int_equal(r.rollout.approval, 0);
	assert_int_equal(r.rollout.timeout_s, -1);
	assert_int_equal(r.rollout.retries, -1);
	assert_int_equal(r.rollout.backoff_s, -1);
	assert_true(r.sched.start_at == 0 && r.sched.end_at == 0);
	assert_int_equal(r.sched.win_from, -1);
	assert_int_equal(r.sched.win_to, -1);
	assert_string_equal(r.sched.tz, "");
	assert_int_equal(r.pre.battery_min, -1);
	assert_int_equal(r.pre.external_power, 0);
	assert_int_equal(r.pre.recheck_s, -1);
	assert_round_trip(&r);
	jobparse_free(&r);
}

/* The forms of value and senml, and the bodies they make. */
static void
test_bodies(void **state)
{
	static const struct {
		const char	*steps;
		const char	*path;
		const char	*body;
	} ok[] = {
		/* An instance: resources, a resource with instances. */
		{ "[{\"op\": \"write\", \"path\": \"/1/0\", \"value\": "
		  "{\"3\": 5, \"25\": {\"0\": \"1.1\", \"1\": \"1.2\"}}}]",
		  "1/0", "[{\"n\":\"/1/0/3\",\"v\":5},{\"n\":\"/1/0/25/0\","
		  "\"vs\":\"1.1\"},{\"n\":\"/1/0/25/1\",\"vs\":\"1.2\"}]" },
		/* A resource with instances: instance ids to values. */
		{ "[{\"op\": \"write\", \"path\": \"/2/0/2\", \"value\": "
		  "{\"0\": 7, \"3\": 1}}]", "2/0/2",
		  "[{\"n\":\"/2/0/2/0\",\"v\":7},{\"n\":\"/2/0/2/3\",\"v\":1}]" },
		/* A resource instance. */
		{ "[{\"op\": \"write\", \"path\": \"/2/0/2/4\", \"value\": "
		  "31}]", "2/0/2/4", "[{\"n\":\"/2/0/2/4\",\"v\":31}]" },
		/* An Objlnk takes a string as "vlo". */
		{ "[{\"op\": \"write\", \"path\": \"/1/0/10\", \"value\": "
		  "\"11:0\"}]", "1/0/10", "[{\"n\":\"/1/0/10\",\"vlo\":\"11:0\"}]" },
		/* senml: bn carries, names relative, other fields kept. */
		{ "[{\"op\": \"write\", \"path\": \"/1/0\", \"senml\": ["
		  "{\"bn\": \"25/\", \"n\": \"0\", \"vs\": \"a\", \"t\": 5},"
		  "{\"n\": \"1\", \"vs\": \"b\"}]}]", "1/0",
		  "[{\"n\":\"/1/0/25/0\",\"vs\":\"a\",\"t\":5},"
		  "{\"n\":\"/1/0/25/1\",\"vs\":\"b\"}]" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0/13\", \"value\": "
		  "-1.5e3}]", "3/0/13", "[{\"n\":\"/3/0/13\",\"v\":-1500}]" },
		{ "[{\"op\": \"write\", \"path\": \"/3311/0/5850\", \"value\": "
		  "true}]", "3311/0/5850", "[{\"n\":\"/3311/0/5850\",\"vb\":true}]" },
		/* A create at an instance goes to the object. */
		{ "[{\"op\": \"create\", \"path\": \"/9/3\", \"value\": "
		  "{\"14\": \"u\"}}]", "9", "[{\"n\":\"/9/3/14\",\"vs\":\"u\"}]" },
		{ "[{\"op\": \"create\", \"path\": \"/9\", \"senml\": "
		  "[{\"n\": \"4/14\", \"vs\": \"u\"}]}]", "9",
		  "[{\"n\":\"/9/4/14\",\"vs\":\"u\"}]" },
		/* A create at an object may have no body. */
		{ "[{\"op\": \"create\", \"path\": \"/9\"}]", "9", NULL },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"args\": \"\"}]",
		  "3/0/4", NULL },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\"}]", "3/0/4",
		  NULL },
	};
	struct job_req r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (parse_steps(ok[i].steps, &r) != 0)
			fail_msg("%zu: %s: %s", i, field, err);
		assert_int_equal(r.nsteps, 1);
		assert_string_equal(r.steps[0].path, ok[i].path);
		if (ok[i].body == NULL)
			assert_null(r.steps[0].body);
		else {
			assert_string_equal(r.steps[0].body, ok[i].body);
			assert_int_equal(r.steps[0].senml, 1);
			assert_int_equal(r.steps[0].content_format, 110);
		}
		assert_round_trip(&r);
		jobparse_free(&r);
	}
}

/* Software actions and their conditions. */
static void
test_software(void **state)
{
	static const struct {
		const char	*action;
		const char	*path;
		const char	*until;
		double		 equals;
	} acts[] = {
		{ "activate", "9/2/10", "9/2/12", 1 },
		{ "deactivate", "9/2/11", "9/2/12", 0 },
		{ "uninstall", "9/2/6", "9/2/7", 0 },
	};
	char steps[256];
	struct job_req r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		snprintf(steps, sizeof(steps), "[{\"op\": \"software\", "
		    "\"instance\": 2, \"action\": \"%s\"}]", acts[i].action);
		if (parse_steps(steps, &r) != 0)
			fail_msg("%s: %s: %s", acts[i].action, field, err);
		assert_int_equal(r.nsteps, 1);
		assert_int_equal(r.steps[0].kind, JSK_SOFTWARE);
		assert_int_equal(r.steps[0].method, DEVREQ_POST);
		assert_string_equal(r.steps[0].path, acts[i].path);
		assert_string_equal(r.steps[0].until.path, acts[i].until);
		assert_true(r.steps[0].until.equals == acts[i].equals);
		assert_string_equal(r.steps[0].image, "");
		assert_int_equal(r.steps[0].risk, JRISK_BATTERY);
		assert_round_trip(&r);
		jobparse_free(&r);
	}
	assert_string_equal(jobparse_kind_name(JSK_WRITE), "write");
	assert_string_equal(jobparse_kind_name(JSK_PARTIAL_WRITE),
	    "partial-write");
	assert_string_equal(jobparse_kind_name(JSK_SOFTWARE), "software");
	assert_string_equal(jobparse_kind_name(JSK__COUNT), "unknown");
	assert_string_equal(jobparse_kind_name(-1), "unknown");
}

/* Each refusal names its member. */
static void
test_errors(void **state)
{
	static const struct {
		const char	*steps;		/* NULL: rest is the body */
		const char	*rest;
		const char	*field;
		const char	*reason;	/* a part of it */
	} bad[] = {
		/* the body */
		{ NULL, "", "body", "empty" },
		{ NULL, "[]", "body", "JSON object" },
		{ NULL, "{\"steps\": []", "body", "JSON object" },
		{ NULL, "{} {}", "body", "JSON object" },
		{ NULL, "{\"name\": \"a\\u0000b\"}", "body", "NUL" },
		{ NULL, "{\"x\": 1}", "x", "unknown member (known: name, "
		  "steps, target, rollout, schedule, preconditions)" },
		{ NULL, "{\"x y\": 1}", "body", "its name not shown" },
		{ NULL, "{\"target\": {\"all\": true}}", "steps", "missing" },
		{ NULL, "{\"steps\": [{\"op\": \"delete\", \"path\": \"/9/1\"}]}",
		  "target", "missing" },
		{ NULL, "{\"name\": 5}", "name", "text" },
		/* steps */
		{ "{}", "", "steps", "array" },
		{ "[]", "", "steps", "has no steps" },
		{ "[5]", "", "steps[0]", "JSON object" },
		{ "[{}]", "", "steps[0].op", "missing" },
		{ "[{\"op\": \"read\"}]", "", "steps[0].op",
		  "write, partial-write, execute, write-attributes, create, "
		  "delete, firmware or software" },
		{ "[{\"op\": 5}]", "", "steps[0].op", "unknown op" },
		{ "[{\"op\": \"delete\", \"path\": \"/9/1\", \"value\": 1}]", "",
		  "steps[0].value", "unknown member (known: op, path, until)" },
		{ "[{\"op\": \"delete\", \"path\": \"/9/1\", \"op\": \"delete\"}]",
		  "", "steps[0].op", "given twice" },
		{ "[{\"op\": \"delete\"}]", "", "steps[0].path", "missing" },
		{ "[{\"op\": \"delete\", \"path\": \"9/1\"}]", "",
		  "steps[0].path", "not an LwM2M path" },
		{ "[{\"op\": \"delete\", \"path\": \"/9/01\"}]", "",
		  "steps[0].path", "not an LwM2M path" },
		{ "[{\"op\": \"delete\", \"path\": \"/9/65536\"}]", "",
		  "steps[0].path", "not an LwM2M path" },
		{ "[{\"op\": \"delete\", \"path\": \"/9\"}]", "",
		  "steps[0].path", "object instance" },
		{ "[{\"op\": \"delete\", \"path\": \"/99/0\"}]", "",
		  "steps[0].path", "path outside the model: object 99 is not "
		  "known (add its DDF to [lwm2m] models_dir)" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0/99\", \"value\": 1}]",
		  "", "steps[0].path", "path outside the model: object 3 "
		  "(Device) has no resource 99" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0/0\", \"value\": \"x\"}]",
		  "", "steps[0].path", "resource 0 (Manufacturer) of object 3 "
		  "is not writable" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0/14/0\", \"value\": "
		  "\"x\"}]", "", "steps[0].path", "single instance" },
		{ "[{\"op\": \"write\", \"path\": \"/3\", \"value\": 1}]", "",
		  "steps[0].path", "an instance, a resource" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/15\"}]", "",
		  "steps[0].path", "is not executable" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0\"}]", "",
		  "steps[0].path", "a resource" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"args\": "
		  "\"now\"}]", "", "steps[0].args", "starts with a digit" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"args\": 0}]",
		  "", "steps[0].args", "string" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0/15\"}]", "",
		  "steps[0].value", "missing" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0/15\", \"value\": \"x\", "
		  "\"senml\": []}]", "", "steps[0].senml", "not both" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0/15\", \"value\": 5}]", "",
		  "steps[0].value", "give its value as \"vs\"" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0/13\", \"value\": 1.5}]",
		  "", "steps[0].value", "not an integer" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0/13\", \"value\": null}]",
		  "", "steps[0].value", "a number, a string or a boolean" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0/13\", \"value\": 1e999}]",
		  "", "steps[0].value", "finite" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0\", \"value\": 1}]", "",
		  "steps[0].value", "object of resource ids" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0\", \"value\": {}}]", "",
		  "steps[0].value", "names no resource" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0\", \"value\": "
		  "{\"x\": 1}}]", "", "steps[0].value", "'x' is not a resource "
		  "id" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0\", \"value\": "
		  "{\"014\": 1}}]", "", "steps[0].value", "is not a resource "
		  "id" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0\", \"value\": "
		  "{\"0\": \"x\"}}]", "", "steps[0].value", "/3/0/0: resource 0 "
		  "(Manufacturer) of object 3 is not writable" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0\", \"value\": "
		  "{\"15\": \"x\", \"15\": \"y\"}}]", "", "steps[0].value",
		  "written twice" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0/15\", \"senml\": []}]",
		  "", "steps[0].senml", "one record or more" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0/15\", \"senml\": "
		  "[5]}]", "", "steps[0].senml", "record 0 is not" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0\", \"senml\": "
		  "[{\"n\": \"/3/0/15\", \"vs\": \"x\"}]}]", "", "steps[0].senml",
		  "relative" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0\", \"senml\": "
		  "[{\"n\": \"15\", \"n\": \"15\", \"vs\": \"x\"}]}]", "",
		  "steps[0].senml", "a field twice" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0\", \"senml\": "
		  "[{\"n\": 15, \"vs\": \"x\"}]}]", "", "steps[0].senml",
		  "not a name" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0\", \"senml\": "
		  "[{\"n\": \"15\"}]}]", "", "steps[0].senml", "no value" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0\", \"senml\": "
		  "[{\"n\": \"15\", \"vs\": \"x\", \"bv\": 1}]}]", "",
		  "steps[0].senml", "base value" },
		{ "[{\"op\": \"write\", \"path\": \"/3/0\", \"senml\": "
		  "[{\"n\": \"15/\", \"vs\": \"x\"}]}]", "", "steps[0].senml",
		  "not an LwM2M path" },
		{ "[{\"op\": \"partial-write\", \"path\": \"/3/0/15\", "
		  "\"value\": \"x\"}]", "", "steps[0].path", "object instance" },
		{ "[{\"op\": \"create\", \"path\": \"/9/0/1\", \"value\": 1}]",
		  "", "steps[0].path", "an object or an object instance" },
		{ "[{\"op\": \"create\", \"path\": \"/9/1\"}]", "",
		  "steps[0].value", "missing" },
		{ "[{\"op\": \"create\", \"path\": \"/9\", \"senml\": "
		  "[{\"n\": \"4\", \"vs\": \"u\"}]}]", "", "steps[0].senml",
		  "under" },
		{ "[{\"op\": \"create\", \"path\": \"/9\", \"value\": "
		  "{\"4\": \"u\"}}]", "", "steps[0].value", "executed" },
		{ "[{\"op\": \"write-attributes\", \"path\": \"/3/0/9\"}]", "",
		  "steps[0].attributes", "missing" },
		{ "[{\"op\": \"write-attributes\", \"path\": \"/3/0/9\", "
		  "\"attributes\": []}]", "", "steps[0].attributes", "object" },
		{ "[{\"op\": \"write-attributes\", \"path\": \"/3/0/9\", "
		  "\"attributes\": {\"pmin\": 60, \"pmax\": 10}}]", "",
		  "steps[0].attributes", "pmin must not be above pmax" },
		{ "[{\"op\": \"write-attributes\", \"path\": \"/3/0/9\", "
		  "\"attributes\": {\"x\": 1}}]", "", "steps[0].attributes",
		  "unknown attribute" },
		{ "[{\"op\": \"firmware\"}]", "", "steps[0].image", "missing" },
		{ "[{\"op\": \"firmware\", \"image\": \"0123456789ABCDEF\"}]",
		  "", "steps[0].image", "image id" },
		{ "[{\"op\": \"firmware\", \"image\": \"" IMG "0\"}]", "",
		  "steps[0].image", "image id" },
		{ "[{\"op\": \"firmware\", \"image\": \"" IMG "\", \"until\": "
		  "{}}]", "", "steps[0].until", "unknown member (known: op, "
		  "image)" },
		{ "[{\"op\": \"software\", \"instance\": 65536, \"action\": "
		  "\"activate\"}]", "", "steps[0].instance", "0..65535" },
		{ "[{\"op\": \"software\", \"instance\": 0}]", "",
		  "steps[0].action", "missing" },
		{ "[{\"op\": \"software\", \"instance\": 0, \"action\": "
		  "\"start\"}]", "", "steps[0].action", "install, activate" },
		{ "[{\"op\": \"software\", \"instance\": 0, \"action\": "
		  "\"install\"}]", "", "steps[0].image", "missing" },
		{ "[{\"op\": \"software\", \"instance\": 0, \"action\": "
		  "\"activate\", \"image\": \"" IMG "\"}]", "", "steps[0].image",
		  "only an install" },
		/* until */
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"until\": 5}]",
		  "", "steps[0].until", "JSON object" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"until\": "
		  "{\"equals\": 1}}]", "", "steps[0].until.path", "missing" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"until\": "
		  "{\"path\": \"/3/0/13\"}}]", "", "steps[0].until.equals",
		  "missing" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"until\": "
		  "{\"path\": \"/3/0/13\", \"equals\": \"1\"}}]", "",
		  "steps[0].until.equals", "number or a boolean" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"until\": "
		  "{\"path\": \"/3/0/15\", \"equals\": 1}}]", "",
		  "steps[0].until.path", "until compares numbers" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"until\": "
		  "{\"path\": \"/3/0/5\", \"equals\": 1}}]", "",
		  "steps[0].until.path", "not readable" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"until\": "
		  "{\"path\": \"/3/0\", \"equals\": 1}}]", "",
		  "steps[0].until.path", "a resource" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"until\": "
		  "{\"path\": \"/3/0/13\", \"equals\": 1, \"fail_path\": "
		  "\"/5/0/5\"}}]", "", "steps[0].until.fail_at_least",
		  "go together" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"until\": "
		  "{\"path\": \"/3/0/13\", \"equals\": 1, \"fail_at_least\": "
		  "2}}]", "", "steps[0].until.fail_path", "go together" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"until\": "
		  "{\"path\": \"/3/0/13\", \"equals\": 1, \"fail_path\": "
		  "\"/77/0/5\", \"fail_at_least\": 2}}]", "",
		  "steps[0].until.fail_path", "object 77 is not known" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"until\": "
		  "{\"path\": \"/3/0/13\", \"equals\": 1, \"fail_path\": "
		  "\"/5/0/5\", \"fail_at_least\": true}}]", "",
		  "steps[0].until.fail_at_least", "finite number" },
		{ "[{\"op\": \"execute\", \"path\": \"/3/0/4\", \"until\": "
		  "{\"path\": \"/3/0/13\", \"equals\": 1, \"x\": 2}}]", "",
		  "steps[0].until.x", "unknown member" },
		/* the second step is the one named */
		{ "[{\"op\": \"delete\", \"path\": \"/9/1\"}, {\"op\": "
		  "\"write\", \"path\": \"/3/0/15\", \"value\": 5}]", "",
		  "steps[1].value", "vs" },
	};
	char buf[4096];
	struct job_req r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i].steps == NULL)
			snprintf(buf, sizeof(buf), "%s", bad[i].rest);
		else
			snprintf(buf, sizeof(buf), "{\"steps\": %s, \"target\": "
			    "{\"all\": true}%s}", bad[i].steps, bad[i].rest);
		if (parse(buf, &r) != -1)
			fail_msg("%zu accepted: %s", i, buf);
		if (strcmp(field, bad[i].field) != 0 ||
		    strstr(err, bad[i].reason) == NULL)
			fail_msg("%zu: %s: field '%s' (want '%s'), reason '%s' "
			    "(want '%s')", i, buf, field, bad[i].field, err,
			    bad[i].reason);
		jobparse_free(&r);
	}
}

/* The refusals of target, rollout, schedule and preconditions. */
static void
test_errors_rest(void **state)
{
	static const struct {
		const char	*rest;
		const char	*field;
		const char	*reason;
	} bad[] = {
		{ ", \"target\": 5", "target", "JSON object" },
		{ ", \"target\": {}", "target", "names no device" },
		{ ", \"target\": {\"all\": false}", "target", "names no device" },
		{ ", \"target\": {\"eps\": [\"a\"]}", "target.eps",
		  "unknown member (known: endpoints, tags, all, continuous)" },
		{ ", \"target\": {\"all\": 1}", "target.all", "true or false" },
		{ ", \"target\": {\"all\": true, \"tags\": [\"x\"]}",
		  "target.all", "without endpoints or tags" },
		{ ", \"target\": {\"continuous\": \"yes\", \"all\": true}",
		  "target.continuous", "true or false" },
		{ ", \"target\": {\"endpoints\": []}", "target.endpoints",
		  "is empty" },
		{ ", \"target\": {\"endpoints\": \"a\"}", "target.endpoints",
		  "array" },
		{ ", \"target\": {\"endpoints\": [\"a\", 5]}",
		  "target.endpoints[1]", "not an endpoint name" },
		{ ", \"target\": {\"endpoints\": [\"a%b\"]}",
		  "target.endpoints[0]", "not an endpoint name" },
		{ ", \"target\": {\"endpoints\": [\"\"]}",
		  "target.endpoints[0]", "not an endpoint name" },
		{ ", \"target\": {\"endpoints\": [\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}",
		  "target.endpoints[0]", "not an endpoint name" },
		{ ", \"target\": {\"tags\": []}", "target.tags", "is empty" },
		{ ", \"target\": {\"tags\": [\"a b\"]}", "target.tags",
		  "tags[0] is not a tag" },
		{ ", \"target\": {\"tags\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\","
		  "\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\","
		  "\"q\"]}", "target.tags", "more than 16 tags" },
		/* rollout */
		{ ", \"target\": {\"all\": true}, \"rollout\": []", "rollout",
		  "JSON object" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"group\": 1}",
		  "rollout.group", "unknown member" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"groups\": 0}",
		  "rollout.groups", "1..1000" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"groups\": "
		  "1001}", "rollout.groups", "1..1000" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"groups\": "
		  "2.5}", "rollout.groups", "whole number" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"groups\": "
		  "1e999}", "rollout.groups", "whole number" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"groups\": "
		  "\"3\"}", "rollout.groups", "whole number" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"group_size\": "
		  "100001}", "rollout.group_size", "1..100000" },
		{ ", \"target\": {\"all\": true}, \"rollout\": "
		  "{\"group_percent\": 101}", "rollout.group_percent", "1..100" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"groups\": 2, "
		  "\"group_size\": 5}", "rollout", "one of groups, group_size" },
		{ ", \"target\": {\"all\": true}, \"rollout\": "
		  "{\"max_concurrent\": 0}", "rollout.max_concurrent",
		  "1..100000" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"timeout_s\": "
		  "0}", "rollout.timeout_s", "1..2592000" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"timeout_s\": "
		  "2592001}", "rollout.timeout_s", "1..2592000" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"retries\": "
		  "-1}", "rollout.retries", "0..100" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"backoff_s\": "
		  "86401}", "rollout.backoff_s", "0..86400" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"approval\": "
		  "\"yes\"}", "rollout.approval", "true or false" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"failure\": "
		  "{\"group_percent\": 101}}", "rollout.failure.group_percent",
		  "0..100" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"failure\": "
		  "{\"overall_percent\": -1}}",
		  "rollout.failure.overall_percent", "0..100" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"failure\": "
		  "{\"percent\": 1}}", "rollout.failure.percent",
		  "unknown member" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"rate\": 10}",
		  "rollout.rate", "JSON object" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"rate\": {}}",
		  "rollout.rate.per_minute", "missing" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"rate\": "
		  "{\"per_minute\": 0}}", "rollout.rate.per_minute",
		  "above 0" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"rate\": "
		  "{\"per_minute\": -5}}", "rollout.rate.per_minute",
		  "above 0" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"rate\": "
		  "{\"per_minute\": 1e999}}", "rollout.rate.per_minute",
		  "above 0" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"rate\": "
		  "{\"per_minute\": 10, \"ramp_factor\": 1, \"ramp_every\": 5}}",
		  "rollout.rate.ramp_factor", "above 1" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"rate\": "
		  "{\"per_minute\": 10, \"ramp_factor\": 2}}",
		  "rollout.rate.ramp_every", "go together" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"rate\": "
		  "{\"per_minute\": 10, \"ramp_every\": 2}}",
		  "rollout.rate.ramp_factor", "go together" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"rate\": "
		  "{\"per_minute\": 10, \"ramp_factor\": 2, \"ramp_every\": 0}}",
		  "rollout.rate.ramp_every", "1..100000" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {\"rate\": "
		  "{\"per_minute\": 10, \"max_per_minute\": 5}}",
		  "rollout.rate.max_per_minute", "at least per_minute" },
		/* schedule */
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"at\": 1}",
		  "schedule.at", "unknown member" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"start_at\": "
		  "\"2026-12-06T23:59:59Z\"}", "schedule.start_at",
		  "in the past" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"start_at\": "
		  "1}", "schedule.start_at", "in the past" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"start_at\": "
		  "\"2026-12-07\"}", "schedule.start_at", "RFC 3339" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"start_at\": "
		  "-1}", "schedule.start_at", "RFC 3339" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"start_at\": "
		  "1796688000.5}", "schedule.start_at", "RFC 3339" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"end_at\": "
		  "\"2026-12-06T00:00:00Z\"}", "schedule.end_at",
		  "in the past" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"start_at\": "
		  "\"2026-12-09T00:00:00Z\", \"end_at\": "
		  "\"2026-12-09T00:00:00Z\"}", "schedule.end_at",
		  "after start_at" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"window\": "
		  "{\"to\": \"04:00\"}}", "schedule.window.from", "missing" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"window\": "
		  "{\"from\": \"04:00\"}}", "schedule.window.to", "missing" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"window\": "
		  "{\"from\": \"24:00\", \"to\": \"04:00\"}}",
		  "schedule.window.from", "HH:MM" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"window\": "
		  "{\"from\": \"4:00\", \"to\": \"04:00\"}}",
		  "schedule.window.from", "HH:MM" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"window\": "
		  "{\"from\": \"04:00\", \"to\": 400}}", "schedule.window.to",
		  "HH:MM" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"window\": "
		  "{\"from\": \"04:00\", \"to\": \"04:00\"}}", "schedule.window",
		  "the window never opens" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"window\": "
		  "{\"from\": \"04:00\", \"to\": \"05:00\", \"tz\": "
		  "\"../etc/passwd\"}}", "schedule.window.tz", "zone name" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"window\": "
		  "{\"from\": \"04:00\", \"to\": \"05:00\", \"tz\": \"\"}}",
		  "schedule.window.tz", "zone name" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"window\": "
		  "{\"from\": \"04:00\", \"to\": \"05:00\", \"tz\": \"/UTC\"}}",
		  "schedule.window.tz", "zone name" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"window\": "
		  "{\"from\": \"04:00\", \"to\": \"05:00\", \"tz\": "
		  "\"Europe//Berlin\"}}", "schedule.window.tz", "zone name" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"window\": "
		  "{\"from\": \"04:00\", \"to\": \"05:00\", \"tz\": "
		  "\"Europe/Berlin/\"}}", "schedule.window.tz", "zone name" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"window\": "
		  "{\"from\": \"04:00\", \"to\": \"05:00\", \"tz\": "
		  "\"Etc/GMT+5 \"}}", "schedule.window.tz", "zone name" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"window\": "
		  "{\"from\": \"04:00\", \"to\": \"05:00\", \"tz\": "
		  "\"Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aa/B\"}}", "schedule.window.tz", "zone name" },
		{ ", \"target\": {\"all\": true}, \"schedule\": {\"window\": "
		  "{\"from\": \"04:00\", \"to\": \"05:00\", \"zone\": \"UTC\"}}",
		  "schedule.window.zone", "unknown member" },
		/* preconditions */
		{ ", \"target\": {\"all\": true}, \"preconditions\": "
		  "{\"battery_min\": 101}", "preconditions.battery_min",
		  "0..100" },
		{ ", \"target\": {\"all\": true}, \"preconditions\": "
		  "{\"external_power\": 1}", "preconditions.external_power",
		  "true or false" },
		{ ", \"target\": {\"all\": true}, \"preconditions\": "
		  "{\"recheck_s\": 0}", "preconditions.recheck_s", "1..86400" },
		{ ", \"target\": {\"all\": true}, \"preconditions\": "
		  "{\"battery\": 5}", "preconditions.battery", "unknown member" },
		{ ", \"target\": {\"all\": true}, \"rollout\": {}, "
		  "\"rollout\": {}", "rollout", "given twice" },
	};
	struct job_req r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_rest(bad[i].rest, &r) != -1)
			fail_msg("%zu accepted: %s", i, bad[i].rest);
		if (strcmp(field, bad[i].field) != 0 ||
		    strstr(err, bad[i].reason) == NULL)
			fail_msg("%zu: %s: field '%s' (want '%s'), reason '%s' "
			    "(want '%s')", i, bad[i].rest, field, bad[i].field,
			    err, bad[i].reason);
		jobparse_free(&r);
	}
}

/* More steps than a job holds, once expanded. */
static void
test_steps_max(void **state)
{
	char buf[8192];
	struct job_req r;
	size_t n;
	int i;

	(void)state;
	/* 16 firmware steps are 32 primitive steps: they fit. */
	n = (size_t)snprintf(buf, sizeof(buf), "[");
	for (i = 0; i < 16; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s{\"op\": "
		    "\"firmware\", \"image\": \"" IMG "\"}", i ? "," : "");
	snprintf(buf + n, sizeof(buf) - n, "]");
	assert_int_equal(parse_steps(buf, &r), 0);
	assert_int_equal(r.nsteps, JOB_STEPS_MAX);
	assert_round_trip(&r);
	jobparse_free(&r);
	/* One more delete does not. */
	snprintf(buf + n, sizeof(buf) - n, ",{\"op\": \"delete\", \"path\": "
	    "\"/9/1\"}]");
	assert_int_equal(parse_steps(buf, &r), -1);
	assert_string_equal(field, "steps");
	assert_non_null(strstr(err, "more than 32 steps once expanded"));
	jobparse_free(&r);
	/* 31 deletes and a firmware step: 33. */
	n = (size_t)snprintf(buf, sizeof(buf), "[");
	for (i = 0; i < 31; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"op\": "
		    "\"delete\", \"path\": \"/9/%d\"},", i);
	snprintf(buf + n, sizeof(buf) - n, "{\"op\": \"firmware\", \"image\": "
	    "\"" IMG "\"}]");
	assert_int_equal(parse_steps(buf, &r), -1);
	assert_string_equal(field, "steps");
	jobparse_free(&r);
	/* 33 steps as written. */
	n = (size_t)snprintf(buf, sizeof(buf), "[");
	for (i = 0; i < 33; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s{\"op\": "
		    "\"delete\", \"path\": \"/9/%d\"}", i ? "," : "", i);
	snprintf(buf + n, sizeof(buf) - n, "]");
	assert_int_equal(parse_steps(buf, &r), -1);
	assert_string_equal(field, "steps");
	assert_non_null(strstr(err, "more than 32 steps"));
	jobparse_free(&r);
}

/* A step's body over JOB_STEP_BODY_MAX, and one just under. */
static void
test_step_body_max(void **state)
{
	char *buf = malloc(3 * JOB_STEP_BODY_MAX);
	struct job_req r;
	size_t n;

	(void)state;
	assert_non_null(buf);
	/* [{"n":"/3/0/15","vs":"xxx"}] is 25 bytes and the string. */
	n = (size_t)snprintf(buf, 3 * JOB_STEP_BODY_MAX, "[{\"op\": \"write\", "
	    "\"path\": \"/3/0/15\", \"value\": \"");
	memset(buf + n, 'x', JOB_STEP_BODY_MAX - 25);
	n += JOB_STEP_BODY_MAX - 25;
	snprintf(buf + n, 3 * JOB_STEP_BODY_MAX - n, "\"}]");
	if (parse_steps(buf, &r) != 0)
		fail_msg("%s: %s", field, err);
	assert_int_equal(r.steps[0].len, JOB_STEP_BODY_MAX);
	assert_round_trip(&r);
	jobparse_free(&r);
	snprintf(buf + n, 3 * JOB_STEP_BODY_MAX - n, "x\"}]");
	assert_int_equal(parse_steps(buf, &r), -1);
	assert_string_equal(field, "steps[0].value");
	assert_non_null(strstr(err, "over the 4096-byte limit"));
	jobparse_free(&r);
	free(buf);
}

/* Endpoints: duplicates dropped, the first kept, in order; the limit. */
static void
test_endpoints(void **state)
{
	struct job_req r;
	size_t n, cap = (size_t)(JOB_MAX_DEVICES + 2) * 12 + 256, i;
	char *buf;

	(void)state;
	assert_int_equal(parse_rest(", \"target\": {\"endpoints\": [\"c\", "
	    "\"a\", \"c\", \"b\", \"a\", \"c\"], \"continuous\": true}", &r),
	    0);
	assert_int_equal(r.neps, 3);
	assert_string_equal(r.eps[0], "c");
	assert_string_equal(r.eps[1], "a");
	assert_string_equal(r.eps[2], "b");
	assert_int_equal(r.continuous, 1);
	assert_round_trip(&r);
	jobparse_free(&r);
	/* Tags sorted and distinct. */
	assert_int_equal(parse_rest(", \"target\": {\"tags\": [\"z\", \"a\", "
	    "\"z\"]}", &r), 0);
	assert_int_equal(r.ntags, 2);
	assert_string_equal(r.tags[0], "a");
	assert_string_equal(r.tags[1], "z");
	assert_round_trip(&r);
	jobparse_free(&r);
	/* JOB_MAX_DEVICES endpoints fit; one more does not. */
	assert_non_null(buf = malloc(cap));
	n = (size_t)snprintf(buf, cap, "{\"steps\": [{\"op\": \"delete\", "
	    "\"path\": \"/9/1\"}], \"target\": {\"endpoints\": [");
	for (i = 0; i < JOB_MAX_DEVICES; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s\"n%zu\"",
		    i ? "," : "", i);
	n += (size_t)snprintf(buf + n, cap - n, "]}}");
	if (parse_len(buf, n, NULL, NOW, &r) != 0)
		fail_msg("%s: %s", field, err);
	assert_int_equal(r.neps, JOB_MAX_DEVICES);
	assert_string_equal(r.eps[JOB_MAX_DEVICES - 1], "n99999");
	assert_round_trip(&r);
	jobparse_free(&r);
	n -= 3;
	n += (size_t)snprintf(buf + n, cap - n, ",\"x\"]}}");
	assert_int_equal(parse_len(buf, n, NULL, NOW, &r), -1);
	assert_string_equal(field, "target.endpoints");
	assert_non_null(strstr(err, "more than 100000"));
	jobparse_free(&r);
	free(buf);
}

/* Times: RFC 3339 forms, Unix seconds, and now 0. */
static void
test_times(void **state)
{
	static const struct {
		const char	*at;
		int64_t		 t;
	} ok[] = {
		{ "\"2026-12-07T22:00:00Z\"", NOW + 22 * 3600 },
		{ "\"2026-12-07t22:00:00z\"", NOW + 22 * 3600 },
		{ "\"2026-12-07T23:00:00+01:00\"", NOW + 22 * 3600 },
		{ "\"2026-12-07T20:30:00-01:30\"", NOW + 22 * 3600 },
		{ "\"2026-12-07T22:00:00.999Z\"", NOW + 22 * 3600 },
		{ "\"2028-02-29T00:00:00Z\"", 1835395200 },
		{ "\"2026-12-31T23:59:60Z\"", 1798761600 },
		{ "\"9999-12-31T23:59:59Z\"", 253402300799LL },
		{ "1796680800", NOW + 22 * 3600 },
		{ "1796680800.0", NOW + 22 * 3600 },
	};
	static const char *const bad[] = {
		"\"2027-02-29T00:00:00Z\"", "\"2026-13-01T00:00:00Z\"",
		"\"2026-00-01T00:00:00Z\"", "\"2026-04-31T00:00:00Z\"",
		"\"2026-12-07T24:00:00Z\"", "\"2026-12-07T22:60:00Z\"",
		"\"2026-12-07T22:00:61Z\"", "\"2026-12-07T22:00:00\"",
		"\"2026-12-07T22:00:00.Z\"", "\"2026-12-07T22:00:00+1:00\"",
		"\"2026-12-07T22:00:00+24:00\"", "\"2026-12-07T22:00:00Z \"",
		"\"2026-12-07 22:00:00Z\"", "\"+2026-12-07T22:00:00Z\"",
		"\"2026-1-07T22:00:00Z\"", "\"10000-01-01T00:00:00Z\"",
		"\"1970-01-01T00:00:00+00:01\"", "253402300800", "1e300",
		"true", "null", "\"\"",
	};
	char rest[256];
	struct job_req r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(rest, sizeof(rest), ", \"target\": {\"all\": true}, "
		    "\"schedule\": {\"start_at\": %s}", ok[i].at);
		if (parse_rest(rest, &r) != 0)
			fail_msg("%s: %s: %s", ok[i].at, field, err);
		assert_true(r.sched.start_at == ok[i].t);
		assert_round_trip(&r);
		jobparse_free(&r);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(rest, sizeof(rest), ", \"target\": {\"all\": true}, "
		    "\"schedule\": {\"end_at\": %s}", bad[i]);
		if (parse_rest(rest, &r) != -1)
			fail_msg("%s accepted", bad[i]);
		assert_string_equal(field, "schedule.end_at");
		jobparse_free(&r);
	}
	/* Past times: refused against now, taken with now 0. */
	snprintf(rest, sizeof(rest), "{\"steps\": [{\"op\": \"delete\", "
	    "\"path\": \"/9/1\"}], \"target\": {\"all\": true}, \"schedule\": "
	    "{\"start_at\": \"2020-01-01T00:00:00Z\", \"end_at\": "
	    "\"2020-01-02T00:00:00Z\"}}");
	assert_int_equal(parse_len(rest, strlen(rest), NULL, NOW, &r), -1);
	assert_string_equal(field, "schedule.start_at");
	jobparse_free(&r);
	assert_int_equal(parse_len(rest, strlen(rest), NULL, 0, &r), 0);
	assert_true(r.sched.start_at == 1577836800);
	assert_true(r.sched.end_at == 1577923200);
	assert_round_trip(&r);
	jobparse_free(&r);
	/* end_at alone, past: refused against now only. */
	snprintf(rest, sizeof(rest), "{\"steps\": [{\"op\": \"delete\", "
	    "\"path\": \"/9/1\"}], \"target\": {\"all\": true}, \"schedule\": "
	    "{\"end_at\": 1000}}");
	assert_int_equal(parse_len(rest, strlen(rest), NULL, NOW, &r), -1);
	assert_string_equal(field, "schedule.end_at");
	jobparse_free(&r);
	assert_int_equal(parse_len(rest, strlen(rest), NULL, 0, &r), 0);
	assert_round_trip(&r);
	jobparse_free(&r);
	/* A window without a zone is UTC, "" in the request. */
	assert_int_equal(parse_rest(", \"target\": {\"all\": true}, "
	    "\"schedule\": {\"window\": {\"from\": \"00:00\", \"to\": "
	    "\"23:59\"}}", &r), 0);
	assert_int_equal(r.sched.win_from, 0);
	assert_int_equal(r.sched.win_to, 23 * 60 + 59);
	assert_string_equal(r.sched.tz, "");
	assert_round_trip(&r);
	jobparse_free(&r);
	assert_int_equal(parse_rest(", \"target\": {\"all\": true}, "
	    "\"schedule\": {\"window\": {\"from\": \"00:00\", \"to\": "
	    "\"01:00\", \"tz\": \"America/Argentina/Buenos_Aires\"}}", &r), 0);
	assert_string_equal(r.sched.tz, "America/Argentina/Buenos_Aires");
	jobparse_free(&r);
	assert_int_equal(parse_rest(", \"target\": {\"all\": true}, "
	    "\"schedule\": {\"window\": {\"from\": \"00:00\", \"to\": "
	    "\"01:00\", \"tz\": \"Etc/GMT+5\"}}", &r), 0);
	jobparse_free(&r);
}

/* Hostile bodies: refused with a reason, never a crash. */
static void
test_hostile(void **state)
{
	static const char *const bad[] = {
		"{\"steps\": [{\"op\": \"delete\", \"path\": \"/9/1\"}], "
		"\"target\": {\"all\": true}, \"name\": \"\xff\"}",
		"{\"steps\": [{\"op\": \"delete\", \"path\": \"/9/1\"}], "
		"\"target\": {\"all\": true}, \"name\": \"\xc0\xaf\"}",
		"{\"steps\": [{\"op\": \"delete\", \"path\": \"/9/1\"}], "
		"\"target\": {\"all\": true}, \"name\": \"a\\nb\"}",
		"{\"steps\": [{\"op\": \"delete\", \"path\": \"/9/1\"}], "
		"\"target\": {\"all\": true}, \"name\": \"\\ud800\"}",
		"{\"steps\": NaN}", "{\"steps\": -nan}", "{\"steps\": Infinity}",
		"{\"steps\": [{\"op\": \"write\", \"path\": \"/3/0/13\", "
		"\"value\": 1e999999999999}], \"target\": {\"all\": true}}",
		"{\"steps\": [{\"op\": \"write\", \"path\": \"/3/0/13\", "
		"\"value\": 9007199254740993}], \"target\": {\"all\": true}}",
		"{\"steps\": [{\"op\": \"delete\", \"path\": "
		"\"/9/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18\"}], "
		"\"target\": {\"all\": true}}",
		"\"steps\"", "null", "1",
	};
	static const char good[] = "{\"steps\": [{\"op\": \"delete\", "
	    "\"path\": \"/9/1\"}], \"target\": {\"all\": true}}";
	char *buf;
	struct job_req r;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &r) != -1)
			fail_msg("%zu accepted", i);
		assert_true(strlen(err) > 0);
		jobparse_free(&r);
	}
	/* A name of 64 bytes fits, 65 do not; UTF-8 counts bytes. */
	assert_non_null(buf = malloc(1 << 23));
	n = (size_t)sprintf(buf, "{\"steps\": [{\"op\": \"delete\", \"path\": "
	    "\"/9/1\"}], \"target\": {\"all\": true}, \"name\": \"");
	memset(buf + n, 'x', 62);
	strcpy(buf + n + 62, "\xc3\xa9\"}");
	assert_int_equal(parse(buf, &r), 0);
	assert_int_equal(strlen(r.name), 64);
	assert_round_trip(&r);
	jobparse_free(&r);
	strcpy(buf + n + 62, "x\xc3\xa9\"}");
	assert_int_equal(parse(buf, &r), -1);
	assert_string_equal(field, "name");
	jobparse_free(&r);
	/* Deep nesting, in a member and as the body. */
	n = (size_t)sprintf(buf, "{\"steps\": ");
	for (i = 0; i < 100000; i++)
		buf[n++] = '[';
	buf[n] = '\0';
	assert_int_equal(parse(buf, &r), -1);
	assert_string_equal(field, "body");
	assert_non_null(strstr(err, "nested deeper"));
	jobparse_free(&r);
	/* 4 MB and one byte. */
	memset(buf, ' ', JOB_BODY_MAX + 1);
	buf[0] = '{';
	buf[JOB_BODY_MAX] = '}';
	assert_int_equal(parse_len(buf, JOB_BODY_MAX + 1, NULL, NOW, &r), -1);
	assert_string_equal(field, "body");
	assert_non_null(strstr(err, "over 4194304 bytes"));
	jobparse_free(&r);
	/* 4 MB of small values: refused before cJSON builds them. */
	n = (size_t)sprintf(buf, "{\"steps\": [");
	while (n < JOB_BODY_MAX - 8) {
		memcpy(buf + n, "[],", 3);
		n += 3;
	}
	memcpy(buf + n - 1, "]}", 2);
	n++;
	assert_int_equal(parse_len(buf, n, NULL, NOW, &r), -1);
	assert_string_equal(field, "body");
	assert_non_null(strstr(err, "JSON values"));
	jobparse_free(&r);
	/* 4 MB of whitespace around a good request. */
	memset(buf, ' ', JOB_BODY_MAX);
	memcpy(buf + 100, good, strlen(good));
	assert_int_equal(parse_len(buf, JOB_BODY_MAX, NULL, NOW, &r), 0);
	jobparse_free(&r);
	/* A NUL byte in the body. */
	memcpy(buf, "{\"name\": \"a\0b\"}", 16);
	assert_int_equal(parse_len(buf, 16, NULL, NOW, &r), -1);
	assert_string_equal(field, "body");
	jobparse_free(&r);
	/* A senml record of more fields than SenML JSON takes. */
	n = (size_t)sprintf(buf, "{\"steps\": [{\"op\": \"write\", "
	    "\"path\": \"/3/0/15\", \"senml\": [{\"vs\": \"x\"");
	for (i = 0; i < 100; i++)
		n += (size_t)sprintf(buf + n, ", \"f%zu\": 1", i);
	sprintf(buf + n, "}]}], \"target\": {\"all\": true}}");
	assert_int_equal(parse(buf, &r), -1);
	assert_string_equal(field, "steps[0].senml");
	assert_non_null(strstr(err, "more than 64 fields"));
	jobparse_free(&r);
	/* Null arguments and small buffers. */
	assert_int_equal(jobparse_request(NULL, 0, NULL, NOW, &r, NULL, 0,
	    NULL, 0), -1);
	jobparse_free(&r);
	assert_int_equal(jobparse_request("{}", 2, NULL, NOW, &r, field, 3,
	    err, 5), -1);
	assert_string_equal(field, "st");
	assert_string_equal(err, "miss");
	jobparse_free(&r);
	free(buf);
}

/* An unknown member whose name is long or odd is not echoed. */
static void
test_names_not_echoed(void **state)
{
	struct job_req r;

	(void)state;
	assert_int_equal(parse("{\"\\\"quoted\\\"\": 1}", &r), -1);
	assert_string_equal(field, "body");
	assert_null(strstr(err, "quoted"));
	jobparse_free(&r);
	assert_int_equal(parse_rest(", \"target\": {\"all\": true}, "
	    "\"rollout\": {\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": 1}",
	    &r), -1);
	assert_string_equal(field, "rollout");
	assert_non_null(strstr(err, "not shown"));
	jobparse_free(&r);
	assert_int_equal(parse_steps("[{\"op\": \"\\u00e9crire\"}]", &r), -1);
	assert_string_equal(field, "steps[0].op");
	jobparse_free(&r);
}

/* The model the caller gives is the one asked: an operator's object. */
static void
test_model(void **state)
{
	static const char ddf[] = "<LWM2M><Object ObjectType=\"MODefinition\">"
	    "<Name>Vendor</Name><ObjectID>33000</ObjectID>"
	    "<MultipleInstances>Multiple</MultipleInstances>"
	    "<Mandatory>Optional</Mandatory><Resources>"
	    "<Item ID=\"1\"><Name>Mode</Name><Operations>RW</Operations>"
	    "<MultipleInstances>Single</MultipleInstances>"
	    "<Mandatory>Optional</Mandatory><Type>String</Type></Item>"
	    "<Item ID=\"2\"><Name>Kick</Name><Operations>E</Operations>"
	    "<MultipleInstances>Single</MultipleInstances>"
	    "<Mandatory>Optional</Mandatory><Type></Type></Item>"
	    "</Resources></Object></LWM2M>";
	static const char req[] = "{\"steps\": [{\"op\": \"write\", "
	    "\"path\": \"/33000/0/1\", \"value\": \"eco\"}, {\"op\": "
	    "\"execute\", \"path\": \"/33000/0/2\"}], \"target\": {\"all\": "
	    "true}}";
	struct lwm2m_model *m;
	struct job_req r;
	char e[200];

	(void)state;
	assert_int_equal(parse_len(req, strlen(req), NULL, NOW, &r), -1);
	assert_string_equal(field, "steps[0].path");
	assert_non_null(strstr(err, "object 33000 is not known"));
	jobparse_free(&r);
	assert_non_null(m = lwm2m_model_new());
	assert_int_equal(lwm2m_ddf_parse(m, ddf, strlen(ddf), "v.xml", e,
	    sizeof(e)), 1);
	if (parse_len(req, strlen(req), m, NOW, &r) != 0)
		fail_msg("%s: %s", field, err);
	assert_string_equal(r.steps[0].body,
	    "[{\"n\":\"/33000/0/1\",\"vs\":\"eco\"}]");
	assert_string_equal(r.steps[1].path, "33000/0/2");
	jobparse_free(&r);
	lwm2m_model_free(m);
}

/* A write-attributes query read back, nulls and fractions too. */
static void
test_attributes(void **state)
{
	struct job_req r;

	(void)state;
	assert_int_equal(parse_steps("[{\"op\": \"write-attributes\", "
	    "\"path\": \"/3303\", \"attributes\": {\"gt\": 30.25, \"lt\": "
	    "null, \"st\": 0.1, \"epmax\": 3600}}]", &r), 0);
	assert_string_equal(r.steps[0].query, "gt=30.25&lt&st=0.1&epmax=3600");
	assert_string_equal(r.steps[0].path, "3303");
	assert_round_trip(&r);
	jobparse_free(&r);
}

/* Numbers keep every digit: cJSON alone prints 15 when the 17th is
 * within a rounding, a value other than the one asked for. */
static void
test_exact_numbers(void **state)
{
	struct job_req r;

	(void)state;
	if (parse_rest(", \"target\": {\"all\": true}, \"rollout\": "
	    "{\"rate\": {\"per_minute\": 0.30000000000000004, "
	    "\"ramp_factor\": 1.0000000000000002, \"ramp_every\": 1, "
	    "\"max_per_minute\": 900719.9254740993}}", &r) != 0)
		fail_msg("%s: %s", field, err);
	assert_true(r.rollout.rate == 0.1 + 0.2);
	assert_true(r.rollout.ramp_factor > 1);
	assert_round_trip(&r);
	jobparse_free(&r);
	if (parse_steps("[{\"op\": \"write\", \"path\": \"/6/0/0\", "
	    "\"value\": 0.30000000000000004, \"until\": {\"path\": "
	    "\"/6/0/2\", \"equals\": 0.30000000000000004}}, "
	    "{\"op\": \"write\", \"path\": \"/3/0/13\", \"value\": "
	    "9007199254740991}, {\"op\": \"write-attributes\", \"path\": "
	    "\"/6/0/0\", \"attributes\": {\"gt\": 0.30000000000000004, "
	    "\"lt\": -1e-300}}, {\"op\": \"write\", \"path\": \"/6/0\", "
	    "\"senml\": [{\"n\": \"1\", \"v\": 1.0000000000000002, "
	    "\"t\": 1e999}]}]", &r) != 0)
		fail_msg("%s: %s", field, err);
	assert_string_equal(r.steps[0].body,
	    "[{\"n\":\"/6/0/0\",\"v\":0.30000000000000004}]");
	assert_true(r.steps[0].until.equals == 0.1 + 0.2);
	assert_string_equal(r.steps[1].body,
	    "[{\"n\":\"/3/0/13\",\"v\":9007199254740991}]");
	assert_string_equal(r.steps[2].query,
	    "gt=0.30000000000000004&lt=-1e-300");
	assert_string_equal(r.steps[3].body,
	    "[{\"n\":\"/6/0/1\",\"v\":1.0000000000000002,\"t\":null}]");
	assert_round_trip(&r);
	jobparse_free(&r);
}

static void
count_cb(const char *name, double v, void *arg)
{
	double *sum = arg;

	(void)name;
	*sum += v;
}

/* The values of a device's pack. */
static void
test_values(void **state)
{
	static const char pack[] = "[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":87},"
	    "{\"n\":\"6/0\",\"v\":1},{\"n\":\"6/1\",\"v\":5},"
	    "{\"n\":\"15\",\"vs\":\"UTC\"},{\"bn\":\"/5/0/\",\"n\":\"3\","
	    "\"v\":2},{\"n\":\"/9/0/12\",\"bn\":\"\",\"vb\":true}]";
	static const char *const bad[] = {
		"", "{}", "[1]", "[{\"n\":5,\"v\":1}]", "[{\"bn\":[],\"v\":1}]",
		"[{\"n\":\"/3/0/9\",\"v\":1}", "[{\"n\":\"/3/0/9\\u0000\",\"v\":1}]",
	};
	double v, sum = 0;
	size_t i;

	(void)state;
	assert_int_equal(jobparse_value(pack, strlen(pack), "3/0/9", &v), 0);
	assert_true(v == 87);
	assert_int_equal(jobparse_value(pack, strlen(pack), "/3/0/9", &v), 0);
	assert_int_equal(jobparse_value(pack, strlen(pack), "5/0/3", &v), 0);
	assert_true(v == 2);
	assert_int_equal(jobparse_value(pack, strlen(pack), "9/0/12", &v), 0);
	assert_true(v == 1);
	assert_int_equal(jobparse_value(pack, strlen(pack), "3/0/6/1", &v), 0);
	assert_true(v == 5);
	/* Not there, or no number. */
	assert_int_equal(jobparse_value(pack, strlen(pack), "3/0/15", &v), -1);
	assert_int_equal(jobparse_value(pack, strlen(pack), "3/0/1", &v), -1);
	assert_int_equal(jobparse_value(pack, strlen(pack), "3/0", &v), -1);
	assert_int_equal(jobparse_values(pack, strlen(pack), "/3/0/6/",
	    count_cb, &sum), 2);
	assert_true(sum == 6);
	assert_int_equal(jobparse_values(pack, strlen(pack), "/4/",
	    count_cb, &sum), 0);
	assert_int_equal(jobparse_values("[]", 2, "/3/0/6/", count_cb, &sum),
	    0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(jobparse_value(bad[i], strlen(bad[i]),
		    "3/0/9", &v), -1);
		assert_int_equal(jobparse_values(bad[i], strlen(bad[i]),
		    "/3/0/", count_cb, &sum), -1);
	}
	/* The exact length is read, not the NUL. */
	assert_int_equal(jobparse_value("[{\"n\":\"/3/0/9\",\"v\":1}]xx", 22,
	    "3/0/9", &v), 0);
	/* A base name too long for a path hides the records under it. */
	{
		char big[512];

		snprintf(big, sizeof(big), "[{\"bn\":\"/%0200d\",\"n\":\"/3/0/9\","
		    "\"v\":1},{\"bn\":\"/3/0/\",\"n\":\"8\",\"v\":2}]", 0);
		assert_int_equal(jobparse_value(big, strlen(big), "3/0/9", &v),
		    -1);
		assert_int_equal(jobparse_value(big, strlen(big), "3/0/8", &v),
		    0);
	}
}

/* The risks of requests: the rule the jobs' preconditions and the
 * single-device guard share, and what generic steps get from it. */
static void
test_risk(void **state)
{
	struct job_req req;
	char fld[JOB_FIELD_MAX], why[256];
	const char *body = "{\"target\": {\"endpoints\": [\"a\"]}, "
	    "\"steps\": [{\"op\": \"execute\", \"path\": \"/3/0/4\"}, "
	    "{\"op\": \"execute\", \"path\": \"/3/0/5\"}, "
	    "{\"op\": \"write\", \"path\": \"/5/0/1\", \"value\": \"x\"}, "
	    "{\"op\": \"execute\", \"path\": \"/5/0/2\"}, "
	    "{\"op\": \"write\", \"path\": \"/3/0/15\", \"value\": \"x\"}]}";

	(void)state;
	assert_int_equal(jobparse_risk(DEVREQ_POST, "3/0/4"),
	    JRISK_BATTERY | JRISK_UPDATE);
	assert_int_equal(jobparse_risk(DEVREQ_POST, "3//0/04/"),
	    JRISK_BATTERY | JRISK_UPDATE);
	assert_int_equal(jobparse_risk(DEVREQ_GET, "3/0/4"), 0);
	assert_int_equal(jobparse_risk(DEVREQ_PUT, "5/0"),
	    JRISK_BATTERY | JRISK_UPDATE);
	assert_int_equal(jobparse_risk(DEVREQ_POST, "5/0/2"),
	    JRISK_BATTERY | JRISK_APPLY);
	assert_int_equal(jobparse_risk(DEVREQ_POST, "9/3/4"), JRISK_BATTERY);
	assert_int_equal(jobparse_risk(DEVREQ_POST, "9/3/6"), 0);
	assert_int_equal(jobparse_risk(DEVREQ_POST, "3/0/4/0/1"), 0);
	assert_int_equal(jobparse_risk(DEVREQ_POST, "3/x/4"), 0);
	assert_int_equal(jobparse_risk(DEVREQ_POST, "99999/0/4"), 0);
	assert_int_equal(jobparse_risk(DEVREQ_POST, NULL), 0);
	assert_int_equal(jobparse_risk(DEVREQ_POST, ""), 0);
	assert_int_equal(jobparse_request(body, strlen(body), NULL, 0, &req,
	    fld, sizeof(fld), why, sizeof(why)), 0);
	assert_int_equal(req.nsteps, 5);
	assert_int_equal(req.steps[0].risk, JRISK_BATTERY | JRISK_UPDATE);
	assert_int_equal(req.steps[1].risk, JRISK_BATTERY | JRISK_UPDATE);
	assert_int_equal(req.steps[2].risk, JRISK_BATTERY | JRISK_UPDATE);
	assert_int_equal(req.steps[3].risk, JRISK_BATTERY | JRISK_APPLY);
	assert_int_equal(req.steps[4].risk, 0);
	jobparse_free(&req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_software),
		cmocka_unit_test(test_risk),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_errors_rest),
		cmocka_unit_test(test_steps_max),
		cmocka_unit_test(test_step_body_max),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_names_not_echoed),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_exact_numbers),
		cmocka_unit_test(test_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
