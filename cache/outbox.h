/*
 * outbox.h: a durable queue of messages for a receiver that is not always
 * there (the cloud link's broker), in one database of the store.
 *
 * A message is put in the store's open batch, so it commits with the
 * change it reports, and gets the next sequence number, which is never
 * used again: the next one is kept in the store beside the messages, so
 * an empty outbox goes on from where it was. Only what is committed is
 * read back. The outbox holds at most max_count messages and max_bytes
 * bytes of them; a message that would go past either drops the oldest,
 * counted. Each message is kept with the time it was put, for the age of
 * the oldest.
 */
#ifndef OUTPOST_OUTBOX_H
#define OUTPOST_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct outbox;

/* Called once the batch that holds messages up to (not including) seq is
 * committed (status 0) or failed. */
typedef void (*outbox_durable_cb)(struct outbox *ob, int status, void *arg);

/* Opens the outbox of db (meta names its counter in STORE_DB_META), with
 * its bounds. NULL on error (logged). */
struct outbox	*outbox_open(struct store *st, enum store_db db,
		    const char *meta, size_t max_count, size_t max_bytes,
		    outbox_durable_cb cb, void *arg);
void		 outbox_close(struct outbox *ob);
void		 outbox_set_limits(struct outbox *ob, size_t max_count,
		    size_t max_bytes);

/* Stages a message (head and tail, one after the other) and stores its
 * sequence number in *seq. Returns 0, or -1 (nothing stored). */
int		 outbox_put(struct outbox *ob, const void *head, size_t hlen,
		    const void *tail, size_t tlen, uint64_t *seq);

/* The oldest message's number, and the next one to be given. */
uint64_t	 outbox_head(const struct outbox *ob);
uint64_t	 outbox_tail(const struct outbox *ob);
/* Messages below this number are committed. */
uint64_t	 outbox_durable(const struct outbox *ob);

/* Reads message seq (committed) into a buffer it allocates (*out, *len;
 * the caller frees it). Returns 0, 1 when it is not there (dropped), -1
 * on error. */
int		 outbox_get(struct outbox *ob, uint64_t seq, uint8_t **out,
		    size_t *len);

/* Calls cb with each committed message from seq from on, in order, as
 * the store holds it (the time it was put, 8 bytes, then the message;
 * valid during the call only), until cb returns non-zero or none is left.
 * No store_get may be called from cb. Returns 0, or -1 on a store error. */
typedef int (*outbox_walk_cb)(uint64_t seq, const uint8_t *rec, size_t len,
    void *arg);
int		 outbox_walk(struct outbox *ob, uint64_t from, outbox_walk_cb cb,
		    void *arg);

/* Removes the oldest message (delivered). */
void		 outbox_pop(struct outbox *ob);

struct outbox_stats {
	uint64_t	count;		/* messages held */
	uint64_t	bytes;
	uint64_t	dropped;	/* since start, for lack of room */
	int64_t		oldest_ms;	/* when the oldest was put; 0: none */
};
void		 outbox_stats(struct outbox *ob, struct outbox_stats *s);

#endif /* OUTPOST_OUTBOX_H */
