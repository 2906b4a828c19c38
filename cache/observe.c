/*
 * observe.c: the gateway's observations of device resources. See observe.h.
 * In memory, every stored observation with its live CoAP observation (if
 * any) and its counters; in the store, STORE_DB_OBSERVE "ep NUL path".
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "cache/cache.h"
#include "cache/events.h"
#include "cache/observe.h"
#include "gateway.h"
#include "lwm2m/devmsg.h"
#include "lwm2m/lwm2m.h"
#include "store/store.h"

struct obs {
	TAILQ_ENTRY(obs)	 entry;
	struct gateway		*gw;
	struct devobs		*live;		/* NULL: not established now */
	uint64_t		 notifications;
	int64_t			 created_at, last_at;
	unsigned		 holds;		/* observe_hold, in memory */
	long			 seq;		/* of live's latest value, or
						   -1 (none yet) */
	int64_t			 seq_at;	/* when it came */
	int			 stored;	/* a client's, in the store */
	char			 ep[LWM2M_EP_MAX + 1];
	char			 path[DEVREQ_PATH_MAX];
};

TAILQ_HEAD(obs_list, obs);

struct observe {
	struct obs_list		 all;
	size_t			 count;
	size_t			 nclients;	/* of them stored: a client's */
	observe_listener	 listener;
	void			*listener_arg;
};

static size_t
obs_key(const char *ep, const char *path, uint8_t *key, size_t cap)
{
	size_t a = strlen(ep), b = strlen(path);

	if (a + 1 + b > cap)
		return 0;
	memcpy(key, ep, a);
	key[a] = '\0';
	memcpy(key + a + 1, path, b);
	return a + 1 + b;
}

static struct obs *
obs_find(struct gateway *gw, const char *ep, const char *path)
{
	struct obs *o;

	TAILQ_FOREACH(o, &gw->observe->all, entry)
		if (strcmp(o->ep, ep) == 0 && strcmp(o->path, path) == 0)
			return o;
	return NULL;
}

/* A notification's value for the event stream: JSON as JSON, text as a
 * string, anything else base64 is left to the cache (omitted here). */
static void
obs_value(cJSON *e, int cf, const uint8_t *body, size_t len)
{
	cJSON *v = NULL;
	char *s;

	if ((cf == 50 || cf == 110) && (v = cJSON_ParseWithLength(
	    (const char *)body, len)) != NULL) {
		cJSON_AddItemToObject(e, "value", v);
		return;
	}
	if ((cf == 0 || cf < 0) && memchr(body, '\0', len) == NULL &&
	    (s = malloc(len + 1)) != NULL) {
		memcpy(s, body, len);
		s[len] = '\0';
		cJSON_AddStringToObject(e, "value", s);
		free(s);
	}
}

/* RFC 7641 3.4: whether notification v2 (at t2) is newer than v1 (t1). */
static int
obs_newer(long v1, int64_t t1, long v2, int64_t t2)
{
	return (v1 < v2 && v2 - v1 < (1L << 23)) ||
	    (v1 > v2 && v1 - v2 > (1L << 23)) || t2 > t1 + 128;
}

/*
 * Every answer and notification of a live observation. The order of RFC
 * 7641 3.4 is the order of one observation (one token on one session):
 * o->seq starts again with every observation made (obs_establish), so a
 * device that rebooted, registered again or was observed anew may number
 * from 0 and its values are taken. A value that is late within its own
 * observation is dropped.
 */
static void
obs_notify(const struct devresp *r, long seq, void *arg)
{
	struct obs *o = arg;
	int64_t now = gw_now();
	cJSON *e;

	if (seq < 0)
		o->live = NULL;		/* ended: made again on next wake */
	if (r->kind != DEVRESP_ANSWER || r->cls != 2)
		return;
	if (seq >= 0) {
		if (o->seq >= 0 && !obs_newer(o->seq, o->seq_at, seq, now))
			return;		/* late within this observation */
		o->seq = seq;
		o->seq_at = now;
	}
	if (cache_put(o->gw, o->ep, o->path, r->content_format,
	    r->has_max_age ? (long)r->max_age : -1, r->body, r->len, 1) != 1)
		return;			/* too large to keep */
	o->notifications++;
	o->last_at = now;
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "path", o->path);
	cJSON_AddNumberToObject(e, "content_format", r->content_format);
	obs_value(e, r->content_format, r->body, r->len);
	events_emit(o->gw, "notification", o->ep, e);
	if (o->gw->observe->listener != NULL)
		o->gw->observe->listener(o->gw, o->ep, o->path,
		    r->content_format, r->body, r->len,
		    o->gw->observe->listener_arg);
}

/* Makes the CoAP observation if the device can be reached now (the CoAP
 * face decides, through its hook). */
static void
obs_establish(struct obs *o)
{
	if (o->live != NULL || o->gw->hooks.dev_observe == NULL)
		return;
	o->seq = -1;		/* a new observation: a new order */
	o->live = o->gw->hooks.dev_observe(o->gw, o->ep, o->path, obs_notify,
	    o);
}

void
observe_wake(struct gateway *gw, const char *ep)
{
	struct obs *o;

	if (gw->observe == NULL)
		return;
	TAILQ_FOREACH(o, &gw->observe->all, entry)
		if (strcmp(o->ep, ep) == 0)
			obs_establish(o);
}

/* A new observation of ep's path, in memory; NULL without memory. */
static struct obs *
obs_new(struct gateway *gw, const char *ep, const char *path, int64_t now)
{
	struct obs *o;

	if (strlen(ep) > LWM2M_EP_MAX || strlen(path) >= DEVREQ_PATH_MAX ||
	    (o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->gw = gw;
	o->created_at = now;
	memcpy(o->ep, ep, strlen(ep) + 1);
	memcpy(o->path, path, strlen(path) + 1);
	TAILQ_INSERT_TAIL(&gw->observe->all, o, entry);
	gw->observe->count++;
	return o;
}

/* Marks o a client's (stored) or not, keeping the count. */
static void
obs_set_stored(struct gateway *gw, struct obs *o, int stored)
{
	if (o->stored != stored)
		gw->observe->nclients += stored ? 1 : (size_t)-1;
	o->stored = stored;
}

static void
obs_free(struct gateway *gw, struct obs *o)
{
	obs_set_stored(gw, o, 0);
	TAILQ_REMOVE(&gw->observe->all, o, entry);
	gw->observe->count--;
	if (o->live != NULL && gw->hooks.dev_observe_cancel != NULL)
		gw->hooks.dev_observe_cancel(o->live);
	free(o);
}

int
observe_hold(struct gateway *gw, const char *ep, const char *path)
{
	struct obs *o;

	if (gw->observe == NULL)
		return -1;
	if ((o = obs_find(gw, ep, path)) == NULL &&
	    (o = obs_new(gw, ep, path, gw_now())) == NULL)
		return -1;
	o->holds++;
	obs_establish(o);
	return 0;
}

void
observe_release(struct gateway *gw, const char *ep, const char *path)
{
	struct obs *o;

	if (gw->observe == NULL || (o = obs_find(gw, ep, path)) == NULL ||
	    o->holds == 0)
		return;
	if (--o->holds == 0 && !o->stored)
		obs_free(gw, o);
}

int
observe_walk_dormant(struct gateway *gw, int (*fn)(const char *ep,
    void *arg), void *arg)
{
	struct obs *o;
	int rc;

	if (gw->observe == NULL)
		return 0;
	TAILQ_FOREACH(o, &gw->observe->all, entry)
		if (o->live == NULL && (rc = fn(o->ep, arg)) != 0)
			return rc;
	return 0;
}

void
observe_set_listener(struct gateway *gw, observe_listener fn, void *arg)
{
	gw->observe->listener = fn;
	gw->observe->listener_arg = arg;
}

void
observe_drop_device(struct gateway *gw, const char *ep)
{
	struct obs *o, *next;
	uint8_t key[LWM2M_EP_MAX + 1 + DEVREQ_PATH_MAX];
	size_t klen;

	for (o = TAILQ_FIRST(&gw->observe->all); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (strcmp(o->ep, ep) != 0)
			continue;
		if ((klen = obs_key(o->ep, o->path, key, sizeof(key))) > 0)
			store_del(gw->store, STORE_DB_OBSERVE, key, klen);
		obs_free(gw, o);
	}
}

static void
obs_view(const struct obs *o, struct observe_view *v)
{
	v->ep = o->ep;
	v->path = o->path;
	v->established = o->live != NULL;
	v->client = o->stored;
	v->held = o->holds > 0;
	v->notifications = o->notifications;
	v->last_at = o->last_at;
}

int
observe_get(struct gateway *gw, const char *ep, const char *path,
    struct observe_view *v)
{
	struct obs *o;

	if ((o = obs_find(gw, ep, path)) == NULL)
		return -1;
	obs_view(o, v);
	return 0;
}

void
observe_walk(struct gateway *gw, const char *ep,
    void (*fn)(const struct observe_view *v, void *arg), void *arg)
{
	struct observe_view v;
	struct obs *o;

	TAILQ_FOREACH(o, &gw->observe->all, entry)
		if (ep == NULL || strcmp(ep, o->ep) == 0) {
			obs_view(o, &v);
			fn(&v, arg);
		}
}

/* The clients' observations (of ep only, unless NULL). */
static size_t
obs_clients(struct gateway *gw, const char *ep)
{
	struct obs *o;
	size_t n = 0;

	if (ep == NULL)
		return gw->observe->nclients;
	TAILQ_FOREACH(o, &gw->observe->all, entry)
		n += o->stored && strcmp(o->ep, ep) == 0;
	return n;
}

enum observe_put
observe_client_put(struct gateway *gw, const char *ep, const char *path)
{
	uint8_t key[LWM2M_EP_MAX + 1 + DEVREQ_PATH_MAX];
	int64_t now = gw_now();
	struct obs *o;
	size_t klen;

	if ((klen = obs_key(ep, path, key, sizeof(key))) == 0 ||
	    strlen(path) >= DEVREQ_PATH_MAX)
		return OBSERVE_PUT_TOO_LONG;
	if ((o = obs_find(gw, ep, path)) != NULL && o->stored)
		return OBSERVE_PUT_EXISTS;	/* one per resource */
	if (o == NULL && obs_clients(gw, NULL) >=
	    (size_t)gw->cfg.cache_max_observations)
		return OBSERVE_PUT_CAP;
	if (o == NULL && obs_clients(gw, ep) >=
	    (size_t)gw->cfg.cache_max_observations_per_device)
		return OBSERVE_PUT_DEVICE_CAP;
	if (o == NULL && (o = obs_new(gw, ep, path, now)) == NULL)
		return OBSERVE_PUT_FAILED;
	obs_set_stored(gw, o, 1);
	if (store_put(gw->store, STORE_DB_OBSERVE, key, klen, &now,
	    sizeof(now)) == -1) {
		obs_set_stored(gw, o, 0);
		if (o->holds == 0)
			obs_free(gw, o);
		return OBSERVE_PUT_FAILED;
	}
	return OBSERVE_PUT_NEW;
}

int
observe_client_del(struct gateway *gw, const char *ep, const char *path)
{
	uint8_t key[LWM2M_EP_MAX + 1 + DEVREQ_PATH_MAX];
	struct obs *o;
	size_t klen;

	if ((o = obs_find(gw, ep, path)) == NULL || !o->stored)
		return 1;
	obs_set_stored(gw, o, 0);
	if (o->holds == 0)	/* else the gateway still needs it */
		obs_free(gw, o);
	if ((klen = obs_key(ep, path, key, sizeof(key))) == 0 ||
	    store_del(gw->store, STORE_DB_OBSERVE, key, klen) == -1)
		return -1;
	return 0;
}

void
observe_establish(struct gateway *gw, const char *ep, const char *path)
{
	struct obs *o;

	if ((o = obs_find(gw, ep, path)) != NULL)
		obs_establish(o);
}

static int
obs_load_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct gateway *gw = arg;
	const char *k = key, *nul = memchr(key, '\0', klen);
	size_t eplen, plen;
	struct obs *o;

	if (nul == NULL || (eplen = (size_t)(nul - k)) == 0 ||
	    eplen > LWM2M_EP_MAX || (plen = klen - eplen - 1) == 0 ||
	    plen >= DEVREQ_PATH_MAX || memchr(nul + 1, '\0', plen) != NULL ||
	    (o = calloc(1, sizeof(*o))) == NULL)
		return 0;
	o->gw = gw;
	o->stored = 1;
	gw->observe->nclients++;
	memcpy(o->ep, k, eplen);
	memcpy(o->path, nul + 1, plen);
	if (vlen == sizeof(o->created_at))
		memcpy(&o->created_at, val, vlen);
	TAILQ_INSERT_TAIL(&gw->observe->all, o, entry);
	gw->observe->count++;
	return 0;
}

static int
observe_init(struct gateway *gw)
{
	if ((gw->observe = calloc(1, sizeof(*gw->observe))) == NULL)
		return -1;
	TAILQ_INIT(&gw->observe->all);
	return store_iterate(gw->store, STORE_DB_OBSERVE, NULL, 0,
	    obs_load_one, gw) == -1 ? -1 : 0;
}

static void
observe_stop(struct gateway *gw)
{
	struct obs *o;

	if (gw->observe == NULL)
		return;
	while ((o = TAILQ_FIRST(&gw->observe->all)) != NULL) {
		TAILQ_REMOVE(&gw->observe->all, o, entry);
		free(o);	/* the routes went with the CoAP context */
	}
	free(gw->observe);
	gw->observe = NULL;
}

const struct gw_module observe_module = {
	.name = "observe",
	.init = observe_init,
	.stop = observe_stop,
};
