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

/* Appends the Prometheus text exposition of everything to out. */
void	metrics_render(struct gateway *gw, struct evbuffer *out);

#endif /* OUTPOST_METRICS_H */
