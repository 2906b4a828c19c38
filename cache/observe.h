/*
 * observe.h: one observation per device resource, however many clients
 * want it (RFC 7641 3.1). Observations are kept in the store and made again
 * whenever the device registers or updates (after a gateway restart, a
 * device re-registering, or a sleeping device waking), so that a client
 * asks once and the values keep coming into the cache and the event stream.
 */
#ifndef OUTPOST_OBSERVE_H
#define OUTPOST_OBSERVE_H

#include <stddef.h>
#include <stdint.h>

struct gateway;
struct http_exchange;

/* The device was heard from: establish what it should have. */
void	observe_wake(struct gateway *gw, const char *ep);

/* Forgets ep's observations (decommission), in the current batch. */
void	observe_drop_device(struct gateway *gw, const char *ep);

/*
 * The gateway's own interest in ep's path (a campaign watching /5/0/3):
 * the observation is made (now, or when the device is next heard from)
 * and kept while anyone holds it, a client's POST or a module's hold.
 * Holds are not stored: the holder makes them again after a restart.
 */
int	observe_hold(struct gateway *gw, const char *ep, const char *path);
void	observe_release(struct gateway *gw, const char *ep, const char *path);

/*
 * One in-process listener gets every value an observation brings (the
 * first answer and each notification, 2.xx only, none older than the
 * cache's), after the cache and the event stream. It must not release
 * an observation (that waits for a later turn of the loop).
 */
typedef void (*observe_listener)(struct gateway *gw, const char *ep,
    const char *path, int content_format, const uint8_t *body, size_t len,
    void *arg);
void	observe_set_listener(struct gateway *gw, observe_listener fn,
	    void *arg);

/* POST and DELETE /v1/devices/{ep}/observe/{path...}; GET /v1/observations */
void	observe_http(struct http_exchange *hx);
void	observe_list_http(struct http_exchange *hx);

#endif /* OUTPOST_OBSERVE_H */
