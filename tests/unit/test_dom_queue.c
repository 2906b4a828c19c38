/*
 * test_dom_queue.c: the durable op queue (modules/device/queue.c) over a
 * real store, with the domain's modules alone: ops kept in order, waiting
 * while the device cannot be reached, delivered one at a time and the next
 * only once the last result is committed, TTL expiry, the per-device cap,
 * cancel, retries, and at least once across a restart with the result
 * recorded once. The CoAP face is a fake dev_send that records each
 * request; the test answers through the callback it captured.
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

#include "gateway.h"
#include "log.h"
#include "cache/cache.h"
#include "lwm2m/devmsg.h"
#include "lwm2m/lwm2m.h"
#include "modules/device/queue.h"
#include "modules/device/registry.h"
#include "store/store.h"
#include "tests/unit/domutil.h"

#define EP		"node-1"
#define MAX_SEEN	32

struct sent {
	enum devreq_method	 method;
	char			 path[DEVREQ_PATH_MAX];
	char			 query[DEVREQ_QUERY_MAX];
	char			 body[64];
	devreq_cb		 cb;
	void			*arg;
};

/* What the callbacks and the hooks saw. Lives in the fixture: a failed
 * test leaves callbacks behind that teardown's commit runs. */
struct fixture {
	struct dom		*d;
	int			 reachable;
	int			 nreach;	/* dev_reachable calls */
	struct sent		 sent[MAX_SEEN];
	int			 nsent;
	int			 ndone;
	enum queue_result	 res[MAX_SEEN];
	uint64_t		 id[MAX_SEEN];
};

static struct fixture *hook_f;	/* the hooks get no argument of ours */

static int
fake_reachable(struct gateway *gw, struct device *d)
{
	(void)gw;
	(void)d;
	hook_f->nreach++;
	return hook_f->reachable;
}

static struct devreq *
fake_send(struct gateway *gw, const char *ep, const struct devreq_spec *spec,
    void (*cb)(const struct devresp *, void *), void *arg)
{
	struct sent *s;

	(void)gw;
	assert_string_equal(ep, EP);
	if (hook_f->nsent >= MAX_SEEN)
		return NULL;
	s = &hook_f->sent[hook_f->nsent++];
	s->method = spec->method;
	snprintf(s->path, sizeof(s->path), "%s", spec->path);
	snprintf(s->query, sizeof(s->query), "%s", spec->query != NULL ?
	    spec->query : "");
	snprintf(s->body, sizeof(s->body), "%.*s", (int)spec->len,
	    (const char *)spec->body);
	s->cb = cb;
	s->arg = arg;
	return (struct devreq *)(void *)s;	/* opaque to the queue */
}

static void
done_cb(enum queue_result res, uint64_t id, void *arg)
{
	struct fixture *f = arg;

	if (f->ndone < MAX_SEEN) {
		f->res[f->ndone] = res;
		f->id[f->ndone] = id;
	}
	f->ndone++;
}

/* Registers ep (the queue sends only to a known device). */
static void
register_ep(struct fixture *f, const char *ep)
{
	assert_int_equal(dom_register(f->d, ep, ""), 0);
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
	if (dom_start(f->d) == -1)
		return -1;
	register_ep(f, EP);
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

/* Stages an op for ep; returns what queue_push said. */
static enum queue_result
push(struct fixture *f, const char *ep, enum devreq_method m,
    const char *path, const char *body)
{
	struct devreq_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.method = m;
	spec.path = path;
	spec.content_format = body != NULL ? 0 : -1;
	spec.accept = -1;
	spec.body = (const uint8_t *)body;
	spec.len = body != NULL ? strlen(body) : 0;
	return queue_push(&f->d->gw, ep, &spec, done_cb, f);
}

/* Pushes and commits one op for EP; returns its id. */
static uint64_t
push_one(struct fixture *f, enum devreq_method m, const char *path,
    const char *body)
{
	int before = f->ndone;

	assert_int_equal(push(f, EP, m, path, body), QUEUE_OK);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(f->ndone, before + 1);
	assert_int_equal(f->res[before], QUEUE_OK);
	return f->id[before];
}

/* The device answers request i (of f->sent) with cls.detail and body. */
static void
answer(struct fixture *f, int i, int cls, int detail, const char *body)
{
	struct devresp r;

	memset(&r, 0, sizeof(r));
	r.kind = DEVRESP_ANSWER;
	r.cls = cls;
	r.detail = detail;
	r.content_format = body != NULL ? 0 : -1;
	r.body = (const uint8_t *)body;
	r.len = body != NULL ? strlen(body) : 0;
	f->sent[i].cb(&r, f->sent[i].arg);
}

/* Request i gets no answer (kind: timeout or unreachable). */
static void
no_answer(struct fixture *f, int i, enum devresp_kind kind)
{
	struct devresp r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.content_format = -1;
	f->sent[i].cb(&r, f->sent[i].arg);
}

/* Op id's stored state, result status and attempts. */
static void
op_is(struct fixture *f, uint64_t id, enum op_state st, int status,
    uint32_t attempts)
{
	struct op_view v;
	void *buf;

	assert_int_equal(queue_get(&f->d->gw, id, &v, &buf), 0);
	assert_int_equal(v.id, id);
	if (v.state != st)
		fail_msg("op %llu is %s, not %s", (unsigned long long)id,
		    queue_state_name(v.state), queue_state_name(st));
	assert_int_equal(v.result_status, status);
	assert_int_equal(v.attempts, attempts);
	free(buf);
}

struct walk {
	uint64_t	 id[MAX_SEEN];
	enum op_state	 st[MAX_SEEN];
	char		 path[MAX_SEEN][DEVREQ_PATH_MAX];
	size_t		 n;
};

static int
walk_cb(const struct op_view *v, void *arg)
{
	struct walk *w = arg;

	w->id[w->n] = v->id;
	w->st[w->n] = v->state;
	snprintf(w->path[w->n], sizeof(w->path[0]), "%s", v->path);
	w->n++;
	return 0;
}

static void
walk(struct fixture *f, struct walk *w)
{
	memset(w, 0, sizeof(*w));
	assert_int_equal(queue_walk_device(&f->d->gw, EP, 0, MAX_SEEN,
	    walk_cb, w), 0);
}

/* Ops pushed are acknowledged only on commit, kept in push order, and
 * wait (queued, nothing sent) while the device cannot be reached; the
 * queue and the next id survive a restart. */
static void
test_push_order_waits(void **state)
{
	struct fixture *f = *state;
	struct walk w;

	assert_int_equal(push(f, EP, DEVREQ_PUT, "3/0/14", "+02"), QUEUE_OK);
	assert_int_equal(push(f, EP, DEVREQ_GET, "3/0/1", NULL), QUEUE_OK);
	assert_int_equal(push(f, EP, DEVREQ_POST, "3/0/4", NULL), QUEUE_OK);
	assert_int_equal(f->ndone, 0);
	assert_int_equal(queue_length(&f->d->gw, EP), 3);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(f->ndone, 3);
	assert_int_equal(f->res[0], QUEUE_OK);
	assert_true(f->id[0] < f->id[1] && f->id[1] < f->id[2]);

	queue_wake(&f->d->gw, EP);
	dom_turns(f->d, 2);
	assert_int_equal(f->nreach, 1);
	assert_int_equal(f->nsent, 0);
	assert_int_equal(queue_sending(&f->d->gw, EP), 0);
	assert_int_equal(queue_length(&f->d->gw, EP), 3);

	walk(f, &w);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.id[0], f->id[0]);
	assert_string_equal(w.path[0], "3/0/14");
	assert_string_equal(w.path[1], "3/0/1");
	assert_string_equal(w.path[2], "3/0/4");
	assert_int_equal(w.st[0], OP_QUEUED);
	assert_int_equal(w.st[2], OP_QUEUED);
	op_is(f, f->id[0], OP_QUEUED, 0, 0);

	/* Still there, in order, after a restart. */
	assert_int_equal(dom_restart(f->d), 0);
	assert_int_equal(queue_length(&f->d->gw, EP), 3);
	walk(f, &w);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.id[0], f->id[0]);
	assert_int_equal(w.id[2], f->id[2]);
	/* Ids go on from the store: none is given twice. */
	assert_true(push_one(f, DEVREQ_GET, "3/0/2", NULL) > f->id[2]);
}

/* A reachable device gets its ops in order, one at a time: the next goes
 * only once the last one's result is committed. Each result is recorded
 * with the op, a GET's value goes to the cache, and one op_result event
 * is emitted per op. */
static void
test_delivery_in_order(void **state)
{
	struct fixture *f = *state;
	uint64_t a, b, c;
	const struct cache_entry *e;
	struct walk w;

	a = push_one(f, DEVREQ_PUT, "3/0/14", "+02");
	b = push_one(f, DEVREQ_GET, "3/0/1", NULL);
	c = push_one(f, DEVREQ_POST, "3/0/4", NULL);
	f->reachable = 1;

	queue_wake(&f->d->gw, EP);
	assert_int_equal(f->nsent, 1);
	assert_int_equal(f->sent[0].method, DEVREQ_PUT);
	assert_string_equal(f->sent[0].path, "3/0/14");
	assert_string_equal(f->sent[0].body, "+02");
	assert_int_equal(queue_sending(&f->d->gw, EP), a);
	walk(f, &w);
	assert_int_equal(w.st[0], OP_SENDING);
	assert_int_equal(w.st[1], OP_QUEUED);

	/* A wake while one is on the wire sends nothing more. */
	queue_wake(&f->d->gw, EP);
	dom_turns(f->d, 2);
	assert_int_equal(f->nsent, 1);

	answer(f, 0, 2, 4, NULL);
	assert_int_equal(f->nsent, 1);		/* not before the commit */
	queue_wake(&f->d->gw, EP);
	assert_int_equal(f->nsent, 1);
	assert_int_equal(queue_length(&f->d->gw, EP), 2);
	assert_int_equal(dom_commit(f->d), 0);
	op_is(f, a, OP_DONE, 204, 1);
	assert_int_equal(f->nsent, 2);
	assert_string_equal(f->sent[1].path, "3/0/1");
	assert_int_equal(queue_sending(&f->d->gw, EP), b);

	answer(f, 1, 2, 5, "Acme");
	assert_int_equal(dom_commit(f->d), 0);
	op_is(f, b, OP_DONE, 200, 1);
	e = cache_get(&f->d->gw, EP, "3/0/1");
	assert_non_null(e);
	assert_int_equal(e->len, 4);
	assert_memory_equal(e->body, "Acme", 4);
	assert_int_equal(f->nsent, 3);
	assert_string_equal(f->sent[2].path, "3/0/4");

	answer(f, 2, 4, 4, NULL);
	assert_int_equal(dom_commit(f->d), 0);
	op_is(f, c, OP_DONE, 404, 1);
	assert_int_equal(f->nsent, 3);
	assert_int_equal(queue_length(&f->d->gw, EP), 0);
	assert_int_equal(queue_sending(&f->d->gw, EP), 0);
	assert_int_equal(dom_events(f->d, "op_result", EP), 3);
	walk(f, &w);
	assert_int_equal(w.n, 0);
}

/* The result is read back whole: status, format and body. */
static void
test_result_stored(void **state)
{
	struct fixture *f = *state;
	uint64_t a = push_one(f, DEVREQ_GET, "3/0/0", NULL);
	struct op_view v;
	void *buf;

	f->reachable = 1;
	queue_wake(&f->d->gw, EP);
	answer(f, 0, 2, 5, "Outpost");
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(dom_restart(f->d), 0);
	assert_int_equal(queue_get(&f->d->gw, a, &v, &buf), 0);
	assert_int_equal(v.state, OP_DONE);
	assert_int_equal(v.result_status, 200);
	assert_int_equal(v.result_format, 0);
	assert_int_equal(v.result_len, 7);
	assert_memory_equal(v.result, "Outpost", 7);
	assert_string_equal(v.path, "3/0/0");
	free(buf);
}

/* An op whose TTL has passed is not sent: it ends expired (device
 * reachable or not), with its event, and the next op goes. */
static void
test_ttl_expiry(void **state)
{
	struct fixture *f = *state;
	uint64_t a, b;

	f->d->gw.cfg.queue_ttl = 60;
	a = push_one(f, DEVREQ_PUT, "3/0/14", "+01");
	dom_advance(30);
	b = push_one(f, DEVREQ_PUT, "3/0/14", "+02");

	dom_advance(29);			/* a: 1 s left */
	queue_wake(&f->d->gw, EP);
	assert_int_equal(dom_commit(f->d), 0);
	op_is(f, a, OP_QUEUED, 0, 0);
	assert_int_equal(queue_length(&f->d->gw, EP), 2);

	dom_advance(1);
	queue_wake(&f->d->gw, EP);
	assert_int_equal(dom_commit(f->d), 0);
	op_is(f, a, OP_EXPIRED, 0, 0);
	op_is(f, b, OP_QUEUED, 0, 0);
	assert_int_equal(queue_length(&f->d->gw, EP), 1);
	assert_int_equal(f->nsent, 0);
	assert_non_null(strstr(dom_event_last(f->d, "op_result"),
	    "\"state\":\"expired\""));

	f->reachable = 1;
	queue_wake(&f->d->gw, EP);
	assert_int_equal(f->nsent, 1);
	assert_string_equal(f->sent[0].body, "+02");
	assert_int_equal(queue_sending(&f->d->gw, EP), b);
}

/* [queue] max_per_device: a push beyond it is refused (nothing staged, no
 * callback), for that device only; room made by a finished op is taken. */
static void
test_cap(void **state)
{
	struct fixture *f = *state;

	f->d->gw.cfg.queue_max_per_device = 2;
	assert_int_equal(push(f, EP, DEVREQ_GET, "3/0/1", NULL), QUEUE_OK);
	assert_int_equal(push(f, EP, DEVREQ_GET, "3/0/2", NULL), QUEUE_OK);
	/* Pushes not yet committed count. */
	assert_int_equal(push(f, EP, DEVREQ_GET, "3/0/3", NULL), QUEUE_FULL);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(f->ndone, 2);
	assert_int_equal(push(f, EP, DEVREQ_GET, "3/0/3", NULL), QUEUE_FULL);
	assert_int_equal(push(f, "node-2", DEVREQ_GET, "3/0/3", NULL),
	    QUEUE_OK);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(queue_length(&f->d->gw, EP), 2);

	/* After a restart, the count comes from the store. */
	assert_int_equal(dom_restart(f->d), 0);
	assert_int_equal(push(f, EP, DEVREQ_GET, "3/0/3", NULL), QUEUE_FULL);

	f->reachable = 1;
	queue_wake(&f->d->gw, EP);
	answer(f, 0, 2, 5, "x");
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(queue_length(&f->d->gw, EP), 1);
	assert_int_equal(push(f, EP, DEVREQ_GET, "3/0/3", NULL), QUEUE_OK);
}

/* Cancel ends a queued op (recorded cancelled, with its event, off the
 * queue) once committed; one on the wire or finished cannot be, and an
 * unknown id is not found. */
static void
test_cancel(void **state)
{
	struct fixture *f = *state;
	uint64_t a = push_one(f, DEVREQ_PUT, "3/0/14", "+01");
	uint64_t b = push_one(f, DEVREQ_PUT, "3/0/14", "+02");
	uint64_t c = push_one(f, DEVREQ_PUT, "3/0/14", "+03");
	struct walk w;

	assert_int_equal(queue_cancel(&f->d->gw, a, done_cb, f), QUEUE_OK);
	assert_int_equal(f->ndone, 3);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(f->ndone, 4);
	assert_int_equal(f->res[3], QUEUE_OK);
	assert_int_equal(f->id[3], a);
	op_is(f, a, OP_CANCELLED, 0, 0);
	assert_int_equal(queue_length(&f->d->gw, EP), 2);
	assert_int_equal(dom_events(f->d, "op_result", EP), 1);
	walk(f, &w);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.id[0], b);

	assert_int_equal(queue_cancel(&f->d->gw, a, done_cb, f),
	    QUEUE_NOT_QUEUED);
	assert_int_equal(queue_cancel(&f->d->gw, c + 100, done_cb, f),
	    QUEUE_NOT_FOUND);

	/* b goes out (a is not sent); on the wire, it cannot be cancelled. */
	f->reachable = 1;
	queue_wake(&f->d->gw, EP);
	assert_int_equal(f->nsent, 1);
	assert_string_equal(f->sent[0].body, "+02");
	assert_int_equal(queue_cancel(&f->d->gw, b, done_cb, f),
	    QUEUE_NOT_QUEUED);
	assert_int_equal(queue_cancel(&f->d->gw, c, done_cb, f), QUEUE_OK);
	answer(f, 0, 2, 4, NULL);
	assert_int_equal(dom_commit(f->d), 0);
	op_is(f, b, OP_DONE, 204, 1);
	op_is(f, c, OP_CANCELLED, 0, 0);
	assert_int_equal(f->nsent, 1);
	assert_int_equal(queue_length(&f->d->gw, EP), 0);
}

/* No answer: the op stays first in line with the attempt counted and
 * goes again at the device's next message; after max_attempts it fails
 * (504 for a timeout) and the next op goes. */
static void
test_retry_then_fail(void **state)
{
	struct fixture *f = *state;
	uint64_t a, b;

	f->d->gw.cfg.queue_max_attempts = 2;
	a = push_one(f, DEVREQ_POST, "3/0/4", NULL);
	b = push_one(f, DEVREQ_GET, "3/0/1", NULL);
	f->reachable = 1;
	queue_wake(&f->d->gw, EP);
	assert_int_equal(f->nsent, 1);

	no_answer(f, 0, DEVRESP_TIMEOUT);
	assert_int_equal(dom_commit(f->d), 0);
	op_is(f, a, OP_QUEUED, 0, 1);
	assert_int_equal(f->nsent, 1);		/* backoff: waits */
	assert_int_equal(dom_events(f->d, "op_result", EP), 0);

	queue_wake(&f->d->gw, EP);		/* heard from: at once */
	assert_int_equal(f->nsent, 2);
	assert_string_equal(f->sent[1].path, "3/0/4");
	no_answer(f, 1, DEVRESP_TIMEOUT);
	assert_int_equal(dom_commit(f->d), 0);
	op_is(f, a, OP_FAILED, 504, 2);
	assert_int_equal(f->nsent, 3);
	assert_string_equal(f->sent[2].path, "3/0/1");
	assert_int_equal(queue_sending(&f->d->gw, EP), b);
	assert_non_null(strstr(dom_event_last(f->d, "op_result"),
	    "\"state\":\"failed\""));
}

/* At least once: an op on the wire when the gateway stops (the face
 * ending its request as it stops is no attempt) is sent again after the
 * restart, from the store, and its result is then recorded once. */
static void
test_resent_after_restart(void **state)
{
	struct fixture *f = *state;
	uint64_t a = push_one(f, DEVREQ_PUT, "3/0/14", "+01");
	uint64_t b = push_one(f, DEVREQ_PUT, "3/0/14", "+02");

	f->reachable = 1;
	queue_wake(&f->d->gw, EP);
	assert_int_equal(f->nsent, 1);
	f->d->gw.stopping = 1;
	no_answer(f, 0, DEVRESP_UNREACHABLE);
	assert_int_equal(dom_restart(f->d), 0);

	op_is(f, a, OP_QUEUED, 0, 0);
	assert_int_equal(queue_length(&f->d->gw, EP), 2);
	assert_int_equal(f->nsent, 1);
	queue_wake(&f->d->gw, EP);
	assert_int_equal(f->nsent, 2);
	assert_string_equal(f->sent[1].body, "+01");
	assert_int_equal(queue_sending(&f->d->gw, EP), a);

	answer(f, 1, 2, 4, NULL);
	assert_int_equal(dom_commit(f->d), 0);
	op_is(f, a, OP_DONE, 204, 1);
	assert_int_equal(f->nsent, 3);
	assert_string_equal(f->sent[2].body, "+02");
	answer(f, 2, 2, 4, NULL);
	assert_int_equal(dom_commit(f->d), 0);
	op_is(f, b, OP_DONE, 204, 1);
	assert_int_equal(dom_events(f->d, "op_result", EP), 2);

	/* Recorded is recorded: another restart sends nothing again. */
	assert_int_equal(dom_restart(f->d), 0);
	assert_int_equal(queue_length(&f->d->gw, EP), 0);
	queue_wake(&f->d->gw, EP);
	dom_turns(f->d, 2);
	assert_int_equal(f->nsent, 3);
	op_is(f, a, OP_DONE, 204, 1);
	assert_int_equal(dom_events(f->d, "op_result", EP), 2);
}

/* An answer delivered twice for the same request (the second before the
 * first's commit) records one result and one event, and the next op goes
 * once, after that commit. */
static void
test_answer_twice(void **state)
{
	struct fixture *f = *state;
	uint64_t a = push_one(f, DEVREQ_PUT, "3/0/14", "+01");
	uint64_t b = push_one(f, DEVREQ_PUT, "3/0/14", "+02");

	f->reachable = 1;
	queue_wake(&f->d->gw, EP);
	assert_int_equal(f->nsent, 1);
	answer(f, 0, 2, 4, NULL);
	answer(f, 0, 2, 4, NULL);
	queue_wake(&f->d->gw, EP);		/* the device talks again */
	assert_int_equal(f->nsent, 1);
	assert_int_equal(dom_commit(f->d), 0);
	op_is(f, a, OP_DONE, 204, 1);
	assert_int_equal(dom_events(f->d, "op_result", EP), 1);
	assert_int_equal(f->nsent, 2);
	assert_string_equal(f->sent[1].body, "+02");
	assert_int_equal(queue_sending(&f->d->gw, EP), b);
	assert_int_equal(queue_length(&f->d->gw, EP), 1);
}

/* The same when it was the device's last op: nothing is left to send. */
static void
test_answer_twice_last(void **state)
{
	struct fixture *f = *state;
	uint64_t a = push_one(f, DEVREQ_PUT, "3/0/14", "+01");

	f->reachable = 1;
	queue_wake(&f->d->gw, EP);
	answer(f, 0, 2, 4, NULL);
	answer(f, 0, 2, 4, NULL);
	assert_int_equal(dom_commit(f->d), 0);
	op_is(f, a, OP_DONE, 204, 1);
	assert_int_equal(dom_events(f->d, "op_result", EP), 1);
	assert_int_equal(queue_length(&f->d->gw, EP), 0);
	assert_int_equal(f->nsent, 1);
}

/* The format byte of op id's record as stored. */
static int
op_format(struct fixture *f, uint64_t id)
{
	uint8_t key[8], buf[512];
	size_t len;

	store_put_be64(key, id);
	assert_int_equal(store_get(f->d->gw.store, STORE_DB_OPS, key, 8, buf,
	    sizeof(buf), &len), 0);
	return buf[0];
}

/*
 * An op's query (Write-Attributes) is kept and sent; a result's
 * Location-Path (a create) and a device's error code are recorded. Such ops
 * are records of format 2; an op with none of them stays format 1, which
 * an older gateway reads, and both read back across a restart.
 */
static void
test_query_and_location(void **state)
{
	struct fixture *f = *state;
	struct devreq_spec spec;
	struct devresp r;
	struct op_view v;
	uint64_t plain, attrs, create;
	void *buf;

	plain = push_one(f, DEVREQ_GET, "3/0/0", NULL);
	memset(&spec, 0, sizeof(spec));
	spec.method = DEVREQ_PUT;
	spec.path = "3303/0/5700";
	spec.query = "pmin=5&lt";
	spec.content_format = spec.accept = -1;
	assert_int_equal(queue_push(&f->d->gw, EP, &spec, done_cb, f),
	    QUEUE_OK);
	assert_int_equal(dom_commit(f->d), 0);
	attrs = f->id[f->ndone - 1];
	create = push_one(f, DEVREQ_POST, "33605", "x");
	assert_int_equal(op_format(f, plain), 1);
	assert_int_equal(op_format(f, attrs), 2);
	assert_int_equal(op_format(f, create), 1);

	assert_int_equal(dom_restart(f->d), 0);
	f->reachable = 1;
	queue_wake(&f->d->gw, EP);
	answer(f, 0, 2, 5, "Outpost");
	assert_int_equal(dom_commit(f->d), 0);
	assert_string_equal(f->sent[1].path, "3303/0/5700");
	assert_string_equal(f->sent[1].query, "pmin=5&lt");
	assert_string_equal(f->sent[0].query, "");
	answer(f, 1, 2, 4, NULL);
	assert_int_equal(dom_commit(f->d), 0);
	memset(&r, 0, sizeof(r));
	r.kind = DEVRESP_ANSWER;
	r.cls = 2;
	r.detail = 1;
	r.content_format = -1;
	r.location = "33605/0";
	f->sent[2].cb(&r, f->sent[2].arg);
	assert_int_equal(dom_commit(f->d), 0);

	assert_int_equal(dom_restart(f->d), 0);
	assert_int_equal(op_format(f, plain), 1);
	assert_int_equal(queue_get(&f->d->gw, attrs, &v, &buf), 0);
	assert_string_equal(v.query, "pmin=5&lt");
	assert_null(v.location);
	assert_int_equal(v.result_status, 204);
	assert_int_equal(v.result_code, 0);
	free(buf);
	assert_int_equal(queue_get(&f->d->gw, create, &v, &buf), 0);
	assert_int_equal(v.state, OP_DONE);
	assert_null(v.query);
	assert_string_equal(v.location, "33605/0");
	assert_int_equal(v.result_status, 201);
	assert_int_equal(v.result_code, 0);
	assert_int_equal(v.len, 1);
	assert_memory_equal(v.body, "x", 1);
	free(buf);
	assert_int_equal(queue_get(&f->d->gw, plain, &v, &buf), 0);
	assert_int_equal(v.result_code, 0);
	assert_int_equal(v.result_len, 7);
	assert_memory_equal(v.result, "Outpost", 7);
	free(buf);

	/* A refusal keeps the device's code. */
	create = push_one(f, DEVREQ_DELETE, "9/0", NULL);
	queue_wake(&f->d->gw, EP);
	answer(f, 3, 4, 4, "gone");
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(op_format(f, create), 2);
	assert_int_equal(queue_get(&f->d->gw, create, &v, &buf), 0);
	assert_int_equal(v.result_status, 404);
	assert_int_equal(v.result_code, 4 << 5 | 4);
	assert_memory_equal(v.result, "gone", 4);
	free(buf);
}

/* The stats of /metrics: ops and devices waiting, and the oldest op's
 * creation, kept right when the first op ends, is cancelled, or comes
 * back from the store after a restart; each ended op's time from
 * creation, by outcome. */
static void
test_stats(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = &f->d->gw;
	struct queue_stats st;
	struct metrics_hist done, expired;
	int64_t t0 = gw_now();
	uint64_t a, b;

	queue_stats(gw, &st);
	assert_int_equal(st.ops, 0);
	assert_int_equal(st.devices, 0);
	assert_int_equal(st.oldest_at, 0);

	a = push_one(f, DEVREQ_PUT, "3/0/14", "+01");
	dom_advance(10);
	b = push_one(f, DEVREQ_PUT, "3/0/14", "+02");
	assert_int_equal(push(f, "other", DEVREQ_GET, "1/0", NULL), QUEUE_OK);
	queue_stats(gw, &st);		/* counted before the commit too */
	assert_int_equal(st.ops, 3);
	assert_int_equal(st.devices, 2);
	assert_int_equal(st.oldest_at, t0);
	assert_int_equal(dom_commit(f->d), 0);

	/* The first op cancelled: the next one is the oldest. */
	assert_int_equal(queue_cancel(gw, a, done_cb, f), QUEUE_OK);
	assert_int_equal(dom_commit(f->d), 0);
	queue_stats(gw, &st);
	assert_int_equal(st.ops, 2);
	assert_int_equal(st.oldest_at, t0 + 10);

	/* After a restart, read back from the store. */
	assert_int_equal(dom_restart(f->d), 0);
	gw = &f->d->gw;
	queue_stats(gw, &st);
	assert_int_equal(st.ops, 2);
	assert_int_equal(st.devices, 2);
	assert_int_equal(st.oldest_at, t0 + 10);

	/* b delivered 5 s later: 15 s from its creation, done. */
	done = gw->metrics.op[MOP_DONE];
	dom_advance(5);
	f->reachable = 1;
	queue_wake(gw, EP);
	assert_int_equal(f->nsent, 1);
	answer(f, 0, 2, 4, NULL);
	assert_int_equal(dom_commit(f->d), 0);
	op_is(f, b, OP_DONE, 204, 1);
	assert_int_equal(gw->metrics.op[MOP_DONE].count, done.count + 1);
	assert_true(gw->metrics.op[MOP_DONE].sum - done.sum == 5.0);
	/* 5 s: the bucket le=5 (the second), not le=1. */
	assert_int_equal(gw->metrics.op[MOP_DONE].bucket[1],
	    done.bucket[1] + 1);
	queue_stats(gw, &st);
	assert_int_equal(st.ops, 1);
	assert_int_equal(st.devices, 1);
	assert_int_equal(st.oldest_at, t0 + 10);	/* "other"'s */

	/* "other"'s op outlives its ttl: expired, counted as such. */
	expired = gw->metrics.op[MOP_EXPIRED];
	dom_advance(gw->cfg.queue_ttl);
	queue_wake(gw, "other");
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(gw->metrics.op[MOP_EXPIRED].count,
	    expired.count + 1);
	queue_stats(gw, &st);
	assert_int_equal(st.ops, 0);
	assert_int_equal(st.devices, 0);
	assert_int_equal(st.oldest_at, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_push_order_waits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_delivery_in_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_result_stored, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ttl_expiry, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_then_fail, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resent_after_restart,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_twice, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_query_and_location, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_answer_twice_last, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	};

	log_init("test_dom_queue", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
