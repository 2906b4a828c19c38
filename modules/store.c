/*
 * store.c: LMDB behind store.h, with group commit per loop turn.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <lmdb.h>

#include "log.h"
#include "modules/store.h"

struct store_waiter {
	store_durable_cb	 cb;
	void			*arg;
};

struct store {
	MDB_env			*env;
	MDB_dbi			 dbi[STORE_DB__COUNT];
	MDB_txn			*wtxn;		/* the open batch, or NULL */
	MDB_txn			*rtxn;		/* reset between reads */
	int			 failed;	/* the batch hit an error */
	struct event		*commit_ev;
	struct store_waiter	*waiters;
	size_t			 nwaiters, capwaiters;
	char			 path[4096];
};

static const char *const store_db_names[STORE_DB__COUNT] = {
	"meta", "devices", "links"
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
			    "gateway knows version %u", st->path, found,
			    STORE_SCHEMA_VERSION);
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

static void
store_commit_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	store_commit(arg);
}

struct store *
store_open(struct event_base *base, const char *dir, size_t map_bytes,
    char *err, size_t errlen)
{
	struct store *st;
	int rc, dead;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(st->path, sizeof(st->path), "%s", dir);
	if (store_mkdirs(dir) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if ((rc = mdb_env_create(&st->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(st->env, STORE_DB__COUNT)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, map_bytes)) != 0 ||
	    (rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600)) != 0) {
		snprintf(err, errlen, "%s: %s", dir, mdb_strerror(rc));
		goto fail;
	}
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
	if ((st->commit_ev = event_new(base, -1, 0, store_commit_cb, st)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	store_commit(st);
	if (st->commit_ev != NULL)
		event_free(st->commit_ev);
	if (st->rtxn != NULL)
		mdb_txn_abort(st->rtxn);
	if (st->env != NULL)
		mdb_env_close(st->env);
	free(st->waiters);
	free(st);
}

/* Opens the batch if none is open and schedules its commit for the end of
 * this loop turn (the commit event runs after the events already active). */
static int
store_batch(struct store *st)
{
	int rc;

	if (st->failed)
		return -1;
	if (st->wtxn != NULL)
		return 0;
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &st->wtxn)) != 0) {
		log_warnx("store: cannot begin a write: %s", mdb_strerror(rc));
		st->wtxn = NULL;
		return -1;
	}
	event_active(st->commit_ev, 0, 0);
	return 0;
}

/* A write in the batch failed: the whole batch is lost together. */
static int
store_batch_fail(struct store *st, const char *what, int rc)
{
	log_warnx("store: %s failed: %s%s", what, mdb_strerror(rc),
	    rc == MDB_MAP_FULL ? " (raise [store] map_size_mb)" : "");
	mdb_txn_abort(st->wtxn);
	st->wtxn = NULL;
	st->failed = 1;
	event_active(st->commit_ev, 0, 0);
	return -1;
}

int
store_put(struct store *st, enum store_db db, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int rc;

	if (store_batch(st) == -1)
		return -1;
	if ((rc = mdb_put(st->wtxn, st->dbi[db], &k, &v, 0)) != 0)
		return store_batch_fail(st, "put", rc);
	return 0;
}

int
store_del(struct store *st, enum store_db db, const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)key };
	int rc;

	if (store_batch(st) == -1)
		return -1;
	rc = mdb_del(st->wtxn, st->dbi[db], &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_batch_fail(st, "delete", rc);
	return 0;
}

int
store_when_durable(struct store *st, store_durable_cb cb, void *arg)
{
	struct store_waiter *w;
	size_t cap;

	if (store_batch(st) == -1 && !st->failed)
		return -1;
	if (st->nwaiters == st->capwaiters) {
		cap = st->capwaiters ? st->capwaiters * 2 : 64;
		if ((w = reallocarray(st->waiters, cap, sizeof(*w))) == NULL)
			return -1;
		st->waiters = w;
		st->capwaiters = cap;
	}
	st->waiters[st->nwaiters].cb = cb;
	st->waiters[st->nwaiters].arg = arg;
	st->nwaiters++;
	return 0;
}

int
store_commit(struct store *st)
{
	struct store_waiter *w;
	size_t i, n;
	int rc, status = 0;

	if (st->wtxn != NULL) {
		rc = mdb_txn_commit(st->wtxn);
		st->wtxn = NULL;
		if (rc != 0) {
			log_warnx("store: commit failed: %s", mdb_strerror(rc));
			status = -1;
		}
	}
	if (st->failed)
		status = -1;
	st->failed = 0;
	/* Callbacks may start the next batch: hand them this one's list. */
	w = st->waiters;
	n = st->nwaiters;
	st->waiters = NULL;
	st->nwaiters = st->capwaiters = 0;
	for (i = 0; i < n; i++)
		w[i].cb(status, w[i].arg);
	free(w);
	return status;
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

int
store_iterate(struct store *st, enum store_db db, const void *from,
    size_t fromlen, store_iter_cb cb, void *arg)
{
	MDB_cursor *cur;
	MDB_val k = { fromlen, (void *)from }, v;
	MDB_cursor_op op = from != NULL ? MDB_SET_RANGE : MDB_FIRST;
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
	char err[512];

	gw->store = store_open(gw->base, gw->cfg.store_path,
	    (size_t)gw->cfg.store_map_size_mb << 20, err, sizeof(err));
	if (gw->store == NULL) {
		log_warnx("store: %s", err);
		return -1;
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
