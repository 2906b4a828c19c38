/*
 * stream.h: GET /v1/events, the Server-Sent Events stream of gateway events
 * to management clients, filtered by ?ep= and ?type=, resumable through
 * Last-Event-ID from a bounded in-memory ring.
 */
#ifndef OUTPOST_STREAM_H
#define OUTPOST_STREAM_H

struct http_exchange;

void	stream_http(struct http_exchange *hx);

#endif /* OUTPOST_STREAM_H */
