/*
 * observe.c: when the observers of a resource are notified (RFC 7641).
 *
 * libcoap keeps the observers of each resource and builds each
 * notification by calling the resource's GET handler; this file decides
 * when to call coap_resource_notify_observers:
 *   OBS_TICK     /3/0/13, every second (every pmin seconds if larger);
 *   OBS_SAMPLED  /health, /3/0, /3/0/9, /3/0/10: sampled every [health]
 *                sample seconds, notified when a figure moved past its
 *                [health] *_delta;
 *   OBS_EVENT    everything else: notified when a write, an execute or
 *                the firmware state machine changes the value;
 * never sooner than pmin after the last notification, and at least every
 * pmax. pmin and pmax are the smallest any observer asked for (query
 * attributes of the observe request), else those of Write-Attributes,
 * else 0 and [health] pmax (none for OBS_EVENT).
 *
 * The timer runs only while the resource is observed. libcoap does not say
 * when the last observer leaves (a RST, a deregistration, a dead session);
 * coap_resource_notify_observers does, by returning 0: the next
 * notification, at the latest pmax later, stops the timer.
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
	o->attr_pmin = -1;
	o->attr_pmax = -1;
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

/* Remembers the figures a notification carries, to measure moves from. */
static void
obs_baseline(struct obs *o, int64_t now)
{
	struct node *n = obs_node(o);

	if (o->kind != OBS_SAMPLED)
		return;
	o->base = *health_sample(&n->health, now);
	o->base_battery = health_battery(&n->health);
	o->base_error = n->obj.error_code;
}

/* Whether a sampled resource moved past its threshold since the last
 * notification. */
static int
obs_moved(struct obs *o, int64_t now)
{
	struct node *n = obs_node(o);
	const struct health_figures *f = health_sample(&n->health, now);
	int mem = labs(f->mem_free_kb - o->base.mem_free_kb) >=
	    n->cfg.mem_free_kb_delta;
	int battery = health_battery(&n->health) != o->base_battery;

	switch (o->slot->kind) {
	case RES_HEALTH:
		return health_moved(&n->cfg, &o->base, f);
	case RES_INSTANCE:
		return mem || battery || n->obj.error_code != o->base_error;
	default:
		return o->slot->rid == 10 ? mem : battery;
	}
}

/* Milliseconds of the wall clock into the current second. */
static int64_t
obs_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_nsec / 1000000;
}

/* Arms the timer for the next deadline, or disarms it when none. */
static void
obs_schedule(struct obs *o, int64_t now)
{
	struct node *n = obs_node(o);
	int64_t next = INT64_MAX, delay;
	struct timeval tv;

	if (o->kind == OBS_TICK) {
		/* Just after a second starts, so each tick shows a new value. */
		delay = (int64_t)(o->pmin > 1 ? o->pmin : 1) * 1000 -
		    obs_wall_ms() + 5;
		next = now + delay;
	} else if (o->kind == OBS_SAMPLED) {
		next = now + (int64_t)n->cfg.sample * 1000;
	}
	if (o->pending && o->last_ms + (int64_t)o->pmin * 1000 < next)
		next = o->last_ms + (int64_t)o->pmin * 1000;
	if (o->pmax > 0 && o->last_ms + (int64_t)o->pmax * 1000 < next)
		next = o->last_ms + (int64_t)o->pmax * 1000;
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
	o->pending = 0;
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
	if (!coap_resource_notify_observers(o->slot->res, NULL)) {
		obs_stop(o);
		return 0;
	}
	o->last_ms = now;
	o->pending = 0;
	obs_baseline(o, now);
	return 1;
}

static void
obs_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct obs *o = arg;
	int64_t now = node_now_ms();
	int due = o->pending;

	(void)fd;
	(void)what;
	if (o->kind == OBS_TICK ||
	    (o->kind == OBS_SAMPLED && obs_moved(o, now)) ||
	    (o->pmax > 0 && now - o->last_ms >= (int64_t)o->pmax * 1000))
		due = 1;
	if (due && now - o->last_ms < (int64_t)o->pmin * 1000 &&
	    o->kind != OBS_TICK)
		o->pending = 1;
	else if (due && !obs_notify(o, now))
		return;
	obs_schedule(o, now);
}

void
obs_start(struct obs *o, const struct attr *a)
{
	struct node *n = obs_node(o);
	int64_t now = node_now_ms();
	int pmin, pmax;

	pmin = a->has_pmin ? a->pmin : o->attr_pmin >= 0 ? o->attr_pmin : 0;
	if (a->has_pmax && a->pmax > 0)
		pmax = a->pmax;
	else if (o->attr_pmax > 0)
		pmax = o->attr_pmax;
	else
		pmax = o->kind == OBS_EVENT ? 0 : n->cfg.pmax;
	if (!o->active) {
		o->active = 1;
		o->pmin = pmin;
		o->pmax = pmax;
		o->pending = 0;
		o->last_ms = now;	/* the answer carries the value */
		obs_baseline(o, now);
		obs_schedule(o, now);
		log_debug("observe: /%.*s observed (pmin %d s, pmax %d s)",
		    (int)coap_resource_get_uri_path(o->slot->res)->length,
		    (const char *)coap_resource_get_uri_path(o->slot->res)->s,
		    pmin, pmax);
		return;
	}
	/* Called for every notification too (libcoap hands the GET handler
	 * the observe request): only a stricter observer changes things. */
	if (pmin >= o->pmin && (pmax == 0 || (o->pmax != 0 && pmax >= o->pmax)))
		return;
	if (pmin < o->pmin)
		o->pmin = pmin;
	if (pmax > 0 && (o->pmax == 0 || pmax < o->pmax))
		o->pmax = pmax;
	obs_schedule(o, now);
}

void
obs_changed(struct obs *o)
{
	int64_t now = node_now_ms();

	if (!o->active)
		return;		/* nobody observes it */
	if (now - o->last_ms >= (int64_t)o->pmin * 1000) {
		if (!obs_notify(o, now))
			return;
	} else {
		o->pending = 1;
	}
	obs_schedule(o, now);
}
