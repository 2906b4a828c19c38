/*
 * observe.c: when the observers of a resource are notified (RFC 7641,
 * LwM2M 1.1 Core 5.1.2 and 7.3).
 *
 * libcoap keeps the observers of each resource and builds each
 * notification by calling the resource's GET handler; this file decides
 * when to call coap_resource_notify_observers:
 *   OBS_TICK     /3/0/13, every second (every pmin seconds if larger);
 *   OBS_SAMPLED  /health, /3/0, /3/0/9, /3/0/10, /3/0/11, /4/0 and its
 *                resources: sampled every [health] sample seconds (within
 *                epmin and epmax when set), a candidate when a figure moved
 *                past its [health] *_delta, the Error Codes or the value
 *                changed;
 *   OBS_EVENT    everything else: a candidate when a write, an execute or
 *                the firmware state machine changes the value.
 * A candidate is notified when it meets gt, lt and st (a numeric resource
 * with any of them is then a candidate at every sample or event, and only
 * a crossing or a step is told), never sooner than pmin after the last
 * notification; pmax after it a notification goes regardless
 * (attr_decide). The attributes are those in effect (attr_effective): the
 * observe request's, else those Write-Attributes set on the resource, its
 * instance, its object; pmin 0 and, except for OBS_EVENT, [health] pmax
 * when none is set.
 *
 * The timer runs only while the resource is observed. libcoap does not say
 * when the last observer leaves (a RST, a deregistration, a dead session);
 * coap_resource_notify_observers does, by returning 0: the next
 * notification, at the latest pmax later, stops the timer.
 *
 * A resource that is a member of a composite observation (compres.c) is
 * observed the same way while any has it (obs.comp), and each of its
 * notifications makes the composite observations notify too (shard.comp_due,
 * which compres.c sets).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "node/coap.h"

static void	obs_timer_cb(evutil_socket_t, short, void *);

void
obs_init(struct obs *o, struct res_slot *slot, enum obs_kind kind)
{
	memset(o, 0, sizeof(*o));
	o->slot = slot;
	o->kind = kind;
}

void
obs_free(struct obs *o)
{
	if (o->timer != NULL)
		event_free(o->timer);
	o->timer = NULL;
	o->active = 0;
}

static struct node *
obs_node(const struct obs *o)
{
	return o->slot->shard->node;
}

/* The device whose values the shard's notifications are measured by. */
static struct node_dev *
obs_dev(const struct obs *o)
{
	struct shard *sh = o->slot->shard;

	return &sh->node->devs[sh->first];
}

static const struct fw *
obs_fw(const struct obs *o)
{
	struct node_dev *d = obs_dev(o);
	struct node *n = d->node;

	return n->fwops != NULL ? n->fwops->read(d) : &n->obj.fw;
}

void
obs_effective(const struct obs *o, int with_query, struct attr *a)
{
	const struct res_slot *s = o->slot;
	const struct attr *levels[4];

	levels[0] = with_query ? &o->q : NULL;
	levels[1] = &s->wa;
	levels[2] = s->up != NULL ? &s->up->wa : NULL;
	levels[3] = s->up != NULL && s->up->up != NULL ? &s->up->up->wa :
	    NULL;
	attr_effective(a, levels, 4);
}

/* The attributes in effect, with the default pmax of the kind. */
static void
obs_attrs(const struct obs *o, struct attr *a)
{
	obs_effective(o, 1, a);
	if ((!ATTR_HAS(a, ATTR_PMAX) || a->pmax == 0) && o->kind != OBS_EVENT) {
		a->pmax = obs_node(o)->cfg.pmax;
		a->set |= ATTR_BIT(ATTR_PMAX);
	}
}

/* The value of the slot when it is one number now (a single numeric
 * resource), for gt, lt and st. */
static int
obs_value(const struct obs *o, double *v)
{
	struct node_dev *d = obs_dev(o);

	*v = 0;
	if (o->slot->kind != RES_ONE)
		return 0;
	return obj_read_number(&d->node->obj, d->ep, obs_fw(o), o->slot->oid,
	    o->slot->rid, v);
}

/* FNV-1a of the slot's value as read now (0: unreadable). */
static uint64_t
obs_hash(const struct obs *o)
{
	struct node_dev *d = obs_dev(o);
	enum node_result res;
	uint64_t h = 0xcbf29ce484222325ULL;
	char err[160], *text;
	const char *p;

	if (o->slot->kind == RES_ONE)
		text = obj_read_one_senml(&d->node->obj, d->ep, obs_fw(o),
		    o->slot->oid, o->slot->rid, &res, err, sizeof(err));
	else
		text = obj_read_senml(&d->node->obj, d->ep, obs_fw(o),
		    o->slot->oid, err, sizeof(err));
	if (text == NULL)
		return 0;
	for (p = text; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	free(text);
	return h;
}

static uint64_t
obs_errors(const struct obs *o)
{
	const struct obj *obj = &obs_node(o)->obj;

	return obj->errors != NULL ? obj->errors(obj->env.arg) : 0;
}

/* Remembers the figures a notification carries, to measure moves from. */
static void
obs_baseline(struct obs *o, int64_t now)
{
	struct node *n = obs_node(o);

	if (o->kind != OBS_SAMPLED)
		return;
	if (o->slot->kind == RES_HEALTH || o->slot->oid == OBJ_DEVICE) {
		o->base = *health_sample(&n->health, now);
		o->base_battery = health_battery(&n->health);
		o->base_errors = obs_errors(o);
	} else {
		o->base_hash = obs_hash(o);
	}
}

/* Whether a sampled resource moved past its threshold since the last
 * notification. */
static int
obs_moved(struct obs *o, int64_t now)
{
	struct node *n = obs_node(o);
	const struct health_figures *f;
	int mem, battery, errors;

	if (o->slot->kind != RES_HEALTH && o->slot->oid != OBJ_DEVICE)
		return obs_hash(o) != o->base_hash;
	f = health_sample(&n->health, now);
	if (o->slot->kind == RES_HEALTH)
		return health_moved(&n->cfg, &o->base, f);
	mem = labs(f->mem_free_kb - o->base.mem_free_kb) >=
	    n->cfg.mem_free_kb_delta;
	battery = health_battery(&n->health) != o->base_battery;
	errors = obs_errors(o) != o->base_errors;
	if (o->slot->kind != RES_ONE)
		return mem || battery || errors;
	return o->slot->rid == 10 ? mem : o->slot->rid == 11 ? errors :
	    battery;
}

/* Milliseconds of the wall clock into the current second. */
static int64_t
obs_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_nsec / 1000000;
}

/* Seconds between samples: [health] sample, within epmin and epmax. */
static int64_t
obs_sample_ms(const struct obs *o, const struct attr *a)
{
	int64_t s = obs_node(o)->cfg.sample;

	if (ATTR_HAS(a, ATTR_EPMAX) && a->epmax > 0 && a->epmax < s)
		s = a->epmax;
	if (ATTR_HAS(a, ATTR_EPMIN) && a->epmin > s)
		s = a->epmin;
	return s * 1000;
}

/* Arms the timer for the next deadline, or disarms it when none. */
static void
obs_schedule(struct obs *o, int64_t now, const struct attr *a)
{
	struct node *n = obs_node(o);
	int64_t next = attr_deadline(a, &o->w), at, delay;
	int pmin = ATTR_HAS(a, ATTR_PMIN) ? a->pmin : 0;
	struct timeval tv;

	if (o->kind == OBS_TICK) {
		/* Just after a second starts, so each tick shows a new value. */
		at = now + (int64_t)(pmin > 1 ? pmin : 1) * 1000 -
		    obs_wall_ms() + 5;
		if (at < next)
			next = at;
	} else if (o->kind == OBS_SAMPLED && now + obs_sample_ms(o, a) <
	    next) {
		next = now + obs_sample_ms(o, a);
	}
	if (next == INT64_MAX) {
		if (o->timer != NULL)
			evtimer_del(o->timer);
		return;
	}
	if (o->timer == NULL &&
	    (o->timer = evtimer_new(n->base, obs_timer_cb, o)) == NULL) {
		log_warnx("observe: cannot make a timer");
		return;
	}
	delay = next > now ? next - now : 0;
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(o->timer, &tv);
}

/* No observer is left: back to the defaults, no timer. */
static void
obs_stop(struct obs *o)
{
	o->active = 0;
	o->w.pending = 0;
	if (o->timer != NULL)
		evtimer_del(o->timer);
	log_debug("observe: no observer of /%.*s is left",
	    (int)coap_resource_get_uri_path(o->slot->res)->length,
	    (const char *)coap_resource_get_uri_path(o->slot->res)->s);
}

/* Notifies the observers. Returns 0 when there were none (stopped). */
static int
obs_notify(struct obs *o, int64_t now)
{
	double v;
	int has, any;

	any = coap_resource_notify_observers(o->slot->res, NULL);
	if (o->comp > 0) {
		o->slot->shard->comp_due(o->slot->shard);
		any = 1;
	}
	if (!any) {
		obs_stop(o);
		return 0;
	}
	has = obs_value(o, &v);
	attr_notified(&o->w, now, has, v);
	obs_baseline(o, now);
	return 1;
}

/*
 * A candidate (changed) or a deadline at now: notifies when attr_decide
 * says so, then arms the timer. Returns 0 when no observer is left.
 */
static int
obs_decide(struct obs *o, int64_t now, int changed, struct attr *a)
{
	struct attr d = *a;
	double v = 0;
	int has = (a->set & ATTR_NUMERIC) && obs_value(o, &v);

	/* A tick comes pmin apart already (obs_schedule). */
	if (o->kind == OBS_TICK)
		d.set &= ~ATTR_BIT(ATTR_PMIN);
	if (attr_decide(&d, &o->w, now, changed, has, v) == ATTR_NOTIFY &&
	    !obs_notify(o, now))
		return 0;
	obs_schedule(o, now, a);
	return 1;
}

static void
obs_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct obs *o = arg;
	int64_t now = node_now_ms();
	struct attr a;
	int changed = 0;

	(void)fd;
	(void)what;
	obs_attrs(o, &a);
	if (o->kind == OBS_TICK)
		changed = 1;
	else if (o->kind == OBS_SAMPLED)
		/* With gt, lt or st each sample is weighed by them. */
		changed = (a.set & ATTR_NUMERIC) || obs_moved(o, now);
	(void)obs_decide(o, now, changed, &a);
}

void
obs_start(struct obs *o, const struct attr *q)
{
	int64_t now = node_now_ms();
	struct attr a;
	double v;
	int has, stricter;

	if (!o->active) {
		o->active = 1;
		o->q = *q;
		o->q.clear = 0;
		memset(&o->w, 0, sizeof(o->w));
		has = obs_value(o, &v);
		attr_notified(&o->w, now, has, v);	/* the answer */
		obs_baseline(o, now);
		obs_attrs(o, &a);
		obs_schedule(o, now, &a);
		log_debug("observe: /%.*s observed (pmin %d s, pmax %d s%s)",
		    (int)coap_resource_get_uri_path(o->slot->res)->length,
		    (const char *)coap_resource_get_uri_path(o->slot->res)->s,
		    ATTR_HAS(&a, ATTR_PMIN) ? a.pmin : 0,
		    ATTR_HAS(&a, ATTR_PMAX) ? a.pmax : 0,
		    a.set & ATTR_NUMERIC ? ", gt/lt/st" : "");
		return;
	}
	/* Called for every notification too (libcoap hands the GET handler
	 * the observe request): only a stricter observer changes things. */
	stricter = 0;
	if (ATTR_HAS(q, ATTR_PMIN) && (!ATTR_HAS(&o->q, ATTR_PMIN) ||
	    q->pmin < o->q.pmin)) {
		o->q.pmin = q->pmin;
		o->q.set |= ATTR_BIT(ATTR_PMIN);
		stricter = 1;
	}
	if (ATTR_HAS(q, ATTR_PMAX) && q->pmax > 0 &&
	    (!ATTR_HAS(&o->q, ATTR_PMAX) || o->q.pmax == 0 ||
	    q->pmax < o->q.pmax)) {
		o->q.pmax = q->pmax;
		o->q.set |= ATTR_BIT(ATTR_PMAX);
		stricter = 1;
	}
	if (!stricter)
		return;
	obs_attrs(o, &a);
	obs_schedule(o, now, &a);
}

void
obs_changed(struct obs *o)
{
	struct attr a;

	if (!o->active)
		return;		/* nobody observes it */
	obs_attrs(o, &a);
	(void)obs_decide(o, node_now_ms(), 1, &a);
}

void
obs_attrs_changed(struct obs *o)
{
	struct attr a;

	if (!o->active)
		return;
	obs_attrs(o, &a);
	obs_schedule(o, node_now_ms(), &a);
}

void
obs_comp_add(struct obs *o, const struct attr *a)
{
	o->comp++;
	obs_start(o, a);
}

void
obs_comp_del(struct obs *o)
{
	if (o->comp > 0)
		o->comp--;
}
