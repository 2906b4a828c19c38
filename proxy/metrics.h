/*
 * metrics.h: /metrics, the Prometheus text exposition of the counters in
 * struct gateway (gateway.h), and the count of HTTP answers by route.
 */
#ifndef OUTPOST_METRICS_H
#define OUTPOST_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct gateway;
struct metrics;

/* Counts one HTTP request answered with status on route. */
void	metrics_http_count(struct metrics *m, const char *route, int status);

/*
 * Counts a proxied request answered with status (499: its client went)
 * in the latency histogram of its outcome: px as forward.c set it, an
 * answer of the device or the cache that is an error counts as one, a
 * queued op that was not stored (429, 5xx) as well.
 */
struct timespec;
void	metrics_proxy_count(struct metrics *m, int px, int status,
	    const struct timespec *t0);

/*
 * What /metrics shows of /proc/self/stat (proc(5)): CPU time in clock
 * ticks (utime, stime), the start in ticks after boot, the virtual size
 * in bytes, the resident set in pages. Parses buf[0..len) into *pr: 0, or
 * -1 when it is not such a line.
 */
struct metrics_proc {
	uint64_t	utime, stime, starttime, vsize, rss;
};
int	metrics_proc_stat(const char *buf, size_t len, struct metrics_proc *pr);

/* Appends the Prometheus text exposition of everything to out. */
void	metrics_render(struct gateway *gw, struct evbuffer *out);

#endif /* OUTPOST_METRICS_H */
