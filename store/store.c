/*
 * store.c: LMDB behind store.h, with group commit.
 *
 * The reactor never waits for the disk. store_put and store_del append to
 * the open batch, an in-memory log of operations. At the end of the loop
 * turn the batch goes to the store's writer thread, which applies it in one
 * LMDB write transaction, commits with fsync, and wakes the reactor through
 * an eventfd; the reactor then runs the batch's callbacks. While the writer
 * is busy, the reactor keeps filling the next batch, so under load one
 * fsync covers everything that arrived during the previous one. The writer
 * thread touches nothing but LMDB and the batch it was handed (as redis's
 * background I/O threads do); every callback runs on the reactor.
 */
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <lmdb.h>

#include "log.h"
#include "store/store.h"

struct store_waiter {
	store_durable_cb	 cb;
	void			*arg;
};

/* Operations and waiters of one group commit. */
struct store_batch {
	uint8_t			*ops;		/* store_op records */
	size_t			 len, cap;
	struct store_waiter	*waiters;
	size_t			 nwaiters, capwaiters;
	int			 status;	/* set by the writer */
};

enum store_op_kind { STORE_OP_PUT, STORE_OP_DEL, STORE_OP_PATCH };

/* One operation in a batch's log, followed by key and value bytes. */
struct store_op {
	uint8_t		kind;
	uint8_t		db;
	uint32_t	klen;
	uint32_t	vlen;
};

struct store {
	MDB_env			*env;
	MDB_dbi			 dbi[STORE_DB__COUNT];
	MDB_txn			*rtxn;		/* reset between reads */

	struct store_batch	 open;		/* filled by the reactor */
	struct store_batch	 busy;		/* with the writer */
	int			 writing;	/* busy is with the writer */
	int			 scheduled;	/* commit_ev is active */
	struct event		*commit_ev;
	struct event		*done_ev;	/* on the eventfd */
	int			 efd;

	pthread_t		 writer;
	int			 writer_started;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	int			 work;		/* busy handed over */
	int			 quit;
	int			 lockfd;	/* STORE_LOCK_FILE, flock'd */
	int			 refused;	/* see store_open_checked */
	int			 full;		/* the last commit: map full */
	char			 path[4096];
};

#define STORE_LOCK_FILE	"outpost.lock"

static const char *const store_db_names[STORE_DB__COUNT] = {
	"meta", "devices", "ops", "queue", "outbox", "observe", "creds",
	"firmware", "fwchunk", "campaigns", "campdevs", "tags", "tagidx",
	"bootstrap", "jobs", "jobdevs", "hseries", "hpoints", "hbuckets",
	"alarmrules", "alarms", "devlogs", "cloudbox"
};

/* Creates dir and its parents, like mkdir -p. */
static int
store_mkdirs(const char *dir)
{
	char buf[4096];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* Opens the named databases and checks (or writes) the schema version. */
static int
store_open_dbs(struct store *st, char *err, size_t errlen)
{
	MDB_txn *txn;
	MDB_val k = { 6, (void *)"schema" }, v;
	uint32_t version = STORE_SCHEMA_VERSION, found;
	int rc, i;

	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		goto fail;
	for (i = 0; i < STORE_DB__COUNT; i++)
		if ((rc = mdb_dbi_open(txn, store_db_names[i], MDB_CREATE,
		    &st->dbi[i])) != 0)
			goto abort;
	rc = mdb_get(txn, st->dbi[STORE_DB_META], &k, &v);
	if (rc == MDB_NOTFOUND) {
		v.mv_size = sizeof(version);
		v.mv_data = &version;
		if ((rc = mdb_put(txn, st->dbi[STORE_DB_META], &k, &v, 0)) != 0)
			goto abort;
	} else if (rc != 0) {
		goto abort;
	} else {
		if (v.mv_size != sizeof(found)) {
			mdb_txn_abort(txn);
			snprintf(err, errlen, "%s: bad schema record", st->path);
			return -1;
		}
		memcpy(&found, v.mv_data, sizeof(found));
		if (found != STORE_SCHEMA_VERSION) {
			mdb_txn_abort(txn);
			snprintf(err, errlen, "%s: store schema version %u, this "
			    "gateway knows version %u%s", st->path, found,
			    STORE_SCHEMA_VERSION, found > STORE_SCHEMA_VERSION ?
			    ": it was written by a newer outpost; run that "
			    "version (or newer) on it" : "");
			st->refused = 1;
			return -1;
		}
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	return 0;
abort:
	mdb_txn_abort(txn);
fail:
	snprintf(err, errlen, "%s: %s", st->path, mdb_strerror(rc));
	return -1;
}

/* Replaces the head of key's value with v, keeping the rest. */
static int
store_apply_patch(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v)
{
	MDB_val old, new;
	uint8_t *tmp;
	int rc;

	if ((rc = mdb_get(txn, dbi, k, &old)) != 0)
		return rc;
	if (old.mv_size < v->mv_size)
		return mdb_put(txn, dbi, k, v, 0);
	/* The old bytes live in the map and may move under mdb_put. */
	if ((tmp = malloc(old.mv_size)) == NULL)
		return ENOMEM;
	memcpy(tmp, v->mv_data, v->mv_size);
	memcpy(tmp + v->mv_size, (uint8_t *)old.mv_data + v->mv_size,
	    old.mv_size - v->mv_size);
	new.mv_size = old.mv_size;
	new.mv_data = tmp;
	rc = mdb_put(txn, dbi, k, &new, 0);
	free(tmp);
	return rc;
}

/* Applies one batch in one write transaction. Runs on the writer. */
static int
store_apply(struct store *st, const struct store_batch *b)
{
	struct store_op op;
	MDB_txn *txn;
	MDB_val k, v;
	size_t off = 0;
	int rc;

	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		goto fail;
	while (off < b->len) {
		memcpy(&op, b->ops + off, sizeof(op));
		k.mv_size = op.klen;
		k.mv_data = b->ops + off + sizeof(op);
		v.mv_size = op.vlen;
		v.mv_data = b->ops + off + sizeof(op) + op.klen;
		off += sizeof(op) + op.klen + op.vlen;
		switch (op.kind) {
		case STORE_OP_DEL:
			rc = mdb_del(txn, st->dbi[op.db], &k, NULL);
			break;
		case STORE_OP_PATCH:
			rc = store_apply_patch(txn, st->dbi[op.db], &k, &v);
			break;
		default:
			rc = mdb_put(txn, st->dbi[op.db], &k, &v, 0);
			break;
		}
		if (rc != 0 && !(op.kind != STORE_OP_PUT && rc == MDB_NOTFOUND)) {
			mdb_txn_abort(txn);
			goto fail;
		}
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	return 0;
fail:
	/* log.c is not thread-safe; one line from here is fine on stderr. */
	fprintf(stderr, "outpost: warning: store: commit failed: %s%s\n",
	    mdb_strerror(rc), rc == MDB_MAP_FULL ?
	    " (raise [store] map_size_mb)" : "");
	return rc == MDB_MAP_FULL ? STORE_FULL : -1;
}

static void *
store_writer(void *arg)
{
	struct store *st = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		while (!st->work && !st->quit)
			pthread_cond_wait(&st->cond, &st->lock);
		if (!st->work)
			break;
		pthread_mutex_unlock(&st->lock);
		st->busy.status = store_apply(st, &st->busy);
		pthread_mutex_lock(&st->lock);
		st->work = 0;
		pthread_cond_broadcast(&st->cond);
		/* Can only fail when the counter is saturated: still a wakeup. */
		(void)!write(st->efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

static void
store_batch_clear(struct store_batch *b)
{
	b->len = 0;
	b->nwaiters = 0;
	b->status = 0;
}

static void
store_batch_free(struct store_batch *b)
{
	free(b->ops);
	free(b->waiters);
	memset(b, 0, sizeof(*b));
}

/* Hands the open batch to the writer if it is idle and the batch has
 * anything in it. */
static void
store_hand_over(struct store *st)
{
	struct store_batch tmp;

	if (st->writing || (st->open.len == 0 && st->open.nwaiters == 0))
		return;
	tmp = st->busy;
	st->busy = st->open;
	st->open = tmp;
	store_batch_clear(&st->open);
	st->writing = 1;
	pthread_mutex_lock(&st->lock);
	st->work = 1;
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
}

/* Whether the writer is done with busy; with wait, waits until it is. */
static int
store_writer_done(struct store *st, int wait)
{
	int done;

	pthread_mutex_lock(&st->lock);
	while (wait && st->work)
		pthread_cond_wait(&st->cond, &st->lock);
	done = !st->work;
	pthread_mutex_unlock(&st->lock);
	return done;
}

/* The writer finished busy: hand over the next batch at once (the disk
 * starts on it), then run busy's callbacks with its status. */
static void
store_finish(struct store *st, int wait)
{
	struct store_batch done;
	size_t i;

	if (!st->writing || !store_writer_done(st, wait))
		return;
	done = st->busy;
	memset(&st->busy, 0, sizeof(st->busy));
	st->writing = 0;
	st->full = done.status == STORE_FULL;
	store_hand_over(st);
	for (i = 0; i < done.nwaiters; i++)
		done.waiters[i].cb(done.status, done.waiters[i].arg);
	store_batch_free(&done);
}

static void
store_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		log_warn("store: eventfd");
	store_finish(st, 0);
}

static void
store_commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;

	(void)fd;
	(void)what;
	st->scheduled = 0;
	store_hand_over(st);
}

/* Makes sure the open batch goes to the writer at the end of this turn. */
static void
store_schedule(struct store *st)
{
	if (!st->scheduled) {
		st->scheduled = 1;
		event_active(st->commit_ev, 0, 0);
	}
}

/* Appends one operation to the open batch; its value is head then tail. */
static int
store_log(struct store *st, enum store_op_kind kind, enum store_db db,
    const void *key, size_t klen, const void *head, size_t hlen,
    const void *tail, size_t tlen)
{
	struct store_batch *b = &st->open;
	size_t vlen = hlen + tlen;
	struct store_op op = { (uint8_t)kind, (uint8_t)db, (uint32_t)klen,
	    (uint32_t)vlen };
	size_t need = sizeof(op) + klen + vlen, cap;
	uint8_t *p;

	if (klen == 0 || klen > 511 || vlen > UINT32_MAX) {
		/* LMDB's default key limit is 511 bytes */
		log_warnx("store: refusing a key of %zu bytes", klen);
		return -1;
	}
	if (b->len + need > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + need)
			cap *= 2;
		if ((p = realloc(b->ops, cap)) == NULL)
			return -1;
		b->ops = p;
		b->cap = cap;
	}
	memcpy(b->ops + b->len, &op, sizeof(op));
	p = b->ops + b->len + sizeof(op);
	memcpy(p, key, klen);
	if (hlen > 0)
		memcpy(p + klen, head, hlen);
	if (tlen > 0)
		memcpy(p + klen + hlen, tail, tlen);
	b->len += need;
	store_schedule(st);
	return 0;
}

int
store_put(struct store *st, enum store_db db, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	return store_log(st, STORE_OP_PUT, db, key, klen, val, vlen, NULL, 0);
}

int
store_put2(struct store *st, enum store_db db, const void *key, size_t klen,
    const void *head, size_t hlen, const void *tail, size_t tlen)
{
	return store_log(st, STORE_OP_PUT, db, key, klen, head, hlen, tail,
	    tlen);
}

int
store_patch(struct store *st, enum store_db db, const void *key, size_t klen,
    const void *head, size_t hlen)
{
	return store_log(st, STORE_OP_PATCH, db, key, klen, head, hlen, NULL,
	    0);
}

int
store_del(struct store *st, enum store_db db, const void *key, size_t klen)
{
	return store_log(st, STORE_OP_DEL, db, key, klen, NULL, 0, NULL, 0);
}

int
store_when_durable(struct store *st, store_durable_cb cb, void *arg)
{
	struct store_batch *b = &st->open;
	struct store_waiter *w;
	size_t cap;

	if (b->nwaiters == b->capwaiters) {
		cap = b->capwaiters ? b->capwaiters * 2 : 64;
		if ((w = reallocarray(b->waiters, cap, sizeof(*w))) == NULL)
			return -1;
		b->waiters = w;
		b->capwaiters = cap;
	}
	b->waiters[b->nwaiters].cb = cb;
	b->waiters[b->nwaiters].arg = arg;
	b->nwaiters++;
	store_schedule(st);
	return 0;
}

int
store_full(const struct store *st)
{
	return st != NULL && st->full;
}

int
store_commit(struct store *st)
{
	int status = 0;

	/* Until both the batch with the writer and the open one are done. */
	while (st->writing || st->open.len > 0 || st->open.nwaiters > 0) {
		if (!st->writing)
			store_hand_over(st);
		store_writer_done(st, 1);
		if (st->busy.status != 0)
			status = -1;
		store_finish(st, 1);
	}
	return status;
}

/*
 * One gateway per store: an exclusive lock on DIR/outpost.lock, held for
 * the process's life (the kernel drops it when the process dies, kill -9
 * included). The file says the holder's pid.
 */
static int
store_lock(struct store *st, char *err, size_t errlen)
{
	char path[4200], pid[32];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", st->path, STORE_LOCK_FILE);
	if ((st->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) ==
	    -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) == -1) {
		n = pread(st->lockfd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errlen, "%s is in use by another outpost (pid "
		    "%s): one gateway per store; stop that one, or give this "
		    "one another [store] path", st->path, pid[0] != '\0' ?
		    pid : "unknown");
		st->refused = 1;
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(st->lockfd, 0) == -1 ||
	    pwrite(st->lockfd, pid, (size_t)n, 0) != n)
		log_warn("store: %s", path);
	return 0;
}

/*
 * The data file as LMDB will map it. LMDB takes an empty data.mdb for a
 * new store and starts empty, and it faults (SIGBUS) on the first read
 * past the end of a truncated one: both are refused here, before any page
 * is touched, with what to do.
 */
static int
store_check_file(struct store *st, int opened, char *err, size_t errlen)
{
	char path[4200];
	struct stat sb;
	MDB_envinfo info;
	MDB_stat ms;
	uint64_t need;

	snprintf(path, sizeof(path), "%s/data.mdb", st->path);
	if (stat(path, &sb) == -1)
		return 0;		/* a new store */
	if (!opened && sb.st_size == 0) {
		snprintf(err, errlen, "%s is empty (0 bytes): the store's data "
		    "is gone. Restore it from a backup, or move %s aside to "
		    "start with an empty store", path, st->path);
		st->refused = 1;
		return -1;
	}
	if (!opened || mdb_env_info(st->env, &info) != 0 ||
	    mdb_env_stat(st->env, &ms) != 0)
		return 0;
	need = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
	if ((uint64_t)sb.st_size < need) {
		snprintf(err, errlen, "%s is truncated: %lld bytes, but its "
		    "last page ends at byte %llu. Restore it from a backup, "
		    "or move %s aside to start with an empty store", path,
		    (long long)sb.st_size, (unsigned long long)need,
		    st->path);
		st->refused = 1;
		return -1;
	}
	return 0;
}

struct store *
store_open(struct event_base *base, const char *dir, size_t map_bytes,
    char *err, size_t errlen)
{
	return store_open_checked(base, dir, map_bytes, err, errlen, NULL);
}

struct store *
store_open_checked(struct event_base *base, const char *dir,
    size_t map_bytes, char *err, size_t errlen, int *refused)
{
	struct store *st;
	int rc, dead;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(st->path, sizeof(st->path), "%s", dir);
	st->efd = -1;
	st->lockfd = -1;
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	if (store_mkdirs(dir) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (store_lock(st, err, errlen) == -1 ||
	    store_check_file(st, 0, err, errlen) == -1)
		goto fail;
	if ((rc = mdb_env_create(&st->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(st->env, STORE_DB__COUNT)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, map_bytes)) != 0 ||
	    (rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600)) != 0) {
		snprintf(err, errlen, "%s: %s%s", dir, mdb_strerror(rc),
		    rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ?
		    ": restore data.mdb from a backup, or move the folder "
		    "aside to start with an empty store" : "");
		st->refused = rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH;
		goto fail;
	}
	if (store_check_file(st, 1, err, errlen) == -1)
		goto fail;
	/* Reader slots left by a process that died (kill -9). */
	if (mdb_reader_check(st->env, &dead) == 0 && dead > 0)
		log_info("store: cleared %d stale reader slots", dead);
	if (store_open_dbs(st, err, errlen) == -1)
		goto fail;
	if ((rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &st->rtxn)) != 0) {
		snprintf(err, errlen, "%s: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	mdb_txn_reset(st->rtxn);
	if ((st->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	st->commit_ev = event_new(base, -1, 0, store_commit_cb, st);
	st->done_ev = event_new(base, st->efd, EV_READ | EV_PERSIST,
	    store_done_cb, st);
	if (st->commit_ev == NULL || st->done_ev == NULL ||
	    event_add(st->done_ev, NULL) == -1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((rc = pthread_create(&st->writer, NULL, store_writer, st)) != 0) {
		snprintf(err, errlen, "writer thread: %s", strerror(rc));
		goto fail;
	}
	st->writer_started = 1;
	return st;
fail:
	if (refused != NULL)
		*refused = st->refused;
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->writer_started) {
		store_commit(st);
		pthread_mutex_lock(&st->lock);
		st->quit = 1;
		pthread_cond_signal(&st->cond);
		pthread_mutex_unlock(&st->lock);
		pthread_join(st->writer, NULL);
	}
	if (st->commit_ev != NULL)
		event_free(st->commit_ev);
	if (st->done_ev != NULL)
		event_free(st->done_ev);
	if (st->efd != -1)
		close(st->efd);
	store_batch_free(&st->open);
	store_batch_free(&st->busy);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->cond);
	if (st->rtxn != NULL)
		mdb_txn_abort(st->rtxn);
	if (st->env != NULL)
		mdb_env_close(st->env);
	if (st->lockfd != -1)
		close(st->lockfd);	/* the lock goes with it */
	free(st);
}

int
store_get(struct store *st, enum store_db db, const void *key, size_t klen,
    void *buf, size_t buflen, size_t *vlen)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc, ret;

	if ((rc = mdb_txn_renew(st->rtxn)) != 0) {
		log_warnx("store: read: %s", mdb_strerror(rc));
		return -1;
	}
	rc = mdb_get(st->rtxn, st->dbi[db], &k, &v);
	if (rc == 0) {
		memcpy(buf, v.mv_data, v.mv_size < buflen ? v.mv_size : buflen);
		*vlen = v.mv_size;
		ret = 0;
	} else if (rc == MDB_NOTFOUND) {
		ret = 1;
	} else {
		log_warnx("store: read: %s", mdb_strerror(rc));
		ret = -1;
	}
	mdb_txn_reset(st->rtxn);
	return ret;
}

long
store_read(struct store *st, enum store_db db, const void *key, size_t klen,
    size_t off, void *buf, size_t len, size_t *vlen)
{
	MDB_val k = { klen, (void *)key }, v;
	long ret;
	int rc;

	if ((rc = mdb_txn_renew(st->rtxn)) != 0) {
		log_warnx("store: read: %s", mdb_strerror(rc));
		return -1;
	}
	rc = mdb_get(st->rtxn, st->dbi[db], &k, &v);
	if (rc == 0) {
		*vlen = v.mv_size;
		if (off >= v.mv_size)
			len = 0;
		else if (len > v.mv_size - off)
			len = v.mv_size - off;
		if (len > 0)
			memcpy(buf, (const uint8_t *)v.mv_data + off, len);
		ret = (long)len;
	} else if (rc == MDB_NOTFOUND) {
		ret = -2;
	} else {
		log_warnx("store: read: %s", mdb_strerror(rc));
		ret = -1;
	}
	mdb_txn_reset(st->rtxn);
	return ret;
}

int
store_iterate(struct store *st, enum store_db db, const void *from,
    size_t fromlen, store_iter_cb cb, void *arg)
{
	MDB_cursor *cur;
	MDB_val k = { fromlen, (void *)from }, v;
	MDB_cursor_op op = from != NULL && fromlen > 0 ? MDB_SET_RANGE :
	    MDB_FIRST;
	int rc, ret = 0;

	if ((rc = mdb_txn_renew(st->rtxn)) != 0) {
		log_warnx("store: read: %s", mdb_strerror(rc));
		return -1;
	}
	if ((rc = mdb_cursor_open(st->rtxn, st->dbi[db], &cur)) != 0) {
		log_warnx("store: read: %s", mdb_strerror(rc));
		mdb_txn_reset(st->rtxn);
		return -1;
	}
	while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		if ((ret = cb(k.mv_data, k.mv_size, v.mv_data, v.mv_size,
		    arg)) != 0)
			break;
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		log_warnx("store: read: %s", mdb_strerror(rc));
		ret = -1;
	}
	mdb_cursor_close(cur);
	mdb_txn_reset(st->rtxn);
	return ret;
}

const char *
store_lib_version(char *buf, size_t len)
{
	int major, minor, patch;

	(void)mdb_version(&major, &minor, &patch);
	snprintf(buf, len, "%d.%d.%d", major, minor, patch);
	return buf;
}

int
store_last_below(struct store *st, enum store_db db, const void *below,
    size_t blen, const void *floor, size_t floorlen, void *kbuf,
    size_t kbuflen, size_t *klen)
{
	MDB_cursor *cur;
	MDB_val k = { blen, (void *)below }, v, f = { floorlen, (void *)floor };
	int rc, ret = 1;

	if ((rc = mdb_txn_renew(st->rtxn)) != 0) {
		log_warnx("store: read: %s", mdb_strerror(rc));
		return -1;
	}
	if ((rc = mdb_cursor_open(st->rtxn, st->dbi[db], &cur)) != 0) {
		log_warnx("store: read: %s", mdb_strerror(rc));
		mdb_txn_reset(st->rtxn);
		return -1;
	}
	/* The first key >= below, then the one before it; none >= below:
	 * the last key of all. */
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (rc == 0 && (floor == NULL ||
	    mdb_cmp(st->rtxn, st->dbi[db], &k, &f) >= 0)) {
		memcpy(kbuf, k.mv_data, k.mv_size < kbuflen ? k.mv_size :
		    kbuflen);
		*klen = k.mv_size;
		ret = 0;
	} else if (rc != 0 && rc != MDB_NOTFOUND) {
		log_warnx("store: read: %s", mdb_strerror(rc));
		ret = -1;
	}
	mdb_cursor_close(cur);
	mdb_txn_reset(st->rtxn);
	return ret;
}

size_t
store_db_bytes(struct store *st, enum store_db db)
{
	MDB_stat s;
	int rc;

	if (mdb_txn_renew(st->rtxn) != 0)
		return 0;
	rc = mdb_stat(st->rtxn, st->dbi[db], &s);
	mdb_txn_reset(st->rtxn);
	if (rc != 0)
		return 0;
	return (s.ms_branch_pages + s.ms_leaf_pages + s.ms_overflow_pages) *
	    (size_t)s.ms_psize;
}

size_t
store_size(struct store *st)
{
	MDB_envinfo info;
	MDB_stat stat;

	if (mdb_env_info(st->env, &info) != 0 ||
	    mdb_env_stat(st->env, &stat) != 0)
		return 0;
	return (info.me_last_pgno + 1) * (size_t)stat.ms_psize;
}

#include "gateway.h"

static int
store_module_init(struct gateway *gw)
{
	char err[8400];
	int refused = 0;

	gw->store = store_open_checked(gw->base, gw->cfg.store_path,
	    (size_t)gw->cfg.store_map_size_mb << 20, err, sizeof(err),
	    &refused);
	if (gw->store == NULL) {
		log_errx("store: %s", err);
		return refused ? GW_EX_CONFIG : -1;
	}
	return 0;
}

static void
store_module_stop(struct gateway *gw)
{
	store_close(gw->store);
	gw->store = NULL;
}

const struct gw_module store_module = {
	.name = "store",
	.init = store_module_init,
	.stop = store_module_stop,
};
