/*
 * domutil.h: what the domain's unit tests (test_dom_*.c) share: a gateway
 * made of the domain's modules alone over a temporary store, stopped and
 * started again over the same store as a restart does, the events it
 * emits, and a clock the test moves. No face runs: gw->hooks is the
 * test's to fill.
 */
#ifndef OUTPOST_DOMUTIL_H
#define OUTPOST_DOMUTIL_H

#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <event2/event.h>

#include "gateway.h"
#include "cache/events.h"
#include "lwm2m/lwm2m.h"
#include "modules/health/history.h"
#include "modules/device/registry.h"
#include "store/store.h"
#include "tests/unit/testutil.h"

/*
 * The clock. The domain reads the time through gw_now(), that is
 * time(2); this time(), linked into the test, is the one it gets. It
 * stands still at its first reading until dom_advance moves it, so no
 * test waits for a second to pass and none depends on when it runs.
 * Volatile: libc declares time() a leaf, and the compiler may take a
 * static the test writes as unseen by it.
 */
static volatile int64_t dom_clock;

time_t
time(time_t *t)
{
	struct timespec ts;

	if (dom_clock == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		dom_clock = (int64_t)ts.tv_sec;
	}
	if (t != NULL)
		*t = (time_t)dom_clock;
	return (time_t)dom_clock;
}

static inline void
dom_advance(int64_t seconds)
{
	(void)time(NULL);
	dom_clock += seconds;
}

/* The domain's modules, in main.c's start order, without the faces. */
static const struct gw_module *const dom_modules[] = {
	&store_module,
	&firmware_module,
	&registry_module,
	&queue_module,
	&bootstrap_module,
	&cache_module,
	&observe_module,
	&campaign_module,
	&history_module,
	&job_module,
};
#define DOM_NMODULES	(sizeof(dom_modules) / sizeof(dom_modules[0]))

#define DOM_MAX_EVENTS	64

/* A gateway and what it emitted, each event as its JSON text. */
struct dom {
	char		 dir[64];
	struct gateway	 gw;
	int		 running;
	char		*events[DOM_MAX_EVENTS];
	size_t		 nevents;
};

static void
dom_sink(struct gateway *gw, const char *type, const cJSON *event,
    void *arg)
{
	struct dom *d = arg;

	(void)gw;
	(void)type;
	if (d->nevents < DOM_MAX_EVENTS)
		d->events[d->nevents++] = cJSON_PrintUnformatted(event);
}

/* Events of type (for ep, unless NULL) emitted so far. */
static inline size_t
dom_events(const struct dom *d, const char *type, const char *ep)
{
	char t[64], e[128];
	size_t i, n = 0;

	snprintf(t, sizeof(t), "\"type\":\"%s\"", type);
	snprintf(e, sizeof(e), "\"ep\":\"%s\"", ep != NULL ? ep : "");
	for (i = 0; i < d->nevents; i++)
		if (strstr(d->events[i], t) != NULL &&
		    (ep == NULL || strstr(d->events[i], e) != NULL))
			n++;
	return n;
}

/* The latest event of type, or NULL. */
static inline const char *
dom_event_last(const struct dom *d, const char *type)
{
	char t[64];
	size_t i;

	snprintf(t, sizeof(t), "\"type\":\"%s\"", type);
	for (i = d->nevents; i-- > 0;)
		if (strstr(d->events[i], t) != NULL)
			return d->events[i];
	return NULL;
}

/* Inits and starts every module, as main does; 0 or -1. */
static inline int
dom_start(struct dom *d)
{
	size_t i;

	d->gw.started = (time_t)gw_now();
	d->gw.stopping = 0;
	for (i = 0; i < DOM_NMODULES; i++)
		if (dom_modules[i]->init != NULL &&
		    dom_modules[i]->init(&d->gw) == -1)
			return -1;
	for (i = 0; i < DOM_NMODULES; i++)
		if (dom_modules[i]->start != NULL &&
		    dom_modules[i]->start(&d->gw) == -1)
			return -1;
	d->running = 1;
	return 0;
}

/* Stops every module in reverse order, committing after each, as main's
 * gateway_stop does. */
static inline void
dom_stop(struct dom *d)
{
	size_t i = DOM_NMODULES;

	if (!d->running)
		return;
	d->gw.stopping = 1;
	while (i-- > 0) {
		if (dom_modules[i]->stop != NULL)
			dom_modules[i]->stop(&d->gw);
		if (d->gw.store != NULL)
			store_commit(d->gw.store);
	}
	d->gw.stopping = 0;
	d->running = 0;
}

/* A restart over the same store; the hooks the test set stay. */
static inline int
dom_restart(struct dom *d)
{
	dom_stop(d);
	return dom_start(d);
}

/* A new gateway in a fresh directory with the default config (tune gw.cfg,
 * then dom_start); NULL on failure. */
static inline struct dom *
dom_new(void)
{
	struct dom *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	snprintf(d->dir, sizeof(d->dir), "/tmp/outpost-test-dom.XXXXXX");
	if (mkdtemp(d->dir) == NULL ||
	    (d->gw.base = event_base_new()) == NULL) {
		free(d);
		return NULL;
	}
	config_defaults(&d->gw.cfg);
	snprintf(d->gw.cfg.store_path, sizeof(d->gw.cfg.store_path), "%s",
	    d->dir);
	d->gw.cfg.store_map_size_mb = 64;
	if (events_subscribe(&d->gw, dom_sink, d) == -1) {
		event_base_free(d->gw.base);
		free(d);
		return NULL;
	}
	return d;
}

static inline void
dom_free(struct dom *d)
{
	size_t i;

	dom_stop(d);
	events_unsubscribe(&d->gw, dom_sink, d);
	event_base_free(d->gw.base);
	rm_tree(d->dir);
	for (i = 0; i < d->nevents; i++)
		free(d->events[i]);
	free(d);
}

/* Commits the open batch and runs its callbacks. */
static inline int
dom_commit(struct dom *d)
{
	return store_commit(d->gw.store);
}

/* Runs what is due on the loop now (timers at zero, active events),
 * without blocking: a few turns, for work that yields between slices. */
static inline void
dom_turns(struct dom *d, int turns)
{
	while (turns-- > 0)
		event_base_loop(d->gw.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static void
dom_registered(enum registry_result res, uint64_t id, void *arg)
{
	(void)id;
	*(int *)arg = res == REGISTRY_OK;
}

/* Registers ep from 192.0.2.7:5683 with links (the queue and campaigns
 * act on known devices only) and commits: 0, or -1. */
static inline int
dom_register(struct dom *d, const char *ep, const char *links)
{
	struct lwm2m_params p;
	struct dev_addr a;
	int ok = 0;

	memset(&p, 0, sizeof(p));
	memset(&a, 0, sizeof(a));
	snprintf(p.ep, sizeof(p.ep), "%s", ep);
	p.has_ep = 1;
	a.family = AF_INET;
	a.addr[0] = 192;
	a.addr[2] = 2;
	a.addr[3] = 7;
	a.port = 5683;
	if (registry_register(d->gw.registry, &p, links, strlen(links), &a, 1,
	    dom_registered, &ok) != REGISTRY_OK || dom_commit(d) != 0)
		return -1;
	return ok ? 0 : -1;
}

#endif /* OUTPOST_DOMUTIL_H */
