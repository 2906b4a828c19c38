/*
 * gateway.h: the gateway's one state struct, owned by main, and the table
 * through which modules plug in.
 */
#ifndef OUTPOST_GATEWAY_H
#define OUTPOST_GATEWAY_H

#include <time.h>

#include "config/config.h"
#include "modules/metrics.h"

struct event_base;
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
struct fwserve;
struct tags_pending;

struct gateway {
	struct event_base	*base;
	struct gw_config	 cfg;		/* replaced whole on reload */
	const char		*config_path;
	time_t			 started;
	int			 stopping;	/* modules are being stopped */

	struct store		*store;		/* modules/store.c */
	struct registry		*registry;	/* modules/registry.c */
	struct queue		*queue;		/* modules/queue.c */
	struct events		*events;	/* modules/events.c */
	struct webhook		*webhook;	/* modules/webhook.c, or NULL */
	struct stream		*stream;	/* cache/stream.c */
	struct cache		*cache;		/* cache/cache.c */
	struct observe		*observe;	/* cache/observe.c */
	struct coap_server	*coap;		/* modules/coap.c, rd.c */
	struct http_server	*http;		/* proxy/http.c */
	struct firmware		*firmware;	/* modules/firmware.c */
	struct campaigns	*campaigns;	/* modules/campaign.c */
	struct fwserve		*fwserve;	/* modules/fwserve.c, with coap */
	struct tags_pending	*tags_pending;	/* modules/tags.c: tag sets
						   staged, not committed */
	struct metrics		 metrics;	/* modules/metrics.c */
};

/*
 * A module's hooks, each optional. init allocates and opens what the module
 * owns (a failure stops the gateway with exit 1); start binds listeners and
 * arms events; reload applies a new config (gw->cfg already holds it, old is
 * the previous one); stop releases everything, in reverse module order.
 * While they stop, gw->stopping is set, and after each stop the store's
 * batch is committed: a write a stop causes in an earlier module (coap's
 * ending a request its owner records) completes while that module lives.
 */
struct gw_module {
	const char	*name;
	int		(*init)(struct gateway *gw);
	int		(*start)(struct gateway *gw);
	void		(*reload)(struct gateway *gw, const struct gw_config *old);
	void		(*stop)(struct gateway *gw);
};

extern const struct gw_module store_module;
extern const struct gw_module registry_module;
extern const struct gw_module queue_module;
extern const struct gw_module webhook_module;
extern const struct gw_module stream_module;
extern const struct gw_module cache_module;
extern const struct gw_module observe_module;
extern const struct gw_module coap_module;
extern const struct gw_module http_module;
extern const struct gw_module firmware_module;
extern const struct gw_module campaign_module;

/* Current time in unix seconds; the one clock of the registry. */
static inline int64_t
gw_now(void)
{
	return (int64_t)time(NULL);
}

/* Unix seconds as RFC 3339 UTC ("2026-11-23T22:34:28Z"), the one time
 * format of the API, the events and the headers. */
#define GW_TIME_LEN	32
static inline const char *
gw_time_str(int64_t t, char buf[GW_TIME_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, GW_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

#endif /* OUTPOST_GATEWAY_H */
