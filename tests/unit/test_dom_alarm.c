/*
 * test_dom_alarm.c: alarms (modules/health/) over a real store, with the
 * domain's modules alone and a clock the test moves: a threshold's
 * hysteresis and hold time, a rate over its window, silence of a path and
 * of a device, expiry, job and campaign failures heard as events, the
 * selection by tag, acknowledgement, a rule deleted, the cleared alarms
 * kept, the attributes a rule writes down to its devices through the
 * queue and the observation it holds, and a restart that reloads rules and
 * alarms from the store.
 *
 * No face runs: values are given to alarm_number as the cache's listener
 * gives them, and the sweep is run by alarm_sweep_now.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "cache/observe.h"
#include "lwm2m/alarmparse.h"
#include "modules/device/queue.h"
#include "modules/device/tags.h"
#include "modules/health/alarm.h"
#include "tests/unit/domutil.h"

#define LINKS	"</1/0>,</3/0>"

/* The alarm module runs over the domain's, started after them and
 * stopped before them, as main.c's table orders it. */
static int
start(struct dom *d)
{
	if (dom_start(d) == -1 || alarm_module.init(&d->gw) == -1 ||
	    alarm_module.start(&d->gw) == -1)
		return -1;
	return 0;
}

static void
stop(struct dom *d)
{
	if (d->gw.alarms != NULL) {
		alarm_module.stop(&d->gw);
		store_commit(d->gw.store);
	}
}

static void
restart(struct dom *d)
{
	stop(d);
	assert_int_equal(dom_restart(d), 0);
	assert_int_equal(alarm_module.init(&d->gw), 0);
	assert_int_equal(alarm_module.start(&d->gw), 0);
}

static int
setup(void **state)
{
	struct dom *d = dom_new();

	if (d == NULL)
		return -1;
	d->gw.cfg.alarm_expired = 0;	/* each test says what it wants */
	d->gw.cfg.alarm_failures = 0;
	if (start(d) == -1)
		return -1;
	*state = d;
	return 0;
}

static int
teardown(void **state)
{
	struct dom *d = *state;

	stop(d);
	dom_free(d);
	return 0;
}

/* A rule from its body, as the API adds it, committed: its id. */
static uint64_t
add(struct dom *d, const char *body)
{
	struct alarm_rule_def def;
	char field[ALARM_FIELD_MAX], err[256];
	uint64_t id = 0;
	int status;

	if (alarmparse_rule(body, strlen(body), &def, field, sizeof(field),
	    err, sizeof(err)) != 0)
		fail_msg("alarmparse_rule: %s: %s: %s", body, field, err);
	if (alarm_rule_add(&d->gw, &def, &id, &status, err, sizeof(err)) != 0)
		fail_msg("alarm_rule_add: %d %s", status, err);
	assert_int_equal(dom_commit(d), 0);
	return id;
}

static void
num(struct dom *d, const char *ep, const char *path, double v)
{
	alarm_number(&d->gw, ep, path, v, (int64_t)gw_now() * 1000);
}

/* The alarms of a state as a JSON array, and how many. */
static int
count(struct dom *d, int st)
{
	int more, n;
	cJSON *l = alarm_list_json(&d->gw, st, NULL, -1, 0, 1000, &more);

	assert_non_null(l);
	n = cJSON_GetArraySize(l);
	cJSON_Delete(l);
	return n;
}

/* The newest alarm's member key, as a string (numbers printed). */
static const char *
newest(struct dom *d, const char *key)
{
	static char buf[256];
	int more;
	cJSON *l = alarm_list_json(&d->gw, ALARM_ST_ALL, NULL, -1, 0, 1,
	    &more), *v;

	v = cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), key);
	if (cJSON_IsString(v))
		snprintf(buf, sizeof(buf), "%s", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(buf, sizeof(buf), "%g", v->valuedouble);
	else
		snprintf(buf, sizeof(buf), "%s", v == NULL ? "(none)" :
		    "null");
	cJSON_Delete(l);
	return buf;
}

/* "alarm" events of action (raise, clear, ack) so far. */
static size_t
actions(struct dom *d, const char *action)
{
	char want[64];
	size_t i, n = 0;

	snprintf(want, sizeof(want), "\"action\":\"%s\"", action);
	for (i = 0; i < d->nevents; i++)
		if (strstr(d->events[i], "\"type\":\"alarm\"") != NULL &&
		    strstr(d->events[i], want) != NULL)
			n++;
	return n;
}

static void
test_threshold_hysteresis(void **state)
{
	struct dom *d = *state;
	unsigned act[ALARM_SEV__COUNT];

	assert_int_equal(dom_register(d, "n1", LINKS), 0);
	add(d, "{\"kind\":\"threshold\",\"path\":\"3/0/7\",\"above\":80,"
	    "\"hysteresis\":5,\"severity\":\"critical\",\"push\":false}");
	num(d, "n1", "3/0/7", 70);
	num(d, "n1", "3/0/8", 99);		/* another path */
	num(d, "n1", "3/0/7", 80);		/* at the limit is not past */
	assert_int_equal(count(d, ALARM_ST_ALL), 0);
	num(d, "n1", "3/0/7", 85);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);
	assert_int_equal(actions(d, "raise"), 1);
	assert_string_equal(newest(d, "value"), "85");
	assert_string_equal(newest(d, "severity"), "critical");
	assert_string_equal(newest(d, "path"), "3/0/7");
	alarm_counts(&d->gw, act);
	assert_int_equal(act[ALARM_SEV_CRITICAL], 1);
	/* Inside the hysteresis band: still active, not counted again. */
	num(d, "n1", "3/0/7", 77);
	num(d, "n1", "3/0/7", 75.5);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);
	num(d, "n1", "3/0/7", 90);
	assert_string_equal(newest(d, "count"), "2");
	assert_string_equal(newest(d, "value"), "90");
	/* Back by the hysteresis: cleared, one alarm, not a new one. */
	num(d, "n1", "3/0/7", 75);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 0);
	assert_int_equal(count(d, ALARM_ST_CLEARED), 1);
	assert_int_equal(actions(d, "clear"), 1);
	assert_string_equal(newest(d, "state"), "cleared");
	alarm_counts(&d->gw, act);
	assert_int_equal(act[ALARM_SEV_CRITICAL], 0);
	/* Past again: a new alarm. */
	num(d, "n1", "3/0/7", 81);
	assert_int_equal(count(d, ALARM_ST_ALL), 2);
	assert_string_equal(newest(d, "id"), "2");
	/* A below rule: the same, upside down. */
	add(d, "{\"kind\":\"threshold\",\"path\":\"health/battery\","
	    "\"below\":20,\"hysteresis\":2}");
	num(d, "n1", "health/battery", 19);
	assert_string_equal(newest(d, "path"), "health/battery");
	num(d, "n1", "health/battery", 21.9);
	assert_string_equal(newest(d, "state"), "active");
	num(d, "n1", "health/battery", 22);
	assert_string_equal(newest(d, "state"), "cleared");
}

static void
test_hold(void **state)
{
	struct dom *d = *state;

	assert_int_equal(dom_register(d, "n1", LINKS), 0);
	add(d, "{\"kind\":\"threshold\",\"path\":\"health/cpu\",\"above\":80,"
	    "\"hold_s\":30}");
	num(d, "n1", "health/cpu", 85);
	dom_advance(10);
	num(d, "n1", "health/cpu", 86);
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_ALL), 0);
	/* The device says nothing more: the sweep finds the hold run out,
	 * with the last value. */
	dom_advance(20);
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);
	assert_string_equal(newest(d, "value"), "86");
	num(d, "n1", "health/cpu", 10);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 0);
	/* A value back inside the limit restarts the hold. */
	num(d, "n1", "health/cpu", 90);
	dom_advance(20);
	num(d, "n1", "health/cpu", 50);
	num(d, "n1", "health/cpu", 90);
	dom_advance(20);
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 0);
	/* Met by a value once the hold has passed. */
	dom_advance(10);
	num(d, "n1", "health/cpu", 91);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);
	assert_string_equal(newest(d, "value"), "91");
}

static void
test_rate(void **state)
{
	struct dom *d = *state;

	assert_int_equal(dom_register(d, "n1", LINKS), 0);
	add(d, "{\"kind\":\"rate\",\"path\":\"health/mem\",\"above\":2,"
	    "\"window\":3}");
	alarm_number(&d->gw, "n1", "health/mem", 10, 1000000);
	alarm_number(&d->gw, "n1", "health/mem", 11, 1001000);
	alarm_number(&d->gw, "n1", "health/mem", 12, 1002000);
	assert_int_equal(count(d, ALARM_ST_ALL), 0);	/* 1 per second */
	alarm_number(&d->gw, "n1", "health/mem", 20, 1003000);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);	/* 4.5 per second */
	assert_string_equal(newest(d, "value"), "4.5");
	alarm_number(&d->gw, "n1", "health/mem", 21, 1004000);
	alarm_number(&d->gw, "n1", "health/mem", 21, 1005000);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 0);	/* 0.5 */
	/* Per minute, falling. */
	add(d, "{\"kind\":\"rate\",\"path\":\"health/disk\",\"below\":-60,"
	    "\"per\":\"minute\"}");
	alarm_number(&d->gw, "n1", "health/disk", 100, 2000000);
	alarm_number(&d->gw, "n1", "health/disk", 99.5, 2001000);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 0);	/* -30 a minute */
	alarm_number(&d->gw, "n1", "health/disk", 97, 2002000);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);	/* -150 */
	assert_string_equal(newest(d, "value"), "-150");
	/* The same time twice gives no rate. */
	alarm_number(&d->gw, "n1", "health/disk", 0, 2002000);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);
}

static void
test_silence(void **state)
{
	struct dom *d = *state;

	assert_int_equal(dom_register(d, "n1", LINKS), 0);
	assert_int_equal(dom_register(d, "n2", LINKS), 0);
	add(d, "{\"kind\":\"silence\",\"path\":\"health/cpu\",\"for_s\":60,"
	    "\"ep\":\"n1\"}");
	num(d, "n1", "health/cpu", 1);
	dom_advance(59);
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_ALL), 0);
	dom_advance(1);
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);	/* n1 only */
	assert_string_equal(newest(d, "ep"), "n1");
	assert_string_equal(newest(d, "kind"), "silence");
	dom_advance(30);
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_ALL), 1);
	assert_string_equal(newest(d, "value"), "90");	/* last seen */
	num(d, "n1", "health/cpu", 2);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 0);
	assert_string_equal(newest(d, "note"), "heard again");
	/* The device as a whole: no message at all. */
	add(d, "{\"kind\":\"silence\",\"for_s\":100,\"ep\":\"n2\"}");
	registry_touch(d->gw.registry, registry_find_by_endpoint(
	    d->gw.registry, "n2"));
	dom_advance(59);
	num(d, "n1", "health/cpu", 3);
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 0);
	dom_advance(41);
	num(d, "n1", "health/cpu", 3);
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);
	assert_string_equal(newest(d, "ep"), "n2");
	registry_touch(d->gw.registry, registry_find_by_endpoint(
	    d->gw.registry, "n2"));
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 0);
}

static void
test_expired_and_back(void **state)
{
	struct dom *d = *state;
	struct device *dev;

	d->gw.cfg.alarm_expired = 1;
	restart(d);
	assert_int_equal(dom_register(d, "n1", LINKS), 0);
	dev = registry_find_by_endpoint(d->gw.registry, "n1");
	assert_non_null(dev);
	dom_advance((int64_t)dev->r.lifetime);
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_ALL), 0);
	dom_advance(1);
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);
	assert_string_equal(newest(d, "rule"), "ini-expired");
	assert_string_equal(newest(d, "severity"), "major");
	/* It registers again: the registration event clears it at once. */
	assert_int_equal(dom_register(d, "n1", LINKS), 0);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 0);
	/* Gone from gateway.ini: the rule goes on reload. */
	d->gw.cfg.alarm_expired = 0;
	alarm_module.reload(&d->gw, &d->gw.cfg);
	assert_null(alarm_rule_json(&d->gw, "ini-expired"));
}

static void
test_asleep(void **state)
{
	struct dom *d = *state;
	struct device *dev;

	assert_int_equal(dom_register(d, "n1", LINKS), 0);
	dev = registry_find_by_endpoint(d->gw.registry, "n1");
	dev->r.queue_mode = 1;
	add(d, "{\"kind\":\"offline\",\"state\":\"asleep\",\"for_s\":600}");
	dom_advance(600);
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_ALL), 0);
	dom_advance(1);
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);
	registry_touch(d->gw.registry, dev);
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 0);
}

static void
progress(struct dom *d, const char *type, const char *ep, const char *idkey,
    int id, const char *st)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddNumberToObject(e, idkey, id);
	cJSON_AddStringToObject(e, "state", st);
	if (strcmp(st, "failed") == 0)
		cJSON_AddStringToObject(e, "error", "4.04 from the device");
	events_emit(&d->gw, type, ep, e);
}

static void
test_failures(void **state)
{
	struct dom *d = *state;

	d->gw.cfg.alarm_failures = 1;
	d->gw.cfg.alarm_severity[0] = '\0';
	snprintf(d->gw.cfg.alarm_severity, sizeof(d->gw.cfg.alarm_severity),
	    "minor");
	restart(d);
	add(d, "{\"kind\":\"failure\",\"source\":\"campaign\","
	    "\"severity\":\"critical\",\"ep\":\"n2\"}");
	progress(d, "job_progress", "n1", "job", 7, "in_progress");
	assert_int_equal(count(d, ALARM_ST_ALL), 0);
	progress(d, "job_progress", "n1", "job", 7, "failed");
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);
	assert_string_equal(newest(d, "note"), "job 7 failed: 4.04 from the "
	    "device");
	assert_string_equal(newest(d, "severity"), "minor");
	assert_string_equal(newest(d, "value"), "7");
	/* Again in another job: the same alarm, counted. */
	progress(d, "job_progress", "n1", "job", 8, "failed");
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);
	assert_string_equal(newest(d, "count"), "2");
	progress(d, "job_progress", "n1", "job", 9, "succeeded");
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 0);
	/* A campaign: both rules of n2. */
	progress(d, "fw_progress", "n2", "campaign", 3, "failed");
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 2);
	progress(d, "fw_progress", "n2", "campaign", 4, "succeeded");
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 0);
}

static void
test_tag_selection(void **state)
{
	struct dom *d = *state;
	char tags[1][TAG_LEN_MAX + 1] = { "site-a" };

	assert_int_equal(tags_set(&d->gw, "n1", tags, 1), 0);
	assert_int_equal(dom_commit(d), 0);
	add(d, "{\"kind\":\"threshold\",\"path\":\"health/t\",\"above\":1,"
	    "\"tag\":\"site-a\"}");
	num(d, "n2", "health/t", 5);
	assert_int_equal(count(d, ALARM_ST_ALL), 0);
	num(d, "n1", "health/t", 5);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);
}

static void
test_ack_delete_and_restart(void **state)
{
	struct dom *d = *state;
	char id[24];
	uint64_t rule, aid;
	cJSON *a;

	rule = add(d, "{\"kind\":\"threshold\",\"path\":\"health/t\","
	    "\"above\":10,\"name\":\"too hot\"}");
	add(d, "{\"kind\":\"threshold\",\"path\":\"health/u\",\"above\":10}");
	num(d, "n1", "health/t", 11);
	num(d, "n1", "health/u", 11);
	aid = 1;
	assert_int_equal(alarm_ack(&d->gw, aid, "ops@site"), 0);
	assert_int_equal(alarm_ack(&d->gw, aid, "again"), -2);
	assert_int_equal(alarm_ack(&d->gw, 99, "x"), -1);
	assert_int_equal(actions(d, "ack"), 1);
	assert_int_equal(dom_commit(d), 0);
	/* A restart: the rules, the alarms and who acknowledged. */
	restart(d);
	snprintf(id, sizeof(id), "%llu", (unsigned long long)rule);
	a = alarm_rule_json(&d->gw, id);
	assert_non_null(a);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(a,
	    "name")), "too hot");
	cJSON_Delete(a);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 2);
	a = alarm_json(&d->gw, aid);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(a, "acked"), "by")), "ops@site");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(a,
	    "state")), "active");
	cJSON_Delete(a);
	/* The alarm found its rule again: a value clears it, one past the
	 * limit counts it. */
	num(d, "n1", "health/u", 12);
	a = alarm_json(&d->gw, 2);
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(a,
	    "count")), 2);
	cJSON_Delete(a);
	num(d, "n1", "health/t", 5);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);
	assert_int_equal(count(d, ALARM_ST_ALL), 2);
	/* A rule deleted: its alarms clear. */
	snprintf(id, sizeof(id), "%llu", (unsigned long long)rule + 1);
	assert_int_equal(alarm_rule_delete(&d->gw, id), 0);
	assert_int_equal(alarm_rule_delete(&d->gw, id), -1);
	dom_turns(d, 3);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 0);
	assert_string_equal(newest(d, "note"), "rule deleted");
	num(d, "n1", "health/u", 50);
	assert_int_equal(count(d, ALARM_ST_ALL), 2);
	assert_int_equal(dom_commit(d), 0);
	restart(d);
	assert_null(alarm_rule_json(&d->gw, id));
	assert_int_equal(count(d, ALARM_ST_CLEARED), 2);
	/* New ids go on after the ones kept. */
	num(d, "n1", "health/t", 50);
	assert_string_equal(newest(d, "id"), "3");
}

static void
test_keep_cleared(void **state)
{
	struct dom *d = *state;
	int i;

	d->gw.cfg.alarm_keep_cleared = 2;
	add(d, "{\"kind\":\"threshold\",\"path\":\"health/t\",\"above\":10}");
	for (i = 0; i < 5; i++) {
		num(d, "n1", "health/t", 11);
		num(d, "n1", "health/t", 1);
	}
	num(d, "n1", "health/t", 11);
	alarm_sweep_now(&d->gw);
	assert_int_equal(count(d, ALARM_ST_CLEARED), 2);
	assert_int_equal(count(d, ALARM_ST_ACTIVE), 1);
	assert_null(alarm_json(&d->gw, 3));
	assert_int_equal(dom_commit(d), 0);
	restart(d);
	assert_int_equal(count(d, ALARM_ST_ALL), 3);
	assert_null(alarm_json(&d->gw, 1));
}

struct queued {
	char	query[DEVREQ_QUERY_MAX];
	char	path[DEVREQ_PATH_MAX];
	int	n;
};

static int
queued_cb(const struct op_view *v, void *arg)
{
	struct queued *q = arg;

	snprintf(q->query, sizeof(q->query), "%s", v->query != NULL ?
	    v->query : "");
	snprintf(q->path, sizeof(q->path), "%s", v->path);
	q->n++;
	return 0;
}

static void
test_push_down(void **state)
{
	struct dom *d = *state;
	struct observe_view v;
	struct queued q;
	uint64_t rule;
	char id[24];

	assert_int_equal(dom_register(d, "n1", LINKS), 0);
	assert_int_equal(dom_register(d, "n2", LINKS), 0);
	rule = add(d, "{\"kind\":\"threshold\",\"path\":\"/3/0/9\","
	    "\"below\":20,\"hysteresis\":5,\"step\":2,\"pmax\":600,"
	    "\"ep\":\"n1\"}");
	dom_turns(d, 3);
	assert_int_equal(dom_commit(d), 0);
	memset(&q, 0, sizeof(q));
	assert_int_equal(queue_walk_device(&d->gw, "n1", 0, 10, queued_cb,
	    &q), 0);
	assert_int_equal(q.n, 1);
	assert_string_equal(q.path, "3/0/9");
	assert_string_equal(q.query, "pmax=600&gt=25&lt=20&st=2");
	memset(&q, 0, sizeof(q));
	queue_walk_device(&d->gw, "n2", 0, 10, queued_cb, &q);
	assert_int_equal(q.n, 0);		/* not selected */
	assert_int_equal(observe_get(&d->gw, "n1", "3/0/9", &v), 0);
	assert_true(v.held);
	/* A restart holds the observation again, writes nothing again. */
	restart(d);
	dom_turns(d, 3);
	assert_int_equal(observe_get(&d->gw, "n1", "3/0/9", &v), 0);
	assert_true(v.held);
	memset(&q, 0, sizeof(q));
	queue_walk_device(&d->gw, "n1", 0, 10, queued_cb, &q);
	assert_int_equal(q.n, 1);
	/* A registration writes them again (a device forgets them). */
	assert_int_equal(dom_register(d, "n1", LINKS), 0);
	memset(&q, 0, sizeof(q));
	queue_walk_device(&d->gw, "n1", 0, 10, queued_cb, &q);
	assert_int_equal(q.n, 2);
	/* Deleted: the attributes removed, the observation let go of. */
	snprintf(id, sizeof(id), "%llu", (unsigned long long)rule);
	assert_int_equal(alarm_rule_delete(&d->gw, id), 0);
	dom_turns(d, 3);
	assert_int_equal(dom_commit(d), 0);
	memset(&q, 0, sizeof(q));
	queue_walk_device(&d->gw, "n1", 0, 10, queued_cb, &q);
	assert_int_equal(q.n, 3);
	assert_string_equal(q.query, "pmax&gt&lt&st");
	assert_int_equal(observe_get(&d->gw, "n1", "3/0/9", &v), -1);
	/* With [alarms] push = 0 nothing is written. */
	d->gw.cfg.alarm_push = 0;
	add(d, "{\"kind\":\"threshold\",\"path\":\"3/0/9\",\"above\":90,"
	    "\"ep\":\"n2\"}");
	dom_turns(d, 3);
	memset(&q, 0, sizeof(q));
	queue_walk_device(&d->gw, "n2", 0, 10, queued_cb, &q);
	assert_int_equal(q.n, 0);
}

static void
test_list_filters_and_pages(void **state)
{
	struct dom *d = *state;
	cJSON *l;
	int more, i;

	add(d, "{\"kind\":\"threshold\",\"path\":\"health/t\",\"above\":10,"
	    "\"severity\":\"warning\"}");
	for (i = 0; i < 5; i++) {
		char ep[8];

		snprintf(ep, sizeof(ep), "n%d", i);
		num(d, ep, "health/t", 11);
	}
	num(d, "n0", "health/t", 1);
	l = alarm_list_json(&d->gw, ALARM_ST_ALL, NULL, -1, 0, 2, &more);
	assert_int_equal(cJSON_GetArraySize(l), 2);
	assert_true(more);
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(l, 0), "id")), 5);
	cJSON_Delete(l);
	l = alarm_list_json(&d->gw, ALARM_ST_ALL, NULL, -1, 4, 10, &more);
	assert_int_equal(cJSON_GetArraySize(l), 3);	/* 3, 2, 1 */
	assert_false(more);
	cJSON_Delete(l);
	l = alarm_list_json(&d->gw, ALARM_ST_ALL, "n3", -1, 0, 10, &more);
	assert_int_equal(cJSON_GetArraySize(l), 1);
	cJSON_Delete(l);
	l = alarm_list_json(&d->gw, ALARM_ST_ACTIVE, NULL, ALARM_SEV_WARNING,
	    0, 10, &more);
	assert_int_equal(cJSON_GetArraySize(l), 4);
	cJSON_Delete(l);
	l = alarm_list_json(&d->gw, ALARM_ST_ALL, NULL, ALARM_SEV_MAJOR, 0,
	    10, &more);
	assert_int_equal(cJSON_GetArraySize(l), 0);
	cJSON_Delete(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_threshold_hysteresis,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_and_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_asleep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tag_selection, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ack_delete_and_restart,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_cleared, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_push_down, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list_filters_and_pages,
		    setup, teardown),
	};

	log_init("test_dom_alarm", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
