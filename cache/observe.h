/*
 * observe.h: one observation per device resource, however many clients
 * want it (RFC 7641 3.1). Observations are kept in the store and made again
 * whenever the device registers or updates (after a gateway restart, a
 * device re-registering, or a sleeping device waking), so that a client
 * asks once and the values keep coming into the cache and the event stream.
 */
#ifndef OUTPOST_OBSERVE_H
#define OUTPOST_OBSERVE_H

struct gateway;
struct http_exchange;

/* The device was heard from: establish what it should have. */
void	observe_wake(struct gateway *gw, const char *ep);

/* Forgets ep's observations (decommission), in the current batch. */
void	observe_drop_device(struct gateway *gw, const char *ep);

/* POST and DELETE /v1/devices/{ep}/observe/{path...}; GET /v1/observations */
void	observe_http(struct http_exchange *hx);
void	observe_list_http(struct http_exchange *hx);

#endif /* OUTPOST_OBSERVE_H */
