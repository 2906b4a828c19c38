/*
 * cache.h: the latest representation of device resources, as the gateway
 * last read or was notified of them, served to management clients without
 * waking devices. Bounded by [cache] max_entries and max_bytes; the least
 * recently used entry goes first. In memory only: a restart starts cold.
 */
#ifndef OUTPOST_CACHE_H
#define OUTPOST_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct gateway;

#define CACHE_DEFAULT_MAX_AGE	60	/* RFC 7252 5.10.5 */
#define CACHE_ETAG_LEN		18	/* "0123456789abcdef" with quotes */
#define CACHE_TIME_LEN		20	/* "2026-11-23T22:34:28Z" */

/* One cached representation; owned by the cache, valid until the next
 * cache_put or cache_drop_device. */
struct cache_entry {
	int		 content_format;	/* -1: none */
	uint32_t	 max_age;		/* seconds of freshness */
	int64_t		 observed_at;		/* unix seconds */
	uint64_t	 notifications;
	char		 etag[CACHE_ETAG_LEN + 1];
	/* observed_at as gw_time_str writes it, made by the first
	 * cache_get of the value: the X-Observed-At of every cached read. */
	char		 observed[CACHE_TIME_LEN + 1];
	const uint8_t	*body;
	size_t		 len;
};

int		 cache_init(struct gateway *gw);
void		 cache_free(struct gateway *gw);

/*
 * Keeps body as the value of ep's path (max_age < 0: the CoAP default);
 * notification says it came as one (it is counted). The order of
 * notifications is their observation's to keep (RFC 7641 3.4 orders the
 * notifications of one observation, not of a path: cache/observe.c): the
 * cache takes the latest value it is given.
 * Returns 1 when stored, 0 when too large, -1 on error.
 */
int		 cache_put(struct gateway *gw, const char *ep, const char *path,
		    int content_format, long max_age, const uint8_t *body,
		    size_t len, int notification);

/* The entry for ep's path, or NULL. Counts as a use for the LRU order. */
const struct cache_entry *cache_get(struct gateway *gw, const char *ep,
		    const char *path);

/* Seconds since the entry was observed, and whether it is still fresh. */
int64_t		 cache_age(const struct cache_entry *e);
int		 cache_fresh(const struct cache_entry *e);

/* Forgets ep's path: what the gateway heard of it no longer holds (the
 * device accepted a request that changed it). */
void		 cache_forget(struct gateway *gw, const char *ep,
		    const char *path);

/* Forgets everything about ep (decommissioned). */
void		 cache_drop_device(struct gateway *gw, const char *ep);

/*
 * Told of each number in every value cache_put is given, the same value
 * again included (lwm2m/numvals.h splits it; a value is split once, for all
 * listeners): ep, the number's own path ("3/0/9", "health/cpu_pct"), the
 * number and its time (unix ms). Called during cache_put, before it
 * returns; a listener copies what it keeps and calls no cache_put. History
 * and alarms (modules/health/) listen. At most CACHE_MAX_LISTENERS.
 */
#define CACHE_MAX_LISTENERS	4
typedef void (*cache_number_cb)(struct gateway *gw, const char *ep,
    const char *path, double v, int64_t t_ms, void *arg);
int		 cache_add_number_listener(struct gateway *gw,
		    cache_number_cb cb, void *arg);

/* Entries and bytes held, for /metrics. */
void		 cache_stats(struct gateway *gw, size_t *entries, size_t *bytes);

#endif /* OUTPOST_CACHE_H */
