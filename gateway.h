/*
 * gateway.h: the gateway's one state struct, owned by main (main.c), and
 * the table through which modules plug in. Every layer includes this file,
 * so it includes nothing of theirs: the struct names them only by pointer.
 */
#ifndef OUTPOST_GATEWAY_H
#define OUTPOST_GATEWAY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config/config.h"

/*
 * Counters the gateway keeps and /metrics shows (proxy/metrics.c). Plain
 * integers bumped on the reactor thread; no locks.
 */
#define METRICS_HTTP_MAX	64	/* distinct (route, status) pairs kept */

struct metrics_http {
	const char	*route;		/* static string from the route table */
	int		 status;
	uint64_t	 count;
};

/*
 * A histogram of the Prometheus kind: counts by upper bound (each bucket
 * its own, made cumulative when shown; the last one is +Inf), their sum
 * and count. Observing costs a walk of the bounds; nothing is allocated.
 */
#define METRICS_BUCKETS_MAX	16	/* bounds of a histogram, +Inf apart */

struct metrics_buckets {
	const double	*le;		/* upper bounds, ascending */
	size_t		 n;		/* at most METRICS_BUCKETS_MAX */
};

struct metrics_hist {
	uint64_t	 bucket[METRICS_BUCKETS_MAX + 1];
	uint64_t	 count;
	double		 sum;
};

/* Proxied requests (proxy/forward.c) by how they ended. */
enum metrics_proxy {
	MPX_NONE,		/* not proxied: refused before it could be */
	MPX_OK,			/* the device answered 2.xx */
	MPX_ERROR,		/* it answered an error, or could not be asked */
	MPX_TIMEOUT,		/* it did not answer in time */
	MPX_QUEUED,		/* stored in its queue (202) */
	MPX_CACHED,		/* answered from the cache */
	MPX_CLOSED,		/* the client went before its answer */
	MPX__COUNT
};

/* Queued ops (modules/device/queue.c) by how they ended. */
enum metrics_op {
	MOP_DONE,		/* the device answered */
	MOP_FAILED,		/* it never did, attempts spent */
	MOP_EXPIRED,		/* its ttl passed before delivery */
	MOP__COUNT
};

/* Proxied requests: 5 ms .. 60 s, a LAN to a congested NB-IoT link. */
extern const struct metrics_buckets metrics_proxy_buckets;
/* Queued ops, created to ended: 1 s .. a week (sleeping devices). */
extern const struct metrics_buckets metrics_op_buckets;

/* Counts v (seconds) in h, whose bounds are b. */
void	metrics_observe(struct metrics_hist *h, const struct metrics_buckets *b,
	    double v);

struct metrics {
	uint64_t		registrations;
	uint64_t		updates;
	uint64_t		deregistrations;
	uint64_t		expiries;
	uint64_t		decommissions;
	uint64_t		coap_in;	/* requests handled */
	uint64_t		coap_responses;	/* responses and notifications
						   from devices */
	uint64_t		coap_out;	/* responses sent */
	uint64_t		coap_bad;	/* requests refused as malformed */
	uint64_t		dtls_refused;	/* handshakes failed, requests
						   refused for their credential */
	uint64_t		dtls_accepted;	/* handshakes that presented a
						   provisioned credential */
	uint64_t		coap_walks;	/* libcoap's session walks */
	uint64_t		coap_walks_deferred;
	uint64_t		coap_sessions_held;	/* now: sessions that
							   route a device */
	uint64_t		coap_sessions_freed;	/* idle or evicted */
	uint64_t		events_formatted;	/* events made text for
							   a reader */
	struct metrics_http	http[METRICS_HTTP_MAX];
	size_t			nhttp;
	struct metrics_hist	proxy[MPX__COUNT];	/* latency, seconds */
	struct metrics_hist	op[MOP__COUNT];		/* queued, seconds */
	double			start_time;	/* the process's, unix
						   seconds; 0 until shown */
	/* The cloud link (cloud/cloud.c). */
	int			cloud_on;	/* [cloud] broker is set */
	int			cloud_connected;
	uint64_t		cloud_connects;
	uint64_t		cloud_published;	/* events acknowledged */
	uint64_t		cloud_requests[6];	/* by status class:
							   [0] none, [2] 2xx .. */
};

struct gateway;
struct event_base;
struct device;
struct devreq;
struct devreq_spec;
struct devresp;
struct devobs;
struct fw_image;
struct bs_link;

/*
 * How the layers below the CoAP face reach it without calling up: the face
 * (modules/coap/) fills these at init and clears them at stop. Each may be
 * NULL (no face runs: the domain's unit tests, or the gateway stopping);
 * a caller then takes the device as unreachable, or skips the notice.
 */
struct gw_hooks {
	/* The device link (modules/coap/devreq.c): whether d can be reached
	 * now; send a request (NULL: no route, cb is not called); observe
	 * what a request reads, a GET of a path or a FETCH of several
	 * (NULL: not now), and cancel that; cancel a request. */
	int		 (*dev_reachable)(struct gateway *gw, struct device *d);
	struct devreq	*(*dev_send)(struct gateway *gw, const char *ep,
			    const struct devreq_spec *spec,
			    void (*cb)(const struct devresp *, void *), void *arg);
	struct devobs	*(*dev_observe)(struct gateway *gw, const char *ep,
			    const struct devreq_spec *spec,
			    void (*cb)(const struct devresp *, long, void *),
			    void *arg);
	void		 (*dev_observe_cancel)(struct devobs *o);

	/* The registry's notices: d replaces old (a re-registration), d is
	 * about to be freed, d's state changed (it was was: an enum
	 * device_state). */
	void		 (*dev_replaced)(struct device *old, struct device *d);
	void		 (*dev_gone)(struct device *d);
	void		 (*dev_state)(struct device *d, int was);

	/* A credential changed or went: end ep's route (what waits on it
	 * fails); close its DTLS sessions. */
	void		 (*route_drop)(struct gateway *gw, const char *ep);
	void		 (*dtls_close)(struct gateway *gw, const char *ep);

	/* Firmware (modules/coap/fwserve.c): serve img, stop serving it,
	 * announce it to the multicast groups (-1: no group could be used). */
	void		 (*image_added)(struct gateway *gw,
			    const struct fw_image *img);
	void		 (*image_gone)(struct gateway *gw,
			    const struct fw_image *img);
	int		 (*image_announce)(struct gateway *gw,
			    const struct fw_image *img);

	/* The bootstrap server (modules/coap/bsserve.c): send a request on
	 * a device's bootstrap session. 0: sent, and cb is called exactly
	 * once (the answer; DEVRESP_TIMEOUT after spec->timeout_s;
	 * DEVRESP_UNREACHABLE when the session goes, before
	 * bootstrap_link_gone); -1: not sent, cb is never called. */
	int		 (*bs_send)(struct gateway *gw, struct bs_link *link,
			    const struct devreq_spec *spec,
			    void (*cb)(const struct devresp *, void *),
			    void *arg);
};

struct store;
struct registry;
struct coap_server;
struct queue;
struct events;
struct webhook;
struct stream;
struct cache;
struct observe;
struct http_server;
struct firmware;
struct campaigns;
struct jobs;
struct history;
struct alarms;
struct devlogs;
struct fwserve;
struct tags_pending;
struct cred_pending;
struct cred_turn;
struct bootstrap;
struct forward_groups;
struct lwm2m_model;
struct cloud;
struct outbox;

struct gateway {
	struct event_base	*base;
	struct gw_config	 cfg;		/* replaced whole on reload */
	const char		*config_path;
	time_t			 started;
	int			 stopping;	/* modules are being stopped */

	struct store		*store;		/* store/store.c */
	struct registry		*registry;	/* modules/device/registry.c */
	struct queue		*queue;		/* modules/device/queue.c */
	struct events		*events;	/* cache/events.c */
	struct webhook		*webhook;	/* proxy/webhook.c, or NULL */
	struct stream		*stream;	/* proxy/stream.c */
	struct cache		*cache;		/* cache/cache.c */
	struct observe		*observe;	/* cache/observe.c */
	struct coap_server	*coap;		/* modules/coap/coap.c, rd.c */
	struct http_server	*http;		/* proxy/http.c */
	struct firmware		*firmware;	/* modules/firmware/firmware.c */
	struct campaigns	*campaigns;	/* modules/firmware/campaign.c */
	struct jobs		*jobs;		/* modules/jobs/job.c */
	struct history		*history;	/* modules/health/history.c */
	struct alarms		*alarms;	/* modules/health/alarm.c */
	struct devlogs		*devlogs;	/* modules/device/devlog.c */
	struct fwserve		*fwserve;	/* modules/coap/fwserve.c, with coap */
	struct cred_pending	*cred_pendings;	/* modules/device/cred.c:
						   writes not yet durable */
	struct cred_turn	*cred_turns;	/* cred.c: whose own key a
						   handshake tries first */
	struct bootstrap	*bootstrap;	/* modules/device/bootstrap.c */
	struct forward_groups	*forwards;	/* proxy/forward.c */
	struct lwm2m_model	*models;	/* modules/device/models.c: the
						   object model (NULL: built-in) */
	struct tags_pending	*tags_pending;	/* modules/device/tags.c: tag sets
						   staged, not committed */
	struct cloud		*cloud;		/* cloud/cloud.c, or NULL */
	struct outbox		*cloudbox;	/* its outbox (cache/outbox.c),
						   for metrics */
	struct metrics		 metrics;	/* proxy/metrics.c */
	struct gw_hooks		 hooks;		/* set by modules/coap/ */
};

/* sysexits(3) EX_CONFIG: what the operator must mend (a damaged store, a
 * store another gateway holds). */
#define GW_EX_CONFIG	78

/*
 * A module's hooks, each optional. init allocates and opens what the module
 * owns (-1 stops the gateway with exit 1; GW_EX_CONFIG with exit 78);
 * start binds listeners and arms events; check says whether a reloaded
 * config (fresh) may replace the running one (-1 with the reason in err
 * refuses the whole reload); reload applies a new config (gw->cfg already
 * holds it, old is the previous one); stop releases everything, in reverse
 * module order. While they stop, gw->stopping is set, and after each stop
 * the store's batch is committed: a write a stop causes in an earlier
 * module (coap's ending a request its owner records) completes while that
 * module lives.
 */
struct gw_module {
	const char	*name;
	int		(*init)(struct gateway *gw);
	int		(*start)(struct gateway *gw);
	int		(*check)(struct gateway *gw, const struct gw_config *fresh,
			    char *err, size_t errlen);
	void		(*reload)(struct gateway *gw, const struct gw_config *old);
	void		(*stop)(struct gateway *gw);
};

extern const struct gw_module store_module;
extern const struct gw_module registry_module;
extern const struct gw_module queue_module;
extern const struct gw_module webhook_module;
extern const struct gw_module cloud_module;
extern const struct gw_module stream_module;
extern const struct gw_module cache_module;
extern const struct gw_module observe_module;
extern const struct gw_module coap_module;
extern const struct gw_module http_module;
extern const struct gw_module forward_module;
extern const struct gw_module firmware_module;
extern const struct gw_module campaign_module;
extern const struct gw_module job_module;
extern const struct gw_module devlog_module;
extern const struct gw_module models_module;
extern const struct gw_module bootstrap_module;

/* Current time in unix seconds; the one clock of the registry. */
static inline int64_t
gw_now(void)
{
	return (int64_t)time(NULL);
}

/* Unix milliseconds: gw_now()'s second and the real clock's milliseconds
 * within it (so a test that moves gw_now's clock moves this one too). */
static inline int64_t
gw_now_ms(void)
{
	struct timespec ts;
	int64_t s = gw_now();

	clock_gettime(CLOCK_REALTIME, &ts);
	if ((int64_t)ts.tv_sec == s + 1)	/* the second turned between */
		return s * 1000 + 999;
	return s * 1000 + (int64_t)(ts.tv_nsec / 1000000);
}

/*
 * Memory for secrets (the gateway's state, which holds the configuration's
 * tokens; the DTLS key buffers): zeroed, whole pages left out of core
 * dumps (MADV_DONTDUMP), wiped when freed. NULL when the system refuses.
 */
void		*gw_secret_alloc(size_t len);
void		 gw_secret_free(void *p, size_t len);

/* Unix seconds as RFC 3339 UTC ("2026-11-23T22:34:28Z"), the one time
 * format of the API, the events and the headers; returns buf. */
#define GW_TIME_LEN	32
const char	*gw_time_str(int64_t t, char buf[GW_TIME_LEN]);

#endif /* OUTPOST_GATEWAY_H */
