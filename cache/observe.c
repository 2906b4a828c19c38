/*
 * observe.c: the gateway's observations of device resources. See observe.h.
 * In memory, every stored observation with its live CoAP observation (if
 * any) and its counters; in the store, STORE_DB_OBSERVE "ep NUL path" for
 * one resource and "ep NUL NUL id" for a composite (whose value carries its
 * paths after the time: no path is empty, and a reader of before skips
 * such a key).
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <event2/event.h>

#include "cache/cache.h"
#include "cache/events.h"
#include "cache/observe.h"
#include "gateway.h"
#include "log.h"
#include "lwm2m/devmsg.h"
#include "lwm2m/dmparse.h"
#include "lwm2m/lwm2m.h"
#include "lwm2m/senml.h"
#include "lwm2m/senml_split.h"
#include "store/store.h"

#define OBS_KEY_MAX	(LWM2M_EP_MAX + 2 + DEVREQ_PATH_MAX)
#define OBS_COMPOSITE	"observe-composite/"	/* a composite's list key */
#define OBS_REFUSED_PER_S	4	/* refused notifications logged */

/* What a composite observation adds: its set, and the FETCH's body. */
struct obs_set {
	char		 id[DM_COMPOSITE_ID_LEN + 1];
	char		 paths[DM_COMPOSITE_MAX][DM_PATH_LEN];
	int		 n;
	char		*names;		/* [{"n":"/3/0/9"},...] */
	size_t		 nameslen;
	uint64_t	 dropped, refused;
};

struct obs {
	TAILQ_ENTRY(obs)	 entry;
	struct gateway		*gw;
	struct devobs		*live;		/* NULL: not established now */
	struct obs_set		*set;		/* a composite's, or NULL */
	uint64_t		 notifications;
	int64_t			 created_at, last_at;
	unsigned		 holds;		/* observe_hold, in memory */
	long			 seq;		/* of live's latest value, or
						   -1 (none yet) */
	int64_t			 seq_at;	/* when it came */
	int			 stored;	/* a client's, in the store */
	int			 reaping;	/* its last hold went while a
						   listener was told: freed at
						   the next turn of the loop */
	char			 ep[LWM2M_EP_MAX + 1];
	char			 path[DEVREQ_PATH_MAX];	/* a composite's:
						   "observe-composite/ID" */
};

TAILQ_HEAD(obs_list, obs);

struct observe {
	struct obs_list		 all;
	size_t			 count;
	size_t			 nclients;	/* of them stored: a client's */
	observe_listener	 listener[OBSERVE_LISTENERS_MAX];
	void			*listener_arg[OBSERVE_LISTENERS_MAX];
	int			 nlisteners;
	int			 telling;	/* listeners are being told */
	struct event		*reap;		/* frees what was released then */
	struct log_budget	 refused_log;	/* refused notifications */
};

/* o's key in the store: "ep NUL path", or "ep NUL NUL id". */
static size_t
obs_key_of(const char *ep, const char *path, int composite, uint8_t *key,
    size_t cap)
{
	size_t a = strlen(ep), b = strlen(path), c = composite != 0;

	if (a + 1 + c + b > cap)
		return 0;
	memcpy(key, ep, a);
	key[a] = '\0';
	key[a + 1] = '\0';
	memcpy(key + a + 1 + c, path, b);
	return a + 1 + c + b;
}

static size_t
obs_key(const char *ep, const char *path, uint8_t *key, size_t cap)
{
	return obs_key_of(ep, path, 0, key, cap);
}

static size_t
obs_key_set(const struct obs *o, uint8_t *key, size_t cap)
{
	return o->set != NULL ? obs_key_of(o->ep, o->set->id, 1, key, cap) :
	    obs_key_of(o->ep, o->path, 0, key, cap);
}

/* The observation of ep's path (not a composite's). */
static struct obs *
obs_find(struct gateway *gw, const char *ep, const char *path)
{
	struct obs *o;

	TAILQ_FOREACH(o, &gw->observe->all, entry)
		if (o->set == NULL && strcmp(o->ep, ep) == 0 &&
		    strcmp(o->path, path) == 0)
			return o;
	return NULL;
}

/* The composite observation of ep with id. */
static struct obs *
obs_find_set(struct gateway *gw, const char *ep, const char *id)
{
	struct obs *o;

	TAILQ_FOREACH(o, &gw->observe->all, entry)
		if (o->set != NULL && strcmp(o->ep, ep) == 0 &&
		    strcmp(o->set->id, id) == 0)
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
	if ((cf == 0 || cf < 0) && (len == 0 ||
	    memchr(body, '\0', len) == NULL) &&
	    (s = malloc(len + 1)) != NULL) {
		if (len > 0)		/* an empty value may have no body */
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

/* Every listener hears one value. */
static void
obs_tell(struct gateway *gw, const char *ep, const char *path, int cf,
    const uint8_t *body, size_t len)
{
	struct observe *ob = gw->observe;
	int i;

	ob->telling++;
	for (i = 0; i < ob->nlisteners; i++)
		ob->listener[i](gw, ep, path, cf, body, len,
		    ob->listener_arg[i]);
	ob->telling--;
}

/* One resource's value: into the cache, the event stream and the
 * listeners. */
static void
obs_notify_one(struct obs *o, const struct devresp *r, int64_t now)
{
	cJSON *e;

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
	obs_tell(o->gw, o->ep, o->path, r->content_format, r->body, r->len);
}

/* The event of a composite's notification: its id, its paths, and the
 * records (taken from sp). */
static cJSON *
obs_set_event(const struct obs_set *set, int cf, struct senml_split *sp)
{
	cJSON *e, *list;
	int i;

	if ((e = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(e, "composite", set->id);
	if ((list = cJSON_AddArrayToObject(e, "paths")) != NULL)
		for (i = 0; i < set->n; i++)
			cJSON_AddItemToArray(list,
			    cJSON_CreateString(set->paths[i]));
	cJSON_AddNumberToObject(e, "content_format", cf);
	if (cJSON_AddItemToObject(e, "records", sp->records))
		sp->records = NULL;
	return e;
}

/*
 * A composite's value, split by record (lwm2m/senml_split.h): each path's
 * value goes into the cache (and to the listener) as a one-record SenML
 * JSON pack, and the notification is one event. A notification that is no
 * SenML of LwM2M paths is refused whole: counted, and logged within a
 * budget, since a device can send one every datagram.
 */
static void
obs_notify_set(struct obs *o, const struct devresp *r, int64_t now)
{
	struct observe *ob = o->gw->observe;
	struct obs_set *set = o->set;
	const char *paths[DM_COMPOSITE_MAX];
	const struct senml_part *part;
	struct senml_split sp;
	char err[160];
	size_t k;
	int i;

	for (i = 0; i < set->n; i++)
		paths[i] = set->paths[i];
	if (senml_split(r->content_format, r->body, r->len, paths,
	    (size_t)set->n, now, &sp, err, sizeof(err)) == -1) {
		set->refused++;
		if (log_budget_take(&ob->refused_log, OBS_REFUSED_PER_S,
		    "observe: %u more refused notifications not logged"))
			log_info("device %s: a notification of composite "
			    "observation %s refused: %s", o->ep, set->id, err);
		return;
	}
	if (sp.dropped > 0) {
		set->dropped += sp.dropped;
		log_debug("device %s: composite observation %s: %zu records "
		    "outside its paths dropped", o->ep, set->id, sp.dropped);
	}
	for (k = 0; k < sp.nparts; k++) {
		part = &sp.parts[k];
		(void)cache_put(o->gw, o->ep, part->path, SENML_CF_JSON,
		    r->has_max_age ? (long)r->max_age : -1,
		    (const uint8_t *)part->pack, part->len, 1);
	}
	o->notifications++;
	o->last_at = now;
	events_emit(o->gw, "notification", o->ep,
	    obs_set_event(set, r->content_format, &sp));
	for (k = 0; k < sp.nparts; k++)
		obs_tell(o->gw, o->ep, sp.parts[k].path, SENML_CF_JSON,
		    (const uint8_t *)sp.parts[k].pack, sp.parts[k].len);
	senml_split_free(&sp);
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
	if (o->set != NULL)
		obs_notify_set(o, r, now);
	else
		obs_notify_one(o, r, now);
}

/*
 * Makes the CoAP observation if the device can be reached now (the CoAP
 * face decides, through its hook): a GET of the path, or for a composite a
 * FETCH of the root as Read-Composite sends it (LwM2M 1.1 Core 5.5.2),
 * its SenML JSON payload naming the paths and Accept SenML JSON, which
 * Zephyr, Anjay and Wakaama read and write; a device that notifies in
 * SenML CBOR is understood as well.
 */
static void
obs_establish(struct obs *o)
{
	struct devreq_spec spec;

	if (o->live != NULL || o->gw->hooks.dev_observe == NULL)
		return;
	memset(&spec, 0, sizeof(spec));
	spec.method = DEVREQ_GET;
	spec.path = o->path;
	spec.content_format = -1;
	spec.accept = -1;
	if (o->set != NULL) {
		spec.method = DEVREQ_FETCH;
		spec.path = "";
		spec.body = (const uint8_t *)o->set->names;
		spec.len = o->set->nameslen;
		spec.content_format = SENML_CF_JSON;
		spec.accept = SENML_CF_JSON;
	}
	o->seq = -1;		/* a new observation: a new order */
	o->live = o->gw->hooks.dev_observe(o->gw, o->ep, &spec, obs_notify,
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
obs_set_free(struct obs_set *set)
{
	if (set == NULL)
		return;
	free(set->names);
	free(set);
}

/* The set paths[0..n) (sorted, each once) with its id and its FETCH's
 * body; NULL without memory. */
static struct obs_set *
obs_set_new(char paths[][DM_PATH_LEN], int n)
{
	struct obs_set *set;

	if (n < 1 || n > DM_COMPOSITE_MAX ||
	    (set = calloc(1, sizeof(*set))) == NULL)
		return NULL;
	for (set->n = 0; set->n < n; set->n++)
		snprintf(set->paths[set->n], DM_PATH_LEN, "%s",
		    paths[set->n]);
	dm_composite_id(set->paths, n, set->id);
	if ((set->names = dm_composite_names(set->paths, n,
	    &set->nameslen)) == NULL) {
		free(set);
		return NULL;
	}
	return set;
}

/* A new composite observation of ep, in memory (taking set); NULL
 * without memory (set freed). */
static struct obs *
obs_new_set(struct gateway *gw, const char *ep, struct obs_set *set,
    int64_t now)
{
	char key[sizeof(OBS_COMPOSITE) + DM_COMPOSITE_ID_LEN];
	struct obs *o;

	snprintf(key, sizeof(key), "%s%s", OBS_COMPOSITE, set->id);
	if ((o = obs_new(gw, ep, key, now)) == NULL) {
		obs_set_free(set);
		return NULL;
	}
	o->set = set;
	return o;
}

static void
obs_free(struct gateway *gw, struct obs *o)
{
	obs_set_stored(gw, o, 0);
	TAILQ_REMOVE(&gw->observe->all, o, entry);
	gw->observe->count--;
	if (o->live != NULL && gw->hooks.dev_observe_cancel != NULL)
		gw->hooks.dev_observe_cancel(o->live);
	obs_set_free(o->set);
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

/* Frees what listeners let go of while they were told. */
static void
obs_reap(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	struct obs *o, *next;

	(void)fd;
	(void)what;
	if (gw->observe == NULL)
		return;
	for (o = TAILQ_FIRST(&gw->observe->all); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (!o->reaping)
			continue;
		o->reaping = 0;
		if (o->holds == 0 && !o->stored)
			obs_free(gw, o);
	}
}

void
observe_release(struct gateway *gw, const char *ep, const char *path)
{
	struct obs *o;

	if (gw->observe == NULL || (o = obs_find(gw, ep, path)) == NULL ||
	    o->holds == 0)
		return;
	if (--o->holds != 0 || o->stored)
		return;
	if (gw->observe->telling == 0) {
		obs_free(gw, o);
		return;
	}
	/* A listener lets go while it is told of this very observation:
	 * the one telling still holds o. */
	if (gw->observe->reap == NULL)
		gw->observe->reap = evtimer_new(gw->base, obs_reap, gw);
	if (gw->observe->reap != NULL) {
		o->reaping = 1;
		event_active(gw->observe->reap, EV_TIMEOUT, 0);
	}
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
observe_counts(struct gateway *gw, size_t *established, size_t *dormant)
{
	struct obs *o;

	*established = *dormant = 0;
	if (gw->observe == NULL)
		return;
	TAILQ_FOREACH(o, &gw->observe->all, entry)
		if (!o->reaping)
			(*(o->live != NULL ? established : dormant))++;
}

int
observe_add_listener(struct gateway *gw, observe_listener fn, void *arg)
{
	struct observe *ob = gw->observe;

	if (ob->nlisteners == OBSERVE_LISTENERS_MAX)
		return -1;
	ob->listener[ob->nlisteners] = fn;
	ob->listener_arg[ob->nlisteners++] = arg;
	return 0;
}

void
observe_drop_device(struct gateway *gw, const char *ep)
{
	struct obs *o, *next;
	uint8_t key[OBS_KEY_MAX];
	size_t klen;

	for (o = TAILQ_FIRST(&gw->observe->all); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (strcmp(o->ep, ep) != 0)
			continue;
		if ((klen = obs_key_set(o, key, sizeof(key))) > 0)
			store_del(gw->store, STORE_DB_OBSERVE, key, klen);
		obs_free(gw, o);
	}
}

static void
obs_view(struct obs *o, struct observe_view *v)
{
	memset(v, 0, sizeof(*v));
	v->ep = o->ep;
	v->key = o->path;
	if (o->set != NULL) {
		v->id = o->set->id;
		v->paths = o->set->paths;
		v->npaths = o->set->n;
		v->dropped = o->set->dropped;
		v->refused = o->set->refused;
	} else
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
	uint8_t key[OBS_KEY_MAX];
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
	uint8_t key[OBS_KEY_MAX];
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
obs_set_same(const struct obs_set *a, const struct obs_set *b)
{
	int i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->paths[i], b->paths[i]) != 0)
			return 0;
	return 1;
}

/* Whether one more client's observation of ep is within the caps. */
static enum observe_put
obs_caps(struct gateway *gw, const char *ep)
{
	if (obs_clients(gw, NULL) >= (size_t)gw->cfg.cache_max_observations)
		return OBSERVE_PUT_CAP;
	if (obs_clients(gw, ep) >=
	    (size_t)gw->cfg.cache_max_observations_per_device)
		return OBSERVE_PUT_DEVICE_CAP;
	return OBSERVE_PUT_NEW;
}

/* Stores o (a composite): its time, then its set as dm_composite_body
 * writes it. */
static int
obs_store_set(struct gateway *gw, struct obs *o)
{
	uint8_t key[OBS_KEY_MAX], *val;
	size_t klen, blen;
	char *body;
	int rc = -1;

	if ((klen = obs_key_set(o, key, sizeof(key))) == 0 ||
	    (body = dm_composite_body(o->set->paths, o->set->n)) == NULL)
		return -1;
	blen = strlen(body);
	if ((val = malloc(sizeof(o->created_at) + blen)) != NULL) {
		memcpy(val, &o->created_at, sizeof(o->created_at));
		memcpy(val + sizeof(o->created_at), body, blen);
		rc = store_put(gw->store, STORE_DB_OBSERVE, key, klen, val,
		    sizeof(o->created_at) + blen);
	}
	free(val);
	free(body);
	return rc;
}

enum observe_put
observe_composite_put(struct gateway *gw, const char *ep,
    char paths[][DM_PATH_LEN], int n, char id[DM_COMPOSITE_ID_LEN + 1])
{
	enum observe_put rc;
	struct obs_set *set;
	struct obs *o;

	id[0] = '\0';
	if (strlen(ep) > LWM2M_EP_MAX || n < 1 || n > DM_COMPOSITE_MAX)
		return OBSERVE_PUT_TOO_LONG;
	if ((set = obs_set_new(paths, n)) == NULL)
		return OBSERVE_PUT_FAILED;
	memcpy(id, set->id, sizeof(set->id));
	/* libcoap sends a longer body block-wise, but cancels with the
	 * body in one message, cut at a block: the device would not know
	 * the set it is asked to forget. */
	if (set->nameslen > OBSERVE_COMPOSITE_NAMES_MAX) {
		obs_set_free(set);
		return OBSERVE_PUT_TOO_LONG;
	}
	if ((o = obs_find_set(gw, ep, set->id)) != NULL) {
		/* Another set of the same id: 2^-64, but not the same. */
		rc = obs_set_same(o->set, set) ? OBSERVE_PUT_EXISTS :
		    OBSERVE_PUT_FAILED;
		obs_set_free(set);
		return rc;
	}
	if ((rc = obs_caps(gw, ep)) != OBSERVE_PUT_NEW) {
		obs_set_free(set);
		return rc;
	}
	if ((o = obs_new_set(gw, ep, set, gw_now())) == NULL)
		return OBSERVE_PUT_FAILED;
	obs_set_stored(gw, o, 1);
	if (obs_store_set(gw, o) == -1) {
		obs_free(gw, o);
		return OBSERVE_PUT_FAILED;
	}
	return OBSERVE_PUT_NEW;
}

int
observe_composite_del(struct gateway *gw, const char *ep, const char *id)
{
	uint8_t key[OBS_KEY_MAX];
	struct obs *o;
	size_t klen;

	if ((o = obs_find_set(gw, ep, id)) == NULL)
		return 1;
	klen = obs_key_set(o, key, sizeof(key));
	obs_free(gw, o);	/* cancelled at the device, if live */
	if (klen == 0 || store_del(gw->store, STORE_DB_OBSERVE, key,
	    klen) == -1)
		return -1;
	return 0;
}

void
observe_composite_establish(struct gateway *gw, const char *ep,
    const char *id)
{
	struct obs *o;

	if ((o = obs_find_set(gw, ep, id)) != NULL)
		obs_establish(o);
}

int
observe_composite_get(struct gateway *gw, const char *ep, const char *id,
    struct observe_view *v)
{
	struct obs *o;

	if ((o = obs_find_set(gw, ep, id)) == NULL)
		return -1;
	obs_view(o, v);
	return 0;
}

/*
 * A stored composite: "ep NUL NUL id" -> created_at, then its set. The
 * set is read back as a client's body is, and must have the id of its
 * key; anything else is left alone (logged).
 */
static void
obs_load_set(struct gateway *gw, const char *ep, const char *k,
    size_t klen, const uint8_t *val, size_t vlen)
{
	char paths[DM_COMPOSITE_MAX][DM_PATH_LEN], err[160];
	struct obs_set *set;
	struct obs *o;
	int64_t at;
	int n;

	if (klen != DM_COMPOSITE_ID_LEN || vlen <= sizeof(at) ||
	    (n = dm_composite_set((const char *)val + sizeof(at),
	    vlen - sizeof(at), paths, err, sizeof(err))) == -1 ||
	    (set = obs_set_new(paths, n)) == NULL) {
		log_warnx("observe: a stored composite observation of %s "
		    "cannot be read; left out", ep);
		return;
	}
	if (memcmp(set->id, k, DM_COMPOSITE_ID_LEN) != 0 ||
	    obs_find_set(gw, ep, set->id) != NULL) {
		log_warnx("observe: a stored composite observation of %s does "
		    "not match its key; left out", ep);
		obs_set_free(set);
		return;
	}
	memcpy(&at, val, sizeof(at));
	if ((o = obs_new_set(gw, ep, set, at)) != NULL)
		obs_set_stored(gw, o, 1);
}

static int
obs_load_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct gateway *gw = arg;
	const char *k = key, *nul = memchr(key, '\0', klen);
	size_t eplen, plen;
	struct obs *o;

	if (nul != NULL && (eplen = (size_t)(nul - k)) > 0 &&
	    eplen <= LWM2M_EP_MAX && klen > eplen + 1 && nul[1] == '\0') {
		obs_load_set(gw, k, nul + 2, klen - eplen - 2, val, vlen);
		return 0;
	}
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
	if (gw->observe->reap != NULL)
		event_free(gw->observe->reap);
	while ((o = TAILQ_FIRST(&gw->observe->all)) != NULL) {
		TAILQ_REMOVE(&gw->observe->all, o, entry);
		obs_set_free(o->set);
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
