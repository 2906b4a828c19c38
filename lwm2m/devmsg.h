/*
 * devmsg.h: a request to a device and its answer, as plain data: what the
 * queue keeps, the cache records and the CoAP face (modules/coap/devreq.c)
 * sends and receives. No transport here.
 */
#ifndef OUTPOST_DEVMSG_H
#define OUTPOST_DEVMSG_H

#include <stddef.h>
#include <stdint.h>

#define DEVREQ_PATH_MAX	256
#define DEVREQ_QUERY_MAX	256	/* bytes of a query, with its NUL */
#define DEVREQ_LOCATION_MAX	256	/* bytes of a Location-Path, NUL too */

/* The CoAP method codes (RFC 7252, RFC 8132). */
enum devreq_method {
	DEVREQ_GET = 1,
	DEVREQ_POST = 2,
	DEVREQ_PUT = 3,
	DEVREQ_DELETE = 4,
	DEVREQ_FETCH = 5,
	DEVREQ_IPATCH = 7,
};

/* What to send. devreq_send copies everything it needs. */
struct devreq_spec {
	enum devreq_method	 method;
	const char		*path;		/* "3/0/1": decoded segments; ""
						   for the root */
	const char		*query;		/* Uri-Query options joined by
						   '&' ("pmin=5&lt"), or NULL */
	int			 content_format; /* COAPMAP_NONE (-1) for none */
	int			 accept;	/* -1 for none */
	const uint8_t		*body;
	size_t			 len;
	unsigned		 timeout_s;
};

enum devresp_kind {
	DEVRESP_ANSWER,		/* the device answered: cls/detail/... set */
	DEVRESP_TIMEOUT,	/* no answer within the timeout */
	DEVRESP_UNREACHABLE,	/* no route, the route went, or RST/ICMP */
};

/* The outcome; body and location are valid only during the callback. */
struct devresp {
	enum devresp_kind	 kind;
	int			 cls, detail;
	int			 content_format;	/* -1: none */
	int			 has_max_age;
	uint32_t		 max_age;
	const char		*location;	/* Location-Path ("33605/0"), or
						   NULL */
	const uint8_t		*body;
	size_t			 len;
};

struct devreq;
struct devobs;

typedef void (*devreq_cb)(const struct devresp *resp, void *arg);

/* An observation's answer and each notification with its Observe number
 * (seq), then seq -1 once when it ends. */
typedef void (*devobs_cb)(const struct devresp *resp, long seq, void *arg);

#endif /* OUTPOST_DEVMSG_H */
