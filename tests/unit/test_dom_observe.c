/*
 * test_dom_observe.c: the gateway's observations (cache/observe.c) over a
 * real store, with the domain's modules alone: a hold establishes one
 * through hooks.dev_observe, notifications in Observe order reach the
 * cache and the listener and an older one does not, the end of a live
 * observation and its making again on wake, the last release cancelling
 * it, and a client's observation stored and forgotten across restarts;
 * a composite observation (Observe-Composite) made as a FETCH naming its
 * paths, its notifications split by record into the cache, its own order,
 * made again on wake and after a restart, and its caps.
 * The CoAP face is a fake dev_observe that hands out handles and keeps the
 * callback, through which the test notifies.
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
#include "cache/cache.h"
#include "cache/observe.h"
#include "lwm2m/devmsg.h"
#include "lwm2m/dmparse.h"
#include "tests/unit/domutil.h"

#define EP		"node-1"
#define PATH		"5/0/3"
#define MAX_SEEN	16

/* One dev_observe call: what it asked and the callback it left. */
struct made {
	char		 ep[64];
	enum devreq_method method;
	char		 path[DEVREQ_PATH_MAX];
	char		 body[256];
	int		 cf, accept;
	devobs_cb	 cb;
	void		*arg;
	int		 cancelled;
};

/* What the hooks and the listener saw. Lives in the fixture, as do the
 * handles the fake gives out. */
struct fixture {
	struct dom	*d;
	int		 refuse;		/* dev_observe: not now */
	struct made	 made[MAX_SEEN];
	int		 nmade;
	int		 ncancel;
	int		 nheard;
	char		 heard[MAX_SEEN][32];
	char		 heard_path[DEVREQ_PATH_MAX];
};

static struct fixture *hook_f;	/* the hooks get no argument of ours */

static struct devobs *
fake_observe(struct gateway *gw, const char *ep,
    const struct devreq_spec *spec,
    void (*cb)(const struct devresp *, long, void *), void *arg)
{
	struct made *m;

	(void)gw;
	if (hook_f->refuse || hook_f->nmade >= MAX_SEEN)
		return NULL;
	m = &hook_f->made[hook_f->nmade++];
	snprintf(m->ep, sizeof(m->ep), "%s", ep);
	m->method = spec->method;
	snprintf(m->path, sizeof(m->path), "%s", spec->path);
	snprintf(m->body, sizeof(m->body), "%.*s", (int)spec->len,
	    spec->len > 0 ? (const char *)spec->body : "");
	m->cf = spec->content_format;
	m->accept = spec->accept;
	m->cb = cb;
	m->arg = arg;
	return (struct devobs *)(void *)m;	/* opaque to observe.c */
}

static void
fake_cancel(struct devobs *o)
{
	struct made *m = (struct made *)(void *)o;

	m->cancelled++;
	hook_f->ncancel++;
}

static void
listener(struct gateway *gw, const char *ep, const char *path, int cf,
    const uint8_t *body, size_t len, void *arg)
{
	struct fixture *f = arg;

	(void)gw;
	(void)cf;
	assert_string_equal(ep, EP);
	if (f->nheard < MAX_SEEN)
		snprintf(f->heard[f->nheard], sizeof(f->heard[0]), "%.*s",
		    (int)len, (const char *)body);
	snprintf(f->heard_path, sizeof(f->heard_path), "%s", path);
	f->nheard++;
}

static int
start(struct fixture *f)
{
	if (dom_start(f->d) == -1)
		return -1;
	assert_int_equal(observe_add_listener(&f->d->gw, listener, f), 0);
	return 0;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->d = dom_new()) == NULL)
		return -1;
	hook_f = f;
	f->d->gw.hooks.dev_observe = fake_observe;
	f->d->gw.hooks.dev_observe_cancel = fake_cancel;
	if (start(f) == -1)
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

static void
restart(struct fixture *f)
{
	dom_stop(f->d);
	assert_int_equal(start(f), 0);
}

/* The device notifies through observation i: cls.detail, text body, seq
 * (-1: the observation ends with this). */
static void
notify(struct fixture *f, int i, int cls, int detail, const char *body,
    long seq)
{
	struct devresp r;

	memset(&r, 0, sizeof(r));
	r.kind = DEVRESP_ANSWER;
	r.cls = cls;
	r.detail = detail;
	r.content_format = 0;
	r.body = (const uint8_t *)body;
	r.len = strlen(body);
	f->made[i].cb(&r, seq, f->made[i].arg);
}

/* The observation of EP's path i ends without an answer (route gone). */
static void
end(struct fixture *f, int i)
{
	struct devresp r;

	memset(&r, 0, sizeof(r));
	r.kind = DEVRESP_UNREACHABLE;
	r.content_format = -1;
	f->made[i].cb(&r, -1, f->made[i].arg);
}

/* The device notifies through observation i in Content-Format cf. */
static void
notify_cf(struct fixture *f, int i, int cf, const uint8_t *body,
    size_t len, long seq)
{
	struct devresp r;

	memset(&r, 0, sizeof(r));
	r.kind = DEVRESP_ANSWER;
	r.cls = 2;
	r.detail = 5;
	r.content_format = cf;
	r.body = body;
	r.len = len;
	f->made[i].cb(&r, seq, f->made[i].arg);
}

/* A SenML JSON notification through observation i. */
static void
notify_senml(struct fixture *f, int i, const char *json, long seq)
{
	notify_cf(f, i, 110, (const uint8_t *)json, strlen(json), seq);
}

/* The cached value of EP's path, as a string ("" when none). */
static const char *
cached(struct fixture *f, const char *path)
{
	static char buf[256];
	const struct cache_entry *e = cache_get(&f->d->gw, EP, path);

	if (e == NULL)
		return "";
	snprintf(buf, sizeof(buf), "%.*s", (int)e->len,
	    (const char *)e->body);
	return buf;
}

/* A hold makes one live observation through the face, once however many
 * hold it; a wake while it lives makes no other. */
static void
test_hold_establishes(void **state)
{
	struct fixture *f = *state;
	struct observe_view v;

	assert_int_equal(observe_get(&f->d->gw, EP, PATH, &v), -1);
	assert_int_equal(observe_hold(&f->d->gw, EP, PATH), 0);
	assert_int_equal(f->nmade, 1);
	assert_string_equal(f->made[0].ep, EP);
	assert_int_equal(f->made[0].method, DEVREQ_GET);
	assert_string_equal(f->made[0].path, PATH);
	assert_string_equal(f->made[0].body, "");
	assert_int_equal(f->made[0].cf, -1);
	assert_int_equal(f->made[0].accept, -1);
	assert_int_equal(observe_get(&f->d->gw, EP, PATH, &v), 0);
	assert_true(v.established);
	assert_true(v.held);
	assert_false(v.client);

	assert_int_equal(observe_hold(&f->d->gw, EP, PATH), 0);
	observe_wake(&f->d->gw, EP);
	assert_int_equal(f->nmade, 1);

	/* Another path is another observation. */
	assert_int_equal(observe_hold(&f->d->gw, EP, "5/0/5"), 0);
	assert_int_equal(f->nmade, 2);
	assert_string_equal(f->made[1].path, "5/0/5");
}

/* Notifications with a growing Observe number are cached and given to
 * the listener, each once, with a notification event; an older number
 * after a newer one is not (the cache keeps the newest), nor is an error
 * answer. */
static void
test_notifications_in_order(void **state)
{
	struct fixture *f = *state;
	struct observe_view v;

	assert_int_equal(observe_hold(&f->d->gw, EP, PATH), 0);
	notify(f, 0, 2, 5, "1", 10);
	assert_string_equal(cached(f, PATH), "1");
	assert_int_equal(f->nheard, 1);
	assert_string_equal(f->heard[0], "1");
	assert_string_equal(f->heard_path, PATH);

	notify(f, 0, 2, 5, "2", 11);
	assert_string_equal(cached(f, PATH), "2");
	assert_int_equal(f->nheard, 2);
	assert_string_equal(f->heard[1], "2");

	notify(f, 0, 2, 5, "stale", 10);
	assert_string_equal(cached(f, PATH), "2");
	assert_int_equal(f->nheard, 2);

	notify(f, 0, 4, 4, "gone", 12);
	assert_string_equal(cached(f, PATH), "2");
	assert_int_equal(f->nheard, 2);

	assert_int_equal(observe_get(&f->d->gw, EP, PATH, &v), 0);
	assert_int_equal(v.notifications, 2);
	assert_int_equal(v.last_at, gw_now());
	assert_int_equal(dom_events(f->d, "notification", EP), 2);
	assert_non_null(strstr(dom_event_last(f->d, "notification"),
	    "\"value\":\"2\""));

	/* Numbers are 24 bits and wrap (RFC 7641 3.4): a jump of 2^23 or
	 * more forward is the past. */
	notify(f, 0, 2, 5, "3", (1L << 23) + 11);
	assert_string_equal(cached(f, PATH), "2");
	notify(f, 0, 2, 5, "4", 1L << 23);
	assert_string_equal(cached(f, PATH), "4");
	notify(f, 0, 2, 5, "x", (1L << 24) - 1);
	assert_string_equal(cached(f, PATH), "x");
	notify(f, 0, 2, 5, "5", 5);			/* wrapped */
	assert_string_equal(cached(f, PATH), "5");
	assert_int_equal(f->nheard, 5);

	/* A number older by more than 128 s counts as newer. */
	notify(f, 0, 2, 5, "6", 4);
	assert_string_equal(cached(f, PATH), "5");
	dom_advance(129);
	notify(f, 0, 2, 5, "7", 4);
	assert_string_equal(cached(f, PATH), "7");
	assert_int_equal(f->nheard, 6);
}

/* The end of a live observation (seq -1) leaves it known but not live;
 * the device's next message (observe_wake) makes it again, and a face
 * that cannot now leaves it for the wake after. */
static void
test_end_and_wake(void **state)
{
	struct fixture *f = *state;
	struct observe_view v;

	assert_int_equal(observe_hold(&f->d->gw, EP, PATH), 0);
	notify(f, 0, 2, 5, "1", 1);
	end(f, 0);
	assert_int_equal(observe_get(&f->d->gw, EP, PATH, &v), 0);
	assert_false(v.established);
	assert_true(v.held);
	assert_int_equal(f->nmade, 1);
	assert_string_equal(cached(f, PATH), "1");

	observe_wake(&f->d->gw, "node-2");
	assert_int_equal(f->nmade, 1);

	f->refuse = 1;
	observe_wake(&f->d->gw, EP);
	assert_int_equal(observe_get(&f->d->gw, EP, PATH, &v), 0);
	assert_false(v.established);

	f->refuse = 0;
	observe_wake(&f->d->gw, EP);
	assert_int_equal(f->nmade, 2);
	assert_int_equal(observe_get(&f->d->gw, EP, PATH, &v), 0);
	assert_true(v.established);
	/* Its values reach the cache and the listener again. */
	notify(f, 1, 2, 5, "2", 2);
	assert_string_equal(cached(f, PATH), "2");
	assert_int_equal(f->nheard, 2);

	/* A last value that ends it is still a value. */
	notify(f, 1, 2, 5, "3", -1);
	assert_string_equal(cached(f, PATH), "3");
	assert_int_equal(observe_get(&f->d->gw, EP, PATH, &v), 0);
	assert_false(v.established);
}

/* A device that rebooted numbers the notifications of the observation
 * made again from low: its first value is taken however high the last
 * number of the one before, and its order holds from there. */
static void
test_new_observation_new_sequence(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(observe_hold(&f->d->gw, EP, PATH), 0);
	notify(f, 0, 2, 5, "1", 50);
	end(f, 0);
	observe_wake(&f->d->gw, EP);
	assert_int_equal(f->nmade, 2);
	notify(f, 1, 2, 5, "2", 2);
	assert_string_equal(cached(f, PATH), "2");
	assert_int_equal(f->nheard, 2);
	notify(f, 1, 2, 5, "3", 3);
	assert_string_equal(cached(f, PATH), "3");
	notify(f, 1, 2, 5, "late", 2);	/* older within this one */
	assert_string_equal(cached(f, PATH), "3");
	assert_int_equal(f->nheard, 3);
}

/* The order is the observation's, not the path's: a campaign that lets
 * go of /5/0/3 and observes it again gets a new observation, whose
 * device may number from 0 however high the last one went; a read of the
 * path in between does not reset the order of the live one. */
static void
test_order_per_observation(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(observe_hold(&f->d->gw, EP, PATH), 0);
	notify(f, 0, 2, 5, "1", 5000);
	observe_release(&f->d->gw, EP, PATH);
	assert_int_equal(f->made[0].cancelled, 1);
	assert_int_equal(observe_hold(&f->d->gw, EP, PATH), 0);
	assert_int_equal(f->nmade, 2);
	notify(f, 1, 2, 5, "2", 0);
	assert_string_equal(cached(f, PATH), "2");
	notify(f, 1, 2, 5, "3", 1);
	assert_string_equal(cached(f, PATH), "3");

	/* A read's value is the latest, and the live observation still
	 * knows its own order. */
	assert_int_equal(cache_put(&f->d->gw, EP, PATH, 0, -1,
	    (const uint8_t *)"read", 4, 0), 1);
	assert_string_equal(cached(f, PATH), "read");
	notify(f, 1, 2, 5, "late", 0);
	assert_string_equal(cached(f, PATH), "read");
	notify(f, 1, 2, 5, "4", 2);
	assert_string_equal(cached(f, PATH), "4");
	assert_int_equal(f->nheard, 4);
}

/* Releases count down the holds: the last one forgets the observation
 * and cancels it at the face, once; a client's observation keeps it. */
static void
test_release(void **state)
{
	struct fixture *f = *state;
	struct observe_view v;

	assert_int_equal(observe_hold(&f->d->gw, EP, PATH), 0);
	assert_int_equal(observe_hold(&f->d->gw, EP, PATH), 0);
	observe_release(&f->d->gw, EP, PATH);
	assert_int_equal(f->ncancel, 0);
	assert_int_equal(observe_get(&f->d->gw, EP, PATH, &v), 0);
	assert_true(v.held);

	observe_release(&f->d->gw, EP, PATH);
	assert_int_equal(f->ncancel, 1);
	assert_int_equal(f->made[0].cancelled, 1);
	assert_int_equal(observe_get(&f->d->gw, EP, PATH, &v), -1);
	observe_release(&f->d->gw, EP, PATH);
	assert_int_equal(f->ncancel, 1);

	/* Held and a client's: the release leaves it to the client. */
	assert_int_equal(observe_hold(&f->d->gw, EP, PATH), 0);
	assert_int_equal(observe_client_put(&f->d->gw, EP, PATH),
	    OBSERVE_PUT_NEW);
	observe_release(&f->d->gw, EP, PATH);
	assert_int_equal(f->ncancel, 1);
	assert_int_equal(observe_get(&f->d->gw, EP, PATH, &v), 0);
	assert_true(v.established);
	assert_true(v.client);
	assert_false(v.held);

	/* A released observation that had ended has nothing to cancel. */
	assert_int_equal(observe_hold(&f->d->gw, EP, "5/0/5"), 0);
	end(f, 2);
	observe_release(&f->d->gw, EP, "5/0/5");
	assert_int_equal(f->ncancel, 1);
	assert_int_equal(observe_get(&f->d->gw, EP, "5/0/5", &v), -1);
}

/* A client's observation is stored: one per resource, back after a
 * restart (made again at the device's next message), and forgotten by
 * del (cancelled at the face, gone after a restart). Holds are not
 * stored. */
static void
test_client_put_del(void **state)
{
	struct fixture *f = *state;
	struct observe_view v;
	char longpath[DEVREQ_PATH_MAX + 8];

	assert_int_equal(observe_client_put(&f->d->gw, EP, PATH),
	    OBSERVE_PUT_NEW);
	assert_int_equal(observe_client_put(&f->d->gw, EP, PATH),
	    OBSERVE_PUT_EXISTS);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(observe_client_put(&f->d->gw, EP, longpath),
	    OBSERVE_PUT_TOO_LONG);
	assert_int_equal(observe_hold(&f->d->gw, EP, "5/0/5"), 0);
	assert_int_equal(dom_commit(f->d), 0);
	observe_establish(&f->d->gw, EP, PATH);
	assert_int_equal(f->nmade, 2);

	restart(f);
	assert_int_equal(observe_get(&f->d->gw, EP, PATH, &v), 0);
	assert_true(v.client);
	assert_false(v.established);
	assert_false(v.held);
	assert_int_equal(observe_get(&f->d->gw, EP, "5/0/5", &v), -1);
	observe_wake(&f->d->gw, EP);
	assert_int_equal(f->nmade, 3);
	assert_string_equal(f->made[2].path, PATH);
	assert_int_equal(observe_get(&f->d->gw, EP, PATH, &v), 0);
	assert_true(v.established);
	notify(f, 2, 2, 5, "1", 1);
	assert_int_equal(f->nheard, 1);

	assert_int_equal(observe_client_del(&f->d->gw, EP, PATH), 0);
	assert_int_equal(f->made[2].cancelled, 1);
	assert_int_equal(observe_get(&f->d->gw, EP, PATH, &v), -1);
	assert_int_equal(observe_client_del(&f->d->gw, EP, PATH), 1);
	assert_int_equal(dom_commit(f->d), 0);

	restart(f);
	assert_int_equal(observe_get(&f->d->gw, EP, PATH, &v), -1);
	observe_wake(&f->d->gw, EP);
	assert_int_equal(f->nmade, 3);
}

/* -- composite observations ---------------------------------------------- */

#define SET_BODY	"{\"paths\":[\"/3303/0/5700\",\"/3/0/9\",\"/3/0/9\"]}"
#define SET_NAMES	"[{\"n\":\"/3/0/9\"},{\"n\":\"/3303/0/5700\"}]"

/* Puts the composite of body (as a client's POST does); its id into id. */
static enum observe_put
put_set(struct fixture *f, const char *body, char *id)
{
	char paths[DM_COMPOSITE_MAX][DM_PATH_LEN], err[160];
	int n;

	n = dm_composite_set(body, strlen(body), paths, err, sizeof(err));
	assert_true(n > 0);
	return observe_composite_put(&f->d->gw, EP, paths, n, id);
}

/* A composite is stored once per set (order and repeats aside) and made
 * as a FETCH of the root whose SenML JSON names its paths, sorted; its
 * view shows the set. */
static void
test_composite_made(void **state)
{
	struct fixture *f = *state;
	char id[DM_COMPOSITE_ID_LEN + 1], id2[DM_COMPOSITE_ID_LEN + 1];
	struct observe_view v;

	assert_int_equal(put_set(f, SET_BODY, id), OBSERVE_PUT_NEW);
	assert_int_equal(strlen(id), DM_COMPOSITE_ID_LEN);
	assert_int_equal(put_set(f, "{\"paths\":[\"/3/0/9\",\"/3303/0/5700\"]}",
	    id2), OBSERVE_PUT_EXISTS);
	assert_string_equal(id, id2);
	assert_int_equal(f->nmade, 0);	/* made once the store has it */
	assert_int_equal(dom_commit(f->d), 0);
	observe_composite_establish(&f->d->gw, EP, id);
	assert_int_equal(f->nmade, 1);
	assert_int_equal(f->made[0].method, DEVREQ_FETCH);
	assert_string_equal(f->made[0].path, "");
	assert_string_equal(f->made[0].body, SET_NAMES);
	assert_int_equal(f->made[0].cf, 110);
	assert_int_equal(f->made[0].accept, 110);

	assert_int_equal(observe_composite_get(&f->d->gw, EP, id, &v), 0);
	assert_null(v.path);
	assert_string_equal(v.id, id);
	assert_int_equal(v.npaths, 2);
	assert_string_equal(v.paths[0], "/3/0/9");
	assert_string_equal(v.paths[1], "/3303/0/5700");
	assert_true(v.client);
	assert_true(v.established);
	/* Not one of the single observations. */
	assert_int_equal(observe_get(&f->d->gw, EP, v.key, &v), -1);
	assert_int_equal(observe_get(&f->d->gw, EP, "", &v), -1);

	/* Another set is another observation. */
	assert_int_equal(put_set(f, "{\"paths\":[\"/3/0\"]}", id2),
	    OBSERVE_PUT_NEW);
	assert_string_not_equal(id, id2);
}

/* Each notification is split by record: every path's value is in the
 * cache as a one-record SenML JSON pack, the listener hears each, one
 * event carries the paths and the records; a record outside the set is
 * dropped and counted; garbage is refused whole and changes nothing. */
static void
test_composite_split(void **state)
{
	struct fixture *f = *state;
	/* [{"n":"/3/0/9","v":88}] in SenML CBOR */
	static const uint8_t cbor[] = { 0x81, 0xa2, 0x00, 0x66, '/', '3', '/',
	    '0', '/', '9', 0x02, 0x18, 0x58 };
	char id[DM_COMPOSITE_ID_LEN + 1];
	struct observe_view v;
	const char *ev;

	assert_int_equal(put_set(f, SET_BODY, id), OBSERVE_PUT_NEW);
	observe_composite_establish(&f->d->gw, EP, id);
	notify_senml(f, 0, "[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":87},"
	    "{\"bn\":\"/3303/0/\",\"n\":\"5700\",\"v\":21.5,\"u\":\"Cel\"},"
	    "{\"bn\":\"/5/0/\",\"n\":\"3\",\"v\":1}]", 1);
	assert_string_equal(cached(f, "3/0/9"), "[{\"n\":\"/3/0/9\",\"v\":87}]");
	assert_string_equal(cached(f, "3303/0/5700"),
	    "[{\"n\":\"/3303/0/5700\",\"u\":\"Cel\",\"v\":21.5}]");
	assert_int_equal(cache_get(&f->d->gw, EP, "3303/0/5700")->
	    content_format, 110);
	assert_string_equal(cached(f, "5/0/3"), "");
	assert_int_equal(f->nheard, 2);
	assert_string_equal(f->heard_path, "3303/0/5700");
	assert_int_equal(dom_events(f->d, "notification", EP), 1);
	ev = dom_event_last(f->d, "notification");
	assert_non_null(strstr(ev, "\"composite\":\""));
	assert_non_null(strstr(ev, "\"paths\":[\"/3/0/9\",\"/3303/0/5700\"]"));
	assert_non_null(strstr(ev, "\"records\":[{\"n\":\"/3/0/9\",\"v\":87},"));
	assert_null(strstr(ev, "/5/0/3"));
	assert_int_equal(observe_composite_get(&f->d->gw, EP, id, &v), 0);
	assert_int_equal(v.notifications, 1);
	assert_int_equal(v.dropped, 1);
	assert_int_equal(v.refused, 0);

	/* SenML CBOR is split as well. */
	notify_cf(f, 0, 112, cbor, sizeof(cbor), 2);
	assert_string_equal(cached(f, "3/0/9"), "[{\"n\":\"/3/0/9\",\"v\":88}]");
	assert_int_equal(dom_events(f->d, "notification", EP), 2);

	/* Garbage, a name that is no LwM2M path, another format: refused
	 * whole, nothing cached, no event. */
	notify_senml(f, 0, "[{\"n\":\"/3/0/9\",\"v\":1},", 3);
	notify_senml(f, 0, "[{\"n\":\"/3/0/9\",\"v\":2},{\"n\":\"/x\",\"v\":3}]",
	    4);
	notify_cf(f, 0, 0, (const uint8_t *)"5", 1, 5);
	assert_string_equal(cached(f, "3/0/9"), "[{\"n\":\"/3/0/9\",\"v\":88}]");
	assert_int_equal(dom_events(f->d, "notification", EP), 2);
	assert_int_equal(observe_composite_get(&f->d->gw, EP, id, &v), 0);
	assert_int_equal(v.refused, 3);
	assert_int_equal(v.notifications, 2);
	assert_int_equal(f->nheard, 3);
}

/* A composite keeps its own order, whatever a single observation of one
 * of its paths numbers; a late notification of its own is dropped. */
static void
test_composite_order(void **state)
{
	struct fixture *f = *state;
	char id[DM_COMPOSITE_ID_LEN + 1];

	assert_int_equal(observe_hold(&f->d->gw, EP, "3/0/9"), 0);
	notify(f, 0, 2, 5, "x", 500);
	assert_int_equal(put_set(f, SET_BODY, id), OBSERVE_PUT_NEW);
	observe_composite_establish(&f->d->gw, EP, id);
	assert_int_equal(f->nmade, 2);
	notify_senml(f, 1, "[{\"n\":\"/3/0/9\",\"v\":1}]", 3);
	assert_string_equal(cached(f, "3/0/9"), "[{\"n\":\"/3/0/9\",\"v\":1}]");
	notify_senml(f, 1, "[{\"n\":\"/3/0/9\",\"v\":2}]", 2);	/* late */
	assert_string_equal(cached(f, "3/0/9"), "[{\"n\":\"/3/0/9\",\"v\":1}]");
	notify_senml(f, 1, "[{\"n\":\"/3/0/9\",\"v\":3}]", 4);
	assert_string_equal(cached(f, "3/0/9"), "[{\"n\":\"/3/0/9\",\"v\":3}]");
	/* The single one's order is its own too. */
	notify(f, 0, 2, 5, "y", 501);
	assert_string_equal(cached(f, "3/0/9"), "y");
}

/* A composite that ends is made again when the device is next heard from
 * (a new order), and after a restart; del cancels and forgets it. */
static void
test_composite_wake_restart(void **state)
{
	struct fixture *f = *state;
	char id[DM_COMPOSITE_ID_LEN + 1];
	struct observe_view v;

	assert_int_equal(put_set(f, SET_BODY, id), OBSERVE_PUT_NEW);
	assert_int_equal(dom_commit(f->d), 0);
	observe_composite_establish(&f->d->gw, EP, id);
	notify_senml(f, 0, "[{\"n\":\"/3/0/9\",\"v\":1}]", 90);
	end(f, 0);
	assert_int_equal(observe_composite_get(&f->d->gw, EP, id, &v), 0);
	assert_false(v.established);
	observe_wake(&f->d->gw, EP);
	assert_int_equal(f->nmade, 2);
	assert_int_equal(f->made[1].method, DEVREQ_FETCH);
	assert_string_equal(f->made[1].body, SET_NAMES);
	notify_senml(f, 1, "[{\"n\":\"/3/0/9\",\"v\":2}]", 0);	/* anew */
	assert_string_equal(cached(f, "3/0/9"), "[{\"n\":\"/3/0/9\",\"v\":2}]");

	restart(f);
	assert_int_equal(observe_composite_get(&f->d->gw, EP, id, &v), 0);
	assert_false(v.established);
	assert_true(v.client);
	assert_int_equal(v.npaths, 2);
	observe_wake(&f->d->gw, EP);
	assert_int_equal(f->nmade, 3);
	assert_string_equal(f->made[2].body, SET_NAMES);
	assert_int_equal(put_set(f, SET_BODY, id), OBSERVE_PUT_EXISTS);

	assert_int_equal(observe_composite_del(&f->d->gw, EP, id), 0);
	assert_int_equal(f->made[2].cancelled, 1);
	assert_int_equal(observe_composite_del(&f->d->gw, EP, id), 1);
	assert_int_equal(dom_commit(f->d), 0);
	restart(f);
	assert_int_equal(observe_composite_get(&f->d->gw, EP, id, &v), -1);
	observe_wake(&f->d->gw, EP);
	assert_int_equal(f->nmade, 3);

	/* A decommission forgets it, in the store too. */
	assert_int_equal(put_set(f, SET_BODY, id), OBSERVE_PUT_NEW);
	assert_int_equal(dom_commit(f->d), 0);
	observe_drop_device(&f->d->gw, EP);
	assert_int_equal(dom_commit(f->d), 0);
	restart(f);
	assert_int_equal(observe_composite_get(&f->d->gw, EP, id, &v), -1);
}

/* A composite counts as one client's observation against the caps. */
static void
test_composite_caps(void **state)
{
	struct fixture *f = *state;
	char id[DM_COMPOSITE_ID_LEN + 1];

	f->d->gw.cfg.cache_max_observations_per_device = 2;
	f->d->gw.cfg.cache_max_observations = 3;
	assert_int_equal(observe_client_put(&f->d->gw, EP, PATH),
	    OBSERVE_PUT_NEW);
	assert_int_equal(put_set(f, SET_BODY, id), OBSERVE_PUT_NEW);
	assert_int_equal(put_set(f, "{\"paths\":[\"/3/0\"]}", id),
	    OBSERVE_PUT_DEVICE_CAP);
	assert_int_equal(observe_client_put(&f->d->gw, EP, "5/0/5"),
	    OBSERVE_PUT_DEVICE_CAP);
	assert_int_equal(observe_client_put(&f->d->gw, "node-2", PATH),
	    OBSERVE_PUT_NEW);
	assert_int_equal(observe_composite_put(&f->d->gw, "node-3", NULL, 0,
	    id), OBSERVE_PUT_TOO_LONG);
	/* 64 paths whose names take over OBSERVE_COMPOSITE_NAMES_MAX. */
	{
		char big[DM_COMPOSITE_MAX][DM_PATH_LEN];
		int i;

		for (i = 0; i < DM_COMPOSITE_MAX; i++)
			snprintf(big[i], DM_PATH_LEN, "/%d/65535/65535",
			    30000 + i);
		assert_int_equal(observe_composite_put(&f->d->gw, "node-3",
		    big, DM_COMPOSITE_MAX, id), OBSERVE_PUT_TOO_LONG);
	}
	assert_int_equal(put_set(f, SET_BODY, id), OBSERVE_PUT_EXISTS);
	observe_client_del(&f->d->gw, EP, PATH);
	assert_int_equal(put_set(f, "{\"paths\":[\"/3/0\"]}", id),
	    OBSERVE_PUT_NEW);
	assert_int_equal(put_set(f, "{\"paths\":[\"/4/0\"]}", id),
	    OBSERVE_PUT_CAP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hold_establishes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_notifications_in_order,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_and_wake, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_order_per_observation,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_observation_new_sequence,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_put_del, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_composite_made, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_composite_split, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_composite_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_composite_wake_restart,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_composite_caps, setup,
		    teardown),
	};

	log_init("test_dom_observe", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
