/*
 * events.h: what happens in the gateway, as one stream of typed events that
 * sinks subscribe to: the webhook outbox (proxy/webhook.c) today, the
 * event stream to management clients (proxy/stream.c), the cloud link,
 * history, alarms and jobs. An event is a JSON object {"type", "ep",
 * "time", ...}; a sink gets it during events_emit and must copy what it
 * keeps. Nothing formats an event as text here: a sink does so only for
 * someone who reads it (the stream keeps events packed until then).
 */
#ifndef OUTPOST_EVENTS_H
#define OUTPOST_EVENTS_H

struct gateway;
typedef struct cJSON cJSON;

typedef void (*events_sink)(struct gateway *gw, const char *type,
    const cJSON *event, void *arg);

/* Adds a sink; at most EVENTS_MAX_SINKS. Returns 0 or -1. */
#define EVENTS_MAX_SINKS	8
int	events_subscribe(struct gateway *gw, events_sink sink, void *arg);
void	events_unsubscribe(struct gateway *gw, events_sink sink, void *arg);

/*
 * Emits an event of type for ep (NULL: an event of no device, a job's)
 * with the fields of data (consumed; may be NULL). Types: registration,
 * update, deregistration, decommission, expired, awake, sleeping,
 * notification, send, op_result, fw_progress, bootstrap_*, tags, job,
 * job_progress, alarm (proxy/stream.c serves them by name).
 */
void	events_emit(struct gateway *gw, const char *type, const char *ep,
	    cJSON *data);

#endif /* OUTPOST_EVENTS_H */
