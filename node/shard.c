/*
 * shard.c: the devices of a process and the shards (libcoap contexts) they
 * live in: setup, the start of their registrations (spread over [fleet]
 * spread for a fleet), the stop (deregistrations, a bounded wait), the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "node/bsc.h"
#include "node/coap.h"

#define SHARD_STOP_WINDOW	128	/* deregistrations in flight: a burst
					   of thousands would overflow the
					   gateway's socket buffer */

/* libcoap's own log lines go through ours. */
static void
shard_coap_log(coap_log_t level, const char *msg)
{
	size_t n = strlen(msg);

	while (n > 0 && msg[n - 1] == '\n')
		n--;
	if (level <= LOG_ERR)
		log_warnx("libcoap: %.*s", (int)n, msg);
	else
		log_debug("libcoap: %.*s", (int)n, msg);
}

/* A libcoap context with its resources on the reactor. */
static struct shard *
shard_new(struct node *n, size_t first, size_t count)
{
	struct shard *sh;
	coap_address_t a;
	int fd;

	if ((sh = calloc(1, sizeof(*sh))) == NULL)
		return NULL;
	sh->node = n;
	sh->first = first;
	sh->ndevs = count;
	if ((sh->ctx = coap_new_context(NULL)) == NULL) {
		log_warnx("coap: cannot create a context");
		goto fail;
	}
	coap_set_app_data(sh->ctx, sh);
	coap_context_set_block_mode(sh->ctx,
	    COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	link_context(sh->ctx);
	if (res_init(sh, n->cfg.fleet > 0) == -1)
		goto fail;
	if (n->local_len > 0) {
		session_address(&a, &n->local, n->local_len);
		if ((sh->listen = coap_new_endpoint(sh->ctx, &a,
		    COAP_PROTO_UDP)) == NULL) {
			log_warnx("coap: cannot listen on %s", n->cfg.listen);
			goto fail;
		}
	}
	if ((fd = coap_context_get_coap_fd(sh->ctx)) == -1) {
		log_warnx("coap: libcoap was built without epoll");
		goto fail;
	}
	sh->io_ev = event_new(n->base, fd, EV_READ | EV_PERSIST, link_io_cb,
	    sh);
	if (sh->io_ev == NULL || event_add(sh->io_ev, NULL) == -1 ||
	    session_watch(n->base, sh->ctx, sh->io_ev) == -1)
		goto fail;
	return sh;
fail:
	if (sh->io_ev != NULL)
		event_free(sh->io_ev);
	res_free(sh);
	if (sh->ctx != NULL) {
		session_unwatch(sh->ctx);
		coap_free_context(sh->ctx);
	}
	free(sh);
	return NULL;
}

/* A device is done (deregistered, or gave up): the stop goes on, and the
 * loop ends with the last one. link.c tells it through n->dev_done. */
static void
shard_done(struct node_dev *d)
{
	struct node *n = d->node;
	struct timeval zero = { 0, 0 };

	if (d->stop_wait) {
		d->stop_wait = 0;
		n->stop_inflight--;
		if (n->stop_next < n->ndevs)
			evtimer_add(n->stop_ev, &zero);
	}
	if (n->live > 0 && --n->live == 0 && n->stopping)
		event_base_loopbreak(n->base);
}

/* obj.clock_of of a fleet: a device's /3/0/14 and /3/0/15 once written
 * (d->clock). A device whose /5/0 was never made (fwops) was never
 * written either: a write makes it first. */
static struct obj_clock *
shard_clock_of(void *arg, const struct fw *fw, int make)
{
	struct node *n = arg;
	struct node_dev *d = n->fwops != NULL ? n->fwops->dev_of(n, fw) :
	    NULL;

	if (d == NULL)
		return NULL;
	if (d->clock == NULL && make) {
		if ((d->clock = malloc(sizeof(*d->clock))) == NULL)
			return NULL;
		*d->clock = n->obj.clock;
	}
	return d->clock;
}

int
shard_init(struct node *n)
{
	size_t per, i;
	struct node_dev *d;
	int level = log_get_level();

	n->dev_done = shard_done;
	coap_startup();
	coap_set_log_handler(shard_coap_log);
	coap_set_log_level(level >= LOG_LEVEL_DEBUG ? LOG_INFO : LOG_ERR);
	if ((n->links = link_payload(n->obj.table, n->cfg.fleet > 0)) ==
	    NULL)
		return -1;
	if (n->cfg.fleet > 0)
		n->obj.clock_of = shard_clock_of;
	n->ndevs = n->cfg.fleet > 0 ? (size_t)n->cfg.fleet : 1;
	per = n->cfg.fleet > 0 ? (size_t)n->cfg.shard : 1;
	n->nshards = (n->ndevs + per - 1) / per;
	if ((n->devs = calloc(n->ndevs, sizeof(*n->devs))) == NULL ||
	    (n->shards = calloc(n->nshards, sizeof(*n->shards))) == NULL)
		return -1;
	for (i = 0; i < n->nshards; i++) {
		size_t first = i * per;
		size_t count = n->ndevs - first < per ? n->ndevs - first : per;

		if ((n->shards[i] = shard_new(n, first, count)) == NULL)
			return -1;
	}
	for (i = 0; i < n->ndevs; i++) {
		d = &n->devs[i];
		d->node = n;
		d->shard = n->shards[i / per];
		d->fd = -1;
		if (n->cfg.fleet > 0)
			snprintf(d->ep, sizeof(d->ep), "%s%u", n->cfg.prefix,
			    (unsigned)i);
		else
			snprintf(d->ep, sizeof(d->ep), "%s", n->cfg.endpoint);
		if ((d->timer = evtimer_new(n->base, link_timer_cb, d)) ==
		    NULL)
			return -1;
		reg_init(&d->reg, &n->params, &link_reg_ops, d,
		    node_random(n));
		if (n->bs_len > 0 && bsc_init(d) == -1)
			return -1;
	}
	n->live = n->ndevs;
	return 0;
}

void
shard_start(struct node *n)
{
	int64_t now = node_now_ms(), spread_ms, delay;
	size_t i;

	if (n->cfg.fleet == 0)
		spread_ms = 0;
	else if (n->cfg.spread >= 0)
		spread_ms = (int64_t)n->cfg.spread * 1000;
	else
		spread_ms = n->ndevs * 2 > 30000 ? 30000 :
		    (int64_t)n->ndevs * 2;	/* N/500 s */
	for (i = 0; i < n->ndevs; i++) {
		delay = spread_ms == 0 ? 0 : (int64_t)(node_random(n) %
		    (uint64_t)(spread_ms + 1));
		if (n->devs[i].bsc != NULL)
			bsc_start(&n->devs[i], delay);
		else
			reg_start(&n->devs[i].reg, now, delay);
	}
	if (n->cfg.fleet > 0)
		log_info("fleet: %zu devices in %zu shards, %s over %.1f s",
		    n->ndevs, n->nshards, n->bs_len > 0 ? "bootstrapping" :
		    "registering", (double)spread_ms / 1000);
}

static void
shard_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct node *n = arg;

	(void)fd;
	(void)what;
	if (n->live > 0)
		log_info("stopping without the answer of %zu "
		    "deregistration%s", n->live, n->live == 1 ? "" : "s");
	event_base_loopbreak(n->base);
}

/*
 * Stops the next devices, keeping at most SHARD_STOP_WINDOW deregistrations
 * in flight; each answer (REG_NOTE_DONE) calls this again.
 */
static void
shard_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct node *n = arg;
	int64_t now = node_now_ms();
	struct node_dev *d;

	(void)fd;
	(void)what;
	while (n->stop_next < n->ndevs && n->stop_inflight < SHARD_STOP_WINDOW) {
		d = &n->devs[n->stop_next++];
		bsc_stop(d);
		d->stop_wait = 1;
		n->stop_inflight++;
		if (!reg_stop(&d->reg, now) && d->stop_wait) {
			d->stop_wait = 0;	/* done without a message */
			n->stop_inflight--;
		}
		if (d->reset)
			session_free(d);
	}
	if (n->live == 0)
		event_base_loopbreak(n->base);
}

void
shard_stop(struct node *n)
{
	struct timeval zero = { 0, 0 }, wait;

	if (n->stopping)
		return;
	n->stopping = 1;
	wait.tv_sec = n->cfg.deregister_wait_ms / 1000;
	wait.tv_usec = (n->cfg.deregister_wait_ms % 1000) * 1000;
	n->stop_ev = evtimer_new(n->base, shard_stop_cb, n);
	n->exit_ev = evtimer_new(n->base, shard_exit_cb, n);
	if (n->stop_ev == NULL || n->exit_ev == NULL) {
		event_base_loopbreak(n->base);
		return;
	}
	evtimer_add(n->exit_ev, &wait);
	evtimer_add(n->stop_ev, &zero);
}

void
shard_free(struct node *n)
{
	size_t i;

	/* Whatever libcoap says while it frees must not reach a device. */
	for (i = 0; n->devs != NULL && i < n->ndevs; i++) {
		if (n->devs[i].session != NULL)
			coap_session_set_app_data(n->devs[i].session, NULL);
		if (n->devs[i].timer != NULL)
			event_free(n->devs[i].timer);
		bsc_free(&n->devs[i]);
		free(n->devs[i].clock);
	}
	for (i = 0; n->shards != NULL && i < n->nshards; i++) {
		struct shard *sh = n->shards[i];

		if (sh == NULL)
			continue;
		if (sh->io_ev != NULL)
			event_free(sh->io_ev);
		res_free(sh);
		session_unwatch(sh->ctx);
		coap_free_context(sh->ctx);
		free(sh);
	}
	if (n->stop_ev != NULL)
		event_free(n->stop_ev);
	if (n->exit_ev != NULL)
		event_free(n->exit_ev);
	free(n->shards);
	free(n->devs);
	free(n->resets);
	n->resets = NULL;
	free(n->links);
	n->links = NULL;
	coap_cleanup();
}

