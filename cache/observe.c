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
#include <event2/http.h>

#include "cache/cache.h"
#include "cache/observe.h"
#include "gateway.h"
#include "log.h"
#include "modules/coap/coap.h"
#include "modules/coap/devreq.h"
#include "modules/device/queue.h"
#include "cache/events.h"
#include "modules/device/registry.h"
#include "store/store.h"
#include "proxy/http.h"

struct obs {
	TAILQ_ENTRY(obs)	 entry;
	struct gateway		*gw;
	struct devobs		*live;		/* NULL: not established now */
	uint64_t		 notifications;
	int64_t			 created_at, last_at;
	unsigned		 holds;		/* observe_hold, in memory */
	int			 stored;	/* a client's, in the store */
	char			 ep[LWM2M_EP_MAX + 1];
	char			 path[DEVREQ_PATH_MAX];
};

TAILQ_HEAD(obs_list, obs);

#define OBS_STRAYS_PER_S	100	/* looked into per second, at most: each
					   walks the observations */

struct observe {
	struct obs_list		 all;
	size_t			 count;
	int64_t			 stray_second;
	unsigned		 strays;
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

/* Every answer and notification of a live observation. */
static void
obs_notify(const struct devresp *r, long seq, void *arg)
{
	struct obs *o = arg;
	cJSON *e;

	if (seq < 0)
		o->live = NULL;		/* ended: made again on next wake */
	if (r->kind != DEVRESP_ANSWER || r->cls != 2)
		return;
	if (cache_put(o->gw, o->ep, o->path, r->content_format,
	    r->has_max_age ? (long)r->max_age : -1, r->body, r->len,
	    seq) != 1)
		return;			/* older than what we have */
	o->notifications++;
	o->last_at = gw_now();
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

/* Makes the CoAP observation if the device can be reached now. */
static void
obs_establish(struct obs *o)
{
	struct device *d = registry_find_by_endpoint(o->gw->registry, o->ep);

	if (o->live != NULL || d == NULL || !devreq_reachable(o->gw, d))
		return;
	o->live = devreq_observe(o->gw, o->ep, o->path, obs_notify, o);
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

static void
obs_free(struct gateway *gw, struct obs *o)
{
	TAILQ_REMOVE(&gw->observe->all, o, entry);
	gw->observe->count--;
	if (o->live != NULL)
		devobs_cancel(o->live);
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

void
observe_stray(struct gateway *gw, coap_session_t *s)
{
	struct device *d = NULL;
	struct dev_addr from;
	const char *why;
	struct obs *o;
	int64_t now = gw_now();

	if (gw->observe == NULL)
		return;
	if (gw->observe->stray_second != now) {
		gw->observe->stray_second = now;
		gw->observe->strays = 0;
	}
	if (++gw->observe->strays > OBS_STRAYS_PER_S)
		return;		/* a flood gets its RSTs, nothing more */
	coap_session_dev_addr(s, &from);
	TAILQ_FOREACH(o, &gw->observe->all, entry) {
		if (o->live != NULL || (d = registry_find_by_endpoint(
		    gw->registry, o->ep)) == NULL ||
		    !registry_addr_equal(&d->r.addr, &from) ||
		    coap_auth_check(gw, s, d->ep, &why) != 0) {
			d = NULL;
			continue;
		}
		break;
	}
	if (d == NULL)
		return;
	log_debug("observe: %s notifies an observation of before: it is "
	    "there, observing again", d->ep);
	devreq_set_route(gw, d->ep, s);
	registry_touch(gw->registry, d);
	observe_wake(gw, d->ep);
	queue_wake(gw, d->ep);
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

static cJSON *
obs_json(const struct obs *o)
{
	cJSON *j = cJSON_CreateObject();
	char buf[GW_TIME_LEN];

	cJSON_AddStringToObject(j, "ep", o->ep);
	cJSON_AddStringToObject(j, "path", o->path);
	cJSON_AddBoolToObject(j, "established", o->live != NULL);
	cJSON_AddBoolToObject(j, "client", o->stored);
	cJSON_AddBoolToObject(j, "held_by_gateway", o->holds > 0);
	cJSON_AddNumberToObject(j, "notifications", (double)o->notifications);
	if (o->last_at != 0) {
		cJSON_AddStringToObject(j, "last_value_at",
		    gw_time_str(o->last_at, buf));
	} else {
		cJSON_AddNullToObject(j, "last_value_at");
	}
	return j;
}

struct obs_pending {
	struct http_exchange	*hx;
	struct obs		*o;
	int			 created;
};

static void
obs_stored(int status, void *arg)
{
	struct obs_pending *p = arg;

	if (status != 0) {
		http_error(p->hx, 500, "internal", "store write failed");
		free(p);
		return;
	}
	if (p->o != NULL) {
		obs_establish(p->o);
		http_reply_json(p->hx, 201, obs_json(p->o));
	} else {
		http_reply(p->hx, 204, NULL, NULL);
	}
	free(p);
}

void
observe_http(struct http_exchange *hx)
{
	struct gateway *gw = hx->gw;
	const char *ep = hx->params.value[0], *path = hx->params.value[1];
	uint8_t key[LWM2M_EP_MAX + 1 + DEVREQ_PATH_MAX];
	int64_t now = gw_now();
	struct obs_pending *p;
	struct obs *o;
	size_t klen;

	if (registry_find_by_endpoint(gw->registry, ep) == NULL) {
		http_error(hx, 404, "not_found", "device '%s' is not "
		    "registered", ep);
		return;
	}
	if ((klen = obs_key(ep, path, key, sizeof(key))) == 0 ||
	    strlen(path) >= DEVREQ_PATH_MAX) {
		http_error(hx, 400, "bad_request", "path too long");
		return;
	}
	o = obs_find(gw, ep, path);
	if (evhttp_request_get_command(hx->req) == EVHTTP_REQ_DELETE) {
		if (o == NULL || !o->stored) {
			http_error(hx, 404, "not_found", "%s/%s is not "
			    "observed", ep, path);
			return;
		}
		o->stored = 0;
		if (o->holds == 0)	/* else the gateway still needs it */
			obs_free(gw, o);
		o = NULL;
		if (store_del(gw->store, STORE_DB_OBSERVE, key, klen) == -1)
			goto fail;
	} else if (o != NULL && o->stored) {
		http_reply_json(hx, 200, obs_json(o));	/* one per resource */
		return;
	} else {
		if (o == NULL && (o = obs_new(gw, ep, path, now)) == NULL)
			goto fail;
		o->stored = 1;
		if (store_put(gw->store, STORE_DB_OBSERVE, key, klen, &now,
		    sizeof(now)) == -1) {
			o->stored = 0;
			if (o->holds == 0)
				obs_free(gw, o);
			goto fail;
		}
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto fail;
	p->hx = hx;
	p->o = o;
	if (store_when_durable(gw->store, obs_stored, p) == 0)
		return;
	free(p);
fail:
	http_error(hx, 500, "internal", "store write failed");
}

void
observe_list_http(struct http_exchange *hx)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(doc, "observations");
	const char *ep = http_query(hx, "ep");
	struct obs *o;

	TAILQ_FOREACH(o, &hx->gw->observe->all, entry)
		if (ep == NULL || strcmp(ep, o->ep) == 0)
			cJSON_AddItemToArray(list, obs_json(o));
	http_reply_json(hx, 200, doc);
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
