/*
 * store.h: the one LMDB environment, behind a small interface. Only
 * store.c includes lmdb.h.
 *
 * Writes are batched (group commit): store_put, store_put2, store_patch and
 * store_del append to the open batch in memory and only fail for a bad key
 * or no memory. At the end of the loop turn the batch goes to the store's
 * writer thread, which applies it in one LMDB transaction and commits with
 * fsync; on a later loop turn the reactor calls every callback registered
 * with store_when_durable for that batch, in order, with its status. A
 * batch is stored whole or not at all: if any write fails (a full map), the
 * commit fails and every callback of the batch gets -1. While the writer is
 * busy the next batch fills, so under load one fsync covers many changes,
 * and no reply that promises durability leaves before its data is on disk.
 * Callbacks run on the reactor, never on the writer.
 *
 * Reads run in their own read-only transaction and see committed data
 * only. They share one transaction handle: do not call store_get from a
 * store_iterate callback.
 */
#ifndef OUTPOST_STORE_H
#define OUTPOST_STORE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct store;

enum store_db {
	STORE_DB_META,		/* "schema" -> u32 version */
	STORE_DB_DEVICES,	/* endpoint -> device record + link-format body */
	STORE_DB_OPS,		/* op id (u64 BE) -> op record (queue.c) */
	STORE_DB_QUEUE,		/* endpoint NUL op id (u64 BE) -> "": order */
	STORE_DB_OUTBOX,	/* seq (u64 BE) -> webhook event JSON */
	STORE_DB_OBSERVE,	/* endpoint NUL path -> created_at (i64) */
	STORE_DB_CREDS,		/* DTLS credentials (cred.c) */
	STORE_DB_FIRMWARE,	/* image id (16 hex) -> firmware.c record */
	STORE_DB_FWCHUNK,	/* image id, chunk index (u32 BE) -> bytes */
	STORE_DB_CAMPAIGNS,	/* campaign id (u64 BE) -> campstore.c JSON */
	STORE_DB_CAMPDEVS,	/* campaign id (u64 BE), endpoint -> its
				   device's state in the campaign */
	STORE_DB_TAGS,		/* endpoint NUL tag -> "" (tags.c) */
	STORE_DB_TAGIDX,	/* tag NUL endpoint -> "": a tag's devices */
	STORE_DB_BOOTSTRAP,	/* bootstrap configurations, their state and
				   factory credentials (bootstrap.c) */
	STORE_DB_JOBS,		/* job id (u64 BE) -> jobstore.c JSON */
	STORE_DB_JOBDEVS,	/* job id (u64 BE), endpoint -> the device's
				   record in the job (jobstore.c) */
	STORE_DB_HSERIES,	/* history series (modules/health/history.c) */
	STORE_DB_HPOINTS,	/* history raw points */
	STORE_DB_HBUCKETS,	/* history downsampled buckets */
	STORE_DB_ALARMRULES,	/* alarm rules (modules/health/alarm.c) */
	STORE_DB_ALARMS,	/* alarms raised, active and cleared */
	STORE_DB_DEVLOGS,	/* device log lines attached to a job's or a
				   campaign's failed device */
	STORE_DB_CLOUDBOX,	/* seq (u64 BE) -> cloud link event
				   (cache/outbox.c record) */
	STORE_DB__COUNT
};

/* A database added at the end (opened with MDB_CREATE, found empty in an
 * older store) needs no new version: only a change to the records of an
 * existing one does, and a store of another version is refused. */
#define STORE_SCHEMA_VERSION	1

/* Called after the batch it was registered on: status 0 when committed,
 * -1 when the commit failed (nothing of the batch is stored), STORE_FULL
 * when it failed because the map is full ([store] map_size_mb). */
#define STORE_FULL	(-2)
typedef void (*store_durable_cb)(int status, void *arg);

/* Called per record by store_iterate; key and value are owned by the store
 * and valid only during the call. A non-zero return stops the walk. */
typedef int (*store_iter_cb)(const void *key, size_t klen, const void *val,
    size_t vlen, void *arg);

/* Whether the last commit failed because the map is full: what failed
 * for it is 507, the operator's to mend. */
int		 store_full(const struct store *st);

/* Opens (creating) the environment in dir, checks the schema version.
 * Returns NULL with a message in err. store_open_checked also locks dir
 * (one process per store) and refuses a damaged data file (empty, or
 * shorter than its last page), another process's store and a schema it
 * does not know: then *refused is set, and err says what to do. */
struct store	*store_open_checked(struct event_base *base, const char *dir,
		    size_t map_bytes, char *err, size_t errlen, int *refused);
struct store	*store_open(struct event_base *base, const char *dir,
		    size_t map_bytes, char *err, size_t errlen);

/* Commits any open batch, then closes the environment. */
void		 store_close(struct store *st);

/* Add a put or delete to the current batch. Return 0 or -1 (logged). */
int		 store_put(struct store *st, enum store_db db, const void *key,
		    size_t klen, const void *val, size_t vlen);
int		 store_del(struct store *st, enum store_db db, const void *key,
		    size_t klen);
/* A put whose value is head followed by tail (saves the caller a copy). */
int		 store_put2(struct store *st, enum store_db db, const void *key,
		    size_t klen, const void *head, size_t hlen, const void *tail,
		    size_t tlen);
/* Replaces the first hlen bytes of key's value and keeps the rest (a put
 * when the value is shorter; nothing when key is absent). */
int		 store_patch(struct store *st, enum store_db db, const void *key,
		    size_t klen, const void *head, size_t hlen);

/* Calls cb once the current batch is committed, or failed. If no batch is
 * open, one is opened (so cb still waits for the next commit). */
int		 store_when_durable(struct store *st, store_durable_cb cb,
		    void *arg);

/* Commits everything pending now, waiting for the disk, and runs the
 * callbacks (including of batches the callbacks start). For shutdown and
 * tests. Returns 0, or -1 if a commit failed. */
int		 store_commit(struct store *st);

/* Copies the committed value of key into buf (at most buflen bytes); *vlen
 * gets its full length. Returns 0, 1 when the key is absent, -1 on error. */
int		 store_get(struct store *st, enum store_db db, const void *key,
		    size_t klen, void *buf, size_t buflen, size_t *vlen);

/* Copies up to len bytes of the committed value of key, from offset off,
 * into buf, without copying the rest of the value. *vlen gets the value's
 * full length. Returns the bytes copied (0 when off is at or past the end),
 * -2 when the key is absent, -1 on error. */
long		 store_read(struct store *st, enum store_db db, const void *key,
		    size_t klen, size_t off, void *buf, size_t len,
		    size_t *vlen);

/* Walks committed records in key order, from the first key >= from
 * (from == NULL: the first key). Returns 0, cb's value, or -1. */
int		 store_iterate(struct store *st, enum store_db db,
		    const void *from, size_t fromlen, store_iter_cb cb,
		    void *arg);

/* Counters in keys are big-endian, so that LMDB's byte order is theirs. */
static inline void
store_put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t
store_get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Copies the greatest committed key below below[0..blen) (and >= floor,
 * floorlen bytes, when floor is not NULL) into kbuf (at most kbuflen
 * bytes); *klen gets its full length. Returns 0, 1 when there is none,
 * -1 on error. (The newest record of a range whose keys end in a time.)
 */
int		 store_last_below(struct store *st, enum store_db db,
		    const void *below, size_t blen, const void *floor,
		    size_t floorlen, void *kbuf, size_t kbuflen, size_t *klen);

/* Bytes of the data file, for metrics. */
size_t		 store_size(struct store *st);

/* LMDB's version ("0.9.31") into buf, for outpost_build_info. */
const char	*store_lib_version(char *buf, size_t len);
/* Bytes of db's committed pages (branch, leaf and overflow): what its
 * records take, freed pages not counted. */
size_t		 store_db_bytes(struct store *st, enum store_db db);

#endif /* OUTPOST_STORE_H */
