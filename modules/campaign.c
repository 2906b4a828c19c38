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

#include "gateway.h"
#include "log.h"
#include "modules/campaign.h"
#include "modules/campparse.h"
#include "modules/events.h"
#include "modules/firmware.h"
#include "modules/lwm2m.h"
#include "modules/queue.h"
#include "modules/registry.h"
#include "modules/store.h"

#define CAMP_MAX_DEVICES	100000
#define CAMP_OP_PENDING		UINT64_MAX	/* a push awaits its commit */
#define CF_TEXT			0
#define CF_SENML_JSON		110

enum camp_op { COP_NONE, COP_WRITE, COP_READ, COP_EXECUTE };

struct camp_dev {
	char		 ep[LWM2M_EP_MAX + 1];
	uint8_t		 state;		/* enum camp_dev_state */
	uint8_t		 op_kind;	/* enum camp_op */
	int		 result;	/* /5/0/5, -1 unknown */
	int		 group;
	uint64_t	 op;		/* queued op, 0 none */
	int64_t		 next_poll;
};

struct camp {
	uint64_t	 id;
	char		 image[FW_ID_LEN + 1];
	char		 uri[300];
	int		 status;	/* enum camp_status */
	char		 reason[160];
	int		 group_size, max_concurrent, failure_percent;
	int		 win_from, win_to;	/* minutes UTC, -1: always */
	int		 group;		/* the current one */
	int		 ngroups;
	int		 threshold_off;	/* group resumed past its threshold */
	int64_t		 created;
	size_t		 ndevs;
	struct camp_dev	*devs;
	int		 dirty;
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
	"succeeded", "failed"
};
static const char *const camp_status_names[CAMP__COUNT] = {
	"running", "paused", "cancelled", "done"
};

const char *
campaign_dev_state_name(int st)
{
	return st >= 0 && st < CDEV__COUNT ? camp_dev_names[st] : "?";
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

static void
camp_key(uint64_t id, uint8_t key[8])
{
	int i;

	for (i = 0; i < 8; i++)
		key[i] = (uint8_t)(id >> (56 - 8 * i));
}

/* The campaign's record: everything to carry on after a restart. */
static cJSON *
camp_record(const struct camp *c, int devices)
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
	cJSON_AddNumberToObject(o, "group", c->group);
	cJSON_AddNumberToObject(o, "groups", c->ngroups);
	cJSON_AddNumberToObject(o, "threshold_off", c->threshold_off);
	p = cJSON_AddObjectToObject(o, "policy");
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
	for (i = 0; i < c->ndevs; i++)
		n[c->devs[i].state]++;
	counts = cJSON_AddObjectToObject(o, "counts");
	for (i = 0; i < CDEV__COUNT; i++)
		cJSON_AddNumberToObject(counts, camp_dev_names[i], (double)n[i]);
	cJSON_AddNumberToObject(o, "total", (double)c->ndevs);
	if (!devices)
		return o;
	a = cJSON_AddArrayToObject(o, "devices");
	for (i = 0; i < c->ndevs; i++) {
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "ep", c->devs[i].ep);
		cJSON_AddStringToObject(d, "state",
		    camp_dev_names[c->devs[i].state]);
		cJSON_AddNumberToObject(d, "group", c->devs[i].group);
		if (c->devs[i].result >= 0)
			cJSON_AddNumberToObject(d, "result", c->devs[i].result);
		else
			cJSON_AddNullToObject(d, "result");
		cJSON_AddNumberToObject(d, "op", c->devs[i].op ==
		    CAMP_OP_PENDING ? 0 : (double)c->devs[i].op);
		cJSON_AddNumberToObject(d, "op_kind", c->devs[i].op_kind);
		cJSON_AddItemToArray(a, d);
	}
	return o;
}

static int
camp_save(struct gateway *gw, struct camp *c)
{
	cJSON *rec = camp_record(c, 1);
	char *text = cJSON_PrintUnformatted(rec);
	uint8_t key[8];
	int rc = -1;

	cJSON_Delete(rec);
	camp_key(c->id, key);
	if (text != NULL)
		rc = store_put(gw->store, STORE_DB_CAMPAIGNS, key, sizeof(key),
		    text, strlen(text));
	free(text);
	c->dirty = 0;
	return rc;
}

static void
camp_free(struct camp *c)
{
	if (c == NULL)
		return;
	free(c->devs);
	free(c);
}

/* Sets a device's state, with a fw_progress event. */
static void
camp_set(struct gateway *gw, struct camp *c, struct camp_dev *d, int st)
{
	cJSON *e;

	if (d->state == st)
		return;
	d->state = (uint8_t)st;
	c->dirty = 1;
	e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "campaign", (double)c->id);
	cJSON_AddStringToObject(e, "image", c->image);
	cJSON_AddStringToObject(e, "state", camp_dev_names[st]);
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

	if (c != NULL && p->dev < c->ndevs) {
		d = &c->devs[p->dev];
		if (res == QUEUE_OK) {
			d->op = id;
			queue_wake(p->gw, d->ep);
		} else {
			d->op = 0;	/* tried again on a later step */
			d->op_kind = COP_NONE;
		}
		c->dirty = 1;
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

/* A read of /5/0 answered: move the device along. */
static void
camp_read(struct gateway *gw, struct camp *c, size_t i, int st, int res)
{
	struct camp_dev *d = &c->devs[i];

	if (res >= 0 && res != d->result) {
		d->result = res;
		c->dirty = 1;
	}
	if (st == 1)
		camp_set(gw, c, d, CDEV_DOWNLOADING);
	else if (st == 2 && res >= 2)
		camp_set(gw, c, d, CDEV_FAILED);	/* update failed */
	else if (st == 2) {
		camp_set(gw, c, d, CDEV_DOWNLOADED);
		camp_push(gw, c, i, COP_EXECUTE);
	} else if (st == 3)
		camp_set(gw, c, d, CDEV_UPDATING);
	else if (st == 0 && res == 1 && d->state >= CDEV_DOWNLOADED)
		camp_set(gw, c, d, CDEV_SUCCEEDED);
	else if (st == 0 && res >= 2)
		camp_set(gw, c, d, CDEV_FAILED);
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
	c->dirty = 1;
	if (!ok) {
		log_info("campaign %" PRIu64 ": %s: %s failed (%s, HTTP %d)",
		    c->id, d->ep, kind == COP_WRITE ? "the URI write" :
		    kind == COP_EXECUTE ? "the update execute" : "a read of /5/0",
		    queue_state_name(v.state), v.result_status);
		if (kind != COP_READ || v.state != OP_DONE)
			camp_set(gw, c, d, CDEV_FAILED);
	} else if (kind == COP_WRITE) {
		camp_set(gw, c, d, CDEV_DOWNLOADING);
	} else if (kind == COP_EXECUTE) {
		camp_set(gw, c, d, CDEV_UPDATING);
	} else if (campparse_fw(v.result, v.result_len, &st, &res) == 0) {
		camp_read(gw, c, i, st, res);
	}
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

/* One step of a running campaign. */
static void
camp_step(struct gateway *gw, struct camp *c, int64_t now)
{
	size_t i, inflight = 0, left = 0, failed = 0, size = 0;
	struct camp_dev *d;

	for (i = 0; i < c->ndevs; i++) {
		d = &c->devs[i];
		if (d->op != 0 && d->op != CAMP_OP_PENDING)
			camp_check_op(gw, c, i, now);
		if (d->state >= CDEV_ANNOUNCED && d->state < CDEV_SUCCEEDED) {
			inflight++;
			if (d->op == 0 && d->next_poll <= now)
				camp_push(gw, c, i, d->state == CDEV_ANNOUNCED ?
				    COP_WRITE : COP_READ);
		}
		if (d->group != c->group)
			continue;
		size++;
		if (d->state < CDEV_SUCCEEDED)
			left++;
		if (d->state == CDEV_FAILED)
			failed++;
	}
	if (c->group != c->threshold_off && size > 0 &&
	    failed * 100 > (size_t)c->failure_percent * size) {
		c->status = CAMP_PAUSED;
		snprintf(c->reason, sizeof(c->reason), "group %d: %zu of %zu "
		    "devices failed, over the threshold of %d%%", c->group,
		    failed, size, c->failure_percent);
		log_warnx("campaign %" PRIu64 ": paused: %s", c->id,
		    c->reason);
		c->dirty = 1;
		return;
	}
	if (left == 0) {
		if (++c->group >= c->ngroups) {
			c->status = CAMP_DONE;
			log_info("campaign %" PRIu64 ": done", c->id);
		}
		c->dirty = 1;
		return;
	}
	if (!camp_in_window(c, now))
		return;
	for (i = 0; i < c->ndevs && inflight < (size_t)c->max_concurrent;
	    i++) {
		d = &c->devs[i];
		if (d->group != c->group || d->state != CDEV_PENDING)
			continue;
		camp_set(gw, c, d, CDEV_ANNOUNCED);
		camp_push(gw, c, i, COP_WRITE);
		inflight++;
	}
}

/* Arms the step timer while a campaign runs: an idle gateway sleeps. */
static void
camp_arm(struct gateway *gw)
{
	struct timeval one = { 1, 0 };
	struct camp *c;

	if (gw->campaigns->tick == NULL ||
	    evtimer_pending(gw->campaigns->tick, NULL))
		return;
	for (c = gw->campaigns->list; c != NULL; c = c->next)
		if (c->status == CAMP_RUNNING) {
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
	for (c = gw->campaigns->list; c != NULL; c = c->next) {
		if (c->status == CAMP_RUNNING)
			camp_step(gw, c, now);
		if (c->dirty)
			camp_save(gw, c);
	}
	camp_arm(gw);
}

/* "HH:MM" as minutes. */
static int
camp_minutes(const cJSON *o)
{
	const char *s = cJSON_IsString(o) ? o->valuestring : NULL;

	if (s == NULL || strlen(s) != 5 || s[2] != ':' ||
	    s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9' ||
	    s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
		return -1;
	if ((s[0] - '0') * 10 + (s[1] - '0') > 23)
		return -1;
	return ((s[0] - '0') * 10 + (s[1] - '0')) * 60 +
	    (s[3] - '0') * 10 + (s[4] - '0');
}

/* An integer member in lo..hi, or def when absent. */
static int
camp_int(const cJSON *o, const char *name, int lo, int hi, int def, int *out,
    char *err, size_t errlen)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);

	if (x == NULL) {
		*out = def;
		return 0;
	}
	if (!cJSON_IsNumber(x) || x->valuedouble < lo || x->valuedouble > hi ||
	    (double)(int)x->valuedouble != x->valuedouble) {
		snprintf(err, errlen, "policy.%s must be a whole number in "
		    "%d..%d", name, lo, hi);
		return -1;
	}
	*out = (int)x->valuedouble;
	return 0;
}

static int
camp_policy(struct gateway *gw, struct camp *c, const cJSON *p, char *err,
    size_t errlen)
{
	const cJSON *w;
	int pct;

	if (p != NULL && !cJSON_IsObject(p)) {
		snprintf(err, errlen, "policy must be an object");
		return -1;
	}
	if (camp_int(p, "group_size", 0, CAMP_MAX_DEVICES,
	    gw->cfg.campaign_group_size, &c->group_size, err, errlen) == -1 ||
	    camp_int(p, "group_percent", 0, 100, 0, &pct, err, errlen) == -1 ||
	    camp_int(p, "max_concurrent", 1, CAMP_MAX_DEVICES,
	    gw->cfg.campaign_max_concurrent, &c->max_concurrent, err,
	    errlen) == -1 ||
	    camp_int(p, "failure_percent", 0, 100,
	    gw->cfg.campaign_failure_percent, &c->failure_percent, err,
	    errlen) == -1)
		return -1;
	if (pct > 0)
		c->group_size = (int)((c->ndevs * (size_t)pct + 99) / 100);
	if (c->group_size <= 0)
		c->group_size = c->ndevs > 0 ? (int)c->ndevs : 1;
	c->win_from = c->win_to = -1;
	if ((w = cJSON_GetObjectItemCaseSensitive(p, "window")) != NULL) {
		c->win_from = camp_minutes(cJSON_GetObjectItemCaseSensitive(w,
		    "from"));
		c->win_to = camp_minutes(cJSON_GetObjectItemCaseSensitive(w,
		    "to"));
		if (c->win_from < 0 || c->win_to < 0) {
			snprintf(err, errlen, "policy.window needs from and to "
			    "as HH:MM (UTC)");
			return -1;
		}
	}
	return 0;
}

struct camp_all {
	struct camp	*c;
	size_t		 cap;
};

static int
camp_add_dev(struct camp *c, size_t *cap, const char *ep)
{
	struct camp_dev *n;
	size_t i;

	for (i = 0; i < c->ndevs; i++)
		if (strcmp(c->devs[i].ep, ep) == 0)
			return 0;
	if (c->ndevs == CAMP_MAX_DEVICES)
		return -1;
	if (c->ndevs == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((n = reallocarray(c->devs, *cap, sizeof(*n))) == NULL)
			return -1;
		c->devs = n;
	}
	memset(&c->devs[c->ndevs], 0, sizeof(c->devs[0]));
	snprintf(c->devs[c->ndevs].ep, sizeof(c->devs[0].ep), "%s", ep);
	c->devs[c->ndevs].result = -1;
	c->ndevs++;
	return 0;
}

/* An endpoint name as registration accepts it (lwm2m.h). */
static int
camp_ep_ok(const char *ep)
{
	size_t i, len = strlen(ep);

	if (len == 0 || len > LWM2M_EP_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((ep[i] >= 'a' && ep[i] <= 'z') ||
		    (ep[i] >= 'A' && ep[i] <= 'Z') ||
		    (ep[i] >= '0' && ep[i] <= '9') ||
		    strchr("-._:~@+!$*", ep[i]) != NULL))
			return 0;
	return 1;
}

static int
camp_add_registered(struct device *dev, void *arg)
{
	struct camp_all *a = arg;

	return camp_add_dev(a->c, &a->cap, dev->ep) == -1 ? -1 : 0;
}

static int
camp_target(struct gateway *gw, struct camp *c, const cJSON *t, char *err,
    size_t errlen)
{
	struct camp_all a = { c, 0 };
	const cJSON *eps, *e;

	if (cJSON_IsString(t) && strcmp(t->valuestring, "all") == 0) {
		if (registry_walk_ordered(gw->registry, NULL,
		    camp_add_registered, &a) != 0) {
			snprintf(err, errlen, "cannot list the devices");
			return -1;
		}
	} else if (cJSON_IsObject(t) && cJSON_IsArray(eps =
	    cJSON_GetObjectItemCaseSensitive(t, "eps"))) {
		cJSON_ArrayForEach(e, eps) {
			if (!cJSON_IsString(e) ||
			    !camp_ep_ok(e->valuestring)) {
				snprintf(err, errlen, "target.eps holds "
				    "something that is not an endpoint name");
				return -1;
			}
			if (camp_add_dev(c, &a.cap, e->valuestring) == -1) {
				snprintf(err, errlen, "too many devices");
				return -1;
			}
		}
	} else {
		snprintf(err, errlen, "target must be \"all\" or {\"eps\": "
		    "[...]}");
		return -1;
	}
	if (c->ndevs == 0) {
		snprintf(err, errlen, "the target holds no device");
		return -1;
	}
	return 0;
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
campaign_create(struct gateway *gw, const cJSON *req, int *status,
    char *err, size_t errlen)
{
	const cJSON *img = cJSON_GetObjectItemCaseSensitive(req, "image");
	struct fw_image *fi;
	struct camp *c;
	size_t i;

	*status = 400;
	if (!cJSON_IsObject(req) || !cJSON_IsString(img)) {
		snprintf(err, errlen, "expected {\"image\": ID, \"target\": ..., "
		    "\"policy\": {...}}");
		return 0;
	}
	if ((fi = firmware_find(gw, img->valuestring)) == NULL ||
	    !fi->complete) {
		*status = 422;
		snprintf(err, errlen, "no complete image '%.40s'",
		    img->valuestring);
		return 0;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		*status = 500;
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	snprintf(c->image, sizeof(c->image), "%s", fi->id);
	if (camp_target(gw, c, cJSON_GetObjectItemCaseSensitive(req,
	    "target"), err, errlen) == -1 || camp_policy(gw, c,
	    cJSON_GetObjectItemCaseSensitive(req, "policy"), err,
	    errlen) == -1) {
		camp_free(c);
		return 0;
	}
	for (i = 0; i < c->ndevs; i++)
		c->devs[i].group = (int)(i / (size_t)c->group_size);
	c->ngroups = (int)((c->ndevs + (size_t)c->group_size - 1) /
	    (size_t)c->group_size);
	c->threshold_off = -1;
	camp_uri(gw, c);
	c->id = gw->campaigns->next_id++;
	c->created = gw_now();
	c->status = CAMP_RUNNING;
	if (camp_save(gw, c) == -1) {
		*status = 500;
		snprintf(err, errlen, "store failure");
		camp_free(c);
		return 0;
	}
	c->next = gw->campaigns->list;
	gw->campaigns->list = c;
	log_info("campaign %" PRIu64 ": image %s to %zu devices in %d groups",
	    c->id, c->image, c->ndevs, c->ngroups);
	camp_arm(gw);
	return c->id;
}

cJSON *
campaign_json(struct gateway *gw, uint64_t id, int devices)
{
	struct camp *c = camp_find(gw, id);

	return c != NULL ? camp_record(c, devices) : NULL;
}

cJSON *
campaign_list_json(struct gateway *gw)
{
	cJSON *a = cJSON_CreateArray();
	struct camp *c;

	for (c = gw->campaigns->list; c != NULL; c = c->next)
		cJSON_AddItemToArray(a, camp_record(c, 0));
	return a;
}

int
campaign_action(struct gateway *gw, uint64_t id, const char *action)
{
	struct camp *c = camp_find(gw, id);

	if (c == NULL)
		return -1;
	if (strcmp(action, "pause") == 0 && c->status == CAMP_RUNNING) {
		c->status = CAMP_PAUSED;
		snprintf(c->reason, sizeof(c->reason), "paused by the operator");
	} else if (strcmp(action, "resume") == 0 && c->status == CAMP_PAUSED) {
		c->status = CAMP_RUNNING;
		c->threshold_off = c->group;	/* the operator has seen it */
		c->reason[0] = '\0';
	} else if (strcmp(action, "cancel") == 0 && (c->status == CAMP_RUNNING ||
	    c->status == CAMP_PAUSED)) {
		c->status = CAMP_CANCELLED;
		snprintf(c->reason, sizeof(c->reason), "cancelled by the "
		    "operator");
	} else {
		return -2;
	}
	log_info("campaign %" PRIu64 ": %s", c->id, action);
	camp_arm(gw);
	return camp_save(gw, c) == -1 ? -2 : 0;
}

/* Loads one campaign record at start. */
static int
camp_load_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct gateway *gw = arg;
	cJSON *o = cJSON_ParseWithLength(val, vlen), *devs, *d, *x;
	struct camp *c = calloc(1, sizeof(*c));
	size_t cap = 0, i;

	(void)key;
	(void)klen;
	if (o == NULL || c == NULL)
		goto bad;
	c->id = (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "id"));
	snprintf(c->image, sizeof(c->image), "%s",
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "image")) ?: "");
	snprintf(c->uri, sizeof(c->uri), "%s",
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "uri")) ?: "");
	snprintf(c->reason, sizeof(c->reason), "%s",
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "reason")) ?: "");
	for (i = 0; i < CAMP__COUNT; i++)
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o,
		    "status")) ?: "", camp_status_names[i]) == 0)
			c->status = (int)i;
	c->group = cJSON_GetObjectItem(o, "group")->valueint;
	c->ngroups = cJSON_GetObjectItem(o, "groups")->valueint;
	c->threshold_off = cJSON_GetObjectItem(o, "threshold_off")->valueint;
	x = cJSON_GetObjectItem(o, "policy");
	c->group_size = cJSON_GetObjectItem(x, "group_size")->valueint;
	c->max_concurrent = cJSON_GetObjectItem(x, "max_concurrent")->valueint;
	c->failure_percent = cJSON_GetObjectItem(x,
	    "failure_percent")->valueint;
	c->win_from = c->win_to = -1;
	if ((d = cJSON_GetObjectItem(x, "window")) != NULL) {
		c->win_from = camp_minutes(cJSON_GetObjectItem(d, "from"));
		c->win_to = camp_minutes(cJSON_GetObjectItem(d, "to"));
	}
	c->created = gw_now();
	devs = cJSON_GetObjectItem(o, "devices");
	cJSON_ArrayForEach(d, devs) {
		if (camp_add_dev(c, &cap, cJSON_GetStringValue(
		    cJSON_GetObjectItem(d, "ep")) ?: "?") == -1)
			goto bad;
		for (i = 0; i < CDEV__COUNT; i++)
			if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(d,
			    "state")) ?: "", camp_dev_names[i]) == 0)
				c->devs[c->ndevs - 1].state = (uint8_t)i;
		c->devs[c->ndevs - 1].group = cJSON_GetObjectItem(d,
		    "group")->valueint;
		x = cJSON_GetObjectItem(d, "result");
		c->devs[c->ndevs - 1].result = cJSON_IsNumber(x) ?
		    x->valueint : -1;
		c->devs[c->ndevs - 1].op = (uint64_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(d, "op"));
		c->devs[c->ndevs - 1].op_kind = (uint8_t)cJSON_GetObjectItem(d,
		    "op_kind")->valueint;
		if (c->devs[c->ndevs - 1].op == 0)
			c->devs[c->ndevs - 1].op_kind = COP_NONE;
	}
	if (c->id >= gw->campaigns->next_id)
		gw->campaigns->next_id = c->id + 1;
	c->next = gw->campaigns->list;
	gw->campaigns->list = c;
	cJSON_Delete(o);
	return 0;
bad:
	log_warnx("campaign: skipping a bad record in the store");
	cJSON_Delete(o);
	camp_free(c);
	return 0;
}

static int
campaign_module_init(struct gateway *gw)
{
	if ((gw->campaigns = calloc(1, sizeof(*gw->campaigns))) == NULL)
		return -1;
	gw->campaigns->next_id = 1;
	return store_iterate(gw->store, STORE_DB_CAMPAIGNS, NULL, 0,
	    camp_load_one, gw) == -1 ? -1 : 0;
}

static int
campaign_module_start(struct gateway *gw)
{
	if ((gw->campaigns->tick = evtimer_new(gw->base, camp_tick,
	    gw)) == NULL)
		return -1;
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
	.stop = campaign_module_stop,
};
