/*
 * coap.h: the agent's CoAP side (link.c: contexts, sessions, registration
 * messages; res.c: the resources and their handlers; observe.c: when
 * observers are notified). Only these files include libcoap's headers.
 */
#ifndef OUTPOST_NODE_COAP_H
#define OUTPOST_NODE_COAP_H

#include <coap3/coap.h>
#include <event2/util.h>

#include "node/attr.h"
#include "node/health.h"
#include "node/node.h"

enum res_kind {
	RES_ONE,		/* /3/0/N, /5/0/N */
	RES_INSTANCE,		/* /3/0, /5/0 */
	RES_HEALTH,		/* /health */
	RES_CONFIG,		/* /config */
};

enum obs_kind {
	OBS_EVENT,		/* notified when the value is changed */
	OBS_TICK,		/* changes every second: /3/0/13 */
	OBS_SAMPLED,		/* sampled while observed, notified on moves */
};

struct res_slot;

/*
 * The observation of one resource in one shard. libcoap keeps the observers;
 * this keeps when to notify them: pmin and pmax (the smallest any observer
 * asked for, the defaults otherwise), and a timer that runs only while the
 * resource has observers. Whether any are left is learnt when notifying.
 */
struct obs {
	struct res_slot		*slot;
	struct event		*timer;		/* made on first use */
	enum obs_kind		 kind;
	int			 active;	/* observed, timer in use */
	int			 pmin, pmax;	/* seconds, in effect */
	int			 attr_pmin;	/* Write-Attributes, -1: none */
	int			 attr_pmax;
	int			 pending;	/* a change waits for pmin */
	int64_t			 last_ms;	/* last notification */
	struct health_figures	 base;		/* figures last notified */
	int64_t			 base_battery;
	int64_t			 base_error;
};

/* One resource in one shard. */
struct res_slot {
	struct shard		*shard;
	coap_resource_t		*res;
	enum res_kind		 kind;
	uint16_t		 oid, rid;
	struct obs		 obs;
};

struct shard {
	struct node		*node;
	coap_context_t		*ctx;
	struct event		*io_ev;		/* the epoll fd, readable */
	coap_endpoint_t		*listen;	/* [node] listen */
	size_t			 first;		/* devices [first, first+n) */
	size_t			 ndevs;
	struct res_slot		*slots;
	size_t			 nslots;
	int			 radio_off;	/* io_ev removed */
};

/* link.c: each device's session to the gateway and its messages. */

/* The device a request came to: the session's own, or for a request from
 * another peer (to [node] listen) the shard's first device. */
struct node_dev *link_dev_of(struct shard *sh, coap_session_t *s);
/* Registers the response and nack handlers of the devices on ctx. */
void	link_context(coap_context_t *ctx);
void	link_coap_address(coap_address_t *a, const struct sockaddr_storage *ss,
	    socklen_t len);
/* Event callbacks: a shard's epoll fd (arg: the shard), a device's timer
 * (arg: the device). */
void	link_io_cb(evutil_socket_t fd, short what, void *arg);
void	link_timer_cb(evutil_socket_t fd, short what, void *arg);
/* Drops a device's session (never from inside a libcoap handler). */
void	link_session_free(struct node_dev *d);
extern const struct reg_ops link_reg_ops;

/* shard.c: a device's registration ended (REG_NOTE_DONE). */
void	shard_done(struct node_dev *d);

/* res.c: the resources of a shard (fleets get /3/0 and /health only). */
int	res_init(struct shard *sh, int full);
void	res_free(struct shard *sh);
/* obj.changed hook: notifies the observers of /oid/0/rid and /oid/0. */
void	res_obj_changed(void *arg, uint16_t oid, uint16_t rid);

/* observe.c */
void	obs_init(struct obs *o, struct res_slot *slot, enum obs_kind kind);
void	obs_start(struct obs *o, const struct attr *a);
void	obs_changed(struct obs *o);
void	obs_free(struct obs *o);

#endif /* OUTPOST_NODE_COAP_H */
