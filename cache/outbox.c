/*
 * outbox.c: a durable queue of messages in the store (outbox.h).
 *
 * A record is the time it was put (ms, 8 bytes big-endian) and the
 * message, under its sequence number (8 bytes big-endian). The lengths of
 * the records held are kept in memory, 4 bytes each, so that the bytes
 * held are known without reading the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "cache/outbox.h"

struct outbox {
	struct store		*st;
	enum store_db		 db;
	char			 meta[64];
	size_t			 max_count;
	size_t			 max_bytes;
	outbox_durable_cb	 cb;
	void			*arg;
	uint64_t		 head;		/* oldest held */
	uint64_t		 tail;		/* next to give */
	uint64_t		 durable;	/* below it: committed */
	uint64_t		 bytes;
	uint64_t		 dropped;
	uint32_t		*lens;		/* ring: record lengths */
	size_t			 cap;		/* of lens, a power of 2 */
	int			 waiting;	/* a durable callback is set */
	int			 closing;
};

/* A batch callback carries the outbox and the tail it covers. */
struct outbox_wait {
	struct outbox	*ob;
	uint64_t	 upto;
};

static uint32_t *
outbox_len(struct outbox *ob, uint64_t seq)
{
	return &ob->lens[seq & (ob->cap - 1)];
}

/* Room in the ring for one more length. */
static int
outbox_grow(struct outbox *ob)
{
	uint32_t *n;
	size_t cap, i;

	if (ob->tail - ob->head < ob->cap)
		return 0;
	cap = ob->cap == 0 ? 64 : ob->cap * 2;
	if ((n = calloc(cap, sizeof(*n))) == NULL)
		return -1;
	for (i = 0; i < ob->tail - ob->head; i++)
		n[(ob->head + i) & (cap - 1)] = *outbox_len(ob, ob->head + i);
	free(ob->lens);
	ob->lens = n;
	ob->cap = cap;
	return 0;
}

static int
outbox_scan(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct outbox *ob = arg;
	uint64_t seq;

	(void)val;
	if (klen != 8)
		return 0;
	seq = store_get_be64(key);
	if (ob->head == ob->tail)
		ob->head = ob->tail = seq;
	/* Keys are in order; a gap is a message dropped or delivered out of
	 * order (never, here): held lengths are only of what is there. */
	while (ob->tail < seq) {
		if (outbox_grow(ob) == -1)
			return -1;
		*outbox_len(ob, ob->tail++) = 0;
	}
	if (outbox_grow(ob) == -1)
		return -1;
	*outbox_len(ob, ob->tail++) = (uint32_t)vlen;
	ob->bytes += vlen;
	return 0;
}

struct outbox *
outbox_open(struct store *st, enum store_db db, const char *meta,
    size_t max_count, size_t max_bytes, outbox_durable_cb cb, void *arg)
{
	struct outbox *ob;
	uint8_t next[8];
	size_t vlen;
	uint64_t n;

	if ((ob = calloc(1, sizeof(*ob))) == NULL)
		return NULL;
	ob->st = st;
	ob->db = db;
	snprintf(ob->meta, sizeof(ob->meta), "%s", meta);
	ob->cb = cb;
	ob->arg = arg;
	outbox_set_limits(ob, max_count, max_bytes);
	if (store_iterate(st, db, NULL, 0, outbox_scan, ob) == -1) {
		log_warnx("outbox %s: cannot read it", meta);
		outbox_close(ob);
		return NULL;
	}
	if (store_get(st, STORE_DB_META, ob->meta, strlen(ob->meta), next,
	    sizeof(next), &vlen) == 0 && vlen == sizeof(next) &&
	    (n = store_get_be64(next)) > ob->tail) {
		/* Numbers given before are never used again. */
		if (ob->head == ob->tail)
			ob->head = ob->tail = n;
		while (ob->tail < n) {
			if (outbox_grow(ob) == -1) {
				outbox_close(ob);
				return NULL;
			}
			*outbox_len(ob, ob->tail++) = 0;
		}
	}
	ob->durable = ob->tail;
	return ob;
}

void
outbox_close(struct outbox *ob)
{
	if (ob == NULL)
		return;
	if (ob->waiting) {
		/* The batch's callback still holds it: it frees it. */
		ob->closing = 1;
		return;
	}
	free(ob->lens);
	free(ob);
}

void
outbox_set_limits(struct outbox *ob, size_t max_count, size_t max_bytes)
{
	ob->max_count = max_count > 0 ? max_count : 1;
	ob->max_bytes = max_bytes;
}

uint64_t
outbox_head(const struct outbox *ob)
{
	return ob->head;
}

uint64_t
outbox_tail(const struct outbox *ob)
{
	return ob->tail;
}

uint64_t
outbox_durable(const struct outbox *ob)
{
	return ob->durable;
}

static void
outbox_committed(int status, void *arg)
{
	struct outbox_wait *w = arg;
	struct outbox *ob = w->ob;
	uint64_t upto = w->upto;

	free(w);
	ob->waiting--;
	if (ob->closing) {
		if (ob->waiting == 0) {
			ob->closing = 0;
			outbox_close(ob);
		}
		return;
	}
	if (status == 0 && upto > ob->durable)
		ob->durable = upto;
	if (ob->cb != NULL)
		ob->cb(ob, status, ob->arg);
}

/* Removes the oldest record, delivered or dropped. */
static void
outbox_remove(struct outbox *ob)
{
	uint8_t key[8];

	if (ob->head == ob->tail)
		return;
	store_put_be64(key, ob->head);
	store_del(ob->st, ob->db, key, sizeof(key));
	ob->bytes -= *outbox_len(ob, ob->head);
	ob->head++;
	if (ob->durable < ob->head)
		ob->durable = ob->head;
}

int
outbox_put(struct outbox *ob, const void *head, size_t hlen,
    const void *tail, size_t tlen, uint64_t *seq)
{
	struct outbox_wait *w;
	uint8_t key[8], *rec, next[8];
	size_t len = 8 + hlen + tlen;
	int rc;

	if (len > UINT32_MAX || outbox_grow(ob) == -1 ||
	    (rec = malloc(len)) == NULL)
		return -1;
	/* Room first: the oldest go, counted, past either bound. */
	while (ob->head < ob->tail &&
	    (ob->tail - ob->head >= ob->max_count ||
	    (ob->max_bytes > 0 && ob->bytes + len > ob->max_bytes))) {
		outbox_remove(ob);
		if (ob->dropped++ % 1000 == 0)
			log_warnx("outbox %s: full (%zu messages, %zu bytes): "
			    "dropped the oldest (%llu so far)", ob->meta,
			    ob->max_count, ob->max_bytes,
			    (unsigned long long)ob->dropped);
	}
	store_put_be64(rec, (uint64_t)gw_now_ms());
	if (hlen > 0)
		memcpy(rec + 8, head, hlen);
	if (tlen > 0)
		memcpy(rec + 8 + hlen, tail, tlen);
	store_put_be64(key, ob->tail);
	store_put_be64(next, ob->tail + 1);
	rc = store_put(ob->st, ob->db, key, sizeof(key), rec, len);
	free(rec);
	if (rc == -1 || store_put(ob->st, STORE_DB_META, ob->meta,
	    strlen(ob->meta), next, sizeof(next)) == -1)
		return -1;
	*outbox_len(ob, ob->tail) = (uint32_t)len;
	ob->bytes += len;
	*seq = ob->tail++;
	if ((w = malloc(sizeof(*w))) != NULL) {
		w->ob = ob;
		w->upto = ob->tail;
		if (store_when_durable(ob->st, outbox_committed, w) == 0)
			ob->waiting++;
		else
			free(w);
	}
	return 0;
}

int
outbox_get(struct outbox *ob, uint64_t seq, uint8_t **out, size_t *len)
{
	uint8_t key[8], *buf;
	size_t want, vlen;
	long n;

	*out = NULL;
	*len = 0;
	if (seq < ob->head || seq >= ob->durable)
		return 1;
	want = *outbox_len(ob, seq);
	if (want < 8)
		return 1;
	if ((buf = malloc(want)) == NULL)
		return -1;
	store_put_be64(key, seq);
	n = store_read(ob->st, ob->db, key, sizeof(key), 0, buf, want, &vlen);
	if (n == -2) {
		free(buf);
		return 1;
	}
	if (n < 0 || vlen != want || (size_t)n != want) {
		free(buf);
		return -1;
	}
	/* The time it was put stays in front: the caller skips 8 bytes. */
	*out = buf;
	*len = want;
	return 0;
}

struct outbox_walk {
	struct outbox	*ob;
	outbox_walk_cb	 cb;
	void		*arg;
};

static int
outbox_walk_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct outbox_walk *w = arg;
	uint64_t seq;

	if (klen != 8)
		return 0;
	seq = store_get_be64(key);
	/* Past what is known committed (a later batch's): not yet. */
	if (seq >= w->ob->durable)
		return 1;
	if (seq < w->ob->head || vlen < 8)
		return 0;
	return w->cb(seq, val, vlen, w->arg);
}

int
outbox_walk(struct outbox *ob, uint64_t from, outbox_walk_cb cb, void *arg)
{
	struct outbox_walk w = { ob, cb, arg };
	uint8_t key[8];
	int rc;

	if (from < ob->head)
		from = ob->head;
	if (from >= ob->durable)
		return 0;
	store_put_be64(key, from);
	rc = store_iterate(ob->st, ob->db, key, sizeof(key), outbox_walk_one,
	    &w);
	return rc == -1 ? -1 : 0;
}

void
outbox_pop(struct outbox *ob)
{
	outbox_remove(ob);
}

void
outbox_stats(struct outbox *ob, struct outbox_stats *s)
{
	uint8_t key[8], t[8];
	size_t vlen;

	memset(s, 0, sizeof(*s));
	s->count = ob->tail - ob->head;
	s->bytes = ob->bytes;
	s->dropped = ob->dropped;
	if (s->count == 0)
		return;
	store_put_be64(key, ob->head);
	if (ob->head < ob->durable && store_read(ob->st, ob->db, key,
	    sizeof(key), 0, t, sizeof(t), &vlen) == (long)sizeof(t))
		s->oldest_ms = (int64_t)store_get_be64(t);
	else
		s->oldest_ms = gw_now_ms();
}
