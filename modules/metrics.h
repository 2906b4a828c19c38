/*
 * metrics.h: counters the gateway keeps and /metrics shows in Prometheus
 * text format. Plain integers bumped on the reactor thread; no locks.
 */
#ifndef OUTPOST_METRICS_H
#define OUTPOST_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct gateway;

#define METRICS_HTTP_MAX	64	/* distinct (route, status) pairs kept */

struct metrics_http {
	const char	*route;		/* static string from the route table */
	int		 status;
	uint64_t	 count;
};

struct metrics {
	uint64_t		registrations;
	uint64_t		updates;
	uint64_t		deregistrations;
	uint64_t		expiries;
	uint64_t		decommissions;
	uint64_t		coap_in;	/* requests handled */
	uint64_t		coap_out;	/* responses sent */
	uint64_t		coap_bad;	/* requests refused as malformed */
	uint64_t		dtls_refused;	/* handshakes failed, requests
						   refused for their credential */
	uint64_t		dtls_accepted;	/* handshakes that presented a
						   provisioned credential */
	struct metrics_http	http[METRICS_HTTP_MAX];
	size_t			nhttp;
};

/* Counts one HTTP request answered with status on route. */
void	metrics_http_count(struct metrics *m, const char *route, int status);

/* Appends the Prometheus text exposition of everything to out. */
void	metrics_render(struct gateway *gw, struct evbuffer *out);

#endif /* OUTPOST_METRICS_H */
