/*
 * test_dom_job.c: the fleet job engine (modules/jobs/) over a real store,
 * with the domain's modules alone: one device through its steps (the
 * write's value encoded for the device, an execute's arguments, the
 * attributes' query, a condition met by observation or by the poll), the
 * rate and its ramp, max_concurrent, the failure thresholds of a group
 * and of the job, the approval gate, retries with their back-off and the
 * per-device timeout, the preconditions of a reboot, the schedule, the
 * devices that join a continuous job, a restart in the middle, a
 * decommission, and the records the API reads.
 *
 * The CoAP face is a set of fakes in gw->hooks: dev_send records each
 * request the queue delivers and the test answers it through the callback
 * it kept; dev_observe keeps the callback of each observation, through
 * which the test notifies values; dev_reachable says who is asleep. The
 * jobs' one-second timer is run by the test calling its callback, never
 * by the loop, and the clock moves only when the test moves it.
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
#include "lwm2m/devmsg.h"
#include "lwm2m/jobparse.h"
#include "lwm2m/lwm2m.h"
#include "lwm2m/senml.h"
#include "modules/device/queue.h"
#include "modules/device/registry.h"
#include "modules/device/tags.h"
#include "modules/jobs/job.h"
#include "modules/jobs/jobint.h"
#include "tests/unit/domutil.h"

#define MAX_SENT	256
#define MAX_MADE	64
#define MAX_ASLEEP	8
#define LINKS		"</1/0>,</3/0>,</5/0>"

/* One request the queue delivered through dev_send. */
struct sent {
	char			 ep[LWM2M_EP_MAX + 1];
	enum devreq_method	 method;
	char			 path[DEVREQ_PATH_MAX];
	char			 query[DEVREQ_QUERY_MAX];	/* or "" */
	int			 cf, accept;
	uint8_t			 body[512];
	size_t			 len;
	devreq_cb		 cb;
	void			*arg;
	int			 answered;
};

/* One observation made through dev_observe. */
struct made {
	char			 ep[LWM2M_EP_MAX + 1];
	char			 path[DEVREQ_PATH_MAX];
	devobs_cb		 cb;
	void			*arg;
	long			 seq;
	int			 cancelled;
};

/* What the hooks saw. Lives in the fixture: a failed test leaves
 * callbacks behind that teardown's commit runs. */
struct fixture {
	struct dom		*d;
	char			 asleep[MAX_ASLEEP][LWM2M_EP_MAX + 1];
	struct sent		 sent[MAX_SENT];
	int			 nsent;
	struct made		 made[MAX_MADE];
	int			 nmade;
};

static struct fixture *hook_f;	/* the hooks get no argument of ours */

static int
is_asleep(const char *ep)
{
	int i;

	for (i = 0; i < MAX_ASLEEP; i++)
		if (strcmp(hook_f->asleep[i], ep) == 0)
			return 1;
	return 0;
}

static void
set_asleep(struct fixture *f, const char *ep, int asleep)
{
	int i;

	for (i = 0; i < MAX_ASLEEP; i++)
		if (asleep ? f->asleep[i][0] == '\0' :
		    strcmp(f->asleep[i], ep) == 0) {
			snprintf(f->asleep[i], sizeof(f->asleep[i]), "%s",
			    asleep ? ep : "");
			return;
		}
	fail_msg("asleep: no room for %s", ep);
}

static int
fake_reachable(struct gateway *gw, struct device *d)
{
	(void)gw;
	return !is_asleep(d->ep);
}

static struct devreq *
fake_send(struct gateway *gw, const char *ep, const struct devreq_spec *spec,
    void (*cb)(const struct devresp *, void *), void *arg)
{
	struct sent *s;

	(void)gw;
	if (hook_f->nsent >= MAX_SENT)
		fail_msg("more than %d requests", MAX_SENT);
	s = &hook_f->sent[hook_f->nsent++];
	memset(s, 0, sizeof(*s));
	snprintf(s->ep, sizeof(s->ep), "%s", ep);
	s->method = spec->method;
	snprintf(s->path, sizeof(s->path), "%s", spec->path);
	if (spec->query != NULL)
		snprintf(s->query, sizeof(s->query), "%s", spec->query);
	s->cf = spec->content_format;
	s->accept = spec->accept;
	if (spec->len > sizeof(s->body))
		fail_msg("a body of %zu bytes", spec->len);
	if (spec->len > 0)
		memcpy(s->body, spec->body, spec->len);
	s->len = spec->len;
	s->cb = cb;
	s->arg = arg;
	return (struct devreq *)(void *)s;	/* opaque to the queue */
}

static struct devobs *
fake_observe(struct gateway *gw, const char *ep,
    const struct devreq_spec *spec,
    void (*cb)(const struct devresp *, long, void *), void *arg)
{
	struct made *m;

	(void)gw;
	if (hook_f->nmade >= MAX_MADE)
		fail_msg("more than %d observations", MAX_MADE);
	assert_int_equal(spec->method, DEVREQ_GET);
	m = &hook_f->made[hook_f->nmade++];
	snprintf(m->ep, sizeof(m->ep), "%s", ep);
	snprintf(m->path, sizeof(m->path), "%s", spec->path);
	m->cb = cb;
	m->arg = arg;
	m->seq = 1;
	m->cancelled = 0;
	return (struct devobs *)(void *)m;	/* opaque to observe.c */
}

static void
fake_observe_cancel(struct devobs *o)
{
	((struct made *)(void *)o)->cancelled++;
}

static void
register_ep(struct fixture *f, const char *ep)
{
	assert_int_equal(dom_register(f->d, ep, LINKS), 0);
}

/* Registers ep0, ep1, ... up to a NULL. */
static void
register_eps(struct fixture *f, const char *const *eps)
{
	for (; *eps != NULL; eps++)
		register_ep(f, *eps);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->d = dom_new()) == NULL)
		return -1;
	hook_f = f;
	f->d->gw.hooks.dev_reachable = fake_reachable;
	f->d->gw.hooks.dev_send = fake_send;
	f->d->gw.hooks.dev_observe = fake_observe;
	f->d->gw.hooks.dev_observe_cancel = fake_observe_cancel;
	if (dom_start(f->d) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	dom_free(f->d);
	hook_f = NULL;
	free(f);
	return 0;
}

/* Creates a job from its request body, as the API does (parsed against
 * the model with the time now), committed; returns its id. */
static uint64_t
create(struct fixture *f, const char *body)
{
	char field[JOB_FIELD_MAX], err[256];
	struct job_req req;
	uint64_t id;
	int status = 0;

	memset(&req, 0, sizeof(req));
	if (jobparse_request(body, strlen(body), f->d->gw.models, gw_now(),
	    &req, field, sizeof(field), err, sizeof(err)) != 0)
		fail_msg("jobparse_request: %s: %s: %s", body, field, err);
	id = job_create(&f->d->gw, &req, &status, field, sizeof(field), err,
	    sizeof(err));
	jobparse_free(&req);
	if (id == 0)
		fail_msg("job_create: %d %s: %s", status, field, err);
	assert_int_equal(dom_commit(f->d), 0);
	return id;
}

/* A restart over the same store. The face's observations end with the
 * gateway: the ones made before are no longer live. */
static void
restart(struct fixture *f)
{
	int i;

	for (i = 0; i < f->nmade; i++)
		f->made[i].cancelled++;
	assert_int_equal(dom_restart(f->d), 0);
}

/* One look at the jobs, as the one-second timer takes it, then the
 * commit of what it staged (its ops go out). */
static void
step(struct fixture *f)
{
	struct event *tick = f->d->gw.jobs->tick;

	assert_non_null(tick);
	event_get_callback(tick)(-1, EV_TIMEOUT, event_get_callback_arg(tick));
	assert_int_equal(dom_commit(f->d), 0);
}

/* The clock moves by seconds, then the timer runs. */
static void
later(struct fixture *f, int64_t seconds)
{
	dom_advance(seconds);
	step(f);
}

/* The index of the latest request to ep of method and path, or -1. */
static int
find_sent(struct fixture *f, const char *ep, enum devreq_method m,
    const char *path)
{
	int i;

	for (i = f->nsent; i-- > 0;)
		if (strcmp(f->sent[i].ep, ep) == 0 && f->sent[i].method == m &&
		    strcmp(f->sent[i].path, path) == 0)
			return i;
	return -1;
}

/* How many requests ep got of method and path. */
static int
count_sent(struct fixture *f, const char *ep, enum devreq_method m,
    const char *path)
{
	int i, n = 0;

	for (i = 0; i < f->nsent; i++)
		if (strcmp(f->sent[i].ep, ep) == 0 && f->sent[i].method == m &&
		    strcmp(f->sent[i].path, path) == 0)
			n++;
	return n;
}

/* How many requests ep got in all. */
static int
count_ep(struct fixture *f, const char *ep)
{
	int i, n = 0;

	for (i = 0; i < f->nsent; i++)
		n += strcmp(f->sent[i].ep, ep) == 0;
	return n;
}

/* Requests not answered yet. */
static int
unanswered(struct fixture *f)
{
	int i, n = 0;

	for (i = 0; i < f->nsent; i++)
		n += !f->sent[i].answered;
	return n;
}

/* Answers request i with cls.detail (body in cf, or none) and commits. */
static void
answer_at(struct fixture *f, int i, int cls, int detail, int cf,
    const char *body)
{
	struct devresp r;

	if (i < 0 || f->sent[i].answered)
		fail_msg("no request %d to answer", i);
	memset(&r, 0, sizeof(r));
	r.kind = DEVRESP_ANSWER;
	r.cls = cls;
	r.detail = detail;
	r.content_format = body != NULL ? cf : -1;
	r.body = (const uint8_t *)body;
	r.len = body != NULL ? strlen(body) : 0;
	f->sent[i].answered = 1;
	f->sent[i].cb(&r, f->sent[i].arg);
	assert_int_equal(dom_commit(f->d), 0);
}

/* ep answers its latest request of method and path, which is not
 * answered yet. */
static void
answer(struct fixture *f, const char *ep, enum devreq_method m,
    const char *path, int cls, int detail, int cf, const char *body)
{
	int i = find_sent(f, ep, m, path);

	if (i < 0 || f->sent[i].answered)
		fail_msg("%s has no request %d %s to answer", ep, (int)m, path);
	answer_at(f, i, cls, detail, cf, body);
}

/* ep's live observation of path, or NULL. */
static struct made *
live_obs(struct fixture *f, const char *ep, const char *path)
{
	int i;

	for (i = f->nmade; i-- > 0;)
		if (strcmp(f->made[i].ep, ep) == 0 &&
		    strcmp(f->made[i].path, path) == 0 &&
		    !f->made[i].cancelled)
			return &f->made[i];
	return NULL;
}

/* ep notifies value (text/plain) through its observation of path. */
static void
notify(struct fixture *f, const char *ep, const char *path, const char *value)
{
	struct made *m = live_obs(f, ep, path);
	struct devresp r;

	if (m == NULL)
		fail_msg("%s has no observation of %s", ep, path);
	memset(&r, 0, sizeof(r));
	r.kind = DEVRESP_ANSWER;
	r.cls = 2;
	r.detail = 5;
	r.content_format = SENML_CF_TEXT;
	r.body = (const uint8_t *)value;
	r.len = strlen(value);
	m->cb(&r, m->seq++, m->arg);
	assert_int_equal(dom_commit(f->d), 0);
}

/* Job id as JSON; the caller frees it. */
static cJSON *
job_get(struct fixture *f, uint64_t id)
{
	cJSON *o = job_json(&f->d->gw, id);

	if (o == NULL)
		fail_msg("no job %llu", (unsigned long long)id);
	return o;
}

static const char *
status_of(struct fixture *f, uint64_t id)
{
	static char buf[32];
	cJSON *o = job_get(f, id);

	snprintf(buf, sizeof(buf), "%s", cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(o, "status")));
	cJSON_Delete(o);
	return buf;
}

static const char *
reason_of(struct fixture *f, uint64_t id)
{
	static char buf[256];
	cJSON *o = job_get(f, id);

	snprintf(buf, sizeof(buf), "%s", cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(o, "reason")));
	cJSON_Delete(o);
	return buf;
}

/* How many of the job's devices are in state name. */
static int
count_of(struct fixture *f, uint64_t id, const char *name)
{
	cJSON *o = job_get(f, id);
	cJSON *n = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(o, "counts"), name);
	int v;

	assert_true(cJSON_IsNumber(n));
	v = n->valueint;
	cJSON_Delete(o);
	return v;
}

/* ep's committed record in job id (a copy the caller frees). */
static cJSON *
dev_rec(struct fixture *f, uint64_t id, const char *ep)
{
	cJSON *a, *x, *out = NULL;
	int more = 0;

	a = job_devices_json(&f->d->gw, id, -1, NULL, JOB_MAX_DEVICES, &more);
	if (a == NULL)
		fail_msg("no job %llu", (unsigned long long)id);
	cJSON_ArrayForEach(x, a)
		if (strcmp(cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(x, "ep")), ep) == 0)
			out = cJSON_Duplicate(x, 1);
	cJSON_Delete(a);
	if (out == NULL)
		fail_msg("%s is not in job %llu", ep, (unsigned long long)id);
	return out;
}

/* A string member of ep's record ("" when absent or null). */
static const char *
dev_str(struct fixture *f, uint64_t id, const char *ep, const char *name)
{
	static char buf[320];
	cJSON *o = dev_rec(f, id, ep);
	const char *s = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(o, name));

	snprintf(buf, sizeof(buf), "%s", s != NULL ? s : "");
	cJSON_Delete(o);
	return buf;
}

/* A number member of ep's record (-1 when absent). */
static int
dev_num(struct fixture *f, uint64_t id, const char *ep, const char *name)
{
	cJSON *o = dev_rec(f, id, ep);
	cJSON *n = cJSON_GetObjectItemCaseSensitive(o, name);
	int v = cJSON_IsNumber(n) ? n->valueint : -1;

	cJSON_Delete(o);
	return v;
}

#define assert_dev(f, id, ep, name) \
	assert_string_equal(dev_str((f), (id), (ep), "state"), (name))

/* The string contains the substring. */
#define assert_has(s, sub) do {						\
	if (strstr((s), (sub)) == NULL)					\
		fail_msg("\"%s\" does not contain \"%s\"", (s), (sub));	\
} while (0)

/*
 * One device through four steps, each sent only after the one before
 * was answered: a write whose SenML JSON value goes as TLV (the
 * registration says nothing of the formats the device reads), an execute
 * with its arguments as text/plain, a write-attributes as a query with no
 * body, and an execute with a condition. The condition's resource is
 * observed after the device's 2.04; with no notification for [jobs]
 * poll_s it is read; a value that is not the one waited for (read or
 * notified) changes nothing; the value is success, and the observation
 * is let go.
 */
static void
test_steps_in_order(void **state)
{
	struct fixture *f = *state;
	/* TLV: a resource with a value (11), 8-bit id 3, 1 byte: 30 */
	static const uint8_t tlv[] = { 0xc1, 0x03, 0x1e };
	int poll = f->d->gw.cfg.job_poll_s;
	uint64_t id;
	int i;

	register_ep(f, "n1");
	id = create(f, "{\"name\":\"four\",\"target\":{\"endpoints\":[\"n1\"]},"
	    "\"steps\":["
	    "{\"op\":\"write\",\"path\":\"/1/0/3\",\"value\":30},"
	    "{\"op\":\"execute\",\"path\":\"/1/0/8\",\"args\":\"0='now'\"},"
	    "{\"op\":\"write-attributes\",\"path\":\"/3/0/9\","
	    "\"attributes\":{\"pmin\":10,\"pmax\":60}},"
	    "{\"op\":\"execute\",\"path\":\"/3/0/12\","
	    "\"until\":{\"path\":\"/3/0/9\",\"equals\":100}}]}");
	assert_string_equal(status_of(f, id), "running");
	assert_int_equal(f->nsent, 0);

	step(f);
	assert_int_equal(f->nsent, 1);
	i = find_sent(f, "n1", DEVREQ_PUT, "1/0/3");
	assert_int_equal(i, 0);
	assert_int_equal(f->sent[i].cf, SENML_CF_TLV);
	assert_int_equal(f->sent[i].len, sizeof(tlv));
	assert_memory_equal(f->sent[i].body, tlv, sizeof(tlv));
	assert_string_equal(f->sent[i].query, "");
	assert_dev(f, id, "n1", "in_progress");
	assert_string_equal(dev_str(f, id, "n1", "phase"), "sent");
	/* Nothing more while it is out, however often the timer runs. */
	step(f);
	later(f, 1);
	assert_int_equal(f->nsent, 1);

	answer(f, "n1", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	assert_int_equal(f->nsent, 2);
	i = find_sent(f, "n1", DEVREQ_POST, "1/0/8");
	assert_int_equal(i, 1);
	assert_int_equal(f->sent[i].cf, SENML_CF_TEXT);
	assert_int_equal(f->sent[i].len, 7);
	assert_memory_equal(f->sent[i].body, "0='now'", 7);
	assert_int_equal(dev_num(f, id, "n1", "steps_done"), 1);

	answer(f, "n1", DEVREQ_POST, "1/0/8", 2, 4, -1, NULL);
	assert_int_equal(f->nsent, 3);
	i = find_sent(f, "n1", DEVREQ_PUT, "3/0/9");
	assert_int_equal(i, 2);
	assert_string_equal(f->sent[i].query, "pmin=10&pmax=60");
	assert_int_equal(f->sent[i].len, 0);
	assert_int_equal(f->sent[i].cf, -1);

	answer(f, "n1", DEVREQ_PUT, "3/0/9", 2, 4, -1, NULL);
	assert_int_equal(f->nsent, 4);
	i = find_sent(f, "n1", DEVREQ_POST, "3/0/12");
	assert_int_equal(i, 3);
	assert_int_equal(f->sent[i].len, 0);
	assert_null(live_obs(f, "n1", "3/0/9"));

	/* 2.04: the condition is waited for, its resource observed. */
	answer(f, "n1", DEVREQ_POST, "3/0/12", 2, 4, -1, NULL);
	assert_non_null(live_obs(f, "n1", "3/0/9"));
	assert_dev(f, id, "n1", "in_progress");
	assert_string_equal(dev_str(f, id, "n1", "phase"), "waiting");
	assert_int_equal(dev_num(f, id, "n1", "steps_done"), 3);

	/* Silent for less than poll_s: no read; for poll_s: a read. */
	later(f, poll - 1);
	assert_int_equal(f->nsent, 4);
	later(f, 1);
	assert_int_equal(f->nsent, 5);
	assert_int_equal(count_sent(f, "n1", DEVREQ_GET, "3/0/9"), 1);
	assert_string_equal(dev_str(f, id, "n1", "phase"), "reading");
	answer(f, "n1", DEVREQ_GET, "3/0/9", 2, 5, SENML_CF_TEXT, "40");
	assert_string_equal(dev_str(f, id, "n1", "phase"), "waiting");
	/* The next read is poll_s after the last. */
	later(f, poll - 1);
	assert_int_equal(count_sent(f, "n1", DEVREQ_GET, "3/0/9"), 1);

	/* A value that is not it changes nothing; the value ends it. */
	notify(f, "n1", "3/0/9", "99");
	assert_dev(f, id, "n1", "in_progress");
	assert_string_equal(dev_str(f, id, "n1", "phase"), "waiting");
	notify(f, "n1", "3/0/9", "100");
	assert_dev(f, id, "n1", "succeeded");
	assert_int_equal(dev_num(f, id, "n1", "steps_done"), 4);
	assert_int_equal(dev_num(f, id, "n1", "attempts"), 1);
	/* Let go of at the next turn of the loop, not under its own
	 * notification. */
	assert_non_null(live_obs(f, "n1", "3/0/9"));
	dom_turns(f->d, 1);
	assert_null(live_obs(f, "n1", "3/0/9"));
	step(f);
	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(count_of(f, id, "succeeded"), 1);
	assert_int_equal(f->nsent, 5);
	later(f, poll);
	assert_int_equal(f->nsent, 5);
}

/*
 * The rate, 60 a minute doubled after each 2 successes up to 240: the
 * devices started in each second, all answered at once, are 1, 1 (one
 * success, still 60), 2 (two, 120), 4 (four, 240), then 4 (the ceiling,
 * not 960). A second look in the same second starts nobody.
 */
static void
test_rate_ramp(void **state)
{
	struct fixture *f = *state;
	static const int want[] = { 1, 1, 2, 4, 4, 4 };
	char body[1024], ep[16];
	size_t k, n = 0, len;
	uint64_t id;
	int i, before, started;

	len = (size_t)snprintf(body, sizeof(body), "{\"target\":{"
	    "\"endpoints\":[");
	for (i = 0; i < 20; i++) {
		snprintf(ep, sizeof(ep), "r%02d", i);
		register_ep(f, ep);
		len += (size_t)snprintf(body + len, sizeof(body) - len,
		    "%s\"%s\"", i > 0 ? "," : "", ep);
	}
	snprintf(body + len, sizeof(body) - len, "]},\"steps\":[{\"op\":"
	    "\"write\",\"path\":\"/1/0/3\",\"value\":30}],\"rollout\":{"
	    "\"max_concurrent\":100,\"rate\":{\"per_minute\":60,"
	    "\"ramp_factor\":2,\"ramp_every\":2,\"max_per_minute\":240}}}");
	id = create(f, body);

	for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		if (k > 0)
			dom_advance(1);
		before = f->nsent;
		step(f);
		step(f);
		started = f->nsent - before;
		if (started != want[k])
			fail_msg("second %zu: %d started, not %d", k, started,
			    want[k]);
		for (i = before; i < f->nsent; i++)
			answer_at(f, i, 2, 4, -1, NULL);
		n += (size_t)started;
		assert_int_equal(count_of(f, id, "succeeded"), (int)n);
	}
	assert_int_equal(count_of(f, id, "pending"), 20 - (int)n);
}

/*
 * max_concurrent 2 of 5 devices: never more than two in progress, and a
 * device that finishes lets the next begin.
 */
static void
test_max_concurrent(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", "n3", "n4", "n5",
	    NULL };
	uint64_t id;
	int k;

	register_eps(f, eps);
	id = create(f, "{\"target\":{\"endpoints\":[\"n1\",\"n2\",\"n3\","
	    "\"n4\",\"n5\"]},\"steps\":[{\"op\":\"write\",\"path\":"
	    "\"/1/0/3\",\"value\":30}],\"rollout\":{\"max_concurrent\":2}}");
	step(f);
	step(f);
	later(f, 5);
	assert_int_equal(f->nsent, 2);
	assert_int_equal(count_of(f, id, "in_progress"), 2);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/3"), 1);
	assert_int_equal(count_sent(f, "n2", DEVREQ_PUT, "1/0/3"), 1);
	for (k = 2; k < 5; k++) {
		answer_at(f, k - 2, 2, 4, -1, NULL);
		assert_int_equal(count_of(f, id, "in_progress"), 1);
		step(f);
		step(f);
		assert_int_equal(f->nsent, k + 1);
		assert_int_equal(count_of(f, id, "in_progress"), 2);
		assert_int_equal(count_sent(f, eps[k], DEVREQ_PUT, "1/0/3"), 1);
	}
	answer_at(f, 3, 2, 4, -1, NULL);
	answer_at(f, 4, 2, 4, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(count_of(f, id, "succeeded"), 5);
}

/*
 * A group's failure threshold (25% of 4) pauses the job, the reason
 * naming the group; nothing new starts while paused, though a device in
 * flight is still heard. Resumed, that group goes on past its threshold
 * (a third failure does not pause it again); the next group is judged on
 * its own and pauses at its second failure.
 */
static void
test_group_threshold(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", "n3", "n4", "n5",
	    "n6", "n7", "n8", NULL };
	uint64_t id;
	int i;

	register_eps(f, eps);
	id = create(f, "{\"target\":{\"endpoints\":[\"n1\",\"n2\",\"n3\","
	    "\"n4\",\"n5\",\"n6\",\"n7\",\"n8\"]},\"steps\":[{\"op\":"
	    "\"write\",\"path\":\"/1/0/3\",\"value\":30}],\"rollout\":{"
	    "\"groups\":2,\"max_concurrent\":10,\"retries\":0,"
	    "\"failure\":{\"group_percent\":25}}}");
	step(f);
	assert_int_equal(f->nsent, 4);
	for (i = 4; i < 8; i++)
		assert_int_equal(count_ep(f, eps[i]), 0);

	/* One of four is 25%: not over. */
	answer(f, "n1", DEVREQ_PUT, "1/0/3", 4, 0, -1, NULL);
	assert_dev(f, id, "n1", "failed");
	assert_has(dev_str(f, id, "n1", "error"), "4.00");
	step(f);
	assert_string_equal(status_of(f, id), "running");
	/* Two are over. */
	answer(f, "n2", DEVREQ_PUT, "1/0/3", 4, 0, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "paused");
	assert_string_equal(reason_of(f, id), "group 1: 2 of 4 devices "
	    "failed, over the threshold of 25%");
	assert_non_null(strstr(dom_event_last(f->d, "job"),
	    "\"status\":\"paused\""));
	answer(f, "n3", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	assert_dev(f, id, "n3", "succeeded");
	later(f, 10);
	assert_string_equal(status_of(f, id), "paused");
	assert_int_equal(f->nsent, 4);

	assert_int_equal(job_action(&f->d->gw, id, "resume"), 0);
	assert_int_equal(job_action(&f->d->gw, id, "resume"), -2);
	assert_int_equal(job_action(&f->d->gw, id, "continue"), -2);
	assert_int_equal(job_action(&f->d->gw, id + 1, "resume"), -1);
	assert_int_equal(dom_commit(f->d), 0);
	assert_string_equal(status_of(f, id), "running");
	answer(f, "n4", DEVREQ_PUT, "1/0/3", 4, 0, -1, NULL);
	/* 3 of 4 in group 1, past its threshold: group 2 starts. */
	step(f);
	assert_string_equal(status_of(f, id), "running");
	assert_int_equal(f->nsent, 8);
	for (i = 4; i < 8; i++)
		assert_int_equal(count_sent(f, eps[i], DEVREQ_PUT, "1/0/3"), 1);
	answer(f, "n5", DEVREQ_PUT, "1/0/3", 4, 5, -1, NULL);
	answer(f, "n6", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "running");
	answer(f, "n7", DEVREQ_PUT, "1/0/3", 4, 5, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "paused");
	assert_string_equal(reason_of(f, id), "group 2: 2 of 4 devices "
	    "failed, over the threshold of 25%");
	assert_int_equal(job_action(&f->d->gw, id, "resume"), 0);
	answer(f, "n8", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(count_of(f, id, "failed"), 5);
	assert_int_equal(count_of(f, id, "succeeded"), 3);
}

/*
 * The job's own threshold (30% of all its devices, pending ones too)
 * pauses it across groups whose own threshold (100%) never does; resumed
 * past it, it finishes.
 */
static void
test_overall_threshold(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", "n3", "n4", "n5",
	    "n6", NULL };
	uint64_t id;

	register_eps(f, eps);
	id = create(f, "{\"target\":{\"endpoints\":[\"n1\",\"n2\",\"n3\","
	    "\"n4\",\"n5\",\"n6\"]},\"steps\":[{\"op\":\"write\",\"path\":"
	    "\"/1/0/3\",\"value\":30}],\"rollout\":{\"groups\":2,"
	    "\"retries\":0,\"failure\":{\"group_percent\":100,"
	    "\"overall_percent\":30}}}");
	step(f);
	/* 1 of 6 failed, then 2, then 3 */
	answer(f, "n1", DEVREQ_PUT, "1/0/3", 4, 0, -1, NULL);
	answer(f, "n2", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	answer(f, "n3", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "running");
	assert_int_equal(f->nsent, 6);
	answer(f, "n4", DEVREQ_PUT, "1/0/3", 4, 0, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "paused");
	assert_string_equal(reason_of(f, id), "2 of 6 devices failed, over "
	    "the job's threshold of 30%");
	assert_int_equal(job_action(&f->d->gw, id, "resume"), 0);
	answer(f, "n5", DEVREQ_PUT, "1/0/3", 4, 0, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "running");
	answer(f, "n6", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(count_of(f, id, "failed"), 3);
}

/*
 * The approval gate: group 1 done, the job awaits approval and group 2
 * gets nothing however long it waits; continue starts it.
 */
static void
test_approval(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", "n3", "n4", NULL };
	uint64_t id;

	register_eps(f, eps);
	id = create(f, "{\"target\":{\"endpoints\":[\"n1\",\"n2\",\"n3\","
	    "\"n4\"]},\"steps\":[{\"op\":\"write\",\"path\":\"/1/0/3\","
	    "\"value\":30}],\"rollout\":{\"groups\":2,\"approval\":true}}");
	step(f);
	assert_int_equal(f->nsent, 2);
	assert_int_equal(job_action(&f->d->gw, id, "continue"), -2);
	answer(f, "n1", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	answer(f, "n2", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "awaiting_approval");
	assert_has(reason_of(f, id), "group 1 of 2 is done");
	later(f, 3600);
	assert_string_equal(status_of(f, id), "awaiting_approval");
	assert_int_equal(f->nsent, 2);
	assert_dev(f, id, "n3", "pending");

	assert_int_equal(job_action(&f->d->gw, id, "continue"), 0);
	assert_int_equal(dom_commit(f->d), 0);
	assert_string_equal(status_of(f, id), "running");
	step(f);
	assert_int_equal(f->nsent, 4);
	assert_int_equal(count_sent(f, "n3", DEVREQ_PUT, "1/0/3"), 1);
	assert_int_equal(count_sent(f, "n4", DEVREQ_PUT, "1/0/3"), 1);
	answer(f, "n3", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	answer(f, "n4", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "done");
}

/*
 * Retries: the second step refused (4.05) is tried again after backoff_s,
 * then after twice that, from that step (the first is not sent again);
 * the device fails once the two retries are spent, its record saying
 * three attempts, one step done and the device's code.
 */
static void
test_retries_backoff(void **state)
{
	struct fixture *f = *state;
	uint64_t id;

	register_ep(f, "n1");
	id = create(f, "{\"target\":{\"endpoints\":[\"n1\"]},\"steps\":["
	    "{\"op\":\"write\",\"path\":\"/1/0/3\",\"value\":30},"
	    "{\"op\":\"write\",\"path\":\"/1/0/2\",\"value\":1}],"
	    "\"rollout\":{\"retries\":2,\"backoff_s\":10,"
	    "\"failure\":{\"group_percent\":100}}}");
	step(f);
	answer(f, "n1", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	answer(f, "n1", DEVREQ_PUT, "1/0/2", 4, 5, -1, NULL);
	assert_dev(f, id, "n1", "in_progress");
	assert_string_equal(dev_str(f, id, "n1", "phase"), "backoff");
	assert_has(dev_str(f, id, "n1", "error"), "4.05");

	later(f, 9);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/2"), 1);
	later(f, 1);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/2"), 2);
	assert_int_equal(dev_num(f, id, "n1", "attempts"), 2);
	answer(f, "n1", DEVREQ_PUT, "1/0/2", 4, 5, -1, NULL);
	later(f, 19);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/2"), 2);
	later(f, 1);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/2"), 3);
	answer(f, "n1", DEVREQ_PUT, "1/0/2", 4, 5, -1, NULL);
	assert_dev(f, id, "n1", "failed");
	assert_int_equal(dev_num(f, id, "n1", "attempts"), 3);
	assert_int_equal(dev_num(f, id, "n1", "steps_done"), 1);
	assert_has(dev_str(f, id, "n1", "error"), "4.05");
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/3"), 1);
	later(f, 100);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/2"), 3);
	assert_string_equal(status_of(f, id), "done");
}

/*
 * The per-device timeout: n1 never answers (asleep, its op stays
 * queued); after timeout_s it fails, its op is cancelled, and it gets
 * nothing when it wakes.
 */
static void
test_timeout(void **state)
{
	struct fixture *f = *state;
	struct op_view v;
	uint64_t id, op;
	void *buf = NULL;

	register_ep(f, "n1");
	set_asleep(f, "n1", 1);
	id = create(f, "{\"target\":{\"endpoints\":[\"n1\"]},\"steps\":["
	    "{\"op\":\"write\",\"path\":\"/1/0/3\",\"value\":30}],"
	    "\"rollout\":{\"timeout_s\":30,\"retries\":0}}");
	step(f);
	assert_int_equal(f->nsent, 0);
	assert_int_equal(queue_length(&f->d->gw, "n1"), 1);
	op = (uint64_t)dev_num(f, id, "n1", "op");
	assert_true(op > 0);
	later(f, 29);
	assert_dev(f, id, "n1", "in_progress");
	later(f, 1);
	assert_dev(f, id, "n1", "failed");
	assert_has(dev_str(f, id, "n1", "error"), "timed out after 30 s");
	assert_int_equal(queue_length(&f->d->gw, "n1"), 0);
	assert_int_equal(queue_get(&f->d->gw, op, &v, &buf), 0);
	assert_int_equal(v.state, OP_CANCELLED);
	free(buf);
	set_asleep(f, "n1", 0);
	queue_wake(&f->d->gw, "n1");
	assert_int_equal(f->nsent, 0);
}

/*
 * A reboot's preconditions, with max_concurrent 1. n1's firmware State is
 * read first: 1 (downloading) defers it with that reason and no execute,
 * and a deferred device holds no slot (n2 begins). After recheck_s it is
 * read again (0), then /3/0: battery 10 with only an internal battery
 * defers it again; the next time the power sources list AC (6) and
 * external_power passes it, and the execute goes.
 */
static void
test_preconditions(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", NULL };
	char t[GW_TIME_LEN];
	uint64_t id;

	register_eps(f, eps);
	id = create(f, "{\"target\":{\"endpoints\":[\"n1\",\"n2\"]},"
	    "\"steps\":[{\"op\":\"execute\",\"path\":\"/3/0/4\"}],"
	    "\"rollout\":{\"max_concurrent\":1},\"preconditions\":{"
	    "\"battery_min\":30,\"external_power\":true,\"recheck_s\":100}}");
	step(f);
	assert_int_equal(f->nsent, 1);
	assert_int_equal(count_sent(f, "n1", DEVREQ_GET, "5/0/3"), 1);
	assert_string_equal(dev_str(f, id, "n1", "phase"),
	    "checking_firmware");
	answer(f, "n1", DEVREQ_GET, "5/0/3", 2, 5, SENML_CF_TEXT, "1");
	assert_dev(f, id, "n1", "deferred");
	assert_has(dev_str(f, id, "n1", "error"), "downloading");
	assert_string_equal(dev_str(f, id, "n1", "next_at"),
	    gw_time_str((int64_t)time(NULL) + 100, t));
	assert_int_equal(count_of(f, id, "in_progress"), 0);
	assert_int_equal(count_sent(f, "n1", DEVREQ_POST, "3/0/4"), 0);

	/* n1 holds no slot: n2 begins, passes and is rebooted. */
	step(f);
	assert_int_equal(count_sent(f, "n2", DEVREQ_GET, "5/0/3"), 1);
	answer(f, "n2", DEVREQ_GET, "5/0/3", 2, 5, SENML_CF_TEXT, "0");
	assert_int_equal(count_sent(f, "n2", DEVREQ_GET, "3/0"), 1);
	assert_string_equal(dev_str(f, id, "n2", "phase"), "checking_power");
	answer(f, "n2", DEVREQ_GET, "3/0", 2, 5, SENML_CF_JSON,
	    "[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":80},"
	    "{\"n\":\"6/0\",\"v\":1}]");
	assert_int_equal(count_sent(f, "n2", DEVREQ_POST, "3/0/4"), 1);
	answer(f, "n2", DEVREQ_POST, "3/0/4", 2, 4, -1, NULL);
	assert_dev(f, id, "n2", "succeeded");

	/* Not before recheck_s. */
	later(f, 99);
	assert_int_equal(count_sent(f, "n1", DEVREQ_GET, "5/0/3"), 1);
	later(f, 1);
	assert_int_equal(count_sent(f, "n1", DEVREQ_GET, "5/0/3"), 2);
	assert_dev(f, id, "n1", "in_progress");
	answer(f, "n1", DEVREQ_GET, "5/0/3", 2, 5, SENML_CF_TEXT, "0");
	answer(f, "n1", DEVREQ_GET, "3/0", 2, 5, SENML_CF_JSON,
	    "[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":10},"
	    "{\"n\":\"6/0\",\"v\":1}]");
	assert_dev(f, id, "n1", "deferred");
	assert_string_equal(dev_str(f, id, "n1", "error"), "battery at 10%, "
	    "below 30% and no external power (/3/0/6)");
	assert_int_equal(count_sent(f, "n1", DEVREQ_POST, "3/0/4"), 0);

	later(f, 100);
	answer(f, "n1", DEVREQ_GET, "5/0/3", 2, 5, SENML_CF_TEXT, "0");
	answer(f, "n1", DEVREQ_GET, "3/0", 2, 5, SENML_CF_JSON,
	    "[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":10},"
	    "{\"n\":\"6/0\",\"v\":1},{\"n\":\"6/1\",\"v\":6}]");
	assert_int_equal(count_sent(f, "n1", DEVREQ_POST, "3/0/4"), 1);
	answer(f, "n1", DEVREQ_POST, "3/0/4", 2, 4, -1, NULL);
	assert_dev(f, id, "n1", "succeeded");
	assert_string_equal(dev_str(f, id, "n1", "error"), "");
	assert_int_equal(dev_num(f, id, "n1", "attempts"), 1);
	step(f);
	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(count_sent(f, "n1", DEVREQ_GET, "5/0/3"), 3);
	assert_int_equal(count_sent(f, "n1", DEVREQ_GET, "3/0"), 2);
}

/* Advances the clock to the next hh:mm:00 UTC (now if it is that). */
static void
advance_to(int hh, int mm)
{
	int64_t now = (int64_t)time(NULL), at = (int64_t)(hh * 60 + mm) * 60;
	int64_t into = now % 86400;

	dom_advance((at - into + 86400) % 86400);
}

/*
 * start_at: the job is scheduled and sends nothing until the clock
 * passes it.
 */
static void
test_start_at(void **state)
{
	struct fixture *f = *state;
	char body[512];
	uint64_t id;

	register_ep(f, "n1");
	snprintf(body, sizeof(body), "{\"target\":{\"endpoints\":[\"n1\"]},"
	    "\"steps\":[{\"op\":\"write\",\"path\":\"/1/0/3\",\"value\":30}],"
	    "\"schedule\":{\"start_at\":%lld}}",
	    (long long)time(NULL) + 100);
	id = create(f, body);
	assert_string_equal(status_of(f, id), "scheduled");
	step(f);
	later(f, 99);
	assert_string_equal(status_of(f, id), "scheduled");
	assert_int_equal(f->nsent, 0);
	later(f, 1);
	assert_string_equal(status_of(f, id), "running");
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/3"), 1);
}

/*
 * A window 09:00-10:00 UTC: at 08:00 and 08:59:59 nothing starts; at
 * 09:00 the first device does; a device in progress at 10:00 finishes,
 * the next one waits for the next day's window.
 */
static void
test_window(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", NULL };
	uint64_t id;

	register_eps(f, eps);
	advance_to(8, 0);
	id = create(f, "{\"target\":{\"endpoints\":[\"n1\",\"n2\"]},"
	    "\"steps\":[{\"op\":\"write\",\"path\":\"/1/0/3\",\"value\":30}],"
	    "\"rollout\":{\"max_concurrent\":1,\"timeout_s\":86400},"
	    "\"schedule\":{\"window\":{\"from\":\"09:00\",\"to\":\"10:00\"}}}");
	assert_string_equal(status_of(f, id), "running");
	step(f);
	later(f, 3599);
	assert_int_equal(f->nsent, 0);
	later(f, 1);
	assert_int_equal(f->nsent, 1);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/3"), 1);
	later(f, 3599);
	dom_advance(1);				/* 10:00 */
	answer(f, "n1", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	assert_dev(f, id, "n1", "succeeded");
	step(f);
	later(f, 23 * 3600 - 1);		/* 08:59:59 */
	assert_int_equal(f->nsent, 1);
	assert_dev(f, id, "n2", "pending");
	later(f, 1);
	assert_int_equal(count_sent(f, "n2", DEVREQ_PUT, "1/0/3"), 1);
}

/*
 * end_at: when it passes, the devices not begun are skipped; the one in
 * progress is followed to its end, and then the job has ended.
 */
static void
test_end_at(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", "n3", NULL };
	char body[512];
	uint64_t id;

	register_eps(f, eps);
	snprintf(body, sizeof(body), "{\"target\":{\"endpoints\":[\"n1\","
	    "\"n2\",\"n3\"]},\"steps\":[{\"op\":\"write\",\"path\":"
	    "\"/1/0/3\",\"value\":30}],\"rollout\":{\"max_concurrent\":1},"
	    "\"schedule\":{\"end_at\":%lld}}", (long long)time(NULL) + 50);
	id = create(f, body);
	step(f);
	assert_int_equal(f->nsent, 1);
	later(f, 50);
	assert_dev(f, id, "n2", "skipped");
	assert_dev(f, id, "n3", "skipped");
	assert_dev(f, id, "n1", "in_progress");
	assert_string_equal(status_of(f, id), "running");
	answer(f, "n1", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "ended");
	assert_has(reason_of(f, id), "end_at passed: 2 devices");
	assert_int_equal(count_of(f, id, "succeeded"), 1);
	assert_int_equal(count_of(f, id, "skipped"), 2);
	assert_int_equal(f->nsent, 1);
}

/*
 * A paused job sends no retry: n1's back-off runs out while it is
 * paused, and its retry waits for resume; end_at then ends the paused
 * job, and a device still in back-off fails, its retry never sent.
 */
static void
test_paused_retry_and_end(void **state)
{
	struct fixture *f = *state;
	char body[512];
	uint64_t id;

	register_ep(f, "n1");
	snprintf(body, sizeof(body), "{\"target\":{\"endpoints\":[\"n1\"]},"
	    "\"steps\":[{\"op\":\"write\",\"path\":\"/1/0/3\",\"value\":30}],"
	    "\"rollout\":{\"retries\":3,\"backoff_s\":10,\"failure\":"
	    "{\"group_percent\":100}},\"schedule\":{\"end_at\":%lld}}",
	    (long long)time(NULL) + 100);
	id = create(f, body);
	step(f);
	answer(f, "n1", DEVREQ_PUT, "1/0/3", 4, 5, -1, NULL);
	assert_string_equal(dev_str(f, id, "n1", "phase"), "backoff");
	assert_int_equal(job_action(&f->d->gw, id, "pause"), 0);
	later(f, 30);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/3"), 1);
	assert_int_equal(job_action(&f->d->gw, id, "resume"), 0);
	step(f);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/3"), 2);
	answer(f, "n1", DEVREQ_PUT, "1/0/3", 4, 5, -1, NULL);
	assert_int_equal(job_action(&f->d->gw, id, "pause"), 0);
	later(f, 70);
	assert_string_equal(status_of(f, id), "ended");
	assert_dev(f, id, "n1", "failed");
	assert_has(dev_str(f, id, "n1", "error"), "end_at passed");
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/3"), 2);
}

/* Sets ep's tags (one, or none for NULL) and commits. */
static void
tag(struct fixture *f, const char *ep, const char *t)
{
	char tags[1][TAG_LEN_MAX + 1];

	if (t != NULL)
		snprintf(tags[0], sizeof(tags[0]), "%s", t);
	assert_int_equal(tags_set(&f->d->gw, ep, tags, t != NULL), 0);
	assert_int_equal(dom_commit(f->d), 0);
}

/*
 * Continuous jobs: one over every device (n2 registers after it is made
 * and joins it), one over the tag site-a (n3, registered, gains the tag
 * and joins; n4 gains another tag and does not). A joined device gets the
 * steps, and a continuous job with nothing left to do keeps running.
 */
static void
test_continuous(void **state)
{
	struct fixture *f = *state;
	uint64_t all, tagged;

	register_ep(f, "n1");
	all = create(f, "{\"target\":{\"all\":true,\"continuous\":true},"
	    "\"steps\":[{\"op\":\"write\",\"path\":\"/1/0/3\",\"value\":30}]}");
	tagged = create(f, "{\"target\":{\"tags\":[\"site-a\"],"
	    "\"continuous\":true},\"steps\":[{\"op\":\"write\",\"path\":"
	    "\"/1/0/2\",\"value\":5}]}");
	assert_int_equal(count_of(f, all, "pending"), 1);
	assert_int_equal(count_of(f, tagged, "pending"), 0);
	step(f);
	answer(f, "n1", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, all), "running");
	assert_string_equal(status_of(f, tagged), "running");

	register_ep(f, "n2");
	assert_int_equal(count_of(f, all, "pending"), 1);
	assert_dev(f, all, "n2", "pending");
	step(f);
	answer(f, "n2", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	assert_dev(f, all, "n2", "succeeded");

	register_ep(f, "n3");
	register_ep(f, "n4");
	step(f);
	answer(f, "n3", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	answer(f, "n4", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	tag(f, "n3", "site-a");
	tag(f, "n4", "site-b");
	assert_dev(f, tagged, "n3", "pending");
	assert_int_equal(count_of(f, tagged, "pending"), 1);
	step(f);
	assert_int_equal(count_sent(f, "n3", DEVREQ_PUT, "1/0/2"), 1);
	assert_int_equal(count_sent(f, "n4", DEVREQ_PUT, "1/0/2"), 0);
	answer(f, "n3", DEVREQ_PUT, "1/0/2", 2, 4, -1, NULL);
	/* Joined once: tagged again, it is not taken through again. */
	tag(f, "n3", "site-a");
	step(f);
	assert_int_equal(count_sent(f, "n3", DEVREQ_PUT, "1/0/2"), 1);
	assert_int_equal(count_of(f, tagged, "succeeded"), 1);
	assert_int_equal(count_of(f, all, "succeeded"), 4);
	assert_string_equal(status_of(f, all), "running");
	assert_string_equal(status_of(f, tagged), "running");
	/* The joins are in the store. */
	restart(f);
	assert_int_equal(count_of(f, all, "succeeded"), 4);
	assert_dev(f, tagged, "n3", "succeeded");
}

/*
 * Restarts. n1 answers its first step while asleep for the next: the
 * answer's batch carries the device's record and the second step's op,
 * so after a restart the first step is not sent again and the second,
 * queued, is delivered once when n1 wakes. n2's first op is queued (n2
 * asleep) across a restart and is delivered once, and n2 goes on. n3
 * waits for its condition across a restart: observed again, it ends on
 * the value.
 */
static void
test_restart(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", "n3", NULL };
	uint64_t id;

	register_eps(f, eps);
	set_asleep(f, "n2", 1);
	id = create(f, "{\"target\":{\"endpoints\":[\"n1\",\"n2\",\"n3\"]},"
	    "\"steps\":[{\"op\":\"write\",\"path\":\"/1/0/3\",\"value\":30},"
	    "{\"op\":\"execute\",\"path\":\"/3/0/12\",\"until\":{\"path\":"
	    "\"/3/0/9\",\"equals\":100}}]}");
	step(f);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/3"), 1);
	assert_int_equal(count_sent(f, "n2", DEVREQ_PUT, "1/0/3"), 0);
	assert_int_equal(count_sent(f, "n3", DEVREQ_PUT, "1/0/3"), 1);
	answer(f, "n3", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	answer(f, "n3", DEVREQ_POST, "3/0/12", 2, 4, -1, NULL);
	assert_string_equal(dev_str(f, id, "n3", "phase"), "waiting");
	set_asleep(f, "n1", 1);
	answer(f, "n1", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	assert_int_equal(queue_length(&f->d->gw, "n1"), 1);

	restart(f);
	assert_string_equal(status_of(f, id), "running");
	assert_dev(f, id, "n1", "in_progress");
	assert_int_equal(dev_num(f, id, "n1", "steps_done"), 1);
	assert_string_equal(dev_str(f, id, "n1", "phase"), "sent");
	assert_non_null(live_obs(f, "n3", "3/0/9"));
	step(f);
	set_asleep(f, "n1", 0);
	set_asleep(f, "n2", 0);
	queue_wake(&f->d->gw, "n1");
	queue_wake(&f->d->gw, "n2");
	step(f);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/3"), 1);
	assert_int_equal(count_sent(f, "n1", DEVREQ_POST, "3/0/12"), 1);
	assert_int_equal(count_sent(f, "n2", DEVREQ_PUT, "1/0/3"), 1);
	answer(f, "n2", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	assert_int_equal(count_sent(f, "n2", DEVREQ_POST, "3/0/12"), 1);

	notify(f, "n3", "3/0/9", "100");
	assert_dev(f, id, "n3", "succeeded");
	answer(f, "n1", DEVREQ_POST, "3/0/12", 2, 4, -1, NULL);
	answer(f, "n2", DEVREQ_POST, "3/0/12", 2, 4, -1, NULL);
	notify(f, "n1", "3/0/9", "100");
	notify(f, "n2", "3/0/9", "100");
	step(f);
	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(count_of(f, id, "succeeded"), 3);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/3"), 1);
	assert_int_equal(count_sent(f, "n2", DEVREQ_PUT, "1/0/3"), 1);
	assert_int_equal(count_sent(f, "n3", DEVREQ_PUT, "1/0/3"), 1);
	assert_int_equal(count_sent(f, "n3", DEVREQ_POST, "3/0/12"), 1);
}

/*
 * A step with a condition that the device refuses (4.05) may have gone
 * through with an earlier copy: the condition's resource is read, and it
 * decides. n1 reads 100: the step is done. n2 reads 5: the refusal
 * stands, and with no retries n2 fails with the device's code.
 */
static void
test_refused_until(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", NULL };
	uint64_t id;

	register_eps(f, eps);
	id = create(f, "{\"target\":{\"endpoints\":[\"n1\",\"n2\"]},"
	    "\"steps\":[{\"op\":\"execute\",\"path\":\"/3/0/12\",\"until\":"
	    "{\"path\":\"/3/0/9\",\"equals\":100}}],\"rollout\":{"
	    "\"retries\":0,\"failure\":{\"group_percent\":100}}}");
	step(f);
	answer(f, "n1", DEVREQ_POST, "3/0/12", 4, 5, -1, NULL);
	answer(f, "n2", DEVREQ_POST, "3/0/12", 4, 5, -1, NULL);
	assert_int_equal(count_sent(f, "n1", DEVREQ_GET, "3/0/9"), 1);
	assert_int_equal(count_sent(f, "n2", DEVREQ_GET, "3/0/9"), 1);
	assert_string_equal(dev_str(f, id, "n1", "phase"), "reading");
	answer(f, "n1", DEVREQ_GET, "3/0/9", 2, 5, SENML_CF_TEXT, "100");
	answer(f, "n2", DEVREQ_GET, "3/0/9", 2, 5, SENML_CF_TEXT, "5");
	assert_dev(f, id, "n1", "succeeded");
	assert_string_equal(dev_str(f, id, "n1", "error"), "");
	assert_dev(f, id, "n2", "failed");
	assert_has(dev_str(f, id, "n2", "error"), "4.05");
	assert_int_equal(count_sent(f, "n1", DEVREQ_POST, "3/0/12"), 1);
	assert_int_equal(count_sent(f, "n2", DEVREQ_POST, "3/0/12"), 1);
	step(f);
	assert_string_equal(status_of(f, id), "done");
	assert_null(live_obs(f, "n1", "3/0/9"));
	assert_null(live_obs(f, "n2", "3/0/9"));
}

/*
 * A step's op on the wire when the gateway stops (the face ends it as it
 * stops, which is no attempt) is delivered again after the restart, at
 * least once, and the job goes on from its answer.
 */
static void
test_restart_on_the_wire(void **state)
{
	struct fixture *f = *state;
	struct devresp r;
	uint64_t id;
	int k;

	register_ep(f, "n1");
	id = create(f, "{\"target\":{\"endpoints\":[\"n1\"]},\"steps\":["
	    "{\"op\":\"write\",\"path\":\"/1/0/3\",\"value\":30},"
	    "{\"op\":\"write\",\"path\":\"/1/0/2\",\"value\":5}]}");
	step(f);
	k = find_sent(f, "n1", DEVREQ_PUT, "1/0/3");
	assert_true(k >= 0);
	f->d->gw.stopping = 1;
	memset(&r, 0, sizeof(r));
	r.kind = DEVRESP_UNREACHABLE;
	r.content_format = -1;
	f->sent[k].answered = 1;
	f->sent[k].cb(&r, f->sent[k].arg);
	restart(f);

	assert_dev(f, id, "n1", "in_progress");
	assert_string_equal(dev_str(f, id, "n1", "phase"), "sent");
	queue_wake(&f->d->gw, "n1");
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/3"), 2);
	answer(f, "n1", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/2"), 1);
	answer(f, "n1", DEVREQ_PUT, "1/0/2", 2, 4, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(dev_num(f, id, "n1", "attempts"), 1);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/3"), 2);
}

/*
 * A device decommissioned during a job ends removed: its queued op is
 * cancelled (not sent when it comes back), its condition's observation
 * let go, and it counts toward no threshold: with failure group_percent
 * 0 the job does not pause for it and ends done. A device the job has
 * finished with is not taken from it.
 */
static void
test_drop_device(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", "n3", NULL };
	uint64_t id;

	register_eps(f, eps);
	set_asleep(f, "n2", 1);
	id = create(f, "{\"target\":{\"endpoints\":[\"n1\",\"n2\",\"n3\"]},"
	    "\"steps\":[{\"op\":\"execute\",\"path\":\"/3/0/12\",\"until\":"
	    "{\"path\":\"/3/0/9\",\"equals\":100}}],"
	    "\"rollout\":{\"failure\":{\"group_percent\":0}}}");
	step(f);
	assert_int_equal(queue_length(&f->d->gw, "n2"), 1);
	answer(f, "n3", DEVREQ_POST, "3/0/12", 2, 4, -1, NULL);
	assert_non_null(live_obs(f, "n3", "3/0/9"));

	assert_int_equal(job_drop_device(&f->d->gw, "n2"), 1);
	assert_int_equal(job_drop_device(&f->d->gw, "n3"), 1);
	assert_int_equal(dom_commit(f->d), 0);
	assert_dev(f, id, "n2", "removed");
	assert_dev(f, id, "n3", "removed");
	assert_int_equal(queue_length(&f->d->gw, "n2"), 0);
	assert_null(live_obs(f, "n3", "3/0/9"));
	set_asleep(f, "n2", 0);
	queue_wake(&f->d->gw, "n2");
	assert_int_equal(count_ep(f, "n2"), 0);
	assert_int_equal(job_drop_device(&f->d->gw, "n2"), 0);

	step(f);
	assert_string_equal(status_of(f, id), "running");
	answer(f, "n1", DEVREQ_POST, "3/0/12", 2, 4, -1, NULL);
	notify(f, "n1", "3/0/9", "100");
	assert_int_equal(job_drop_device(&f->d->gw, "n1"), 0);
	step(f);
	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(count_of(f, id, "succeeded"), 1);
	assert_int_equal(count_of(f, id, "removed"), 2);
	assert_int_equal(count_of(f, id, "failed"), 0);
	assert_dev(f, id, "n1", "succeeded");
}

/*
 * Paused by the operator and resumed, a group is still judged by its
 * threshold: only a resume of a group over it lets the group go past it.
 */
static void
test_pause_keeps_threshold(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", "n3", "n4", NULL };
	uint64_t id;

	register_eps(f, eps);
	id = create(f, "{\"target\":{\"endpoints\":[\"n1\",\"n2\",\"n3\","
	    "\"n4\"]},\"steps\":[{\"op\":\"write\",\"path\":\"/1/0/3\","
	    "\"value\":30}],\"rollout\":{\"retries\":0,"
	    "\"failure\":{\"group_percent\":25}}}");
	step(f);
	assert_int_equal(job_action(&f->d->gw, id, "pause"), 0);
	assert_int_equal(job_action(&f->d->gw, id, "pause"), -2);
	step(f);
	assert_string_equal(status_of(f, id), "paused");
	assert_string_equal(reason_of(f, id), "paused by the operator");
	assert_int_equal(job_action(&f->d->gw, id, "resume"), 0);
	step(f);
	assert_string_equal(status_of(f, id), "running");
	answer(f, "n1", DEVREQ_PUT, "1/0/3", 4, 0, -1, NULL);
	answer(f, "n2", DEVREQ_PUT, "1/0/3", 4, 0, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "paused");
	assert_string_equal(reason_of(f, id), "group 1: 2 of 4 devices "
	    "failed, over the threshold of 25%");
}

/*
 * A device that joins a continuous job while it awaits approval joins
 * the group that continue starts: it gets nothing before, and its step
 * with that group.
 */
static void
test_join_at_approval(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", "n3", "n4", "n5",
	    NULL };
	uint64_t id;
	int i;

	register_eps(f, eps);
	for (i = 0; i < 4; i++)
		tag(f, eps[i], "site-a");
	id = create(f, "{\"target\":{\"tags\":[\"site-a\"],\"continuous\":"
	    "true},\"steps\":[{\"op\":\"write\",\"path\":\"/1/0/3\","
	    "\"value\":30}],\"rollout\":{\"group_size\":2,"
	    "\"approval\":true}}");
	step(f);
	answer(f, "n1", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	answer(f, "n2", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "awaiting_approval");
	tag(f, "n5", "site-a");
	assert_dev(f, id, "n5", "pending");
	step(f);
	assert_int_equal(count_ep(f, "n5"), 0);
	assert_int_equal(dev_num(f, id, "n5", "group"), 1);

	assert_int_equal(job_action(&f->d->gw, id, "continue"), 0);
	step(f);
	for (i = 2; i < 5; i++) {
		assert_int_equal(count_sent(f, eps[i], DEVREQ_PUT, "1/0/3"), 1);
		answer(f, eps[i], DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	}
	step(f);
	assert_int_equal(count_of(f, id, "succeeded"), 5);
	assert_string_equal(status_of(f, id), "running");
}

/*
 * Two jobs on one device, the newer waiting for a condition while the
 * older (later in the jobs' list) is live: the notification that ends
 * the newer one's step is the last hold on the observation, and the
 * older job is still looked at with that notification's endpoint and
 * path, the observation's own. The observation is let go of at the next
 * tick (under its notification, the sanitizers' build saw a use after
 * free).
 */
static void
test_two_jobs_one_device(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", NULL };
	uint64_t older, newer;

	register_eps(f, eps);
	set_asleep(f, "n2", 1);
	older = create(f, "{\"target\":{\"endpoints\":[\"n2\",\"n1\"]},"
	    "\"steps\":[{\"op\":\"write\",\"path\":\"/1/0/3\",\"value\":30}],"
	    "\"rollout\":{\"max_concurrent\":1}}");
	newer = create(f, "{\"target\":{\"endpoints\":[\"n1\"]},\"steps\":["
	    "{\"op\":\"execute\",\"path\":\"/3/0/12\",\"until\":{\"path\":"
	    "\"/3/0/9\",\"equals\":100}}]}");
	step(f);
	answer(f, "n1", DEVREQ_POST, "3/0/12", 2, 4, -1, NULL);
	assert_non_null(live_obs(f, "n1", "3/0/9"));
	notify(f, "n1", "3/0/9", "100");
	assert_dev(f, newer, "n1", "succeeded");
	dom_turns(f->d, 1);
	assert_null(live_obs(f, "n1", "3/0/9"));
	step(f);
	assert_dev(f, older, "n1", "pending");
	assert_dev(f, older, "n2", "in_progress");
}

/* The endpoints of a page, joined by ','. */
static const char *
page(struct fixture *f, uint64_t id, int st, const char *after, size_t limit,
    int *more)
{
	static char buf[256];
	cJSON *a, *x;
	size_t n = 0;

	a = job_devices_json(&f->d->gw, id, st, after, limit, more);
	assert_non_null(a);
	buf[0] = '\0';
	cJSON_ArrayForEach(x, a)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    n > 0 ? "," : "", cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(x, "ep")));
	cJSON_Delete(a);
	return buf;
}

/*
 * The records: a job's devices by endpoint in pages (after, limit), of
 * one state or all; its counts and total; an unknown job is NULL. A
 * finished job lets go of its devices once its records are committed and
 * still answers both from the store, and the same after a restart.
 */
static void
test_records(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "d5", "d1", "d4", "d2", "d3",
	    NULL };
	uint64_t id;
	cJSON *o;
	int more = -1, i;

	register_eps(f, eps);
	id = create(f, "{\"name\":\"rec\",\"target\":{\"endpoints\":[\"d5\","
	    "\"d1\",\"d4\",\"d2\",\"d3\"]},\"steps\":[{\"op\":\"write\","
	    "\"path\":\"/1/0/3\",\"value\":30}],\"rollout\":{\"retries\":0,"
	    "\"failure\":{\"group_percent\":100}}}");
	assert_null(job_json(&f->d->gw, id + 1));
	assert_null(job_devices_json(&f->d->gw, id + 1, -1, NULL, 10, &more));
	for (i = 0; i < 2; i++) {
		assert_string_equal(page(f, id, -1, NULL, 2, &more), "d1,d2");
		assert_int_equal(more, 1);
		assert_string_equal(page(f, id, -1, "d2", 2, &more), "d3,d4");
		assert_int_equal(more, 1);
		assert_string_equal(page(f, id, -1, "d4", 2, &more), "d5");
		assert_int_equal(more, 0);
		assert_string_equal(page(f, id, -1, "d", 10, &more),
		    "d1,d2,d3,d4,d5");
		assert_int_equal(more, 0);
		assert_string_equal(page(f, id, -1, "d5", 2, &more), "");
		assert_int_equal(more, 0);
		if (i == 0) {
			step(f);
			answer(f, "d1", DEVREQ_PUT, "1/0/3", 4, 4, -1, NULL);
			answer(f, "d3", DEVREQ_PUT, "1/0/3", 4, 4, -1, NULL);
			answer(f, "d5", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
		}
	}
	assert_string_equal(page(f, id, job_dev_state_of("failed"), NULL, 1,
	    &more), "d1");
	assert_int_equal(more, 1);
	assert_string_equal(page(f, id, job_dev_state_of("failed"), "d1", 1,
	    &more), "d3");
	assert_int_equal(more, 0);
	assert_string_equal(page(f, id, job_dev_state_of("in_progress"), NULL,
	    10, &more), "d2,d4");
	assert_string_equal(page(f, id, job_dev_state_of("pending"), NULL,
	    10, &more), "");
	assert_int_equal(count_of(f, id, "failed"), 2);
	assert_int_equal(count_of(f, id, "succeeded"), 1);
	assert_int_equal(count_of(f, id, "in_progress"), 2);

	answer(f, "d2", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	answer(f, "d4", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	assert_int_equal(unanswered(f), 0);
	step(f);
	assert_string_equal(status_of(f, id), "done");
	assert_true(job_find(&f->d->gw, id)->unloaded);
	assert_null(job_find(&f->d->gw, id)->devs);
	for (i = 0; i < 2; i++) {
		o = job_get(f, id);
		assert_string_equal(cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(o, "name")), "rec");
		assert_int_equal(cJSON_GetObjectItemCaseSensitive(o,
		    "total")->valueint, 5);
		assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o,
		    "finished_at")));
		cJSON_Delete(o);
		assert_int_equal(count_of(f, id, "succeeded"), 3);
		assert_int_equal(count_of(f, id, "failed"), 2);
		assert_int_equal(count_of(f, id, "pending"), 0);
		assert_string_equal(page(f, id, job_dev_state_of("succeeded"),
		    "d2", 10, &more), "d4,d5");
		assert_string_equal(dev_str(f, id, "d3", "state"), "failed");
		assert_has(dev_str(f, id, "d3", "error"), "4.04");
		restart(f);
		assert_string_equal(status_of(f, id), "done");
	}
}

/*
 * A device record this gateway cannot read (another version's) is
 * skipped when the job is loaded: the job goes on with the others, no
 * device of an empty endpoint takes its place, and the records of those
 * after it are written again with their new places, so that the next
 * start reads them (here after the job's own record has been written
 * with its new total, while n3 has not begun).
 */
static void
test_unreadable_record(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", "n3", NULL };
	uint8_t key[10], rec[56];
	uint64_t id;
	int more = -1;

	register_eps(f, eps);
	id = create(f, "{\"target\":{\"endpoints\":[\"n1\",\"n2\",\"n3\"]},"
	    "\"steps\":[{\"op\":\"write\",\"path\":\"/1/0/3\",\"value\":30}],"
	    "\"rollout\":{\"max_concurrent\":1}}");
	store_put_be64(key, id);
	memcpy(key + 8, "n2", 2);
	memset(rec, 0, sizeof(rec));
	rec[0] = 99;
	assert_int_equal(store_put(f->d->gw.store, STORE_DB_JOBDEVS, key,
	    sizeof(key), rec, sizeof(rec)), 0);
	assert_int_equal(dom_commit(f->d), 0);
	restart(f);

	step(f);
	assert_int_equal(f->nsent, 1);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "1/0/3"), 1);
	answer(f, "n1", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	assert_int_equal(job_action(&f->d->gw, id, "pause"), 0);
	assert_int_equal(dom_commit(f->d), 0);
	restart(f);
	assert_int_equal(job_action(&f->d->gw, id, "resume"), 0);
	step(f);
	assert_int_equal(f->nsent, 2);
	assert_int_equal(count_sent(f, "n3", DEVREQ_PUT, "1/0/3"), 1);
	answer(f, "n3", DEVREQ_PUT, "1/0/3", 2, 4, -1, NULL);
	step(f);
	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(count_of(f, id, "succeeded"), 2);
	assert_int_equal(count_of(f, id, "pending"), 0);
	assert_string_equal(page(f, id, -1, NULL, 10, &more), "n1,n3");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_steps_in_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rate_ramp, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_max_concurrent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_threshold, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_overall_threshold, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_approval, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retries_backoff, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_preconditions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_start_at, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_window, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_paused_retry_and_end,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_at, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_continuous, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restart, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_until, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restart_on_the_wire,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_device, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_records, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pause_keeps_threshold,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_join_at_approval, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_two_jobs_one_device,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_record, setup,
		    teardown),
	};

	log_init("test_dom_job", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
