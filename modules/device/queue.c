/*
 * queue.c: the durable operation queue. See queue.h for what it promises.
 *
 * In the store: every op's record under its id (STORE_DB_OPS, big-endian id
 * so ids sort), and, while it waits, an index entry "ep NUL id" in
 * STORE_DB_QUEUE that orders a device's ops. In memory: per device with
 * anything queued, its count (for the cap) and whether one of its ops is on
 * the wire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/event.h>

#include "cache/cache.h"
#include "gateway.h"
#include "log.h"
#include "cache/events.h"
#include "modules/device/guard.h"
#include "modules/device/queue.h"
#include "modules/device/registry.h"
#include "store/store.h"
#include "lwm2m/coapmap.h"

/*
 * Record formats: 1 is the head, then ep, path, body, result. 2 (an op
 * with a query, or whose result has a Location-Path or the device's code)
 * puts struct op_ext after the head, and its query and location (each
 * NUL-terminated) after the path. An op with neither is written as 1, so
 * that a store stays readable by a gateway that knows format 1 only; both
 * are read.
 */
#define OP_FORMAT	1
#define OP_FORMAT_EXT	2
#define QKEY_MAX	(LWM2M_EP_MAX + 1 + 8)
#define QDEV_BUCKETS	1024

/* The fixed part of an op record; ep, path, body, result follow it. */
struct op_head {
	uint64_t	id;
	int64_t		created_at, updated_at, expires_at;
	uint32_t	attempts;
	int32_t		content_format, accept, result_format;
	uint32_t	body_len, result_len;
	uint16_t	result_status;
	uint16_t	ep_len, path_len;
	uint8_t		state, method;
};
#define OP_HEAD_OFF	8	/* format byte, padding */

/* Format 2's addition. */
struct op_ext {
	uint16_t	query_len, location_len;
	uint8_t		result_code;	/* the device's error (class << 5 |
					   detail), 0 if none or unknown */
	uint8_t		pad[3];
};

/* A device with ops waiting. */
struct qdev {
	struct qdev	*next;
	struct gateway	*gw;
	size_t		 count;		/* queued + sending */
	size_t		 uncommitted;	/* pushes whose batch is not yet
					   committed (counted in count) */
	uint64_t	 sending;	/* id on the wire, 0 if none */
	uint64_t	 head;		/* the first op's id */
	int64_t		 head_at;	/* its created_at; 0: not known (read
					   from the store when asked) */
	int		 busy;		/* 1: a step is under way; 2: backoff */
	int		 dropped;	/* decommissioned while busy */
	struct event	*retry;
	char		 ep[LWM2M_EP_MAX + 1];
};

struct queue {
	struct qdev	*buckets[QDEV_BUCKETS];
	uint64_t	 next_id;
	queue_listener	 listeners[QUEUE_LISTENERS_MAX];	/* queue_add_listener */
	void		*listener_args[QUEUE_LISTENERS_MAX];
};

static const char *const op_state_names[OP_STATE__COUNT] = {
	"queued", "sending", "done", "failed", "expired", "cancelled"
};

static void	queue_step(struct qdev *q);

const char *
queue_state_name(enum op_state st)
{
	return st < OP_STATE__COUNT ? op_state_names[st] : "unknown";
}

/* "ep NUL id": sorts a device's ops by id. */
static size_t
queue_key(const char *ep, uint64_t id, uint8_t *key)
{
	size_t n = strlen(ep);

	memcpy(key, ep, n);
	key[n] = '\0';
	store_put_be64(key + n + 1, id);
	return n + 9;
}

static size_t
qdev_hash(const char *ep)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*ep != '\0')
		h = (h ^ (uint8_t)*ep++) * 0x100000001b3ull;
	return (size_t)(h & (QDEV_BUCKETS - 1));
}

static struct qdev *
qdev_find(struct gateway *gw, const char *ep, int create)
{
	struct queue *qs = gw->queue;
	size_t b = qdev_hash(ep);
	struct qdev *q;

	for (q = qs->buckets[b]; q != NULL; q = q->next)
		if (strcmp(q->ep, ep) == 0 && !q->dropped)
			return q;
	if (!create || strlen(ep) > LWM2M_EP_MAX ||
	    (q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->gw = gw;
	memcpy(q->ep, ep, strlen(ep) + 1);
	q->next = qs->buckets[b];
	qs->buckets[b] = q;
	return q;
}

/* Frees q once nothing is queued or under way. */
static void
qdev_release(struct qdev *q)
{
	struct qdev **pp;

	if (q->count > 0 || q->busy)
		return;
	for (pp = &q->gw->queue->buckets[qdev_hash(q->ep)]; *pp != q;
	    pp = &(*pp)->next)
		;
	*pp = q->next;
	if (q->retry != NULL)
		event_free(q->retry);
	free(q);
}

/* Encodes an op into a malloc'd record. */
static uint8_t *
op_encode(const struct op_view *v, size_t *len)
{
	struct op_head h;
	struct op_ext x;
	const char *query = v->query != NULL ? v->query : "";
	const char *loc = v->location != NULL ? v->location : "";
	uint8_t *buf, *p;
	int ext;

	memset(&h, 0, sizeof(h));
	memset(&x, 0, sizeof(x));
	h.id = v->id;
	h.created_at = v->created_at;
	h.updated_at = v->updated_at;
	h.expires_at = v->expires_at;
	h.attempts = v->attempts;
	h.content_format = v->content_format;
	h.accept = v->accept;
	h.result_format = v->result_format;
	h.result_status = (uint16_t)v->result_status;
	h.ep_len = (uint16_t)strlen(v->ep);
	h.path_len = (uint16_t)strlen(v->path);
	h.body_len = (uint32_t)v->len;
	h.result_len = (uint32_t)v->result_len;
	h.state = (uint8_t)v->state;
	h.method = (uint8_t)v->method;
	x.query_len = (uint16_t)strlen(query);
	x.location_len = (uint16_t)strlen(loc);
	x.result_code = (uint8_t)v->result_code;
	ext = x.query_len > 0 || x.location_len > 0 || x.result_code != 0;
	*len = OP_HEAD_OFF + sizeof(h) + h.ep_len + 1 + h.path_len + 1 +
	    h.body_len + h.result_len;
	if (ext)
		*len += sizeof(x) + x.query_len + 1 + x.location_len + 1;
	if ((buf = calloc(1, *len)) == NULL)
		return NULL;
	buf[0] = ext ? OP_FORMAT_EXT : OP_FORMAT;
	memcpy(buf + OP_HEAD_OFF, &h, sizeof(h));
	p = buf + OP_HEAD_OFF + sizeof(h);
	if (ext) {
		memcpy(p, &x, sizeof(x));
		p += sizeof(x);
	}
	memcpy(p, v->ep, h.ep_len);
	p += h.ep_len + 1;
	memcpy(p, v->path, h.path_len);
	p += h.path_len + 1;
	if (ext) {
		memcpy(p, query, x.query_len);
		p += x.query_len + 1;
		memcpy(p, loc, x.location_len);
		p += x.location_len + 1;
	}
	if (h.body_len > 0)
		memcpy(p, v->body, h.body_len);
	p += h.body_len;
	if (h.result_len > 0)
		memcpy(p, v->result, h.result_len);
	return buf;
}

/* Points v into a stored record (format 1 or 2); -1 if it is not sane. */
static int
op_decode(const uint8_t *buf, size_t len, struct op_view *v)
{
	struct op_head h;
	struct op_ext x;
	const uint8_t *p;
	size_t need;

	memset(&x, 0, sizeof(x));
	if (len < OP_HEAD_OFF + sizeof(h) || (buf[0] != OP_FORMAT &&
	    buf[0] != OP_FORMAT_EXT))
		return -1;
	memcpy(&h, buf + OP_HEAD_OFF, sizeof(h));
	p = buf + OP_HEAD_OFF + sizeof(h);
	need = OP_HEAD_OFF + sizeof(h) + (size_t)h.ep_len + 1 + h.path_len +
	    1 + h.body_len + h.result_len;
	if (buf[0] == OP_FORMAT_EXT) {
		if (len < OP_HEAD_OFF + sizeof(h) + sizeof(x))
			return -1;
		memcpy(&x, p, sizeof(x));
		p += sizeof(x);
		need += sizeof(x) + (size_t)x.query_len + 1 + x.location_len +
		    1;
	}
	if (len != need || h.state >= OP_STATE__COUNT)
		return -1;
	if (p[h.ep_len] != '\0' || p[h.ep_len + 1 + h.path_len] != '\0')
		return -1;
	memset(v, 0, sizeof(*v));
	v->id = h.id;
	v->state = (enum op_state)h.state;
	v->method = (enum devreq_method)h.method;
	v->content_format = h.content_format;
	v->accept = h.accept;
	v->attempts = h.attempts;
	v->created_at = h.created_at;
	v->updated_at = h.updated_at;
	v->expires_at = h.expires_at;
	v->result_status = h.result_status;
	v->result_format = h.result_format;
	v->result_code = x.result_code;
	v->ep = (const char *)p;
	v->path = (const char *)p + h.ep_len + 1;
	p += h.ep_len + 1 + h.path_len + 1;
	if (buf[0] == OP_FORMAT_EXT) {
		if (p[x.query_len] != '\0' ||
		    p[x.query_len + 1 + x.location_len] != '\0')
			return -1;
		if (x.query_len > 0)
			v->query = (const char *)p;
		if (x.location_len > 0)
			v->location = (const char *)p + x.query_len + 1;
		p += x.query_len + 1 + x.location_len + 1;
	}
	v->body = p;
	v->len = h.body_len;
	v->result = p + h.body_len;
	v->result_len = h.result_len;
	return 0;
}

int
queue_get(struct gateway *gw, uint64_t id, struct op_view *v, void **out)
{
	uint8_t key[8], *buf;
	size_t len, cap = 4096;
	int rc;

	store_put_be64(key, id);
	for (;;) {
		if ((buf = malloc(cap)) == NULL)
			return -1;
		rc = store_get(gw->store, STORE_DB_OPS, key, 8, buf, cap, &len);
		if (rc != 0 || len <= cap)
			break;
		free(buf);
		cap = len;
	}
	if (rc != 0 || op_decode(buf, len, v) == -1) {
		free(buf);
		return rc != 0 ? rc : -1;
	}
	*out = buf;
	return 0;
}

/* Stages v's record. */
static int
op_put(struct gateway *gw, const struct op_view *v)
{
	uint8_t key[8], *rec;
	size_t len;
	int rc;

	if ((rec = op_encode(v, &len)) == NULL)
		return -1;
	store_put_be64(key, v->id);
	rc = store_put(gw->store, STORE_DB_OPS, key, 8, rec, len);
	free(rec);
	return rc;
}

/* Stages v as finished (state st): its record, and off the queue. */
static int
op_finish(struct gateway *gw, struct op_view *v, enum op_state st)
{
	uint8_t key[QKEY_MAX];

	v->state = st;
	v->updated_at = gw_now();
	if (op_put(gw, v) == -1)
		return -1;
	return store_del(gw->store, STORE_DB_QUEUE, key, queue_key(v->ep,
	    v->id, key));
}

struct push {
	struct gateway	*gw;
	queue_done_cb	 done;
	void		*arg;
	uint64_t	 id;
	char		 ep[LWM2M_EP_MAX + 1];
};

static void
queue_push_done(int status, void *arg)
{
	struct push *pu = arg;
	struct qdev *q = qdev_find(pu->gw, pu->ep, 0);

	if (q != NULL) {
		q->uncommitted--;
		if (status != 0) {
			q->count--;
			if (q->head == pu->id)
				q->head_at = 0;
			qdev_release(q);
		}
	}
	if (pu->done != NULL)
		pu->done(status == 0 ? QUEUE_OK : QUEUE_STORE_FAILED, pu->id,
		    pu->arg);
	free(pu);
}

enum queue_result
queue_push(struct gateway *gw, const char *ep, const struct devreq_spec *spec,
    queue_done_cb done, void *arg)
{
	return queue_push_id(gw, ep, spec, done, arg, NULL);
}

enum queue_result
queue_push_id(struct gateway *gw, const char *ep,
    const struct devreq_spec *spec, queue_done_cb done, void *arg,
    uint64_t *idp)
{
	struct queue *qs = gw->queue;
	struct qdev *q = qdev_find(gw, ep, 1);
	struct op_view v;
	struct push *pu;
	uint8_t key[QKEY_MAX], next[8];
	int64_t now = gw_now();

	if (q == NULL)
		return QUEUE_STORE_FAILED;
	if (q->count >= (size_t)gw->cfg.queue_max_per_device) {
		qdev_release(q);
		return QUEUE_FULL;
	}
	if ((pu = calloc(1, sizeof(*pu))) == NULL) {
		qdev_release(q);
		return QUEUE_STORE_FAILED;
	}
	memset(&v, 0, sizeof(v));
	v.id = qs->next_id++;
	v.state = OP_QUEUED;
	v.ep = ep;
	v.method = spec->method;
	v.path = spec->path;
	v.query = spec->query;
	v.content_format = spec->content_format;
	v.accept = spec->accept;
	v.body = spec->body;
	v.len = spec->len;
	v.created_at = v.updated_at = now;
	v.expires_at = now + gw->cfg.queue_ttl;
	v.result_format = -1;
	store_put_be64(next, qs->next_id);
	if (op_put(gw, &v) == -1 ||
	    store_put(gw->store, STORE_DB_QUEUE, key, queue_key(ep, v.id, key),
	    "", 0) == -1 ||
	    store_put(gw->store, STORE_DB_META, "next_op", 7, next, 8) == -1 ||
	    store_when_durable(gw->store, queue_push_done, pu) == -1) {
		free(pu);
		qdev_release(q);
		return QUEUE_STORE_FAILED;
	}
	if (q->count++ == 0) {
		q->head = v.id;
		q->head_at = now;
	}
	q->uncommitted++;
	pu->gw = gw;
	pu->done = done;
	pu->arg = arg;
	pu->id = v.id;
	memcpy(pu->ep, ep, strlen(ep) + 1);
	if (idp != NULL)
		*idp = v.id;
	return QUEUE_OK;
}

size_t
queue_length(struct gateway *gw, const char *ep)
{
	struct qdev *q = qdev_find(gw, ep, 0);

	return q != NULL ? q->count : 0;
}

uint64_t
queue_sending(struct gateway *gw, const char *ep)
{
	struct qdev *q = qdev_find(gw, ep, 0);

	return q != NULL ? q->sending : 0;
}

/* Collects up to max ids of ep's queue, in order. */
struct collect {
	const char	*ep;
	size_t		 eplen;
	uint64_t	*ids;
	size_t		 n, max;
};

static int
queue_collect_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct collect *c = arg;
	const uint8_t *k = key;

	(void)val;
	(void)vlen;
	if (klen != c->eplen + 9 || memcmp(k, c->ep, c->eplen) != 0 ||
	    k[c->eplen] != '\0')
		return 1;	/* past ep's entries */
	c->ids[c->n++] = store_get_be64(k + c->eplen + 1);
	return c->n == c->max;
}

static size_t
queue_collect(struct gateway *gw, const char *ep, uint64_t from, uint64_t *ids,
    size_t max)
{
	struct collect c = { ep, strlen(ep), ids, 0, max };
	uint8_t key[QKEY_MAX];

	if (max > 0)
		store_iterate(gw->store, STORE_DB_QUEUE, key, queue_key(ep, from,
		    key), queue_collect_one, &c);
	return c.n;
}

/* Commit callback of one step: the next one may go, unless the step left
 * the op waiting out a backoff (its timer or a wake goes on). */
static void
queue_step_done(int status, void *arg)
{
	struct qdev *q = arg;

	if (status != 0)
		log_warnx("device %s: queue: store write failed", q->ep);
	if (q->busy == 2)
		return;
	q->busy = 0;
	queue_step(q);
}

/* Tells the event sinks (the webhook) how an op ended; they write in the
 * same batch as the result. */
static void
queue_event(struct gateway *gw, const struct op_view *v)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddNumberToObject(e, "op", (double)v->id);
	cJSON_AddStringToObject(e, "state", queue_state_name(v->state));
	cJSON_AddStringToObject(e, "path", v->path);
	if (v->result_status != 0)
		cJSON_AddNumberToObject(e, "status", v->result_status);
	events_emit(gw, "op_result", v->ep, e);
}

/* How long op v waited, created to ended with st, in /metrics. */
static void
queue_observe(struct gateway *gw, const struct op_view *v, enum op_state st)
{
	int64_t dt = v->updated_at - v->created_at;
	int i = st == OP_DONE ? MOP_DONE : st == OP_FAILED ? MOP_FAILED :
	    MOP_EXPIRED;

	metrics_observe(&gw->metrics.op[i], &metrics_op_buckets,
	    dt > 0 ? (double)dt : 0);
}

/* The listeners hear of v, in the order they were added. */
static void
queue_tell(struct gateway *gw, const struct op_view *v)
{
	struct queue *qu = gw->queue;
	size_t i;

	for (i = 0; i < QUEUE_LISTENERS_MAX && qu->listeners[i] != NULL; i++)
		qu->listeners[i](gw, v, qu->listener_args[i]);
}

/* Ends the step for v (finished with st, result set by the caller). */
static void
queue_finish(struct qdev *q, struct op_view *v, enum op_state st)
{
	q->sending = 0;
	if (op_finish(q->gw, v, st) == -1 ||
	    store_when_durable(q->gw->store, queue_step_done, q) == -1) {
		q->busy = 0;	/* the op stays queued; next wake retries */
		return;
	}
	q->count--;
	if (q->head == v->id)
		q->head_at = 0;
	queue_observe(q->gw, v, st);
	log_info("device %s: op %llu %s", q->ep, (unsigned long long)v->id,
	    queue_state_name(st));
	queue_event(q->gw, v);
	queue_tell(q->gw, v);
}

int
queue_add_listener(struct gateway *gw, queue_listener fn, void *arg)
{
	size_t i;

	for (i = 0; i < QUEUE_LISTENERS_MAX; i++)
		if (gw->queue->listeners[i] == NULL) {
			gw->queue->listeners[i] = fn;
			gw->queue->listener_args[i] = arg;
			return 0;
		}
	return -1;
}

void
queue_remove_listener(struct gateway *gw, queue_listener fn, void *arg)
{
	struct queue *qu = gw->queue;
	size_t i;

	for (i = 0; i < QUEUE_LISTENERS_MAX && qu->listeners[i] != NULL; i++)
		if (qu->listeners[i] == fn && qu->listener_args[i] == arg)
			break;
	if (i == QUEUE_LISTENERS_MAX || qu->listeners[i] == NULL)
		return;
	for (; i + 1 < QUEUE_LISTENERS_MAX; i++) {
		qu->listeners[i] = qu->listeners[i + 1];
		qu->listener_args[i] = qu->listener_args[i + 1];
	}
	qu->listeners[i] = NULL;
}

static void
queue_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	queue_step(arg);
}

/* The device answered the op on the wire, or did not. */
static void
queue_delivered(const struct devresp *r, void *arg)
{
	struct qdev *q = arg;
	struct gateway *gw = q->gw;
	struct op_view v;
	void *buf;
	struct timeval tv = { 0, 0 };
	unsigned backoff;

	/* No op of q's on the wire: a second call for the same request
	 * (devreq.c makes one; a face that made two must not free q under
	 * the pending commit, nor record the result twice). */
	if (q->sending == 0)
		return;
	/* A stop is no attempt: the op stays as stored (sending), and goes
	 * again after the next start. */
	if (q->dropped || gw->stopping ||
	    queue_get(gw, q->sending, &v, &buf) != 0) {
		q->sending = 0;
		q->busy = 0;
		qdev_release(q);
		return;
	}
	v.attempts++;
	if (r->kind == DEVRESP_ANSWER) {
		if (v.method == DEVREQ_GET && r->cls == 2 && r->detail == 5 &&
		    v.accept != 40)
			cache_put(gw, q->ep, v.path, r->content_format,
			    r->has_max_age ? (long)r->max_age : -1, r->body,
			    r->len, 0);
		if (r->cls == 2)
			guard_accepted(gw, q->ep, (int)v.method, v.path);
		v.result_status = coapmap_status(r->cls, r->detail, r->len > 0);
		/* The code an error body names; a success has its status. */
		if (r->cls >= 4)
			v.result_code = (r->cls & 7) << 5 | (r->detail & 31);
		v.location = r->location;
		v.result_format = r->content_format;
		v.result = r->body;
		v.result_len = r->len;
		queue_finish(q, &v, OP_DONE);
	} else if (v.attempts >= (uint32_t)gw->cfg.queue_max_attempts) {
		v.result_status = r->kind == DEVRESP_TIMEOUT ? 504 : 502;
		queue_finish(q, &v, OP_FAILED);
	} else {
		/* Stays first in line; tried again after a backoff, or at
		 * the device's next message, whichever is first. */
		q->sending = 0;
		v.updated_at = gw_now();
		if (op_put(gw, &v) == -1 || store_when_durable(gw->store,
		    queue_step_done, q) == -1) {
			q->busy = 0;
		} else {
			backoff = 2u << (v.attempts < 8 ? v.attempts : 8);
			tv.tv_sec = backoff;
			if (q->retry == NULL)
				q->retry = evtimer_new(gw->base, queue_retry_cb,
				    q);
			q->busy = 2;	/* waits for the timer or a wake */
		}
	}
	free(buf);
	if (q->busy == 2 && q->retry != NULL)
		evtimer_add(q->retry, &tv);
}

/*
 * One step of delivery for q: looks at the first op of its queue and either
 * drops it (expired), or sends it if the device can be reached. Steps are
 * chained by commits, so the store always holds the truth before the next.
 */
static void
queue_step(struct qdev *q)
{
	struct gateway *gw = q->gw;
	struct device *d;
	struct devreq_spec spec;
	struct op_view v;
	uint64_t id;
	void *buf;

	if (q->busy == 1 || q->count == 0 || gw->stopping) {
		qdev_release(q);
		return;
	}
	if (queue_collect(gw, q->ep, 0, &id, 1) != 1 ||
	    queue_get(gw, id, &v, &buf) != 0) {
		/* The store has nothing: believe it, but for pushes still
		 * on their way to it (their callers wake the queue). */
		q->count = q->uncommitted;
		qdev_release(q);
		return;
	}
	q->head = id;
	q->head_at = v.created_at;
	q->busy = 1;
	if (gw_now() >= v.expires_at) {
		queue_finish(q, &v, OP_EXPIRED);
		free(buf);
		return;
	}
	d = registry_find_by_endpoint(gw->registry, q->ep);
	memset(&spec, 0, sizeof(spec));
	spec.method = v.method;
	spec.path = v.path;
	spec.query = v.query;
	spec.content_format = v.content_format;
	spec.accept = v.accept;
	spec.body = v.body;
	spec.len = v.len;
	spec.timeout_s = (unsigned)gw->cfg.proxy_timeout;
	q->sending = id;
	if (d == NULL || gw->hooks.dev_reachable == NULL ||
	    !gw->hooks.dev_reachable(gw, d) ||
	    gw->hooks.dev_send(gw, q->ep, &spec, queue_delivered, q) == NULL) {
		q->sending = 0;
		q->busy = 0;	/* not reachable: the next wake goes on */
	}
	free(buf);
}

void
queue_wake(struct gateway *gw, const char *ep)
{
	struct qdev *q = qdev_find(gw, ep, 0);

	if (q == NULL)
		return;
	if (q->busy == 2) {		/* waiting out a backoff: go now */
		evtimer_del(q->retry);
		q->busy = 0;
	}
	queue_step(q);
}

struct cancel {
	queue_done_cb	 done;
	void		*arg;
	uint64_t	 id;
};

static void
queue_cancel_done(int status, void *arg)
{
	struct cancel *c = arg;

	c->done(status == 0 ? QUEUE_OK : QUEUE_STORE_FAILED, c->id, c->arg);
	free(c);
}

enum queue_result
queue_cancel(struct gateway *gw, uint64_t id, queue_done_cb done, void *arg)
{
	struct op_view v;
	struct qdev *q;
	struct cancel *c;
	void *buf;
	int rc;

	if ((rc = queue_get(gw, id, &v, &buf)) != 0)
		return rc == 1 ? QUEUE_NOT_FOUND : QUEUE_STORE_FAILED;
	q = qdev_find(gw, v.ep, 0);
	if (v.state != OP_QUEUED || q == NULL || q->sending == id) {
		free(buf);
		return QUEUE_NOT_QUEUED;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    op_finish(gw, &v, OP_CANCELLED) == -1 ||
	    store_when_durable(gw->store, queue_cancel_done, c) == -1) {
		free(c);
		free(buf);
		return QUEUE_STORE_FAILED;
	}
	c->done = done;
	c->arg = arg;
	c->id = id;
	q->count--;
	if (q->head == id)
		q->head_at = 0;
	queue_event(gw, &v);
	free(buf);
	qdev_release(q);
	return QUEUE_OK;
}

void
queue_drop_device(struct gateway *gw, const char *ep)
{
	struct qdev *q = qdev_find(gw, ep, 0);
	size_t max = (size_t)gw->cfg.queue_max_per_device, n, i;
	uint8_t key[QKEY_MAX], okey[8];
	uint64_t *ids;

	if (q == NULL || (ids = calloc(max, sizeof(*ids))) == NULL)
		return;
	n = queue_collect(gw, ep, 0, ids, max);
	for (i = 0; i < n; i++) {
		store_del(gw->store, STORE_DB_QUEUE, key, queue_key(ep, ids[i],
		    key));
		store_put_be64(okey, ids[i]);
		store_del(gw->store, STORE_DB_OPS, okey, 8);
	}
	free(ids);
	q->count = 0;
	q->dropped = 1;		/* an answer still on its way is ignored */
	if (q->busy == 2) {
		evtimer_del(q->retry);
		q->busy = 0;
	}
	qdev_release(q);
}

int
queue_walk_device(struct gateway *gw, const char *ep, uint64_t after,
    size_t max, queue_walk_cb cb, void *arg)
{
	struct qdev *q = qdev_find(gw, ep, 0);
	uint64_t *ids;
	struct op_view v;
	size_t n, i;
	void *buf;
	int rc = 0;

	if (max == 0 || (ids = calloc(max, sizeof(*ids))) == NULL)
		return -1;
	n = queue_collect(gw, ep, after + 1, ids, max);
	for (i = 0; i < n && rc == 0; i++) {
		if (queue_get(gw, ids[i], &v, &buf) != 0)
			continue;
		if (q != NULL && q->sending == v.id)
			v.state = OP_SENDING;
		rc = cb(&v, arg);
		free(buf);
	}
	free(ids);
	return rc;
}

/* When q's first op was created, read from the store when not known
 * (after a restart, or once its head ended or went): at most one read a
 * device until its head changes again. 0 when nothing is committed. */
static int64_t
queue_head_at(struct qdev *q)
{
	struct op_view v;
	uint64_t id;
	void *buf;

	if (q->head_at != 0)
		return q->head_at;
	if (queue_collect(q->gw, q->ep, 0, &id, 1) != 1 ||
	    queue_get(q->gw, id, &v, &buf) != 0)
		return 0;
	q->head = id;
	q->head_at = v.created_at;
	free(buf);
	return q->head_at;
}

void
queue_stats(struct gateway *gw, struct queue_stats *st)
{
	struct qdev *q;
	int64_t at;
	size_t b;

	memset(st, 0, sizeof(*st));
	if (gw->queue == NULL)
		return;
	for (b = 0; b < QDEV_BUCKETS; b++)
		for (q = gw->queue->buckets[b]; q != NULL; q = q->next) {
			if (q->dropped || q->count == 0)
				continue;
			st->ops += q->count;
			st->devices++;
			if ((at = queue_head_at(q)) != 0 &&
			    (st->oldest_at == 0 || at < st->oldest_at))
				st->oldest_at = at;
		}
}

/* Startup: count every device's queue, and find the next op id. */
static int
queue_load_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct gateway *gw = arg;
	const char *k = key;
	size_t eplen = klen >= 9 ? klen - 9 : 0;
	char ep[LWM2M_EP_MAX + 1];
	struct qdev *q;

	(void)val;
	(void)vlen;
	if (klen < 10 || eplen > LWM2M_EP_MAX || k[eplen] != '\0' ||
	    memchr(k, '\0', eplen) != NULL)
		return 0;
	memcpy(ep, k, eplen);
	ep[eplen] = '\0';
	/* Keys sort by ep, then id: a device's first is its head. */
	if ((q = qdev_find(gw, ep, 1)) != NULL && q->count++ == 0)
		q->head = store_get_be64((const uint8_t *)k + eplen + 1);
	return 0;
}

int
queue_init(struct gateway *gw)
{
	struct queue *qs;
	uint8_t next[8];
	size_t len;

	if ((qs = calloc(1, sizeof(*qs))) == NULL)
		return -1;
	gw->queue = qs;
	qs->next_id = 1;
	if (store_get(gw->store, STORE_DB_META, "next_op", 7, next,
	    sizeof(next), &len) == 0 && len == 8)
		qs->next_id = store_get_be64(next);
	return store_iterate(gw->store, STORE_DB_QUEUE, NULL, 0,
	    queue_load_one, gw) == -1 ? -1 : 0;
}

void
queue_free(struct gateway *gw)
{
	struct queue *qs = gw->queue;
	struct qdev *q, *next;
	size_t b;

	if (qs == NULL)
		return;
	for (b = 0; b < QDEV_BUCKETS; b++)
		for (q = qs->buckets[b]; q != NULL; q = next) {
			next = q->next;
			if (q->retry != NULL)
				event_free(q->retry);
			free(q);
		}
	free(qs);
	gw->queue = NULL;
}

static int
queue_module_init(struct gateway *gw)
{
	return queue_init(gw);
}

const struct gw_module queue_module = {
	.name = "queue",
	.init = queue_module_init,
	.stop = queue_free,
};
