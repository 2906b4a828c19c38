/*
 * tags.h: device tags, the operator's labels on endpoints ("site-a",
 * "canary") by which firmware campaigns pick their devices.
 *
 * A tag is 1..TAG_LEN_MAX characters of [A-Za-z0-9._:-]: safe in a URL
 * query, a log line and a JSON string without escaping, and case-sensitive.
 * An endpoint carries at most TAGS_PER_DEVICE_MAX of them. Tags belong to
 * an endpoint name, not to a registration: they exist whether or not the
 * device is registered now, so that a campaign reaches a device that comes
 * back later, and only a decommission forgets them.
 *
 * Tags are kept in the store only, never in memory per device (the
 * registry's record stays compact at 100k devices). Two databases hold
 * the same pairs, one per direction, each value empty:
 *   STORE_DB_TAGS    ep NUL tag -> ""   a device's tags: a prefix scan
 *   STORE_DB_TAGIDX  tag NUL ep -> ""   a tag's devices: a prefix scan
 * Both are written in the same batch, so they never disagree on disk.
 *
 * Reads (tags_walk, tags_has, tags_get) see committed data only. Writes
 * go to the open store batch; a caller that answers a client waits for
 * the commit with store_when_durable. Tag sets staged and not committed
 * yet are remembered (gw->tags_pending, freed at their commit) so that a
 * second change before the first commits still removes the right pairs.
 */
#ifndef OUTPOST_TAGS_H
#define OUTPOST_TAGS_H

#include <stddef.h>

#include "lwm2m/tagparse.h"

struct gateway;
struct cJSON;

/* Calls cb for every endpoint carrying tag, in endpoint order, from the
 * store; stops when cb returns non-zero and returns that; -1 on a store
 * error. cb may read and write the store: the walk reads the index in
 * chunks and calls cb between them, so an endpoint tagged or untagged
 * during the walk may or may not be seen. */
int	tags_walk(struct gateway *gw, const char *tag,
	    int (*cb)(const char *ep, void *arg), void *arg);
/* The same, starting after the endpoint after (NULL: from the first); for
 * the pages of GET /v1/devices?tag=. */
int	tags_walk_from(struct gateway *gw, const char *tag, const char *after,
	    int (*cb)(const char *ep, void *arg), void *arg);

/* 1 when ep carries tag, 0 when not, -1 on a store error. */
int	tags_has(struct gateway *gw, const char *ep, const char *tag);

/* ep's tags into out (sorted), returns the count or -1. */
int	tags_get(struct gateway *gw, const char *ep,
	    char out[][TAG_LEN_MAX + 1], int max);

/* Replaces ep's tags in the open batch (the caller waits for the commit
 * with store_when_durable before answering). 0 or -1. */
int	tags_set(struct gateway *gw, const char *ep,
	    char tags[][TAG_LEN_MAX + 1], int n);

/* Forgets ep's tags (decommission), in the open batch. */
void	tags_drop_device(struct gateway *gw, const char *ep);

#endif /* OUTPOST_TAGS_H */
