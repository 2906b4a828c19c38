/*
 * cloud.h: the cloud link (doc/cloud.md), the gateway's third face: events
 * go up to an MQTT broker through a durable outbox, and requests come down
 * from it to the HTTP API's internal server (proxy/http.h, http_internal),
 * their answers going back up. It calls proxy/ (the internal server) and
 * the layers below (events, the outbox); nothing calls it but the module
 * table.
 */
#ifndef OUTPOST_CLOUD_H
#define OUTPOST_CLOUD_H

/* Writes ep into out (len bytes) as a topic level: '/', '+', '#' and '%'
 * as %2F, %2B, %23 and %25. Returns 0, or -1 when it does not fit. */
#include <stddef.h>
int	cloud_topic_level(const char *ep, char *out, size_t len);

#endif /* OUTPOST_CLOUD_H */
