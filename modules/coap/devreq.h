/*
 * devreq.h: requests from the gateway to a device, over CoAP, on the
 * device's own session (the session of its latest register or update, so
 * the request reaches it through its NAT). At most [proxy] nstart requests
 * are outstanding per device; the others wait in order. No libcoap types
 * here: the HTTP side (proxy/) uses this interface, and the layers below
 * reach the same functions through gw->hooks (gateway.h).
 */
#ifndef OUTPOST_DEVREQ_H
#define OUTPOST_DEVREQ_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/devmsg.h"

struct gateway;
struct devreq;

/*
 * Sends spec to the device registered as ep, or queues it behind the ones
 * outstanding. cb is called exactly once, unless the request is cancelled
 * first. Returns NULL (cb not called) when the device has no usable route:
 * not registered, no live session, or the session is gone.
 */
struct devreq	*devreq_send(struct gateway *gw, const char *ep,
		    const struct devreq_spec *spec, devreq_cb cb, void *arg);

/*
 * Observations (RFC 7641): devreq_observe sends spec's request with
 * Observe=0 (a GET of a path; for an LwM2M Observe-Composite, a FETCH of
 * the root whose body names the paths, RFC 8132) and calls cb for the
 * answer and every notification after it, with the notification's Observe
 * sequence number (seq), until the observation ends: then cb gets seq -1
 * (an answer without Observe, an error, no answer, or the route going
 * away) and the observation is freed after the call. spec's timeout_s is
 * not used; what it points to is copied. devobs_cancel ends it from our
 * side (the same request with Observe=1 goes to the device if it can be
 * reached); cb is not called again.
 */

struct devobs	*devreq_observe(struct gateway *gw, const char *ep,
		    const struct devreq_spec *spec, devobs_cb cb, void *arg);
void		 devobs_cancel(struct devobs *o);

/* Forgets a request; its callback will not be called. */
void		 devreq_cancel(struct devreq *req);

/* Whether ep has a live route (a session the gateway can send on). */
int		 devreq_routable(struct gateway *gw, const char *ep);

/* Whether the gateway can reach d now: awake, on a live route, and (for a
 * device behind NAT) heard from within [proxy] nat_window. */
struct device;
int		 devreq_reachable(struct gateway *gw, struct device *d);

/* For the registry: d replaces old (a re-registration; the route and what
 * waits on it move along), or d is about to be freed (its route ends). */
void		 devreq_device_replaced(struct device *old, struct device *d);
void		 devreq_device_gone(struct device *d);
void		 devreq_device_state(struct device *d, int was);

/* Ends ep's route (decommissioned, deregistered): what waits on it fails. */
void		 devreq_drop_route(struct gateway *gw, const char *ep);

#endif /* OUTPOST_DEVREQ_H */
