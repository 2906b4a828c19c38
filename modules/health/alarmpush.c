/*
 * alarmpush.c: a threshold rule written down to its devices as LwM2M
 * attributes (Write-Attributes through the durable queue, as PUT
 * /v1/devices/{ep}/attributes/{path} does) with its path observed, and a
 * deleted rule's devices let go of. Both walk many devices: in slices of
 * [alarms] sweep_slice, one per turn of the loop, one rule after another.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "cache/observe.h"
#include "lwm2m/dmparse.h"
#include "modules/device/queue.h"
#include "modules/device/registry.h"
#include "modules/health/alarmint.h"

/* An op on its way to the store. */
struct alarm_push_op {
	struct gateway	*gw;
	char		 ep[];
};

/*
 * The attributes of def as a Write-Attributes query: gt and lt a
 * hysteresis apart, so that the device tells the crossing back as well
 * (only the limit when there is no hysteresis: lt must stay below gt),
 * st, pmin and pmax when given. remove: the same names bare, which
 * removes them. 0, or -1 (logged).
 */
static int
alarm_push_query(const struct alarm_rule_def *def, int remove, char *query,
    size_t qlen)
{
	cJSON *o = cJSON_CreateObject();
	char *body = NULL, err[160];
	int rc = -1;

#define ATTR(name, v)	(remove ? cJSON_AddNullToObject(o, name) :	\
	    cJSON_AddNumberToObject(o, name, (v)))
	if (o == NULL)
		return -1;
	if (def->below) {
		ATTR("lt", def->limit);
		if (def->hysteresis > 0)
			ATTR("gt", def->limit + def->hysteresis);
	} else {
		ATTR("gt", def->limit);
		if (def->hysteresis > 0)
			ATTR("lt", def->limit - def->hysteresis);
	}
	if (def->step >= 0)
		ATTR("st", def->step);
	if (def->pmin >= 0)
		ATTR("pmin", def->pmin);
	if (def->pmax >= 0)
		ATTR("pmax", def->pmax);
#undef ATTR
	if ((body = cJSON_PrintUnformatted(o)) != NULL &&
	    (rc = dm_attributes(body, strlen(body), query, qlen, err,
	    sizeof(err))) == -1)
		log_warnx("alarm rule of %s: its attributes: %s", def->path,
		    err);
	free(body);
	cJSON_Delete(o);
	return rc;
}

/* Committed: a device that can be reached gets it now. */
static void
alarm_push_queued(enum queue_result res, uint64_t id, void *arg)
{
	struct alarm_push_op *op = arg;

	(void)id;
	if (res == QUEUE_OK)
		queue_wake(op->gw, op->ep);
	free(op);
}

/* Queues def's attributes (or their removal) for ep. */
static void
alarm_push_write(struct gateway *gw, const struct alarm_rule *r,
    const char *ep, int remove)
{
	struct devreq_spec spec;
	struct alarm_push_op *op;
	char query[DM_QUERY_MAX];
	enum queue_result res;
	uint64_t id;
	size_t eplen = strlen(ep);

	if (alarm_push_query(&r->def, remove, query, sizeof(query)) == -1 ||
	    (op = malloc(sizeof(*op) + eplen + 1)) == NULL)
		return;
	op->gw = gw;
	memcpy(op->ep, ep, eplen + 1);
	memset(&spec, 0, sizeof(spec));
	spec.method = DEVREQ_PUT;
	spec.path = r->def.path;
	spec.query = query;
	spec.content_format = -1;
	spec.accept = -1;
	spec.timeout_s = (unsigned)gw->cfg.proxy_timeout;
	if ((res = queue_push_id(gw, ep, &spec, alarm_push_queued, op,
	    &id)) != QUEUE_OK) {
		free(op);
		log_warnx("alarm rule %s: device %s: attributes of %s not "
		    "queued (%s)", r->id, ep, r->def.path, res == QUEUE_FULL ?
		    "its queue is full" : "store failure");
	} else
		log_debug("alarm rule %s: device %s: %s?%s queued as op %"
		    PRIu64, r->id, ep, r->def.path, query, id);
}

/* r's path observed on ep (once per rule), and its attributes written
 * when write is set. */
static void
alarm_push_one(struct gateway *gw, struct alarm_rule *r, const char *ep,
    int write)
{
	struct alarm_track *t;

	if ((t = alarm_track_get(gw->alarms, r, ep)) == NULL)
		return;
	if (!t->held && observe_hold(gw, ep, r->def.path) == 0)
		t->held = 1;
	if (write)
		alarm_push_write(gw, r, ep, 0);
}

void
alarm_push_device(struct gateway *gw, const char *ep)
{
	struct alarms *al = gw->alarms;
	struct alarm_rule *r;
	size_t i;

	if (!gw->cfg.alarm_push)
		return;
	for (i = 0; i < al->nrules; i++) {
		r = al->rules[i];
		if (!r->gone && r->def.push && alarm_selects(gw, r, ep))
			alarm_push_one(gw, r, ep, 1);
	}
}

struct alarm_walk {
	struct gateway		*gw;
	struct alarm_push	*p;
	int			 n;
};

static int
alarm_push_walk(struct device *d, void *arg)
{
	struct alarm_walk *w = arg;

	if (alarm_selects(w->gw, w->p->rule, d->ep))
		alarm_push_one(w->gw, w->p->rule, d->ep,
		    w->p->mode == ALARM_PUSH_ADD);
	snprintf(w->p->after, sizeof(w->p->after), "%s", d->ep);
	return ++w->n >= w->gw->cfg.alarm_sweep_slice;
}

/* One slice of a removal: 1 when it is done. */
static int
alarm_push_remove(struct gateway *gw, struct alarm_push *p)
{
	struct alarm_track *t;
	int n = 0;

	while ((t = p->list) != NULL && n++ < gw->cfg.alarm_sweep_slice) {
		p->list = t->next;
		if (t->held) {
			observe_release(gw, t->ep, p->rule->def.path);
			if (gw->cfg.alarm_push && gw->registry != NULL &&
			    registry_find_by_endpoint(gw->registry, t->ep) !=
			    NULL)
				alarm_push_write(gw, p->rule, t->ep, 1);
		}
		free(t);
	}
	return p->list == NULL;
}

/* Frees p, and with a removal the rule it let go of. */
static void
alarm_push_done(struct gateway *gw, struct alarm_push *p)
{
	struct alarms *al = gw->alarms;
	struct alarm_push **pp;

	for (pp = &al->pushes; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (p->mode == ALARM_PUSH_REMOVE) {
		/* Nothing else may hold the rule now. */
		for (pp = &al->pushes; *pp != NULL;)
			if ((*pp)->rule == p->rule) {
				struct alarm_push *x = *pp;

				*pp = x->next;
				free(x);
			} else
				pp = &(*pp)->next;
		alarm_rule_free(al, p->rule);
	}
	free(p);
}

static void
alarm_push_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	struct alarms *al = gw->alarms;
	struct alarm_push *p;
	struct alarm_walk w;
	int done;

	(void)fd;
	(void)what;
	if (al == NULL || (p = al->pushes) == NULL)
		return;
	if (p->mode == ALARM_PUSH_REMOVE) {
		done = alarm_push_remove(gw, p);
	} else if (p->rule->gone || gw->registry == NULL) {
		done = 1;
	} else {
		w.gw = gw;
		w.p = p;
		w.n = 0;
		done = registry_walk_ordered(gw->registry, p->started ?
		    p->after : NULL, alarm_push_walk, &w) == 0;
		p->started = 1;
	}
	if (done)
		alarm_push_done(gw, p);
	if (al->pushes != NULL)
		event_active(al->push_ev, EV_TIMEOUT, 0);
}

int
alarm_push_start(struct gateway *gw, struct alarm_rule *r, int mode)
{
	struct alarms *al = gw->alarms;
	struct alarm_push *p, **pp;

	if ((al->push_ev == NULL && (al->push_ev = evtimer_new(gw->base,
	    alarm_push_cb, gw)) == NULL) ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->rule = r;
	p->mode = mode;
	/* Out of the hash now: nothing judges them any more. */
	if (mode == ALARM_PUSH_REMOVE)
		p->list = alarm_tracks_take(al, r);
	for (pp = &al->pushes; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = p;
	event_active(al->push_ev, EV_TIMEOUT, 0);
	return 0;
}

void
alarm_push_stop(struct gateway *gw)
{
	struct alarms *al = gw->alarms;
	struct alarm_push *p;
	struct alarm_track *t;

	while ((p = al->pushes) != NULL) {
		al->pushes = p->next;
		while ((t = p->list) != NULL) {
			p->list = t->next;
			free(t);
		}
		free(p);
	}
	if (al->push_ev != NULL)
		event_free(al->push_ev);
	al->push_ev = NULL;
}
