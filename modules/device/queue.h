/*
 * queue.h: operations kept for devices that cannot be reached now (asleep,
 * behind a stale NAT route, or on request), durably in the store, and
 * delivered in order, one at a time, when the device is next heard from.
 *
 * An op is acknowledged (202) only after the batch that stored it has
 * committed. Its result is recorded in the same commit that takes it off
 * the device's queue, and the next op goes only after that commit: an op is
 * delivered at least once (a crash between the device's answer and the
 * commit sends it again) and its result recorded exactly once.
 */
#ifndef OUTPOST_QUEUE_H
#define OUTPOST_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/devmsg.h"

struct gateway;

enum op_state {
	OP_QUEUED,
	OP_SENDING,
	OP_DONE,
	OP_FAILED,
	OP_EXPIRED,
	OP_CANCELLED,
	OP_STATE__COUNT
};

/* An op as the API shows it; strings and bodies point into the record
 * buffer that queue_get filled, valid until it is freed. */
struct op_view {
	uint64_t		 id;
	enum op_state		 state;
	const char		*ep;
	enum devreq_method	 method;
	const char		*path;
	const char		*query;		/* Uri-Query ('&'), or NULL */
	int			 content_format, accept;
	uint32_t		 attempts;
	int64_t			 created_at, updated_at, expires_at;
	const uint8_t		*body;
	size_t			 len;
	int			 result_status;	/* HTTP status, 0 if none */
	int			 result_code;	/* the device's error code (class
						   << 5 | detail), 0 if none */
	const char		*location;	/* its Location-Path, or NULL */
	int			 result_format;	/* CoAP Content-Format, -1 */
	const uint8_t		*result;
	size_t			 result_len;
};

enum queue_result {
	QUEUE_OK,
	QUEUE_FULL,		/* the device's queue is at its cap */
	QUEUE_STORE_FAILED,
	QUEUE_NOT_FOUND,
	QUEUE_NOT_QUEUED,	/* cancel: already sending or finished */
};

typedef void (*queue_done_cb)(enum queue_result res, uint64_t id, void *arg);

int		 queue_init(struct gateway *gw);
void		 queue_free(struct gateway *gw);

/* Stores spec for ep; done(res, id, arg) once committed (QUEUE_OK) or
 * lost. Returns QUEUE_OK when staged, else done is not called. */
enum queue_result queue_push(struct gateway *gw, const char *ep,
		    const struct devreq_spec *spec, queue_done_cb done,
		    void *arg);

/*
 * The same, and *id is the op's id at once: a caller that records it in
 * the open batch commits the op and its record of it together. done may
 * be NULL.
 */
enum queue_result queue_push_id(struct gateway *gw, const char *ep,
		    const struct devreq_spec *spec, queue_done_cb done,
		    void *arg, uint64_t *id);

/*
 * In-process listeners (the job engine, devlog.c) hear every op that ends
 * (done, failed, expired) as its result is staged, in the order they were
 * added: what they stage in turn commits in the same batch as the result.
 * v is valid during the call only. A listener must not push to v->ep's
 * queue more than the next op. At most QUEUE_LISTENERS_MAX; add returns
 * 0, or -1 when there is no room.
 */
typedef void (*queue_listener)(struct gateway *gw, const struct op_view *v,
    void *arg);
#define QUEUE_LISTENERS_MAX	4
int		 queue_add_listener(struct gateway *gw, queue_listener fn,
		    void *arg);
void		 queue_remove_listener(struct gateway *gw, queue_listener fn,
		    void *arg);

/* Ops waiting for ep (queued or sending). */
size_t		 queue_length(struct gateway *gw, const char *ep);

/*
 * The queues at a glance, for /metrics: ops waiting (queued or sending),
 * the devices they wait for, and when the oldest of them was created
 * (unix seconds, 0 when none). Walks the devices with ops waiting; each
 * keeps its first op's time, so the store is read only for a device whose
 * first op changed since the last look without a delivery step reading it.
 */
struct queue_stats {
	size_t		 ops, devices;
	int64_t		 oldest_at;
};
void		 queue_stats(struct gateway *gw, struct queue_stats *st);

/* The id of ep's op on the wire, 0 if none. */
uint64_t	 queue_sending(struct gateway *gw, const char *ep);

/* The device was heard from: start delivering its queue. */
void		 queue_wake(struct gateway *gw, const char *ep);

/* Cancels a queued op; done as for queue_push. */
enum queue_result queue_cancel(struct gateway *gw, uint64_t id,
		    queue_done_cb done, void *arg);

/* Drops every op of ep (decommission): queue and records. */
void		 queue_drop_device(struct gateway *gw, const char *ep);

/*
 * Reads op id into v; *buf receives a malloc'd record the view points
 * into (free it). Returns 0, 1 when absent, -1 on error.
 */
int		 queue_get(struct gateway *gw, uint64_t id, struct op_view *v,
		    void **buf);

/* Walks up to max ops of ep with ids above after, in queue order (queued
 * and sending only). Returns 0, cb's value, or -1. */
typedef int (*queue_walk_cb)(const struct op_view *v, void *arg);
int		 queue_walk_device(struct gateway *gw, const char *ep,
		    uint64_t after, size_t max, queue_walk_cb cb, void *arg);

const char	*queue_state_name(enum op_state st);

#endif /* OUTPOST_QUEUE_H */
