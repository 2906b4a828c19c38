/*
 * campaign.c: the campaign engine behind campaign.h.
 *
 * One timer a second, armed only while a campaign runs (an idle gateway
 * sleeps), steps every running campaign: it looks at the ops it queued
 * (queue_get), moves devices along pending -> announced -> downloading ->
 * downloaded -> updating -> succeeded | failed, and queues the next op:
 * the URI write, a read of /5/0 (SenML JSON) every
 * [campaign] poll_s while a device is in flight, the execute of /5/0/2.
 * A campaign whose state changed during a step is written whole to the
 * store at its end. Each step looks at one campaign's devices once: a
 * campaign is bounded by what an operator targets (CAMP_MAX_DEVICES).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/event.h>

#include "cache/observe.h"
#include "gateway.h"
#include "log.h"
#include "modules/campaign.h"
#include "modules/campparse.h"
#include "modules/events.h"
#include "modules/firmware.h"
#include "modules/fwserve.h"
#include "modules/lwm2m.h"
#include "modules/queue.h"
#include "modules/registry.h"
#include "modules/store.h"
#include "modules/tags.h"

#define CAMP_OP_PENDING		UINT64_MAX	/* a push awaits its commit */
#define CAMP_DEV_REC_LEN	24
#define CAMP_DEV_REC_VERSION	1
#define CF_TEXT			0
#define CF_SENML_JSON		110

enum camp_op { COP_NONE, COP_WRITE, COP_READ, COP_EXECUTE };
enum camp_via { VIA_LWM2M, VIA_MULTICAST };

#define CDF_ARMED	0x01	/* the device has begun this update: its
				   Update Result is this update's */
#define CDF_HELD	0x02	/* holds /5/0/3 and /5/0/5 observed */

struct camp_dev {
	char		 ep[LWM2M_EP_MAX + 1];
	uint8_t		 state;		/* enum camp_dev_state */
	uint8_t		 op_kind;	/* enum camp_op */
	uint8_t		 via;		/* enum camp_via */
	uint8_t		 flags;		/* CDF_* */
	int16_t		 fw_state;	/* /5/0/3 as last heard, -1 unknown */
	int16_t		 result;	/* /5/0/5, -1 unknown */
	uint32_t	 group;
	uint32_t	 index;		/* in the target's order */
	uint64_t	 op;		/* queued op, 0 none */
	int64_t		 next_poll;	/* read /5/0 if nothing heard by then;
					   multicast: unicast if not begun */
};

struct camp {
	uint64_t	 id;
	char		 image[FW_ID_LEN + 1];
	char		 uri[300];
	int		 status;	/* enum camp_status */
	int		 delivery;	/* enum camp_delivery */
	char		 reason[160];
	int		 group_size, max_concurrent, failure_percent;
	int		 win_from, win_to;	/* minutes UTC, -1: always */
	int		 group;		/* the current one */
	int		 ngroups;
	int		 threshold_off;	/* group resumed past its threshold */
	int64_t		 created;
	int64_t		 announced;	/* multicast: when, 0 not yet */
	size_t		 ndevs, cap;
	struct camp_dev	*devs;
	uint32_t	*by_ep;		/* indexes into devs, by endpoint */
	/* A finished campaign keeps its devices in the store only: devs is
	 * NULL, ndevs the total, counts how many ended in each state. */
	int		 unloaded;
	size_t		 counts[CDEV__COUNT];
	struct camp	*next;
};

struct campaigns {
	struct camp	*list;
	uint64_t	 next_id;
	struct event	*tick;
};

struct camp_push {
	struct gateway	*gw;
	uint64_t	 camp;
	size_t		 dev;
};

static const char *const camp_dev_names[CDEV__COUNT] = {
	"pending", "announced", "downloading", "downloaded", "updating",
	"succeeded", "failed", "removed"
};
static const char *const camp_status_names[CAMP__COUNT] = {
	"running", "paused", "cancelled", "done"
};
static const char *const camp_delivery_names[] = { "lwm2m", "multicast" };

/* The resources a campaign observes on each device in flight. */
static const char *const camp_watched[] = { "5/0/3", "5/0/5" };

const char *
campaign_dev_state_name(int st)
{
	return st >= 0 && st < CDEV__COUNT ? camp_dev_names[st] : "?";
}

static int
camp_in_flight(const struct camp_dev *d)
{
	return d->state >= CDEV_ANNOUNCED && d->state < CDEV_SUCCEEDED;
}

static struct camp *
camp_find(struct gateway *gw, uint64_t id)
{
	struct camp *c;

	if (gw->campaigns == NULL)
		return NULL;	/* a commit after the module stopped */
	for (c = gw->campaigns->list; c != NULL; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* by_ep's order. */
static int
camp_ep_cmp(const void *a, const void *b, void *arg)
{
	const struct camp_dev *devs = arg;

	return strcmp(devs[*(const uint32_t *)a].ep,
	    devs[*(const uint32_t *)b].ep);
}

static int
camp_index(struct camp *c)
{
	size_t i;

	free(c->by_ep);
	if ((c->by_ep = reallocarray(NULL, c->ndevs ? c->ndevs : 1,
	    sizeof(*c->by_ep))) == NULL)
		return -1;
	for (i = 0; i < c->ndevs; i++)
		c->by_ep[i] = (uint32_t)i;
	if (c->ndevs > 1)
		qsort_r(c->by_ep, c->ndevs, sizeof(*c->by_ep), camp_ep_cmp,
		    c->devs);
	return 0;
}

/* ep's device in c, or NULL. */
static struct camp_dev *
camp_lookup(const struct camp *c, const char *ep)
{
	size_t lo = 0, hi = c->by_ep != NULL ? c->ndevs : 0, mid;
	int cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = strcmp(ep, c->devs[c->by_ep[mid]].ep);
		if (cmp == 0)
			return &c->devs[c->by_ep[mid]];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static cJSON *
camp_dev_json(const struct camp_dev *dv)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "ep", dv->ep);
	cJSON_AddStringToObject(d, "state", camp_dev_names[dv->state]);
	cJSON_AddNumberToObject(d, "group", dv->group);
	if (dv->state != CDEV_PENDING)
		cJSON_AddStringToObject(d, "via", camp_delivery_names[dv->via]);
	if (dv->result >= 0)
		cJSON_AddNumberToObject(d, "result", dv->result);
	else
		cJSON_AddNullToObject(d, "result");
	cJSON_AddNumberToObject(d, "op", dv->op == CAMP_OP_PENDING ? 0 :
	    (double)dv->op);
	return d;
}

static void	camp_stored_devices(struct gateway *, const struct camp *,
		    cJSON *);

/*
 * The campaign as JSON: devices < 0, its stored record (its devices have
 * their own); 0, with counts; > 0, with every device.
 */
static cJSON *
camp_record(struct gateway *gw, const struct camp *c, int devices)
{
	cJSON *o = cJSON_CreateObject(), *p, *a, *d, *counts;
	size_t i, n[CDEV__COUNT] = { 0 };
	char t[GW_TIME_LEN];

	cJSON_AddNumberToObject(o, "id", (double)c->id);
	cJSON_AddStringToObject(o, "image", c->image);
	cJSON_AddStringToObject(o, "uri", c->uri);
	cJSON_AddStringToObject(o, "status", camp_status_names[c->status]);
	cJSON_AddStringToObject(o, "reason", c->reason);
	cJSON_AddStringToObject(o, "created_at", gw_time_str(c->created, t));
	if (c->announced != 0)
		cJSON_AddStringToObject(o, "announced_at",
		    gw_time_str(c->announced, t));
	cJSON_AddNumberToObject(o, "group", c->group);
	cJSON_AddNumberToObject(o, "groups", c->ngroups);
	cJSON_AddNumberToObject(o, "threshold_off", c->threshold_off);
	p = cJSON_AddObjectToObject(o, "policy");
	cJSON_AddStringToObject(p, "delivery",
	    camp_delivery_names[c->delivery]);
	cJSON_AddNumberToObject(p, "group_size", c->group_size);
	cJSON_AddNumberToObject(p, "max_concurrent", c->max_concurrent);
	cJSON_AddNumberToObject(p, "failure_percent", c->failure_percent);
	if (c->win_from >= 0) {
		snprintf(t, sizeof(t), "%02d:%02d", c->win_from / 60,
		    c->win_from % 60);
		d = cJSON_AddObjectToObject(p, "window");
		cJSON_AddStringToObject(d, "from", t);
		snprintf(t, sizeof(t), "%02d:%02d", c->win_to / 60,
		    c->win_to % 60);
		cJSON_AddStringToObject(d, "to", t);
	}
	if (devices < 0) {
		/* The stored form: times as numbers. */
		cJSON_AddNumberToObject(o, "created", (double)c->created);
		cJSON_AddNumberToObject(o, "announced", (double)c->announced);
		return o;
	}
	if (c->unloaded)
		memcpy(n, c->counts, sizeof(n));
	for (i = 0; i < c->ndevs && !c->unloaded; i++)
		n[c->devs[i].state]++;
	counts = cJSON_AddObjectToObject(o, "counts");
	for (i = 0; i < CDEV__COUNT; i++)
		cJSON_AddNumberToObject(counts, camp_dev_names[i], (double)n[i]);
	cJSON_AddNumberToObject(o, "total", (double)c->ndevs);
	if (!devices)
		return o;
	a = cJSON_AddArrayToObject(o, "devices");
	if (c->unloaded) {
		camp_stored_devices(gw, c, a);
		return o;
	}
	for (i = 0; i < c->ndevs; i++)
		cJSON_AddItemToArray(a, camp_dev_json(&c->devs[i]));
	return o;
}

static int
camp_save(struct gateway *gw, struct camp *c)
{
	cJSON *rec = camp_record(gw, c, -1);
	char *text = cJSON_PrintUnformatted(rec);
	uint8_t key[8];
	int rc = -1;

	cJSON_Delete(rec);
	store_put_be64(key, c->id);
	if (text != NULL)
		rc = store_put(gw->store, STORE_DB_CAMPAIGNS, key, sizeof(key),
		    text, strlen(text));
	free(text);
	return rc;
}

/* A device's record: 24 bytes, written in the open batch on every change
 * of that device alone (a campaign of 100,000 devices does not rewrite
 * them all when one moves). */
static int
camp_dev_save(struct gateway *gw, const struct camp *c,
    const struct camp_dev *d)
{
	uint8_t key[8 + LWM2M_EP_MAX], v[CAMP_DEV_REC_LEN];
	size_t eplen = strlen(d->ep);

	store_put_be64(key, c->id);
	memcpy(key + 8, d->ep, eplen);
	memset(v, 0, sizeof(v));
	v[0] = CAMP_DEV_REC_VERSION;
	v[1] = d->state;
	v[2] = d->op == CAMP_OP_PENDING ? COP_NONE : d->op_kind;
	v[3] = d->via;
	v[4] = d->flags & CDF_ARMED;
	v[5] = (uint8_t)(d->fw_state < 0 ? 0xff : d->fw_state);
	v[6] = (uint8_t)((uint16_t)d->result >> 8);
	v[7] = (uint8_t)d->result;
	store_put_be64(v + 8, (uint64_t)d->group << 32 | d->index);
	store_put_be64(v + 16, d->op == CAMP_OP_PENDING ? 0 : d->op);
	return store_put(gw->store, STORE_DB_CAMPDEVS, key, 8 + eplen, v,
	    sizeof(v));
}

static void
camp_free(struct camp *c)
{
	if (c == NULL)
		return;
	free(c->devs);
	free(c->by_ep);
	free(c);
}

/* A finished campaign lets go of its devices once their records are
 * committed (GET reads them from the store then). */
static void
camp_unload_durable(int status, void *arg)
{
	struct camp_push *p = arg;
	struct camp *c = camp_find(p->gw, p->camp);
	size_t i;

	if (status == 0 && c != NULL && !c->unloaded &&
	    (c->status == CAMP_DONE || c->status == CAMP_CANCELLED)) {
		memset(c->counts, 0, sizeof(c->counts));
		for (i = 0; i < c->ndevs; i++)
			c->counts[c->devs[i].state]++;
		free(c->devs);
		free(c->by_ep);
		c->devs = NULL;
		c->by_ep = NULL;
		c->cap = 0;
		c->unloaded = 1;
	}
	free(p);
}

static void
camp_unload(struct gateway *gw, struct camp *c)
{
	struct camp_push *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return;		/* it stays in memory */
	p->gw = gw;
	p->camp = c->id;
	if (store_when_durable(gw->store, camp_unload_durable, p) == -1)
		free(p);
}

/* Watches d's State and Update Result while it is in flight. */
static void
camp_hold(struct gateway *gw, struct camp_dev *d, int on)
{
	size_t i;

	if (on == ((d->flags & CDF_HELD) != 0))
		return;
	for (i = 0; i < sizeof(camp_watched) / sizeof(camp_watched[0]); i++)
		if (on)
			observe_hold(gw, d->ep, camp_watched[i]);
		else
			observe_release(gw, d->ep, camp_watched[i]);
	d->flags ^= CDF_HELD;
}

/* Sets a device's state, with a fw_progress event. The caller saves the
 * device. One that is done stops being watched at the next step (this
 * may run inside the notification of the observation that goes). */
static void
camp_set(struct gateway *gw, struct camp *c, struct camp_dev *d, int st)
{
	cJSON *e;

	if (d->state == st)
		return;
	d->state = (uint8_t)st;
	e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "campaign", (double)c->id);
	cJSON_AddStringToObject(e, "image", c->image);
	cJSON_AddStringToObject(e, "state", camp_dev_names[st]);
	cJSON_AddStringToObject(e, "via", camp_delivery_names[d->via]);
	if (d->result >= 0)
		cJSON_AddNumberToObject(e, "result", d->result);
	events_emit(gw, "fw_progress", d->ep, e);
}

static void
camp_pushed(enum queue_result res, uint64_t id, void *arg)
{
	struct camp_push *p = arg;
	struct camp *c = camp_find(p->gw, p->camp);
	struct camp_dev *d;

	if (c != NULL && !c->unloaded && p->dev < c->ndevs) {
		d = &c->devs[p->dev];
		if (res == QUEUE_OK) {
			d->op = id;
			queue_wake(p->gw, d->ep);
		} else {
			d->op = 0;	/* tried again on a later step */
			d->op_kind = COP_NONE;
		}
		camp_dev_save(p->gw, c, d);
	}
	free(p);
}

/* Queues one op for device i. */
static void
camp_push(struct gateway *gw, struct camp *c, size_t i, enum camp_op kind)
{
	struct camp_dev *d = &c->devs[i];
	struct devreq_spec spec;
	struct camp_push *p;

	memset(&spec, 0, sizeof(spec));
	spec.content_format = -1;
	spec.accept = -1;
	spec.timeout_s = (unsigned)gw->cfg.proxy_timeout;
	switch (kind) {
	case COP_WRITE:
		spec.method = DEVREQ_PUT;
		spec.path = "5/0/1";
		spec.content_format = CF_TEXT;
		spec.body = (const uint8_t *)c->uri;
		spec.len = strlen(c->uri);
		break;
	case COP_EXECUTE:
		spec.method = DEVREQ_POST;
		spec.path = "5/0/2";
		break;
	default:
		spec.method = DEVREQ_GET;
		spec.path = "5/0";
		spec.accept = CF_SENML_JSON;
		break;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return;
	p->gw = gw;
	p->camp = c->id;
	p->dev = i;
	if (queue_push(gw, d->ep, &spec, camp_pushed, p) != QUEUE_OK) {
		free(p);
		d->next_poll = gw_now() + gw->cfg.campaign_poll_s;
		return;
	}
	d->op = CAMP_OP_PENDING;
	d->op_kind = (uint8_t)kind;
}

/*
 * What the device said of its State and Update Result moves it along. A
 * device announced to has not begun yet, and what it says until it does
 * is about its previous update (an observation's first answer can come
 * before the URI write): only State 1-3 or an Update Result of 0 (which
 * LwM2M devices set when an update begins) arm it, and only an armed
 * device can succeed or fail.
 */
static void
camp_eval(struct gateway *gw, struct camp *c, struct camp_dev *d)
{
	int st = d->fw_state, res = d->result;

	if (!camp_in_flight(d) || st < 0)
		return;
	if ((st >= 1 && st <= 3) || res == 0)
		d->flags |= CDF_ARMED;
	if (!(d->flags & CDF_ARMED))
		return;
	if ((st == 0 || st == 2) && res >= 2)
		camp_set(gw, c, d, CDEV_FAILED);
	else if (st == 0 && res == 1 && d->state >= CDEV_DOWNLOADING)
		camp_set(gw, c, d, CDEV_SUCCEEDED);
	else if (st == 3)
		camp_set(gw, c, d, CDEV_UPDATING);
	else if (st == 2 && d->state < CDEV_DOWNLOADED)
		camp_set(gw, c, d, CDEV_DOWNLOADED);
	else if (st == 1 && d->state < CDEV_DOWNLOADING)
		camp_set(gw, c, d, CDEV_DOWNLOADING);
}

/* Looks at device i's op; acts when it has finished. */
static void
camp_check_op(struct gateway *gw, struct camp *c, size_t i, int64_t now)
{
	struct camp_dev *d = &c->devs[i];
	struct op_view v;
	void *buf = NULL;
	int st, res, ok, kind = d->op_kind;

	if (queue_get(gw, d->op, &v, &buf) != 0) {
		free(buf);
		d->op = 0;
		camp_dev_save(gw, c, d);
		return;
	}
	if (v.state == OP_QUEUED || v.state == OP_SENDING) {
		free(buf);
		return;
	}
	ok = v.state == OP_DONE && v.result_status >= 200 &&
	    v.result_status < 300;
	d->op = 0;
	d->op_kind = COP_NONE;
	d->next_poll = now + gw->cfg.campaign_poll_s;
	if (!ok) {
		log_info("campaign %" PRIu64 ": %s: %s failed (%s, HTTP %d)",
		    c->id, d->ep, kind == COP_WRITE ? "the URI write" :
		    kind == COP_EXECUTE ? "the update execute" : "a read of /5/0",
		    queue_state_name(v.state), v.result_status);
		if (kind != COP_READ || v.state != OP_DONE)
			camp_set(gw, c, d, CDEV_FAILED);
	} else if (kind == COP_WRITE) {
		d->flags |= CDF_ARMED;	/* what it says now is about this */
		if (d->state < CDEV_DOWNLOADING)
			camp_set(gw, c, d, CDEV_DOWNLOADING);
	} else if (kind == COP_EXECUTE) {
		if (d->state < CDEV_UPDATING)
			camp_set(gw, c, d, CDEV_UPDATING);
	} else if (campparse_fw(v.result, v.result_len, &st, &res) == 0) {
		d->fw_state = (int16_t)st;
		if (res >= 0)
			d->result = (int16_t)res;
		camp_eval(gw, c, d);
	}
	camp_dev_save(gw, c, d);
	free(buf);
}

static int
camp_in_window(const struct camp *c, int64_t now)
{
	int m = (int)((now % 86400) / 60);

	if (c->win_from < 0)
		return 1;
	if (c->win_from <= c->win_to)
		return m >= c->win_from && m < c->win_to;
	return m >= c->win_from || m < c->win_to;
}

/* Announces the image to the multicast groups: every pending device of
 * the (one) group is then announced to. */
static int
camp_announce(struct gateway *gw, struct camp *c, int64_t now)
{
	struct fw_image *fi = firmware_find(gw, c->image);
	size_t i;

	if (fi == NULL || !fi->complete || !fi->trusted ||
	    fwserve_announce(gw, fi) == -1) {
		c->status = CAMP_PAUSED;
		snprintf(c->reason, sizeof(c->reason), "the multicast "
		    "announcement could not be sent (see the log)");
		log_warnx("campaign %" PRIu64 ": paused: %s", c->id,
		    c->reason);
		return -1;
	}
	c->announced = now;
	for (i = 0; i < c->ndevs; i++) {
		if (c->devs[i].state != CDEV_PENDING)
			continue;
		c->devs[i].via = VIA_MULTICAST;
		c->devs[i].next_poll = now + gw->cfg.campaign_announce_wait_s;
		camp_hold(gw, &c->devs[i], 1);
		camp_set(gw, c, &c->devs[i], CDEV_ANNOUNCED);
		camp_dev_save(gw, c, &c->devs[i]);
	}
	return 0;
}

/*
 * One step of a campaign: the ops it queued, the devices in flight (also
 * while it is paused: they carry on, but get nothing new), then, running,
 * the group's verdict and the next devices to start.
 */
static void
camp_step(struct gateway *gw, struct camp *c, int64_t now)
{
	size_t i, inflight = 0, left = 0, failed = 0, size = 0;
	int running = c->status == CAMP_RUNNING;
	struct camp_dev *d;

	for (i = 0; i < c->ndevs; i++) {
		d = &c->devs[i];
		if (d->op != 0 && d->op != CAMP_OP_PENDING)
			camp_check_op(gw, c, i, now);
		if (!camp_in_flight(d))
			camp_hold(gw, d, 0);
		else if (!(d->state == CDEV_ANNOUNCED &&
		    d->via == VIA_MULTICAST))
			inflight++;
		if (d->group != (uint32_t)c->group || d->state == CDEV_REMOVED)
			continue;
		size++;
		if (d->state < CDEV_SUCCEEDED)
			left++;
		if (d->state == CDEV_FAILED)
			failed++;
	}
	for (i = 0; i < c->ndevs; i++) {
		d = &c->devs[i];
		if (!camp_in_flight(d) || d->op != 0)
			continue;
		if (d->state == CDEV_ANNOUNCED && d->via == VIA_MULTICAST) {
			/* Not begun since the announcement: it does not
			 * listen, or missed it; the LwM2M pull path. */
			if (!running || d->next_poll > now ||
			    inflight >= (size_t)c->max_concurrent)
				continue;
			log_info("campaign %" PRIu64 ": %s did not begin after "
			    "the announcement: writing /5/0/1", c->id, d->ep);
			d->via = VIA_LWM2M;
			camp_push(gw, c, i, COP_WRITE);
			inflight++;
		} else if (d->state == CDEV_ANNOUNCED) {
			if (!running)
				continue;	/* not begun: it waits */
			camp_push(gw, c, i, COP_WRITE);
		} else if (d->state == CDEV_DOWNLOADED &&
		    d->via == VIA_LWM2M && running) {
			camp_push(gw, c, i, COP_EXECUTE);
		} else if (d->next_poll <= now) {
			camp_push(gw, c, i, COP_READ);
		} else {
			continue;
		}
		camp_dev_save(gw, c, d);
	}
	if (!running)
		return;
	if (c->group != c->threshold_off && size > 0 &&
	    failed * 100 > (size_t)c->failure_percent * size) {
		c->status = CAMP_PAUSED;
		snprintf(c->reason, sizeof(c->reason), "group %d: %zu of %zu "
		    "devices failed, over the threshold of %d%%", c->group,
		    failed, size, c->failure_percent);
		log_warnx("campaign %" PRIu64 ": paused: %s", c->id,
		    c->reason);
		camp_save(gw, c);
		return;
	}
	if (left == 0) {
		if (++c->group >= c->ngroups) {
			c->status = CAMP_DONE;
			log_info("campaign %" PRIu64 ": done", c->id);
		}
		camp_save(gw, c);
		if (c->status == CAMP_DONE)
			camp_unload(gw, c);
		return;
	}
	if (!camp_in_window(c, now))
		return;
	if (c->delivery == DELIVER_MULTICAST) {
		if (c->announced == 0) {
			camp_announce(gw, c, now);	/* or pauses */
			camp_save(gw, c);
		}
		return;
	}
	for (i = 0; i < c->ndevs && inflight < (size_t)c->max_concurrent;
	    i++) {
		d = &c->devs[i];
		if (d->group != (uint32_t)c->group || d->state != CDEV_PENDING)
			continue;
		d->via = VIA_LWM2M;
		camp_hold(gw, d, 1);
		camp_set(gw, c, d, CDEV_ANNOUNCED);
		camp_push(gw, c, i, COP_WRITE);
		camp_dev_save(gw, c, d);
		inflight++;
	}
}

/* Arms the step timer while a campaign runs or has devices in flight:
 * an idle gateway sleeps. */
static void
camp_arm(struct gateway *gw)
{
	struct timeval one = { 1, 0 };
	struct camp *c;

	if (gw->campaigns->tick == NULL ||
	    evtimer_pending(gw->campaigns->tick, NULL))
		return;
	for (c = gw->campaigns->list; c != NULL; c = c->next)
		if (c->status == CAMP_RUNNING || c->status == CAMP_PAUSED) {
			evtimer_add(gw->campaigns->tick, &one);
			return;
		}
}

static void
camp_tick(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	struct camp *c;
	int64_t now = gw_now();

	(void)fd;
	(void)what;
	for (c = gw->campaigns->list; c != NULL; c = c->next)
		if (c->status == CAMP_RUNNING || c->status == CAMP_PAUSED)
			camp_step(gw, c, now);
	camp_arm(gw);
}

/* observe.c's listener: a device in flight told its State or Update
 * Result. */
static void
camp_heard(struct gateway *gw, const char *ep, const char *path, int cf,
    const uint8_t *body, size_t len, void *arg)
{
	struct camp_dev *d;
	struct camp *c;
	int st, res;

	(void)arg;
	if (gw->campaigns == NULL || path[0] != '5' ||
	    campparse_value(path, cf, body, len, &st, &res) == -1)
		return;
	for (c = gw->campaigns->list; c != NULL; c = c->next) {
		if ((c->status != CAMP_RUNNING && c->status != CAMP_PAUSED) ||
		    (d = camp_lookup(c, ep)) == NULL || !camp_in_flight(d))
			continue;
		if (st >= 0)
			d->fw_state = (int16_t)st;
		if (res >= 0)
			d->result = (int16_t)res;
		if (!(d->state == CDEV_ANNOUNCED && d->via == VIA_MULTICAST))
			d->next_poll = gw_now() + gw->cfg.campaign_poll_s;
		camp_eval(gw, c, d);
		camp_dev_save(gw, c, d);
	}
}

/* Adds ep at the end of the target (duplicates go in camp_finish). */
static int
camp_add_dev(struct camp *c, const char *ep)
{
	struct camp_dev *n;
	size_t cap;

	if (c->ndevs == CAMP_MAX_DEVICES)
		return -1;
	if (c->ndevs == c->cap) {
		cap = c->cap ? c->cap * 2 : 64;
		if ((n = reallocarray(c->devs, cap, sizeof(*n))) == NULL)
			return -1;
		c->devs = n;
		c->cap = cap;
	}
	memset(&c->devs[c->ndevs], 0, sizeof(c->devs[0]));
	snprintf(c->devs[c->ndevs].ep, sizeof(c->devs[0].ep), "%s", ep);
	c->devs[c->ndevs].result = -1;
	c->devs[c->ndevs].fw_state = -1;
	c->devs[c->ndevs].index = (uint32_t)c->ndevs;
	c->ndevs++;
	return 0;
}

/* Sorts devs by index (the target's order), drops later duplicates of an
 * endpoint, and builds by_ep. */
static int
camp_index_cmp(const void *a, const void *b)
{
	const struct camp_dev *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

static int
camp_finish(struct camp *c)
{
	struct camp_dev *shrunk;
	size_t i, n;
	uint8_t *dup;

	if (c->ndevs > 1)
		qsort(c->devs, c->ndevs, sizeof(*c->devs), camp_index_cmp);
	if (camp_index(c) == -1 || (dup = calloc(c->ndevs ? c->ndevs : 1,
	    1)) == NULL)
		return -1;
	for (i = 1; i < c->ndevs; i++)
		if (strcmp(c->devs[c->by_ep[i]].ep,
		    c->devs[c->by_ep[i - 1]].ep) == 0)
			dup[c->by_ep[i] > c->by_ep[i - 1] ? c->by_ep[i] :
			    c->by_ep[i - 1]] = 1;
	for (i = n = 0; i < c->ndevs; i++)
		if (!dup[i])
			c->devs[n++] = c->devs[i];
	free(dup);
	if (n < c->cap && n > 0 &&
	    (shrunk = reallocarray(c->devs, n, sizeof(*c->devs))) != NULL) {
		c->devs = shrunk;	/* the doubling's slack goes */
		c->cap = n;
	}
	if (n == c->ndevs)
		return 0;
	c->ndevs = n;
	return camp_index(c);
}

static int
camp_add_registered(struct device *dev, void *arg)
{
	return camp_add_dev(arg, dev->ep) == -1 ? -1 : 0;
}

struct camp_tagged {
	struct gateway			*gw;
	struct camp			*c;
	const struct camp_req		*req;
};

/* An endpoint carrying the first tag: added if it carries the others. */
static int
camp_add_tagged(const char *ep, void *arg)
{
	struct camp_tagged *t = arg;
	int i, has;

	for (i = 1; i < t->req->ntags; i++)
		if ((has = tags_has(t->gw, ep, t->req->tags[i])) != 1)
			return has;	/* 0: not this one; -1: stop */
	return camp_add_dev(t->c, ep);
}

/* The devices of the target: "all" (registered now), or the listed
 * endpoints in their order, then those carrying every tag (registered
 * or not). */
static int
camp_target(struct gateway *gw, struct camp *c, const struct camp_req *req,
    char *err, size_t errlen)
{
	struct camp_tagged t = { gw, c, req };
	size_t i;

	if (req->all && registry_walk_ordered(gw->registry, NULL,
	    camp_add_registered, c) != 0) {
		snprintf(err, errlen, "cannot list the devices");
		return -1;
	}
	for (i = 0; i < req->neps; i++)
		if (camp_add_dev(c, req->eps[i]) == -1) {
			snprintf(err, errlen, "too many devices");
			return -1;
		}
	if (req->ntags > 0 && tags_walk(gw, req->tags[0], camp_add_tagged,
	    &t) != 0) {
		snprintf(err, errlen, c->ndevs == CAMP_MAX_DEVICES ?
		    "too many devices" : "cannot list the tagged devices");
		return -1;
	}
	if (camp_finish(c) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (c->ndevs == 0) {
		snprintf(err, errlen, "the target holds no device");
		return -1;
	}
	return 0;
}

/* The policy, with the [campaign] defaults. */
static void
camp_policy(struct gateway *gw, struct camp *c, const struct camp_req *req)
{
	c->delivery = req->delivery;
	c->group_size = req->group_size >= 0 ? req->group_size :
	    gw->cfg.campaign_group_size;
	c->max_concurrent = req->max_concurrent >= 0 ? req->max_concurrent :
	    gw->cfg.campaign_max_concurrent;
	c->failure_percent = req->failure_percent >= 0 ?
	    req->failure_percent : gw->cfg.campaign_failure_percent;
	if (c->delivery == DELIVER_MULTICAST)
		c->group_size = 0;	/* one group: everyone hears it */
	else if (req->group_percent > 0)
		c->group_size = (int)((c->ndevs * (size_t)req->group_percent +
		    99) / 100);
	if (c->group_size <= 0)
		c->group_size = c->ndevs > 0 ? (int)c->ndevs : 1;
	c->win_from = req->win_from;
	c->win_to = req->win_to;
}

/* The first device of c that another campaign still has to update (or
 * is updating): two campaigns never drive one device. */
static const char *
camp_conflict(struct gateway *gw, const struct camp *c, uint64_t *other)
{
	const struct camp_dev *d;
	struct camp *o;
	size_t i;

	for (o = gw->campaigns->list; o != NULL; o = o->next) {
		if (o->status != CAMP_RUNNING && o->status != CAMP_PAUSED)
			continue;
		for (i = 0; i < c->ndevs; i++)
			if ((d = camp_lookup(o, c->devs[i].ep)) != NULL &&
			    d->state < CDEV_SUCCEEDED) {
				*other = o->id;
				return d->ep;
			}
	}
	return NULL;
}

/* The URI devices fetch the image from. */
static void
camp_uri(struct gateway *gw, struct camp *c)
{
	char hp[96];

	if (gw->cfg.campaign_fetch_uri[0] != '\0')
		snprintf(c->uri, sizeof(c->uri), "%s/fw/%s",
		    gw->cfg.campaign_fetch_uri, c->image);
	else
		snprintf(c->uri, sizeof(c->uri), "coap://%s/fw/%s",
		    config_hostport_str(&gw->cfg.coap_listen, hp, sizeof(hp)),
		    c->image);
}

uint64_t
campaign_create(struct gateway *gw, const struct camp_req *req, int *status,
    char *err, size_t errlen)
{
	struct fw_image *fi;
	const char *busy;
	struct camp *c;
	uint64_t other;
	size_t i;

	*status = 400;
	if ((fi = firmware_find(gw, req->image)) == NULL || !fi->complete) {
		*status = 422;
		snprintf(err, errlen, "no complete image '%s'", req->image);
		return 0;
	}
	if (!fi->trusted) {
		*status = 422;
		snprintf(err, errlen, "image %s is signed by a key that is no "
		    "longer in [firmware] trusted_keys", fi->id);
		return 0;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		*status = 500;
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	snprintf(c->image, sizeof(c->image), "%s", fi->id);
	if (camp_target(gw, c, req, err, errlen) == -1)
		goto fail;
	camp_policy(gw, c, req);
	if ((busy = camp_conflict(gw, c, &other)) != NULL) {
		*status = 409;
		snprintf(err, errlen, "device '%s' is in campaign %" PRIu64
		    ", which has not finished with it", busy, other);
		goto fail;
	}
	for (i = 0; i < c->ndevs; i++)
		c->devs[i].group = (uint32_t)(i / (size_t)c->group_size);
	c->ngroups = (int)((c->ndevs + (size_t)c->group_size - 1) /
	    (size_t)c->group_size);
	c->threshold_off = -1;
	camp_uri(gw, c);
	c->id = gw->campaigns->next_id++;
	c->created = gw_now();
	c->status = CAMP_RUNNING;
	if (camp_save(gw, c) == -1)
		goto store;
	for (i = 0; i < c->ndevs; i++)
		if (camp_dev_save(gw, c, &c->devs[i]) == -1)
			goto store;
	c->next = gw->campaigns->list;
	gw->campaigns->list = c;
	log_info("campaign %" PRIu64 ": image %s to %zu devices in %d groups "
	    "by %s", c->id, c->image, c->ndevs, c->ngroups,
	    camp_delivery_names[c->delivery]);
	camp_arm(gw);
	return c->id;
store:
	*status = 500;
	snprintf(err, errlen, "store failure");
fail:
	camp_free(c);
	return 0;
}

cJSON *
campaign_json(struct gateway *gw, uint64_t id, int devices)
{
	struct camp *c = camp_find(gw, id);

	return c != NULL ? camp_record(gw, c, devices) : NULL;
}

cJSON *
campaign_list_json(struct gateway *gw)
{
	cJSON *a = cJSON_CreateArray();
	struct camp *c;

	for (c = gw->campaigns->list; c != NULL; c = c->next)
		cJSON_AddItemToArray(a, camp_record(gw, c, 0));
	return a;
}

static void
camp_cancelled(enum queue_result res, uint64_t id, void *arg)
{
	(void)res;	/* one already on its way is not stopped */
	(void)id;
	(void)arg;
}

/* Cancel: d is no longer watched, and what it has not been sent yet (the
 * URI write, the execute) is not sent: a device that has not begun
 * stays on its image. */
static void
camp_cancel_dev(struct gateway *gw, struct camp *c, struct camp_dev *d)
{
	camp_hold(gw, d, 0);
	if (d->op != 0 && d->op != CAMP_OP_PENDING &&
	    (d->op_kind == COP_WRITE || d->op_kind == COP_EXECUTE) &&
	    queue_cancel(gw, d->op, camp_cancelled, NULL) == QUEUE_OK) {
		log_info("campaign %" PRIu64 ": %s: op %" PRIu64 " cancelled",
		    c->id, d->ep, d->op);
		d->op = 0;
		d->op_kind = COP_NONE;
		camp_dev_save(gw, c, d);
	}
}

int
campaign_drop_device(struct gateway *gw, const char *ep)
{
	struct camp_dev *d;
	struct camp *c;
	int n = 0;

	if (gw->campaigns == NULL)
		return 0;
	for (c = gw->campaigns->list; c != NULL; c = c->next) {
		if ((c->status != CAMP_RUNNING && c->status != CAMP_PAUSED) ||
		    (d = camp_lookup(c, ep)) == NULL ||
		    d->state >= CDEV_SUCCEEDED)
			continue;
		camp_cancel_dev(gw, c, d);
		log_info("campaign %" PRIu64 ": %s decommissioned: removed",
		    c->id, ep);
		camp_set(gw, c, d, CDEV_REMOVED);
		camp_dev_save(gw, c, d);
		camp_arm(gw);
		n++;
	}
	return n;
}

int
campaign_action(struct gateway *gw, uint64_t id, const char *action)
{
	struct camp *c = camp_find(gw, id);
	struct fw_image *fi;
	size_t i;

	if (c == NULL)
		return -1;
	if (strcmp(action, "pause") == 0 && c->status == CAMP_RUNNING) {
		c->status = CAMP_PAUSED;
		snprintf(c->reason, sizeof(c->reason), "paused by the operator");
	} else if (strcmp(action, "resume") == 0 && c->status == CAMP_PAUSED &&
	    (fi = firmware_find(gw, c->image)) != NULL && fi->trusted) {
		c->status = CAMP_RUNNING;
		c->threshold_off = c->group;	/* the operator has seen it */
		c->reason[0] = '\0';
	} else if (strcmp(action, "cancel") == 0 && (c->status == CAMP_RUNNING ||
	    c->status == CAMP_PAUSED)) {
		c->status = CAMP_CANCELLED;
		snprintf(c->reason, sizeof(c->reason), "cancelled by the "
		    "operator");
		for (i = 0; i < c->ndevs; i++)
			camp_cancel_dev(gw, c, &c->devs[i]);
	} else {
		return -2;
	}
	log_info("campaign %" PRIu64 ": %s", c->id, action);
	camp_arm(gw);
	if (camp_save(gw, c) == -1)
		return -2;
	if (c->status == CAMP_CANCELLED)
		camp_unload(gw, c);
	return 0;
}

/* A member as a whole number, or def. */
static int
camp_jint(const cJSON *o, const char *name, int def)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(x) ? x->valueint : def;
}

static const char *
camp_jstr(const cJSON *o, const char *name)
{
	const char *s = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(o, name));

	return s != NULL ? s : "";
}

static int
camp_name_index(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* Loads one campaign record at start (its devices come after). */
static int
camp_load_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct gateway *gw = arg;
	cJSON *o = cJSON_ParseWithLength(val, vlen), *d, *x;
	struct camp *c = calloc(1, sizeof(*c));
	int i;

	if (o == NULL || c == NULL || klen != 8)
		goto bad;
	c->id = store_get_be64(key);
	snprintf(c->image, sizeof(c->image), "%s", camp_jstr(o, "image"));
	snprintf(c->uri, sizeof(c->uri), "%s", camp_jstr(o, "uri"));
	snprintf(c->reason, sizeof(c->reason), "%s", camp_jstr(o, "reason"));
	if ((i = camp_name_index(camp_status_names, CAMP__COUNT,
	    camp_jstr(o, "status"))) < 0)
		goto bad;
	c->status = i;
	c->unloaded = c->status == CAMP_DONE || c->status == CAMP_CANCELLED;
	c->group = camp_jint(o, "group", 0);
	c->ngroups = camp_jint(o, "groups", 1);
	c->threshold_off = camp_jint(o, "threshold_off", -1);
	x = cJSON_GetObjectItemCaseSensitive(o, "policy");
	c->group_size = camp_jint(x, "group_size", 1);
	c->max_concurrent = camp_jint(x, "max_concurrent", 1);
	c->failure_percent = camp_jint(x, "failure_percent", 0);
	c->delivery = strcmp(camp_jstr(x, "delivery"), "multicast") == 0 ?
	    DELIVER_MULTICAST : DELIVER_LWM2M;
	if (c->group_size < 1 || c->max_concurrent < 1)
		goto bad;
	c->win_from = c->win_to = -1;
	if ((d = cJSON_GetObjectItemCaseSensitive(x, "window")) != NULL) {
		c->win_from = campparse_minutes(camp_jstr(d, "from"));
		c->win_to = campparse_minutes(camp_jstr(d, "to"));
	}
	c->created = (int64_t)cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(o, "created"));
	c->announced = (int64_t)camp_jint(o, "announced", 0);
	if (c->id >= gw->campaigns->next_id)
		gw->campaigns->next_id = c->id + 1;
	c->next = gw->campaigns->list;
	gw->campaigns->list = c;
	cJSON_Delete(o);
	return 0;
bad:
	log_warnx("campaign: skipping a bad campaign record in the store");
	cJSON_Delete(o);
	camp_free(c);
	return 0;
}

struct camp_loader {
	struct gateway	*gw;
	struct camp	*into;		/* one campaign's devices; NULL: all */
};

/* Loads one device record: key campaign id, endpoint. A finished
 * campaign only counts them. */
static int
camp_load_dev(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct camp_loader *l = arg;
	const uint8_t *k = key, *v = val;
	char ep[LWM2M_EP_MAX + 1];
	struct camp_dev *d;
	struct camp *c;
	uint64_t x;

	if (l->into != NULL && (klen < 8 || store_get_be64(k) != l->into->id))
		return 1;	/* past its records */
	if (klen <= 8 || klen > 8 + LWM2M_EP_MAX ||
	    vlen != CAMP_DEV_REC_LEN || v[0] != CAMP_DEV_REC_VERSION ||
	    v[1] >= CDEV__COUNT || v[2] > COP_EXECUTE || v[3] > VIA_MULTICAST)
		goto bad;
	memcpy(ep, k + 8, klen - 8);
	ep[klen - 8] = '\0';
	if (!campparse_ep_ok(ep))
		goto bad;
	if ((c = l->into) == NULL &&
	    (c = camp_find(l->gw, store_get_be64(k))) == NULL)
		return 0;	/* its campaign's record was bad */
	if (c->unloaded) {
		c->counts[v[1]]++;
		c->ndevs++;
		return 0;
	}
	if (camp_add_dev(c, ep) == -1)
		return -1;
	d = &c->devs[c->ndevs - 1];
	d->state = v[1];
	d->op_kind = v[2];
	d->via = v[3];
	d->flags = v[4] & CDF_ARMED;
	d->fw_state = v[5] == 0xff ? -1 : v[5];
	d->result = (int16_t)(v[6] << 8 | v[7]);
	x = store_get_be64(v + 8);
	d->group = (uint32_t)(x >> 32);
	d->index = (uint32_t)x;
	d->op = store_get_be64(v + 16);
	if (d->op == 0)
		d->op_kind = COP_NONE;
	return 0;
bad:
	log_warnx("campaign: skipping a bad device record in the store");
	return 0;
}

/* A finished campaign's devices, read from the store, in target order. */
static void
camp_stored_devices(struct gateway *gw, const struct camp *c, cJSON *a)
{
	struct camp tmp;
	struct camp_loader l = { gw, &tmp };
	uint8_t key[8];
	size_t i;

	memset(&tmp, 0, sizeof(tmp));
	tmp.id = c->id;
	store_put_be64(key, c->id);
	if (store_iterate(gw->store, STORE_DB_CAMPDEVS, key, sizeof(key),
	    camp_load_dev, &l) != -1 && camp_finish(&tmp) == 0)
		for (i = 0; i < tmp.ndevs; i++)
			cJSON_AddItemToArray(a, camp_dev_json(&tmp.devs[i]));
	free(tmp.devs);
	free(tmp.by_ep);
}

static int
campaign_module_init(struct gateway *gw)
{
	struct camp_loader l = { gw, NULL };
	struct camp *c;

	if ((gw->campaigns = calloc(1, sizeof(*gw->campaigns))) == NULL)
		return -1;
	gw->campaigns->next_id = 1;
	if (store_iterate(gw->store, STORE_DB_CAMPAIGNS, NULL, 0,
	    camp_load_one, gw) == -1 || store_iterate(gw->store,
	    STORE_DB_CAMPDEVS, NULL, 0, camp_load_dev, &l) == -1)
		return -1;
	for (c = gw->campaigns->list; c != NULL; c = c->next)
		if (!c->unloaded && camp_finish(c) == -1)
			return -1;
	return 0;
}

/* After a reload: a campaign whose image's key is no longer trusted
 * pauses (its image is no longer served; resume once it is again). */
static void
campaign_module_reload(struct gateway *gw, const struct gw_config *old)
{
	struct fw_image *fi;
	struct camp *c;

	(void)old;
	for (c = gw->campaigns->list; c != NULL; c = c->next) {
		if (c->status != CAMP_RUNNING ||
		    ((fi = firmware_find(gw, c->image)) != NULL &&
		    fi->trusted))
			continue;
		c->status = CAMP_PAUSED;
		snprintf(c->reason, sizeof(c->reason), "image %s is signed by "
		    "a key that is no longer trusted", c->image);
		log_warnx("campaign %" PRIu64 ": paused: %s", c->id,
		    c->reason);
		camp_save(gw, c);
	}
}

static int
campaign_module_start(struct gateway *gw)
{
	struct camp *c;
	size_t i;

	if ((gw->campaigns->tick = evtimer_new(gw->base, camp_tick,
	    gw)) == NULL)
		return -1;
	observe_set_listener(gw, camp_heard, NULL);
	/* Holds are not stored: the devices in flight are watched again. */
	for (c = gw->campaigns->list; c != NULL; c = c->next) {
		if (c->status != CAMP_RUNNING && c->status != CAMP_PAUSED)
			continue;
		for (i = 0; i < c->ndevs; i++)
			if (camp_in_flight(&c->devs[i]))
				camp_hold(gw, &c->devs[i], 1);
	}
	camp_arm(gw);
	return 0;
}

static void
campaign_module_stop(struct gateway *gw)
{
	struct camp *c;

	if (gw->campaigns == NULL)
		return;
	if (gw->campaigns->tick != NULL)
		event_free(gw->campaigns->tick);
	while ((c = gw->campaigns->list) != NULL) {
		gw->campaigns->list = c->next;
		camp_free(c);
	}
	free(gw->campaigns);
	gw->campaigns = NULL;
}

const struct gw_module campaign_module = {
	.name = "campaign",
	.init = campaign_module_init,
	.start = campaign_module_start,
	.reload = campaign_module_reload,
	.stop = campaign_module_stop,
};
