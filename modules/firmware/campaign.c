/*
 * campaign.c: the campaign engine behind campaign.h (campint.h says how
 * its three files share the work).
 *
 * One timer a second, armed only while a campaign runs (an idle gateway
 * sleeps), steps every running campaign: it looks at the ops it queued
 * (queue_get), moves devices along pending -> announced -> downloading ->
 * downloaded -> updating -> succeeded | failed, and queues the next op:
 * the URI write, the execute of /5/0/2, and a read of /5/0 (SenML JSON)
 * only when a device in flight has said nothing for [campaign] poll_s.
 * Between steps the devices in flight are followed by observing /5/0/3
 * and /5/0/5 (cache/observe.h). Each device's record is written when that
 * device changes, the campaign's when its own state does. Each step
 * looks at one campaign's devices once: a campaign is bounded by what an
 * operator targets (CAMP_MAX_DEVICES).
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
#include "modules/firmware/campint.h"
#include "lwm2m/campparse.h"
#include "modules/device/cred.h"
#include "modules/device/devlog.h"
#include "cache/events.h"
#include "modules/device/queue.h"
#include "store/store.h"
#include "tz.h"

#define CF_TEXT			0
#define CF_SENML_JSON		110

/* A queued op's commit, or a finished campaign's, finds its campaign by
 * id again (it may be gone by then). */
struct camp_push {
	struct gateway	*gw;
	uint64_t	 camp;
	size_t		 dev;
};

/* The resources a campaign observes on each device in flight. */
static const char *const camp_watched[] = { "5/0/3", "5/0/5" };

static int
camp_in_flight(const struct camp_dev *d)
{
	return d->state >= CDEV_ANNOUNCED && d->state < CDEV_SUCCEEDED;
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
	cJSON_AddStringToObject(e, "state", campaign_dev_state_name(st));
	cJSON_AddStringToObject(e, "via", camp_delivery_names[d->via]);
	if (d->result >= 0)
		cJSON_AddNumberToObject(e, "result", d->result);
	events_emit(gw, "fw_progress", d->ep, e);
	/* What the device logged goes with its record (devlog.h). */
	if (st == CDEV_FAILED)
		(void)devlog_request(gw, "camp", c->id, d->ep);
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

/* The Package URI for ep: over DTLS when it has a credential (plain CoAP
 * is never for it), else plain; the other when that one is "". */
static const char *
camp_uri_for(struct gateway *gw, const struct camp *c, const char *ep)
{
	struct cred cred;
	int secure = cred_find_by_ep(gw, ep, &cred) == 0;

	explicit_bzero(&cred, sizeof(cred));
	if (secure)
		return c->uri_secure[0] != '\0' ? c->uri_secure : c->uri;
	return c->uri[0] != '\0' ? c->uri : c->uri_secure;
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
		spec.body = (const uint8_t *)camp_uri_for(gw, c, d->ep);
		spec.len = strlen((const char *)spec.body);
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
	if (!camp_in_flight(d)) {
		/* Its notifications finished it while the op was out. */
	} else if (!ok && ((kind == COP_EXECUTE && d->state < CDEV_UPDATING) ||
	    (kind == COP_WRITE && d->state == CDEV_ANNOUNCED))) {
		/*
		 * Ops are delivered at least once: one whose answer was lost
		 * (or that was on the wire when the gateway stopped) is sent
		 * again, and a device that took the first copy may refuse the
		 * second: an execute once State is no longer Downloaded, a
		 * URI write while it downloads (LwM2M leaves that to the
		 * client). What it says now decides, not the refusal.
		 */
		log_info("campaign %" PRIu64 ": %s: the %s got %s (HTTP %d): "
		    "reading /5/0 before deciding", c->id, d->ep,
		    kind == COP_WRITE ? "URI write" : "update execute",
		    queue_state_name(v.state), v.result_status);
		d->flags |= CDF_RECHECK;
		d->next_poll = now;
	} else if (!ok) {
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
	if (kind == COP_READ && (d->flags & CDF_RECHECK)) {
		/* Read after a refused write or execute: still where that op
		 * found it (not begun, or not updating), it refused. */
		d->flags &= ~CDF_RECHECK;
		if (d->state == CDEV_ANNOUNCED || d->state == CDEV_DOWNLOADED) {
			log_info("campaign %" PRIu64 ": %s refused the %s "
			    "(State %d, Update Result %d)", c->id, d->ep,
			    d->state == CDEV_ANNOUNCED ? "URI write" :
			    "update execute", d->fw_state, d->result);
			camp_set(gw, c, d, CDEV_FAILED);
		}
	}
	camp_dev_save(gw, c, d);
	free(buf);
}

/* Announces the image to the multicast groups: every pending device of
 * the (one) group is then announced to. */
static int
camp_announce(struct gateway *gw, struct camp *c, int64_t now)
{
	struct fw_image *fi = firmware_find(gw, c->image);
	size_t i;

	if (fi == NULL || !fi->complete || !fi->trusted ||
	    (gw->hooks.image_announce == NULL ||
	    gw->hooks.image_announce(gw, fi) == -1)) {
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

static void
camp_cancelled(enum queue_result res, uint64_t id, void *arg)
{
	(void)res;	/* one already on its way is not stopped */
	(void)id;
	(void)arg;
}

/*
 * A campaign pauses: the URI writes and executes it queued that have not
 * gone out yet (a sleeping device's) are taken back, so that a paused
 * campaign starts no device and executes nothing; resume queues them
 * again. One on the wire, or still awaiting its commit, goes.
 */
static void
camp_hold_back(struct gateway *gw, struct camp *c)
{
	struct camp_dev *d;
	size_t i;

	for (i = 0; i < c->ndevs; i++) {
		d = &c->devs[i];
		if (d->op == 0 || d->op == CAMP_OP_PENDING ||
		    (d->op_kind != COP_WRITE && d->op_kind != COP_EXECUTE) ||
		    queue_cancel(gw, d->op, camp_cancelled, NULL) != QUEUE_OK)
			continue;
		d->op = 0;
		d->op_kind = COP_NONE;
		camp_dev_save(gw, c, d);
	}
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
	/* Over the threshold, the group's devices in flight get no execute
	 * from this step on. */
	if (running && c->group != c->threshold_off && size > 0 &&
	    failed * 100 > (size_t)c->failure_percent * size) {
		c->status = CAMP_PAUSED;
		snprintf(c->reason, sizeof(c->reason), "group %d: %zu of %zu "
		    "devices failed, over the threshold of %d%%", c->group,
		    failed, size, c->failure_percent);
		log_warnx("campaign %" PRIu64 ": paused: %s", c->id,
		    c->reason);
		camp_hold_back(gw, c);
		camp_save(gw, c);
		running = 0;
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
		} else if (d->state == CDEV_ANNOUNCED &&
		    !(d->flags & CDF_RECHECK)) {
			if (!running)
				continue;	/* not begun: it waits */
			camp_push(gw, c, i, COP_WRITE);
		} else if (d->state == CDEV_DOWNLOADED &&
		    d->via == VIA_LWM2M && running &&
		    !(d->flags & CDF_RECHECK)) {
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
	if (!tz_in_window(NULL, c->win_from, c->win_to, now))
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
void
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

uint64_t
campaign_of_image(struct gateway *gw, const char *id)
{
	struct camp *c;
	uint64_t found = 0;

	if (gw->campaigns == NULL)
		return 0;
	for (c = gw->campaigns->list; c != NULL; c = c->next)
		if ((c->status == CAMP_RUNNING || c->status == CAMP_PAUSED) &&
		    strcmp(c->image, id) == 0 && (found == 0 || c->id < found))
			found = c->id;
	return found;
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
		camp_hold_back(gw, c);
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

static int
campaign_module_init(struct gateway *gw)
{
	if ((gw->campaigns = calloc(1, sizeof(*gw->campaigns))) == NULL)
		return -1;
	gw->campaigns->next_id = 1;
	return camp_load(gw);
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
		camp_hold_back(gw, c);
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
	if (observe_add_listener(gw, camp_heard, NULL) == -1)
		return -1;
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
