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

#include "lwm2m/dmparse.h"

struct gateway;

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
 * In-process listeners (campaigns, jobs) get every value an observation
 * brings (the first answer and each notification, 2.xx only, none older
 * than the cache's), after the cache and the event stream, in the order
 * they were added. One may release an observation while it is told: one
 * whose last hold goes then is freed at the next turn of the loop. Adding
 * returns 0, or -1 when all
 * OBSERVE_LISTENERS_MAX are taken.
 */
#define OBSERVE_LISTENERS_MAX	4
typedef void (*observe_listener)(struct gateway *gw, const char *ep,
    const char *path, int content_format, const uint8_t *body, size_t len,
    void *arg);
int	observe_add_listener(struct gateway *gw, observe_listener fn,
	    void *arg);

/*
 * A client's observation (POST /v1/devices/{ep}/observe/{path}): put
 * stores it in the current batch (the caller waits for it to be durable,
 * then calls observe_establish); del forgets it (1: there was none).
 */
enum observe_put {
	OBSERVE_PUT_NEW,
	OBSERVE_PUT_EXISTS,	/* a client observes it already: one each */
	OBSERVE_PUT_TOO_LONG,	/* ep or path too long */
	OBSERVE_PUT_DEVICE_CAP,	/* [cache] max_observations_per_device */
	OBSERVE_PUT_CAP,	/* [cache] max_observations */
	OBSERVE_PUT_FAILED,	/* no memory, or the store refused */
};
enum observe_put observe_client_put(struct gateway *gw, const char *ep,
	    const char *path);
int	observe_client_del(struct gateway *gw, const char *ep,
	    const char *path);
void	observe_establish(struct gateway *gw, const char *ep,
	    const char *path);

/*
 * A client's composite observation (POST /v1/devices/{ep}/observe-composite,
 * LwM2M 1.1 Observe-Composite): one CoAP observation, a FETCH of the
 * device's root naming paths[0..n) (a set as dm_composite_set gives it:
 * sorted, each path once), known by ep and the set's id (dm_composite_id,
 * written into id by put). It is stored, counted against the caps (one
 * observation, whatever its paths), made again and ordered as a single
 * one is. Each notification is split by record (lwm2m/senml_split.h):
 * every path's value goes into the cache as a one-record SenML JSON pack,
 * and the notification is one "notification" event with the composite's
 * paths and its records; a record outside the paths is dropped (counted).
 * put stores it in the current batch (OBSERVE_PUT_EXISTS: a client
 * observes that set already; OBSERVE_PUT_TOO_LONG: ep too long, or the
 * paths' SenML names over OBSERVE_COMPOSITE_NAMES_MAX bytes); del forgets
 * it (1: there was none).
 */
#define OBSERVE_COMPOSITE_NAMES_MAX	1024	/* bytes of a composite's
					   FETCH body: one CoAP message, as
					   its cancel repeats it whole */
enum observe_put observe_composite_put(struct gateway *gw, const char *ep,
	    char paths[][DM_PATH_LEN], int n, char id[DM_COMPOSITE_ID_LEN + 1]);
int	observe_composite_del(struct gateway *gw, const char *ep,
	    const char *id);
void	observe_composite_establish(struct gateway *gw, const char *ep,
	    const char *id);

/* An observation as the API shows it; the strings live as long as it. */
struct observe_view {
	const char	*ep;
	const char	*path;		/* NULL for a composite */
	const char	*key;		/* its place in a list: the path, or
					   "observe-composite/ID" */
	const char	*id;		/* a composite's, or NULL */
	char		(*paths)[DM_PATH_LEN];	/* a composite's set */
	int		 npaths;
	int		 established;	/* a live CoAP observation now */
	int		 client;	/* a client's, stored */
	int		 held;		/* a module holds it */
	uint64_t	 notifications;
	uint64_t	 dropped;	/* a composite's records outside its
					   paths */
	uint64_t	 refused;	/* a composite's notifications that
					   were no SenML of LwM2M paths */
	int64_t		 last_at;	/* unix seconds of the last value, or 0 */
};
int	observe_composite_get(struct gateway *gw, const char *ep,
	    const char *id, struct observe_view *v);
int	observe_get(struct gateway *gw, const char *ep, const char *path,
	    struct observe_view *v);
/* Calls fn for each observation (of ep only, unless ep is NULL). */
void	observe_walk(struct gateway *gw, const char *ep,
	    void (*fn)(const struct observe_view *v, void *arg), void *arg);

/* Calls fn with the ep of each observation not established now, until fn
 * returns nonzero; returns that value, or 0. (The CoAP face's answer to a
 * notification of an observation of before a restart.) */
int	observe_walk_dormant(struct gateway *gw,
	    int (*fn)(const char *ep, void *arg), void *arg);

/* The observations held (for /metrics): those with a live CoAP
 * observation now, and those waiting for their device. A walk of them,
 * at most [cache] max_observations. */
void	observe_counts(struct gateway *gw, size_t *established,
	    size_t *dormant);

#endif /* OUTPOST_OBSERVE_H */
