/*
 * test_dom_campaign.c: the firmware campaign's steps (modules/firmware/
 * campaign.c, campstore.c, camptarget.c) over a real store, with the
 * domain's modules alone: a unicast campaign taking each device from the
 * URI write through Downloaded and the execute to success, the group's
 * failure threshold judged before a step's new ops, a refused write or
 * execute decided by a read of /5/0, pause and resume, a restart in the
 * middle, and a device decommissioned mid-campaign.
 *
 * The CoAP face is a set of fakes in gw->hooks: dev_send records each
 * request the queue delivers and the test answers it through the callback
 * it kept; dev_observe keeps the callback of each observation, through
 * which the test notifies State (/5/0/3) and Update Result (/5/0/5). The
 * campaign's one-second step is run by the test calling the step timer's
 * callback, never by the loop: nothing waits, and no step runs that the
 * test did not ask for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gateway.h"
#include "hex.h"
#include "log.h"
#include "lwm2m/campparse.h"
#include "lwm2m/devmsg.h"
#include "lwm2m/lwm2m.h"
#include "lwm2m/manifest.h"
#include "modules/device/queue.h"
#include "modules/device/registry.h"
#include "modules/firmware/campaign.h"
#include "modules/firmware/campint.h"
#include "modules/firmware/firmware.h"
#include "tests/unit/domutil.h"

#define MAX_SENT	128
#define MAX_MADE	128
#define MAX_ASLEEP	8
#define IMG_SIZE	1500
#define CF_SENML_JSON	110

/* One request the queue delivered through dev_send. */
struct sent {
	char			 ep[LWM2M_EP_MAX + 1];
	enum devreq_method	 method;
	char			 path[DEVREQ_PATH_MAX];
	char			 body[320];
	int			 accept;
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
	uint8_t			 seed[FW_KEY_LEN], pub[FW_KEY_LEN];
	char			 image[FW_ID_LEN + 1];
	char			 uri[320];	/* what the write carries */
	char			 asleep[MAX_ASLEEP][LWM2M_EP_MAX + 1];
	struct sent		 sent[MAX_SENT];
	int			 nsent;
	struct made		 made[MAX_MADE];
	int			 nmade;
	int			 fwdone;
	enum fw_status		 fwlast;
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
	snprintf(s->ep, sizeof(s->ep), "%s", ep);
	s->method = spec->method;
	snprintf(s->path, sizeof(s->path), "%s", spec->path);
	snprintf(s->body, sizeof(s->body), "%.*s", (int)spec->len,
	    (const char *)spec->body);
	s->accept = spec->accept;
	s->cb = cb;
	s->arg = arg;
	s->answered = 0;
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
fw_done(enum fw_status st, struct fw_image *img, const char *detail,
    void *arg)
{
	struct fixture *f = arg;

	(void)img;
	(void)detail;
	f->fwlast = st;
	f->fwdone++;
}

/* Registers ep (the queue sends only to a known device). */
static void
register_ep(struct fixture *f, const char *ep)
{
	assert_int_equal(dom_register(f->d, ep, "</5/0>"), 0);
}

/* A signed image, uploaded whole; its id in f->image. */
static void
add_image(struct fixture *f)
{
	uint8_t data[IMG_SIZE];
	struct fw_manifest m;
	struct fw_sha256 h;
	struct fw_image *img;
	struct evbuffer *b;
	char err[256], *doc;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 1);
	memset(&m, 0, sizeof(m));
	strcpy(m.vendor, "acme");
	strcpy(m.class, "sensor-v2");
	strcpy(m.version, "1.4.0");
	strcpy(m.uri, "/fw/x");
	m.seq = 42;
	m.size = sizeof(data);
	fw_sha256_init(&h);
	fw_sha256_update(&h, data, sizeof(data));
	fw_sha256_final(&h, m.digest);
	assert_int_equal(fw_manifest_sign(&m, f->seed), 0);
	doc = fw_manifest_json(&m);
	assert_non_null(doc);
	f->fwdone = 0;
	assert_int_equal(firmware_add(&f->d->gw, doc, strlen(doc), fw_done, f,
	    err, sizeof(err)), FWS_OK);
	free(doc);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(f->fwdone, 1);
	assert_int_equal(f->fwlast, FWS_OK);
	img = firmware_first(&f->d->gw);
	assert_non_null(img);
	b = evbuffer_new();
	evbuffer_add(b, data, sizeof(data));
	f->fwdone = 0;
	assert_int_equal(firmware_write(&f->d->gw, img, 0, b, sizeof(data),
	    fw_done, f, err, sizeof(err)), FWS_OK);
	evbuffer_free(b);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(f->fwdone, 1);
	assert_int_equal(f->fwlast, FWS_OK);
	assert_true(img->complete && img->trusted);
	snprintf(f->image, sizeof(f->image), "%s", img->id);
	snprintf(f->uri, sizeof(f->uri), "coap://127.0.0.1:5683/fw/%s",
	    img->id);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->d = dom_new()) == NULL ||
	    fw_keypair_new(f->seed, f->pub) == -1)
		return -1;
	hook_f = f;
	hex_encode(f->pub, FW_KEY_LEN, f->d->gw.cfg.fw_trusted_keys);
	f->d->gw.hooks.dev_reachable = fake_reachable;
	f->d->gw.hooks.dev_send = fake_send;
	f->d->gw.hooks.dev_observe = fake_observe;
	f->d->gw.hooks.dev_observe_cancel = fake_observe_cancel;
	if (dom_start(f->d) == -1)
		return -1;
	add_image(f);
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

/* Creates a campaign of f's image from the rest of its request body
 * (target and policy), committed; returns its id. */
static uint64_t
create(struct fixture *f, const char *rest)
{
	struct camp_req req;
	char body[1024], err[256];
	uint64_t id;
	int status = 0;

	snprintf(body, sizeof(body), "{\"image\":\"%s\",%s}", f->image, rest);
	if (campparse_request(body, strlen(body), &req, err,
	    sizeof(err)) != 0)
		fail_msg("campparse_request: %s: %s", body, err);
	id = campaign_create(&f->d->gw, &req, &status, err, sizeof(err));
	campparse_request_free(&req);
	if (id == 0)
		fail_msg("campaign_create: %d %s", status, err);
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

/* One step of the campaigns, as the one-second timer runs it. */
static void
step(struct fixture *f)
{
	struct event *tick = f->d->gw.campaigns->tick;

	assert_non_null(tick);
	event_get_callback(tick)(-1, EV_TIMEOUT, event_get_callback_arg(tick));
}

/* A step, then the commit of what it staged (its ops go out). */
static void
step_commit(struct fixture *f)
{
	step(f);
	assert_int_equal(dom_commit(f->d), 0);
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

/* ep answers its latest unanswered request of method and path with
 * cls.detail (body in cf, or none), and the answer is committed. */
static void
answer(struct fixture *f, const char *ep, enum devreq_method m,
    const char *path, int cls, int detail, int cf, const char *body)
{
	struct devresp r;
	int i = find_sent(f, ep, m, path);

	if (i < 0 || f->sent[i].answered)
		fail_msg("%s has no %s request of %s to answer", ep,
		    m == DEVREQ_PUT ? "PUT" : m == DEVREQ_POST ? "POST" : "GET",
		    path);
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

/* The URI write to ep went out, carrying the image's URI: answer it. */
static void
answer_write(struct fixture *f, const char *ep, int cls, int detail)
{
	int i = find_sent(f, ep, DEVREQ_PUT, "5/0/1");

	if (i < 0)
		fail_msg("%s got no URI write", ep);
	assert_string_equal(f->sent[i].body, f->uri);
	answer(f, ep, DEVREQ_PUT, "5/0/1", cls, detail, -1, NULL);
}

/* ep's read of /5/0 is answered with State st and Update Result res
 * (-1: left out) in SenML JSON. */
static void
answer_read(struct fixture *f, const char *ep, int st, int res)
{
	char body[128];
	int i = find_sent(f, ep, DEVREQ_GET, "5/0");

	if (i < 0)
		fail_msg("%s got no read of /5/0", ep);
	assert_int_equal(f->sent[i].accept, CF_SENML_JSON);
	if (res >= 0)
		snprintf(body, sizeof(body), "[{\"bn\":\"/5/0/\",\"n\":\"3\","
		    "\"v\":%d},{\"n\":\"5\",\"v\":%d}]", st, res);
	else
		snprintf(body, sizeof(body), "[{\"bn\":\"/5/0/\",\"n\":\"3\","
		    "\"v\":%d}]", st);
	answer(f, ep, DEVREQ_GET, "5/0", 2, 5, CF_SENML_JSON, body);
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

/* ep notifies value through its observation of path (text/plain). */
static void
notify(struct fixture *f, const char *ep, const char *path, int value)
{
	struct made *m = live_obs(f, ep, path);
	struct devresp r;
	char body[16];

	if (m == NULL)
		fail_msg("%s has no observation of %s", ep, path);
	snprintf(body, sizeof(body), "%d", value);
	memset(&r, 0, sizeof(r));
	r.kind = DEVRESP_ANSWER;
	r.cls = 2;
	r.detail = 5;
	r.content_format = 0;
	r.body = (const uint8_t *)body;
	r.len = strlen(body);
	m->cb(&r, m->seq++, m->arg);
}

static void
notify_state(struct fixture *f, const char *ep, int st)
{
	notify(f, ep, "5/0/3", st);
}

/* ep reports its update over: State 0 with Update Result res. */
static void
notify_over(struct fixture *f, const char *ep, int res)
{
	notify(f, ep, "5/0/3", 0);
	notify(f, ep, "5/0/5", res);
}

/* Campaign id as JSON, with its devices; the caller frees it. */
static cJSON *
camp_json(struct fixture *f, uint64_t id)
{
	cJSON *o = campaign_json(&f->d->gw, id, 1);

	if (o == NULL)
		fail_msg("no campaign %llu", (unsigned long long)id);
	return o;
}

/* The campaign's status ("running", "paused", "done", ...). */
static const char *
status_of(struct fixture *f, uint64_t id)
{
	static char buf[32];
	cJSON *o = camp_json(f, id);

	snprintf(buf, sizeof(buf), "%s", cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(o, "status")));
	cJSON_Delete(o);
	return buf;
}

/* How many of the campaign's devices are in state name. */
static int
count_of(struct fixture *f, uint64_t id, const char *name)
{
	cJSON *o = camp_json(f, id);
	cJSON *n = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(o, "counts"), name);
	int v;

	assert_true(cJSON_IsNumber(n));
	v = n->valueint;
	cJSON_Delete(o);
	return v;
}

/* ep's state in the campaign, and its Update Result in *result (-1 none)
 * when result is not NULL. */
static const char *
state_of(struct fixture *f, uint64_t id, const char *ep, int *result)
{
	static char buf[32];
	cJSON *o = camp_json(f, id), *dv, *r;

	buf[0] = '\0';
	cJSON_ArrayForEach(dv, cJSON_GetObjectItemCaseSensitive(o, "devices")) {
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		    dv, "ep")), ep) != 0)
			continue;
		snprintf(buf, sizeof(buf), "%s", cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(dv, "state")));
		r = cJSON_GetObjectItemCaseSensitive(dv, "result");
		if (result != NULL)
			*result = cJSON_IsNumber(r) ? r->valueint : -1;
	}
	cJSON_Delete(o);
	if (buf[0] == '\0')
		fail_msg("%s is not in campaign %llu", ep,
		    (unsigned long long)id);
	return buf;
}

/* ep is in state name in campaign id. */
#define assert_dev(f, id, ep, name) \
	assert_string_equal(state_of((f), (id), (ep), NULL), (name))

/* ep acknowledges its URI write and is followed to Downloaded. */
static void
to_downloaded(struct fixture *f, const char *ep)
{
	answer_write(f, ep, 2, 4);
	notify_state(f, ep, 1);
	notify_state(f, ep, 2);
}

/*
 * A unicast campaign over three devices: each is watched (/5/0/3 and
 * /5/0/5) and gets the URI write through the queue once the step's batch
 * commits; acknowledged, it is downloading; State 2 gets it the execute
 * (and only then); State 0 with Update Result 1 is success. The campaign
 * ends done with every count right, lets go of its observations, and
 * reads the same from the store once its devices are unloaded.
 */
static void
test_unicast_to_done(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", "n3" };
	uint64_t id;
	size_t i;

	for (i = 0; i < 3; i++)
		register_ep(f, eps[i]);
	id = create(f, "\"target\":{\"eps\":[\"n1\",\"n2\",\"n3\"]},"
	    "\"policy\":{\"max_concurrent\":10}");
	assert_string_equal(status_of(f, id), "running");
	assert_int_equal(count_of(f, id, "pending"), 3);
	assert_int_equal(f->nsent, 0);

	step(f);
	/* Announced and watched; the writes go only once committed. */
	assert_int_equal(count_of(f, id, "announced"), 3);
	assert_int_equal(f->nmade, 6);
	for (i = 0; i < 3; i++) {
		assert_non_null(live_obs(f, eps[i], "5/0/3"));
		assert_non_null(live_obs(f, eps[i], "5/0/5"));
	}
	assert_int_equal(f->nsent, 0);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(f->nsent, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(count_sent(f, eps[i], DEVREQ_PUT, "5/0/1"), 1);

	/* Acknowledged: downloading, at the next step. */
	for (i = 0; i < 3; i++)
		answer_write(f, eps[i], 2, 4);
	step_commit(f);
	assert_int_equal(count_of(f, id, "downloading"), 3);

	/* Downloading is not Downloaded: no execute for State 1. */
	for (i = 0; i < 3; i++)
		notify_state(f, eps[i], 1);
	step_commit(f);
	assert_int_equal(count_sent(f, "n1", DEVREQ_POST, "5/0/2"), 0);

	/* n1 and n2 say Downloaded: they get the execute, n3 does not. */
	notify_state(f, "n1", 2);
	notify_state(f, "n2", 2);
	assert_dev(f, id, "n1", "downloaded");
	step_commit(f);
	assert_int_equal(count_sent(f, "n1", DEVREQ_POST, "5/0/2"), 1);
	assert_int_equal(count_sent(f, "n2", DEVREQ_POST, "5/0/2"), 1);
	assert_int_equal(count_sent(f, "n3", DEVREQ_POST, "5/0/2"), 0);
	answer(f, "n1", DEVREQ_POST, "5/0/2", 2, 4, -1, NULL);
	answer(f, "n2", DEVREQ_POST, "5/0/2", 2, 4, -1, NULL);
	step_commit(f);
	assert_dev(f, id, "n1", "updating");
	assert_dev(f, id, "n2", "updating");
	notify_state(f, "n3", 2);
	step_commit(f);
	assert_int_equal(count_sent(f, "n3", DEVREQ_POST, "5/0/2"), 1);
	answer(f, "n3", DEVREQ_POST, "5/0/2", 2, 4, -1, NULL);
	/* Not sent twice while it is out or after it was answered. */
	step_commit(f);
	for (i = 0; i < 3; i++)
		assert_int_equal(count_sent(f, eps[i], DEVREQ_POST, "5/0/2"),
		    1);

	/* State 0 alone is no verdict; with Update Result 1 it is. */
	notify_state(f, "n1", 0);
	assert_dev(f, id, "n1", "updating");
	notify(f, "n1", "5/0/5", 1);
	assert_dev(f, id, "n1", "succeeded");
	notify_over(f, "n2", 1);
	step_commit(f);
	assert_string_equal(status_of(f, id), "running");
	notify_over(f, "n3", 1);
	assert_int_equal(count_of(f, id, "succeeded"), 3);
	step_commit(f);

	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(count_of(f, id, "succeeded"), 3);
	assert_int_equal(count_of(f, id, "failed"), 0);
	assert_int_equal(count_of(f, id, "updating"), 0);
	/* Done with them: none is watched any more. */
	for (i = 0; i < 3; i++) {
		assert_null(live_obs(f, eps[i], "5/0/3"));
		assert_null(live_obs(f, eps[i], "5/0/5"));
	}
	assert_int_equal(dom_events(f->d, "fw_progress", "n1"), 5);
	assert_non_null(strstr(dom_event_last(f->d, "fw_progress"),
	    "\"state\":\"succeeded\""));
	/* Unloaded after the commit, and read back from the store. */
	assert_true(camp_find(&f->d->gw, id)->unloaded);
	assert_int_equal(count_of(f, id, "succeeded"), 3);
	assert_dev(f, id, "n2", "succeeded");
	assert_int_equal(f->nsent, 6);
}

/*
 * Groups and the failure threshold: two groups of four, failure_percent
 * 25. Group 1 gets nothing while group 0 runs. One failure (Update Result
 * 9) is 25%, not over: a device then Downloaded gets its execute. A
 * second (Result 5) is over: the step that sees it pauses the campaign
 * before it queues anything new, so the device Downloaded by then gets no
 * execute, while one already updating is still followed. Resume goes on
 * without judging that group again; group 1 starts once group 0 has
 * finished, and is judged on its own.
 */
static void
test_group_threshold(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", "n3", "n4", "n5",
	    "n6", "n7", "n8" };
	uint64_t id;
	size_t i;
	int res;
	cJSON *o;

	for (i = 0; i < 8; i++)
		register_ep(f, eps[i]);
	id = create(f, "\"target\":{\"eps\":[\"n1\",\"n2\",\"n3\",\"n4\","
	    "\"n5\",\"n6\",\"n7\",\"n8\"]},\"policy\":{\"group_size\":4,"
	    "\"max_concurrent\":10,\"failure_percent\":25}");
	step_commit(f);
	for (i = 0; i < 4; i++)
		answer_write(f, eps[i], 2, 4);
	step_commit(f);
	assert_int_equal(count_of(f, id, "downloading"), 4);
	/* Group 1 waits for group 0. */
	for (i = 4; i < 8; i++) {
		assert_dev(f, id, eps[i], "pending");
		assert_int_equal(count_sent(f, eps[i], DEVREQ_PUT, "5/0/1"), 0);
	}

	/* n1 fails: 1 of 4 is not over 25%; n2, Downloaded, gets its
	 * execute. */
	notify_over(f, "n1", 9);
	assert_string_equal(state_of(f, id, "n1", &res), "failed");
	assert_int_equal(res, 9);
	notify_state(f, "n2", 2);
	step_commit(f);
	assert_string_equal(status_of(f, id), "running");
	assert_int_equal(count_sent(f, "n1", DEVREQ_POST, "5/0/2"), 0);
	assert_int_equal(count_sent(f, "n2", DEVREQ_POST, "5/0/2"), 1);
	answer(f, "n2", DEVREQ_POST, "5/0/2", 2, 4, -1, NULL);

	/* n3 fails, n4 says Downloaded: 2 of 4 is over. The step pauses
	 * before it queues n4's execute. */
	notify_over(f, "n3", 5);
	notify_state(f, "n4", 2);
	step_commit(f);
	assert_string_equal(status_of(f, id), "paused");
	o = camp_json(f, id);
	assert_non_null(strstr(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(o, "reason")), "group 0: 2 of 4"));
	cJSON_Delete(o);
	assert_int_equal(count_of(f, id, "failed"), 2);
	assert_int_equal(count_sent(f, "n4", DEVREQ_POST, "5/0/2"), 0);
	assert_dev(f, id, "n2", "updating");

	/* Paused: still no execute for n4, nothing for group 1; n2, already
	 * updating, is followed to its end. */
	step_commit(f);
	notify_over(f, "n2", 1);
	assert_dev(f, id, "n2", "succeeded");
	step_commit(f);
	assert_string_equal(status_of(f, id), "paused");
	assert_int_equal(count_sent(f, "n4", DEVREQ_POST, "5/0/2"), 0);
	for (i = 4; i < 8; i++)
		assert_int_equal(count_sent(f, eps[i], DEVREQ_PUT, "5/0/1"), 0);

	/* Resume: the group is not judged again; n4 gets its execute. */
	assert_int_equal(campaign_action(&f->d->gw, id, "resume"), 0);
	assert_int_equal(dom_commit(f->d), 0);
	step_commit(f);
	assert_string_equal(status_of(f, id), "running");
	assert_int_equal(count_sent(f, "n4", DEVREQ_POST, "5/0/2"), 1);
	answer(f, "n4", DEVREQ_POST, "5/0/2", 2, 4, -1, NULL);
	step_commit(f);
	for (i = 4; i < 8; i++)
		assert_int_equal(count_sent(f, eps[i], DEVREQ_PUT, "5/0/1"), 0);
	notify_over(f, "n4", 1);
	/* Group 0 finished: the next step moves on, the one after starts
	 * group 1. */
	step_commit(f);
	step_commit(f);
	for (i = 4; i < 8; i++) {
		assert_dev(f, id, eps[i], "announced");
		assert_int_equal(count_sent(f, eps[i], DEVREQ_PUT, "5/0/1"), 1);
	}
	/* Group 1 is judged on its own: one failure of four is not over. */
	for (i = 4; i < 8; i++)
		to_downloaded(f, eps[i]);
	step_commit(f);
	for (i = 4; i < 8; i++)
		answer(f, eps[i], DEVREQ_POST, "5/0/2", 2, 4, -1, NULL);
	notify_over(f, "n5", 8);
	for (i = 5; i < 8; i++)
		notify_over(f, eps[i], 1);
	step_commit(f);
	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(count_of(f, id, "succeeded"), 5);
	assert_int_equal(count_of(f, id, "failed"), 3);
}

/*
 * A refused URI write (4.05) or execute (4.05, 4.00) fails nobody by
 * itself: the campaign reads /5/0, and only a device still where the op
 * found it fails. n1 refused the write but downloads (State 1): it goes
 * on. n2 refused it and is idle (State 0): failed. n3 refused the execute
 * and is updating (State 3): it goes on to success. n4 refused it and is
 * still Downloaded: failed.
 */
static void
test_refused_then_read(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", "n3", "n4" };
	uint64_t id;
	size_t i;

	for (i = 0; i < 4; i++)
		register_ep(f, eps[i]);
	id = create(f, "\"target\":{\"eps\":[\"n1\",\"n2\",\"n3\",\"n4\"]},"
	    "\"policy\":{\"max_concurrent\":10,\"failure_percent\":100}");
	step_commit(f);
	answer_write(f, "n1", 4, 5);
	answer_write(f, "n2", 4, 5);
	answer_write(f, "n3", 2, 4);
	answer_write(f, "n4", 2, 4);
	assert_int_equal(f->nsent, 4);
	step_commit(f);
	/* Not failed: a read of /5/0 decides. */
	assert_dev(f, id, "n1", "announced");
	assert_dev(f, id, "n2", "announced");
	assert_dev(f, id, "n3", "downloading");
	assert_int_equal(count_sent(f, "n1", DEVREQ_GET, "5/0"), 1);
	assert_int_equal(count_sent(f, "n2", DEVREQ_GET, "5/0"), 1);
	assert_int_equal(count_sent(f, "n3", DEVREQ_GET, "5/0"), 0);
	/* No second write while the read decides. */
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "5/0/1"), 1);
	answer_read(f, "n1", 1, 0);
	answer_read(f, "n2", 0, -1);
	step_commit(f);
	assert_dev(f, id, "n1", "downloading");
	assert_dev(f, id, "n2", "failed");
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "5/0/1"), 1);
	assert_int_equal(count_sent(f, "n2", DEVREQ_PUT, "5/0/1"), 1);

	/* The executes. */
	notify_state(f, "n1", 2);
	notify_state(f, "n3", 2);
	notify_state(f, "n4", 2);
	step_commit(f);
	answer(f, "n1", DEVREQ_POST, "5/0/2", 2, 4, -1, NULL);
	answer(f, "n3", DEVREQ_POST, "5/0/2", 4, 5, -1, NULL);
	answer(f, "n4", DEVREQ_POST, "5/0/2", 4, 0, -1, NULL);
	step_commit(f);
	assert_dev(f, id, "n1", "updating");
	assert_dev(f, id, "n3", "downloaded");
	assert_dev(f, id, "n4", "downloaded");
	assert_int_equal(count_sent(f, "n3", DEVREQ_GET, "5/0"), 1);
	assert_int_equal(count_sent(f, "n4", DEVREQ_GET, "5/0"), 1);
	/* No second execute while the read decides. */
	assert_int_equal(count_sent(f, "n3", DEVREQ_POST, "5/0/2"), 1);
	answer_read(f, "n3", 3, 0);
	answer_read(f, "n4", 2, 0);
	step_commit(f);
	assert_dev(f, id, "n3", "updating");
	assert_dev(f, id, "n4", "failed");
	assert_int_equal(count_sent(f, "n3", DEVREQ_POST, "5/0/2"), 1);
	assert_int_equal(count_sent(f, "n4", DEVREQ_POST, "5/0/2"), 1);

	notify_over(f, "n1", 1);
	notify_over(f, "n3", 1);
	step_commit(f);
	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(count_of(f, id, "succeeded"), 2);
	assert_int_equal(count_of(f, id, "failed"), 2);
}

/*
 * Pause and resume. Paused, a device in flight is still followed (its
 * failure, its Downloaded) but gets no execute, and a device not begun
 * gets no URI write, however many steps and polls pass; resume sends
 * both. pause/resume/cancel answer -2 where their status does not allow
 * them, -1 for no such campaign.
 */
static void
test_pause_resume(void **state)
{
	struct fixture *f = *state;
	uint64_t id;

	register_ep(f, "n1");
	register_ep(f, "n2");
	register_ep(f, "n3");
	id = create(f, "\"target\":{\"eps\":[\"n1\",\"n2\",\"n3\"]},"
	    "\"policy\":{\"max_concurrent\":2,\"failure_percent\":100}");
	assert_int_equal(campaign_action(&f->d->gw, id, "resume"), -2);
	assert_int_equal(campaign_action(&f->d->gw, id + 1, "pause"), -1);
	step_commit(f);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "5/0/1"), 1);
	assert_int_equal(count_sent(f, "n2", DEVREQ_PUT, "5/0/1"), 1);
	assert_dev(f, id, "n3", "pending");
	/* Made and running: no change of status told yet. */
	assert_int_equal(dom_events(f->d, "campaign", NULL), 0);

	assert_int_equal(campaign_action(&f->d->gw, id, "pause"), 0);
	assert_int_equal(dom_commit(f->d), 0);
	assert_string_equal(status_of(f, id), "paused");
	assert_int_equal(campaign_action(&f->d->gw, id, "pause"), -2);
	/* One event per change of status, with the reason. */
	assert_int_equal(dom_events(f->d, "campaign", NULL), 1);
	assert_non_null(strstr(dom_event_last(f->d, "campaign"),
	    "\"status\":\"paused\",\"reason\":\"paused by the operator\""));

	/* n1 fails (a slot is free), n2 downloads: still followed. */
	answer_write(f, "n1", 2, 4);
	notify_state(f, "n1", 1);
	notify_over(f, "n1", 9);
	to_downloaded(f, "n2");
	step_commit(f);
	assert_dev(f, id, "n1", "failed");
	assert_dev(f, id, "n2", "downloaded");
	/* Said nothing for poll_s: n2 is read, paused or not. */
	dom_advance(f->d->gw.cfg.campaign_poll_s + 1);
	step_commit(f);
	assert_int_equal(count_sent(f, "n2", DEVREQ_GET, "5/0"), 1);
	answer_read(f, "n2", 2, 0);
	step_commit(f);
	step_commit(f);
	/* No execute for n2, no write for n3 (nor is it announced). */
	assert_int_equal(count_sent(f, "n2", DEVREQ_POST, "5/0/2"), 0);
	assert_int_equal(count_sent(f, "n3", DEVREQ_PUT, "5/0/1"), 0);
	assert_dev(f, id, "n3", "pending");
	assert_string_equal(status_of(f, id), "paused");

	assert_int_equal(campaign_action(&f->d->gw, id, "resume"), 0);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(campaign_action(&f->d->gw, id, "resume"), -2);
	step_commit(f);
	assert_string_equal(status_of(f, id), "running");
	assert_int_equal(dom_events(f->d, "campaign", NULL), 2);
	assert_non_null(strstr(dom_event_last(f->d, "campaign"),
	    "\"status\":\"running\""));
	assert_int_equal(count_sent(f, "n2", DEVREQ_POST, "5/0/2"), 1);
	assert_int_equal(count_sent(f, "n3", DEVREQ_PUT, "5/0/1"), 1);
	assert_dev(f, id, "n3", "announced");
}

/*
 * Paused, a device gets no URI write and no execute even if the campaign
 * queued it before the pause: n2 was asleep when its write was queued,
 * n1 when its execute was, and both wake while the campaign is paused.
 * The queued ops are taken back (the queue holds nothing for them), and
 * resume queues them again.
 */
static void
test_pause_holds_queued_ops(void **state)
{
	struct fixture *f = *state;
	uint64_t id;

	register_ep(f, "n1");
	register_ep(f, "n2");
	set_asleep(f, "n2", 1);
	id = create(f, "\"target\":{\"eps\":[\"n1\",\"n2\"]},"
	    "\"policy\":{\"max_concurrent\":2,\"failure_percent\":100}");
	step_commit(f);
	assert_int_equal(count_sent(f, "n1", DEVREQ_PUT, "5/0/1"), 1);
	assert_int_equal(count_sent(f, "n2", DEVREQ_PUT, "5/0/1"), 0);
	assert_int_equal(queue_length(&f->d->gw, "n2"), 1);
	assert_dev(f, id, "n2", "announced");
	to_downloaded(f, "n1");
	set_asleep(f, "n1", 1);
	step_commit(f);
	assert_int_equal(count_sent(f, "n1", DEVREQ_POST, "5/0/2"), 0);
	assert_int_equal(queue_length(&f->d->gw, "n1"), 1);

	assert_int_equal(campaign_action(&f->d->gw, id, "pause"), 0);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(queue_length(&f->d->gw, "n1"), 0);
	assert_int_equal(queue_length(&f->d->gw, "n2"), 0);
	step_commit(f);
	set_asleep(f, "n1", 0);
	set_asleep(f, "n2", 0);
	queue_wake(&f->d->gw, "n1");		/* heard from */
	queue_wake(&f->d->gw, "n2");
	step_commit(f);
	assert_int_equal(count_sent(f, "n1", DEVREQ_POST, "5/0/2"), 0);
	assert_int_equal(count_sent(f, "n2", DEVREQ_PUT, "5/0/1"), 0);
	assert_dev(f, id, "n1", "downloaded");
	assert_dev(f, id, "n2", "announced");

	assert_int_equal(campaign_action(&f->d->gw, id, "resume"), 0);
	assert_int_equal(dom_commit(f->d), 0);
	step_commit(f);
	assert_int_equal(count_sent(f, "n1", DEVREQ_POST, "5/0/2"), 1);
	assert_int_equal(count_sent(f, "n2", DEVREQ_PUT, "5/0/1"), 1);
	answer(f, "n1", DEVREQ_POST, "5/0/2", 2, 4, -1, NULL);
	answer_write(f, "n2", 2, 4);
	step_commit(f);
	assert_dev(f, id, "n1", "updating");
	assert_dev(f, id, "n2", "downloading");
}

/*
 * A restart in the middle: the campaign and each device's record come
 * back (states, the op out, what armed it), the devices in flight are
 * watched again, a write on the wire when the gateway stopped is sent
 * again, and the run goes on to done. Done, it reads the same after
 * another restart.
 */
static void
test_restart_midway(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = { "n1", "n2", "n3", "n4" };
	uint64_t id;
	size_t i;
	int made;

	for (i = 0; i < 4; i++)
		register_ep(f, eps[i]);
	id = create(f, "\"target\":{\"eps\":[\"n1\",\"n2\",\"n3\",\"n4\"]},"
	    "\"policy\":{\"group_size\":3,\"max_concurrent\":10,"
	    "\"failure_percent\":50}");
	step_commit(f);
	to_downloaded(f, "n1");			/* n1: downloaded */
	answer_write(f, "n2", 2, 4);		/* n2: downloading */
	step_commit(f);				/* n1's execute goes */
	assert_int_equal(count_sent(f, "n1", DEVREQ_POST, "5/0/2"), 1);
	answer(f, "n1", DEVREQ_POST, "5/0/2", 2, 4, -1, NULL);
	/* n3's write is on the wire when the gateway stops: the face ends
	 * it as it stops, which is no attempt. */
	f->d->gw.stopping = 1;
	{
		struct devresp r;
		int k = find_sent(f, "n3", DEVREQ_PUT, "5/0/1");

		assert_true(k >= 0);
		memset(&r, 0, sizeof(r));
		r.kind = DEVRESP_UNREACHABLE;
		r.content_format = -1;
		f->sent[k].answered = 1;
		f->sent[k].cb(&r, f->sent[k].arg);
	}
	restart(f);

	assert_string_equal(status_of(f, id), "running");
	assert_dev(f, id, "n1", "downloaded");	/* the execute's answer is
						   read at the next step */
	assert_dev(f, id, "n2", "downloading");
	assert_dev(f, id, "n3", "announced");
	assert_dev(f, id, "n4", "pending");
	/* The three in flight are watched again. */
	for (i = 0; i < 3; i++) {
		assert_non_null(live_obs(f, eps[i], "5/0/3"));
		assert_non_null(live_obs(f, eps[i], "5/0/5"));
	}
	assert_null(live_obs(f, "n4", "5/0/3"));

	/* The first step reads the execute's answer, and reads /5/0 of n2,
	 * which has said nothing since the restart. */
	step_commit(f);
	assert_dev(f, id, "n1", "updating");
	assert_int_equal(count_sent(f, "n2", DEVREQ_GET, "5/0"), 1);
	answer_read(f, "n2", 1, 0);
	/* n3 is heard from: its write goes again. */
	made = count_sent(f, "n3", DEVREQ_PUT, "5/0/1");
	queue_wake(&f->d->gw, "n3");
	assert_int_equal(count_sent(f, "n3", DEVREQ_PUT, "5/0/1"), made + 1);
	answer_write(f, "n3", 2, 4);
	step_commit(f);
	assert_dev(f, id, "n3", "downloading");
	/* n2 says Downloaded after the restart: its execute goes. */
	notify_state(f, "n2", 2);
	notify_state(f, "n3", 1);
	notify_state(f, "n3", 2);
	step_commit(f);
	answer(f, "n2", DEVREQ_POST, "5/0/2", 2, 4, -1, NULL);
	answer(f, "n3", DEVREQ_POST, "5/0/2", 2, 4, -1, NULL);
	notify_over(f, "n1", 1);
	notify_over(f, "n2", 1);
	notify_over(f, "n3", 1);
	step_commit(f);
	step_commit(f);
	/* Group 1: n4. */
	assert_dev(f, id, "n4", "announced");
	to_downloaded(f, "n4");
	step_commit(f);
	answer(f, "n4", DEVREQ_POST, "5/0/2", 2, 4, -1, NULL);
	notify_over(f, "n4", 1);
	step_commit(f);
	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(count_of(f, id, "succeeded"), 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(count_sent(f, eps[i], DEVREQ_POST, "5/0/2"),
		    1);

	restart(f);
	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(count_of(f, id, "succeeded"), 4);
	assert_dev(f, id, "n4", "succeeded");
	assert_null(live_obs(f, "n1", "5/0/3"));
}

/*
 * A device decommissioned mid-campaign ends removed: its queued URI write
 * is cancelled (it is not sent when the device comes back), it is no
 * longer watched, and it counts neither as a success nor as a failure:
 * with failure_percent 0 the campaign does not pause for it, and ends
 * done. A device the campaign has finished with is not taken from it.
 */
static void
test_drop_device(void **state)
{
	struct fixture *f = *state;
	uint64_t id;

	register_ep(f, "n1");
	register_ep(f, "n2");
	register_ep(f, "n3");
	set_asleep(f, "n2", 1);
	id = create(f, "\"target\":{\"eps\":[\"n1\",\"n2\",\"n3\"]},"
	    "\"policy\":{\"max_concurrent\":10,\"failure_percent\":0}");
	step_commit(f);
	assert_dev(f, id, "n2", "announced");
	assert_non_null(live_obs(f, "n2", "5/0/3"));
	assert_int_equal(queue_length(&f->d->gw, "n2"), 1);

	assert_int_equal(campaign_drop_device(&f->d->gw, "n2"), 1);
	assert_int_equal(dom_commit(f->d), 0);
	assert_dev(f, id, "n2", "removed");
	assert_int_equal(queue_length(&f->d->gw, "n2"), 0);
	assert_null(live_obs(f, "n2", "5/0/3"));
	assert_null(live_obs(f, "n2", "5/0/5"));
	set_asleep(f, "n2", 0);
	queue_wake(&f->d->gw, "n2");
	assert_int_equal(count_sent(f, "n2", DEVREQ_PUT, "5/0/1"), 0);
	assert_int_equal(campaign_drop_device(&f->d->gw, "n2"), 0);

	step_commit(f);
	assert_string_equal(status_of(f, id), "running");
	to_downloaded(f, "n1");
	to_downloaded(f, "n3");
	step_commit(f);
	answer(f, "n1", DEVREQ_POST, "5/0/2", 2, 4, -1, NULL);
	answer(f, "n3", DEVREQ_POST, "5/0/2", 2, 4, -1, NULL);
	notify_over(f, "n1", 1);
	assert_int_equal(campaign_drop_device(&f->d->gw, "n1"), 0);
	notify_over(f, "n3", 1);
	step_commit(f);
	assert_string_equal(status_of(f, id), "done");
	assert_int_equal(count_of(f, id, "succeeded"), 2);
	assert_int_equal(count_of(f, id, "removed"), 1);
	assert_int_equal(count_of(f, id, "failed"), 0);
	assert_dev(f, id, "n1", "succeeded");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unicast_to_done, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_threshold, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_then_read, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pause_resume, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pause_holds_queued_ops,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_midway, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_drop_device, setup,
		    teardown),
	};

	log_init("test_dom_campaign", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
