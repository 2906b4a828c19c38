/*
 * test_store.c: unit tests for store/store.c, the LMDB store with group
 * commit: round trips, key order, deletes, the durable callbacks of a batch,
 * reads that see committed data only, the commit event on the loop, reopen,
 * a full map, short read buffers and the schema check. Each test gets its
 * own directory and event base.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "store/store.h"
#include "tests/unit/testutil.h"

#define MAP_BYTES	(8u << 20)
#define TINY_MAP	(64u << 10)	/* 16 pages of 4 KiB */
#define MAX_SEEN	80
#define WAIT_SECONDS	10		/* for the writer, at most */

/* What the durable callbacks saw, in call order. */
struct calls {
	int	id[MAX_SEEN];
	int	status[MAX_SEEN];
	size_t	n;
};

struct fixture;

struct waiter {
	struct fixture	*f;
	int		 id;
	const char	*key;		/* in DEVICES: readable iff status 0 */
	int		 rewrite;	/* write again from the callback */
};

/*
 * Per test. The callbacks' state lives here, not on a test's stack: a
 * failed test leaves waiters behind, and teardown's store_close runs them.
 */
struct fixture {
	char			 dir[64];
	struct event_base	*base;
	struct store		*st;
	struct calls		 calls;
	struct waiter		 w[MAX_SEEN];
};

/* Keys and values an iteration saw, copied. */
struct walk {
	char	key[MAX_SEEN][64];
	char	val[MAX_SEEN][64];
	size_t	n;
	size_t	stop_at;		/* return 7 on this call (1-based) */
};

static struct store *
open_store(struct fixture *f, size_t map)
{
	char err[512];
	struct store *st;

	st = store_open(f->base, f->dir, map, err, sizeof(err));
	if (st == NULL)
		fail_msg("store_open %s: %s", f->dir, err);
	return st;
}

static int
setup(void **state)
{
	struct fixture *f;
	int i;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/outpost-test-store.XXXXXX");
	if (mkdtemp(f->dir) == NULL || (f->base = event_base_new()) == NULL) {
		free(f);
		return -1;
	}
	for (i = 0; i < MAX_SEEN; i++) {
		f->w[i].f = f;
		f->w[i].id = i;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	store_close(f->st);
	event_base_free(f->base);
	rc = rm_tree(f->dir);
	free(f);
	return rc;
}

static int
on_record(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct walk *w = arg;

	assert_true(w->n < MAX_SEEN);
	assert_true(klen < sizeof(w->key[0]) && vlen < sizeof(w->val[0]));
	memcpy(w->key[w->n], key, klen);
	w->key[w->n][klen] = '\0';
	memcpy(w->val[w->n], val, vlen);
	w->val[w->n][vlen] = '\0';
	w->n++;
	return w->stop_at != 0 && w->n == w->stop_at ? 7 : 0;
}

static void
put_str(struct store *st, enum store_db db, const char *key, const char *val)
{
	assert_int_equal(store_put(st, db, key, strlen(key), val, strlen(val)),
	    0);
}

/* Reads key as a string: returns store_get's result, value in buf. */
static int
get_str(struct store *st, enum store_db db, const char *key, char *buf,
    size_t buflen)
{
	size_t vlen = (size_t)-1;
	int rc;

	memset(buf, 0, buflen);
	rc = store_get(st, db, key, strlen(key), buf, buflen - 1, &vlen);
	if (rc == 0)
		assert_true(vlen < buflen);
	return rc;
}

static void
assert_value(struct store *st, enum store_db db, const char *key,
    const char *want)
{
	char buf[256];

	if (get_str(st, db, key, buf, sizeof(buf)) != 0)
		fail_msg("key \"%s\" absent, want \"%s\"", key, want);
	assert_string_equal(buf, want);
}

static void
assert_absent(struct store *st, enum store_db db, const char *key)
{
	char buf[256];

	if (get_str(st, db, key, buf, sizeof(buf)) != 1)
		fail_msg("key \"%s\" present: \"%s\"", key, buf);
}

/*
 * Records the call. A batch that is durable is readable by the time its
 * callbacks run; a failed one is not there at all.
 */
static void
on_durable(int status, void *arg)
{
	struct waiter *w = arg;
	struct fixture *f = w->f;
	struct calls *c = &f->calls;
	char buf[256];

	assert_true(c->n < MAX_SEEN);
	c->id[c->n] = w->id;
	c->status[c->n] = status;
	c->n++;
	if (w->key != NULL)
		assert_int_equal(get_str(f->st, STORE_DB_DEVICES, w->key, buf,
		    sizeof(buf)), status == 0 ? 0 : 1);
	if (w->rewrite) {
		/* the next batch, from inside this one's callback */
		w->rewrite = 0;
		w->id += 100;
		w->key = "from-cb";
		put_str(f->st, STORE_DB_DEVICES, "from-cb", "x");
		assert_int_equal(store_when_durable(f->st, on_durable, w), 0);
	}
}

/* Registers waiter i (checking key, if not NULL) on the open batch. */
static void
wait_for(struct fixture *f, int i, const char *key)
{
	f->w[i].key = key;
	assert_int_equal(store_when_durable(f->st, on_durable, &f->w[i]), 0);
}

static void
on_guard(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/*
 * Runs the loop, a turn at a time, until n callbacks have run; fails after
 * WAIT_SECONDS. The durable callbacks run on the loop (whether the commit
 * itself is done in the turn or by another thread).
 */
static void
run_until(struct fixture *f, size_t n)
{
	struct timeval tv = { WAIT_SECONDS, 0 };
	struct event *guard;
	int expired = 0;

	guard = evtimer_new(f->base, on_guard, &expired);
	assert_non_null(guard);
	assert_int_equal(evtimer_add(guard, &tv), 0);
	while (f->calls.n < n && !expired)
		assert_int_not_equal(event_base_loop(f->base, EVLOOP_ONCE), -1);
	event_free(guard);
	if (f->calls.n < n)
		fail_msg("%zu of %zu durable callbacks after %d s", f->calls.n,
		    n, WAIT_SECONDS);
}

/* ---- round trips ---- */

static void
test_put_commit_get(void **state)
{
	struct fixture *f = *state;
	unsigned char bin[300], out[300];
	size_t vlen, i;

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "node-1", "record one");
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)i;	/* NULs, high bytes */
	assert_int_equal(store_put(f->st, STORE_DB_DEVICES, "bin", 3, bin,
	    sizeof(bin)), 0);
	assert_int_equal(store_put(f->st, STORE_DB_DEVICES, "empty", 5, "", 0),
	    0);
	assert_int_equal(store_commit(f->st), 0);

	assert_value(f->st, STORE_DB_DEVICES, "node-1", "record one");
	vlen = 0;
	assert_int_equal(store_get(f->st, STORE_DB_DEVICES, "bin", 3, out,
	    sizeof(out), &vlen), 0);
	assert_int_equal(vlen, sizeof(bin));
	assert_memory_equal(out, bin, sizeof(bin));
	vlen = 99;
	assert_int_equal(store_get(f->st, STORE_DB_DEVICES, "empty", 5, out,
	    sizeof(out), &vlen), 0);
	assert_int_equal(vlen, 0);
	assert_absent(f->st, STORE_DB_DEVICES, "node-2");
	/* A prefix of a key is another key. */
	assert_absent(f->st, STORE_DB_DEVICES, "node-");
	assert_true(store_size(f->st) > 0);
}

/* The same key in two databases holds two values. */
static void
test_databases_separate(void **state)
{
	struct fixture *f = *state;

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "ep", "device");
	put_str(f->st, STORE_DB_META, "ep", "meta");
	put_str(f->st, STORE_DB_DEVICES, "only-devices", "x");
	assert_int_equal(store_commit(f->st), 0);
	assert_value(f->st, STORE_DB_DEVICES, "ep", "device");
	assert_value(f->st, STORE_DB_META, "ep", "meta");
	assert_absent(f->st, STORE_DB_META, "only-devices");
	assert_absent(f->st, STORE_DB_DEVICES, "schema");
}

/* Within a batch and across batches, the last put of a key wins. */
static void
test_overwrite(void **state)
{
	struct fixture *f = *state;

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "k", "one");
	put_str(f->st, STORE_DB_DEVICES, "k", "two, longer");
	assert_int_equal(store_commit(f->st), 0);
	assert_value(f->st, STORE_DB_DEVICES, "k", "two, longer");
	put_str(f->st, STORE_DB_DEVICES, "k", "3");
	assert_int_equal(store_commit(f->st), 0);
	assert_value(f->st, STORE_DB_DEVICES, "k", "3");
}

static void
test_iterate_in_key_order(void **state)
{
	static const char *const put[] = {
		"dev-10", "dev-02", "alpha", "dev-01", "zulu", "dev-1",
	};
	static const char *const sorted[] = {
		"alpha", "dev-01", "dev-02", "dev-1", "dev-10", "zulu",
	};
	struct fixture *f = *state;
	struct walk w;
	size_t i;

	f->st = open_store(f, MAP_BYTES);
	for (i = 0; i < sizeof(put) / sizeof(put[0]); i++) {
		char val[16];

		snprintf(val, sizeof(val), "v-%s", put[i]);
		put_str(f->st, STORE_DB_DEVICES, put[i], val);
	}
	put_str(f->st, STORE_DB_META, "other-db", "x");
	assert_int_equal(store_commit(f->st), 0);

	memset(&w, 0, sizeof(w));
	assert_int_equal(store_iterate(f->st, STORE_DB_DEVICES, NULL, 0,
	    on_record, &w), 0);
	assert_int_equal(w.n, 6);
	for (i = 0; i < w.n; i++) {
		char val[16];

		assert_string_equal(w.key[i], sorted[i]);
		snprintf(val, sizeof(val), "v-%s", sorted[i]);
		assert_string_equal(w.val[i], val);
	}

	/* From a present key: that key first. */
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_iterate(f->st, STORE_DB_DEVICES, "dev-02", 6,
	    on_record, &w), 0);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.key[0], "dev-02");
	assert_string_equal(w.key[3], "zulu");

	/* From an absent key: the next one ("dev-03" < "dev-1"). */
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_iterate(f->st, STORE_DB_DEVICES, "dev-03", 6,
	    on_record, &w), 0);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.key[0], "dev-1");
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_iterate(f->st, STORE_DB_DEVICES, "dev-11", 6,
	    on_record, &w), 0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.key[0], "zulu");

	/* The from length counts, not a NUL: "dev-1" of "dev-10". */
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_iterate(f->st, STORE_DB_DEVICES, "dev-10", 5,
	    on_record, &w), 0);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.key[0], "dev-1");

	/* Past the end. */
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_iterate(f->st, STORE_DB_DEVICES, "zz", 2,
	    on_record, &w), 0);
	assert_int_equal(w.n, 0);

	/* Each database on its own: META holds "other-db" and "schema". */
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_iterate(f->st, STORE_DB_META, NULL, 0,
	    on_record, &w), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.key[0], "other-db");
	assert_string_equal(w.key[1], "schema");
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_iterate(f->st, STORE_DB_META, "p", 1,
	    on_record, &w), 0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.key[0], "schema");
}

/* A callback's non-zero value stops the walk and is returned. */
static void
test_iterate_stops(void **state)
{
	struct fixture *f = *state;
	struct walk w;

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "a", "1");
	put_str(f->st, STORE_DB_DEVICES, "b", "2");
	put_str(f->st, STORE_DB_DEVICES, "c", "3");
	assert_int_equal(store_commit(f->st), 0);
	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	assert_int_equal(store_iterate(f->st, STORE_DB_DEVICES, NULL, 0,
	    on_record, &w), 7);
	assert_int_equal(w.n, 2);
	/* The read transaction was released: reads still work. */
	assert_value(f->st, STORE_DB_DEVICES, "c", "3");
}

/*
 * "from the first key >= from": every key is >= the empty key, so an empty
 * from walks everything (GET /v1/devices?after= reaches this with "", 0).
 */
static void
test_iterate_from_empty_key(void **state)
{
	struct fixture *f = *state;
	struct walk w;

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "a", "1");
	put_str(f->st, STORE_DB_DEVICES, "b", "2");
	assert_int_equal(store_commit(f->st), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_iterate(f->st, STORE_DB_DEVICES, "", 0,
	    on_record, &w), 0);
	assert_int_equal(w.n, 2);
}

static void
test_delete(void **state)
{
	struct fixture *f = *state;

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "a", "1");
	put_str(f->st, STORE_DB_DEVICES, "b", "2");
	assert_int_equal(store_commit(f->st), 0);

	assert_int_equal(store_del(f->st, STORE_DB_DEVICES, "a", 1), 0);
	/* Not committed yet: still readable. */
	assert_value(f->st, STORE_DB_DEVICES, "a", "1");
	assert_int_equal(store_commit(f->st), 0);
	assert_absent(f->st, STORE_DB_DEVICES, "a");
	assert_value(f->st, STORE_DB_DEVICES, "b", "2");

	/* Deleting an absent key is no error and does not fail the batch. */
	put_str(f->st, STORE_DB_DEVICES, "c", "3");
	assert_int_equal(store_del(f->st, STORE_DB_DEVICES, "nope", 4), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_value(f->st, STORE_DB_DEVICES, "c", "3");

	/* Put then delete in one batch: gone. */
	put_str(f->st, STORE_DB_DEVICES, "d", "4");
	assert_int_equal(store_del(f->st, STORE_DB_DEVICES, "d", 1), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_absent(f->st, STORE_DB_DEVICES, "d");
}

/* ---- put2 and patch ---- */

/* Reads key's value into buf (NUL-terminated); fails if absent. */
static size_t
get_raw(struct store *st, const char *key, char *buf, size_t buflen)
{
	size_t vlen = 0;

	memset(buf, 0, buflen);
	if (store_get(st, STORE_DB_DEVICES, key, strlen(key), buf, buflen - 1,
	    &vlen) != 0)
		fail_msg("key \"%s\" absent", key);
	assert_true(vlen < buflen);
	return vlen;
}

static void
test_put2(void **state)
{
	struct fixture *f = *state;
	char buf[64];

	f->st = open_store(f, MAP_BYTES);
	assert_int_equal(store_put2(f->st, STORE_DB_DEVICES, "ht", 2, "head",
	    4, "+tail", 5), 0);
	assert_int_equal(store_put2(f->st, STORE_DB_DEVICES, "h", 1, "head",
	    4, NULL, 0), 0);
	assert_int_equal(store_put2(f->st, STORE_DB_DEVICES, "t", 1, NULL, 0,
	    "tail", 4), 0);
	assert_int_equal(store_put2(f->st, STORE_DB_DEVICES, "none", 4, NULL,
	    0, NULL, 0), 0);
	assert_int_equal(store_put2(f->st, STORE_DB_DEVICES, "", 0, "x", 1,
	    "y", 1), -1);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(get_raw(f->st, "ht", buf, sizeof(buf)), 9);
	assert_string_equal(buf, "head+tail");
	assert_int_equal(get_raw(f->st, "h", buf, sizeof(buf)), 4);
	assert_string_equal(buf, "head");
	assert_int_equal(get_raw(f->st, "t", buf, sizeof(buf)), 4);
	assert_string_equal(buf, "tail");
	assert_int_equal(get_raw(f->st, "none", buf, sizeof(buf)), 0);
}

/* The head is replaced, the rest kept. */
static void
test_patch(void **state)
{
	struct fixture *f = *state;
	char buf[64];

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "k", "HEADtail");
	assert_int_equal(store_commit(f->st), 0);

	assert_int_equal(store_patch(f->st, STORE_DB_DEVICES, "k", 1, "head",
	    4), 0);
	/* Not committed: reads see the old value. */
	assert_value(f->st, STORE_DB_DEVICES, "k", "HEADtail");
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(get_raw(f->st, "k", buf, sizeof(buf)), 8);
	assert_string_equal(buf, "headtail");

	/* As long as the value: all of it. */
	assert_int_equal(store_patch(f->st, STORE_DB_DEVICES, "k", 1,
	    "12345678", 8), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_value(f->st, STORE_DB_DEVICES, "k", "12345678");

	/* An empty head changes nothing. */
	assert_int_equal(store_patch(f->st, STORE_DB_DEVICES, "k", 1, "", 0),
	    0);
	assert_int_equal(store_commit(f->st), 0);
	assert_value(f->st, STORE_DB_DEVICES, "k", "12345678");

	/* Longer than the value: a put. */
	assert_int_equal(store_patch(f->st, STORE_DB_DEVICES, "k", 1,
	    "a longer head", 13), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(get_raw(f->st, "k", buf, sizeof(buf)), 13);
	assert_string_equal(buf, "a longer head");
}

/* A patch of an absent key does nothing, and fails nothing. */
static void
test_patch_absent(void **state)
{
	struct fixture *f = *state;

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "other", "v");
	assert_int_equal(store_patch(f->st, STORE_DB_DEVICES, "gone", 4,
	    "head", 4), 0);
	wait_for(f, 1, "other");
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(f->calls.status[0], 0);
	assert_absent(f->st, STORE_DB_DEVICES, "gone");
	assert_value(f->st, STORE_DB_DEVICES, "other", "v");
	assert_int_equal(store_patch(f->st, STORE_DB_DEVICES, "", 0, "h", 1),
	    -1);
}

/* Within one batch, operations apply in order. */
static void
test_patch_in_batch_order(void **state)
{
	struct fixture *f = *state;
	char buf[64];

	f->st = open_store(f, MAP_BYTES);
	/* put, then patch: the patch sees the put */
	assert_int_equal(store_put2(f->st, STORE_DB_DEVICES, "a", 1, "rec1",
	    4, "</1/0>", 6), 0);
	assert_int_equal(store_patch(f->st, STORE_DB_DEVICES, "a", 1, "rec2",
	    4), 0);
	/* patch, then delete: gone */
	put_str(f->st, STORE_DB_DEVICES, "b", "rec1links");
	assert_int_equal(store_patch(f->st, STORE_DB_DEVICES, "b", 1, "rec2",
	    4), 0);
	assert_int_equal(store_del(f->st, STORE_DB_DEVICES, "b", 1), 0);
	/* delete, then patch: still gone */
	put_str(f->st, STORE_DB_DEVICES, "c", "rec1links");
	assert_int_equal(store_del(f->st, STORE_DB_DEVICES, "c", 1), 0);
	assert_int_equal(store_patch(f->st, STORE_DB_DEVICES, "c", 1, "rec2",
	    4), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(get_raw(f->st, "a", buf, sizeof(buf)), 10);
	assert_string_equal(buf, "rec2</1/0>");
	assert_absent(f->st, STORE_DB_DEVICES, "b");
	assert_absent(f->st, STORE_DB_DEVICES, "c");
}

/* ---- reads see committed data only ---- */

static void
test_uncommitted_invisible(void **state)
{
	struct fixture *f = *state;
	struct walk w;

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "k", "v1");
	assert_absent(f->st, STORE_DB_DEVICES, "k");
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_iterate(f->st, STORE_DB_DEVICES, NULL, 0,
	    on_record, &w), 0);
	assert_int_equal(w.n, 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_value(f->st, STORE_DB_DEVICES, "k", "v1");

	/* An uncommitted overwrite: the committed value is what reads see. */
	put_str(f->st, STORE_DB_DEVICES, "k", "v2");
	put_str(f->st, STORE_DB_DEVICES, "k2", "new");
	assert_value(f->st, STORE_DB_DEVICES, "k", "v1");
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_iterate(f->st, STORE_DB_DEVICES, NULL, 0,
	    on_record, &w), 0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.val[0], "v1");
	assert_int_equal(store_commit(f->st), 0);
	assert_value(f->st, STORE_DB_DEVICES, "k", "v2");
	assert_value(f->st, STORE_DB_DEVICES, "k2", "new");
}

/* ---- durable callbacks ---- */

static void
test_when_durable_order(void **state)
{
	static const char *const keys[] = { "k1", "k2", "k3" };
	struct fixture *f = *state;
	struct calls *c = &f->calls;
	int i;

	f->st = open_store(f, MAP_BYTES);
	for (i = 1; i <= 3; i++) {
		put_str(f->st, STORE_DB_DEVICES, keys[i - 1], "v");
		wait_for(f, i, keys[i - 1]);
	}
	assert_int_equal(c->n, 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(c->n, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(c->id[i], i + 1);
		assert_int_equal(c->status[i], 0);
	}
	assert_value(f->st, STORE_DB_DEVICES, "k3", "v");
	/* Once per batch: later commits do not call them again. */
	put_str(f->st, STORE_DB_DEVICES, "k9", "v");
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(c->n, 3);
}

/* With no write in the batch, a waiter still waits for the next commit. */
static void
test_when_durable_without_writes(void **state)
{
	struct fixture *f = *state;

	f->st = open_store(f, MAP_BYTES);
	wait_for(f, 1, NULL);
	assert_int_equal(f->calls.n, 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(f->calls.n, 1);
	assert_int_equal(f->calls.status[0], 0);
	/* And on the loop. */
	wait_for(f, 2, NULL);
	run_until(f, 2);
	assert_int_equal(f->calls.id[1], 2);
	assert_int_equal(f->calls.status[1], 0);
}

/* Many waiters (past any initial array size), all in order. */
static void
test_when_durable_many(void **state)
{
	struct fixture *f = *state;
	int i;

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "k", "v");
	for (i = 0; i < MAX_SEEN; i++)
		wait_for(f, i, "k");
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(f->calls.n, MAX_SEEN);
	for (i = 0; i < MAX_SEEN; i++)
		assert_int_equal(f->calls.id[i], i);
}

/*
 * A callback that writes starts the next batch: its own batch is already
 * durable (and readable), the new write is reported by a later callback.
 */
static void
test_callback_starts_next_batch(void **state)
{
	struct fixture *f = *state;
	struct calls *c = &f->calls;

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "first", "x");
	f->w[10].rewrite = 1;
	wait_for(f, 10, "first");
	assert_int_equal(store_commit(f->st), 0);
	assert_true(c->n >= 1);
	assert_int_equal(c->id[0], 10);
	assert_int_equal(c->status[0], 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->id[1], 110);
	assert_int_equal(c->status[1], 0);
	assert_value(f->st, STORE_DB_DEVICES, "from-cb", "x");

	/* The same on the loop. */
	put_str(f->st, STORE_DB_DEVICES, "second", "x");
	f->w[11].rewrite = 1;
	wait_for(f, 11, "second");
	run_until(f, 4);
	assert_int_equal(c->id[2], 11);
	assert_int_equal(c->id[3], 111);
	assert_int_equal(c->status[3], 0);
}

/* Waits, without running the loop, until key is readable. */
static int
await_visible(struct store *st, const char *key)
{
	struct timespec ms = { 0, 1000000 };
	char buf[256];
	int i;

	for (i = 0; i < WAIT_SECONDS * 1000; i++) {
		if (get_str(st, STORE_DB_DEVICES, key, buf, sizeof(buf)) == 0)
			return 1;
		nanosleep(&ms, NULL);
	}
	return 0;
}

/*
 * The store schedules its own commit: after one loop turn the batch is on
 * its way to disk with nobody calling store_commit, and the loop then runs
 * its callbacks.
 */
static void
test_loop_turn_commits(void **state)
{
	struct fixture *f = *state;
	struct calls *c = &f->calls;

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "k", "v");
	wait_for(f, 1, "k");
	assert_absent(f->st, STORE_DB_DEVICES, "k");
	assert_int_equal(event_base_loop(f->base,
	    EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
	if (!await_visible(f->st, "k"))
		fail_msg("one loop turn did not start the commit");
	run_until(f, 1);
	assert_int_equal(c->status[0], 0);

	/* And again for the next batch: the event is re-armed. */
	put_str(f->st, STORE_DB_DEVICES, "k2", "v2");
	wait_for(f, 2, "k2");
	assert_int_equal(event_base_loop(f->base,
	    EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
	if (!await_visible(f->st, "k2"))
		fail_msg("one loop turn did not start the second commit");
	run_until(f, 2);
	assert_int_equal(c->id[1], 2);

	/* A delete alone also schedules its commit. */
	assert_int_equal(store_del(f->st, STORE_DB_DEVICES, "k", 1), 0);
	wait_for(f, 3, NULL);
	run_until(f, 3);
	assert_absent(f->st, STORE_DB_DEVICES, "k");
	assert_int_equal(c->n, 3);
}

/*
 * Writes made while a batch is on its way to disk form the next batch;
 * batches complete in order.
 */
static void
test_batches_in_order(void **state)
{
	struct fixture *f = *state;
	struct calls *c = &f->calls;
	char key[16];
	int i;

	f->st = open_store(f, MAP_BYTES);
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "n%02d", i);
		put_str(f->st, STORE_DB_DEVICES, key, key);
		/* the same key, overwritten by each batch: last one wins */
		put_str(f->st, STORE_DB_DEVICES, "last", key);
		wait_for(f, i, NULL);
		assert_int_equal(event_base_loop(f->base,
		    EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
	}
	run_until(f, 20);
	for (i = 0; i < 20; i++) {
		assert_int_equal(c->id[i], i);
		assert_int_equal(c->status[i], 0);
	}
	assert_value(f->st, STORE_DB_DEVICES, "last", "n19");
	assert_value(f->st, STORE_DB_DEVICES, "n00", "n00");
	assert_value(f->st, STORE_DB_DEVICES, "n19", "n19");
}

/* Keys LMDB cannot hold are refused up front; the batch goes on. */
static void
test_key_limits(void **state)
{
	struct fixture *f = *state;
	char key[512];

	memset(key, 'k', sizeof(key));
	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "good", "v");
	assert_int_equal(store_put(f->st, STORE_DB_DEVICES, key, 0, "v", 1),
	    -1);
	assert_int_equal(store_put(f->st, STORE_DB_DEVICES, key, 512, "v", 1),
	    -1);
	assert_int_equal(store_del(f->st, STORE_DB_DEVICES, key, 512), -1);
	assert_int_equal(store_put(f->st, STORE_DB_DEVICES, key, 511, "max",
	    3), 0);
	wait_for(f, 1, "good");
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(f->calls.status[0], 0);
	assert_value(f->st, STORE_DB_DEVICES, "good", "v");
}

/* ---- reopen ---- */

static void
test_survives_reopen(void **state)
{
	struct fixture *f = *state;

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "node-1", "rec");
	put_str(f->st, STORE_DB_META, "node-1", "</3/0>");
	assert_int_equal(store_commit(f->st), 0);
	store_close(f->st);
	f->st = NULL;

	f->st = open_store(f, MAP_BYTES);
	assert_value(f->st, STORE_DB_DEVICES, "node-1", "rec");
	assert_value(f->st, STORE_DB_META, "node-1", "</3/0>");
}

/* store_close commits the open batch and tells its waiters. */
static void
test_close_commits_open_batch(void **state)
{
	struct fixture *f = *state;

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "late", "v");
	wait_for(f, 1, "late");
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(f->calls.n, 1);
	assert_int_equal(f->calls.status[0], 0);
	f->st = open_store(f, MAP_BYTES);
	assert_value(f->st, STORE_DB_DEVICES, "late", "v");
}

/* store_close also finishes a batch already on its way to disk. */
static void
test_close_during_commit(void **state)
{
	struct fixture *f = *state;

	f->st = open_store(f, MAP_BYTES);
	put_str(f->st, STORE_DB_DEVICES, "a", "1");
	wait_for(f, 1, NULL);
	assert_int_equal(event_base_loop(f->base,
	    EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
	put_str(f->st, STORE_DB_DEVICES, "b", "2");
	wait_for(f, 2, NULL);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(f->calls.n, 2);
	assert_int_equal(f->calls.id[0], 1);
	assert_int_equal(f->calls.id[1], 2);
	assert_int_equal(f->calls.status[1], 0);
	f->st = open_store(f, MAP_BYTES);
	assert_value(f->st, STORE_DB_DEVICES, "a", "1");
	assert_value(f->st, STORE_DB_DEVICES, "b", "2");
}

/* store_open makes the directory and its parents. */
static void
test_open_makes_dirs(void **state)
{
	struct fixture *f = *state;
	char dir[128], err[512];
	struct store *st;
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s/a/b/c", f->dir);
	st = store_open(f->base, dir, MAP_BYTES, err, sizeof(err));
	if (st == NULL)
		fail_msg("%s", err);
	assert_int_equal(stat(dir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	store_close(st);
}

/* A directory that cannot be made or used: NULL and a message naming it. */
static void
test_open_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	char file[128], dir[160], err[512];
	FILE *fp;

	snprintf(file, sizeof(file), "%s/plain", f->dir);
	assert_non_null(fp = fopen(file, "w"));
	fclose(fp);
	snprintf(dir, sizeof(dir), "%s/sub", file);
	err[0] = '\0';
	assert_null(store_open(f->base, dir, MAP_BYTES, err, sizeof(err)));
	assert_non_null(strstr(err, dir));
	err[0] = '\0';
	assert_null(store_open(f->base, file, MAP_BYTES, err, sizeof(err)));
	assert_non_null(strstr(err, file));
}

/* ---- a full map ---- */

/*
 * Fills one batch past the map. Puts may be refused once the store sees
 * the map is full, or accepted and the commit fails: either way the whole
 * batch fails together. Returns how many big values were accepted.
 */
static int
overfill(struct fixture *f)
{
	unsigned char *big;
	char key[16];
	int i;

	big = malloc(8192);
	assert_non_null(big);
	memset(big, 'B', 8192);
	/* 16 x 8 KiB is twice the map */
	for (i = 0; i < 16; i++) {
		snprintf(key, sizeof(key), "big-%02d", i);
		if (store_put(f->st, STORE_DB_DEVICES, key, strlen(key), big,
		    8192) == -1)
			break;
	}
	free(big);
	return i;
}

static void
test_map_full(void **state)
{
	struct fixture *f = *state;
	struct calls *c = &f->calls;
	struct walk walk;

	f->st = open_store(f, TINY_MAP);
	put_str(f->st, STORE_DB_DEVICES, "keep", "committed before");
	assert_int_equal(store_commit(f->st), 0);

	put_str(f->st, STORE_DB_META, "small", "in the failed batch");
	wait_for(f, 1, "big-00");
	assert_true(overfill(f) >= 1);
	wait_for(f, 2, NULL);
	assert_int_equal(c->n, 0);
	assert_int_equal(store_commit(f->st), -1);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->id[0], 1);
	assert_int_equal(c->status[0], STORE_FULL);
	assert_int_equal(c->id[1], 2);
	assert_int_equal(c->status[1], STORE_FULL);
	assert_true(store_full(f->st));	/* said as 507 */

	/* Nothing of the batch is stored; what was committed stays. */
	memset(&walk, 0, sizeof(walk));
	assert_int_equal(store_iterate(f->st, STORE_DB_DEVICES, NULL, 0,
	    on_record, &walk), 0);
	assert_int_equal(walk.n, 1);
	assert_string_equal(walk.key[0], "keep");
	assert_absent(f->st, STORE_DB_META, "small");

	/* The store keeps working. */
	put_str(f->st, STORE_DB_DEVICES, "next", "ok");
	wait_for(f, 3, "next");
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(c->n, 3);
	assert_int_equal(c->status[2], 0);
	assert_false(store_full(f->st));
	assert_value(f->st, STORE_DB_DEVICES, "keep", "committed before");

	/* And what it refused survives a reopen as refused. */
	store_close(f->st);
	f->st = open_store(f, TINY_MAP);
	assert_absent(f->st, STORE_DB_DEVICES, "big-00");
	assert_value(f->st, STORE_DB_DEVICES, "next", "ok");
}

/* A failed batch is also failed when the loop commits it. */
static void
test_map_full_on_loop(void **state)
{
	struct fixture *f = *state;
	struct calls *c = &f->calls;

	f->st = open_store(f, TINY_MAP);
	wait_for(f, 1, "big-00");
	assert_true(overfill(f) >= 1);
	run_until(f, 1);
	assert_int_equal(c->status[0], STORE_FULL);
	/* The next batch commits on a later turn. */
	put_str(f->st, STORE_DB_DEVICES, "next", "ok");
	wait_for(f, 2, "next");
	run_until(f, 2);
	assert_int_equal(c->status[1], 0);
	assert_absent(f->st, STORE_DB_DEVICES, "big-00");
}

/* ---- short read buffers ---- */

static void
test_get_short_buffer(void **state)
{
	struct fixture *f = *state;
	char val[100], *buf;
	size_t vlen, i;

	for (i = 0; i < sizeof(val); i++)
		val[i] = (char)('a' + i % 26);
	f->st = open_store(f, MAP_BYTES);
	assert_int_equal(store_put(f->st, STORE_DB_DEVICES, "k", 1, val,
	    sizeof(val)), 0);
	assert_int_equal(store_commit(f->st), 0);

	buf = malloc(10);	/* exact size: ASan sees a write past it */
	assert_non_null(buf);
	vlen = 0;
	assert_int_equal(store_get(f->st, STORE_DB_DEVICES, "k", 1, buf, 10,
	    &vlen), 0);
	assert_int_equal(vlen, sizeof(val));
	assert_memory_equal(buf, val, 10);
	free(buf);

	buf = malloc(1);
	assert_non_null(buf);
	buf[0] = '#';
	vlen = 0;
	assert_int_equal(store_get(f->st, STORE_DB_DEVICES, "k", 1, buf, 0,
	    &vlen), 0);
	assert_int_equal(vlen, sizeof(val));
	assert_int_equal(buf[0], '#');
	free(buf);

	/* Exactly the size. */
	buf = malloc(sizeof(val));
	assert_non_null(buf);
	assert_int_equal(store_get(f->st, STORE_DB_DEVICES, "k", 1, buf,
	    sizeof(val), &vlen), 0);
	assert_int_equal(vlen, sizeof(val));
	assert_memory_equal(buf, val, sizeof(val));
	free(buf);
}

/* ---- the schema record ---- */

static void
test_schema_written(void **state)
{
	struct fixture *f = *state;
	uint32_t v = 0;
	size_t vlen = 0;

	f->st = open_store(f, MAP_BYTES);
	assert_int_equal(store_get(f->st, STORE_DB_META, "schema", 6, &v,
	    sizeof(v), &vlen), 0);
	assert_int_equal(vlen, sizeof(v));
	assert_int_equal(v, STORE_SCHEMA_VERSION);
}

static void
test_schema_other_version(void **state)
{
	struct fixture *f = *state;
	uint32_t other = STORE_SCHEMA_VERSION + 41;
	char err[512], want[64];

	f->st = open_store(f, MAP_BYTES);
	assert_int_equal(store_put(f->st, STORE_DB_META, "schema", 6, &other,
	    sizeof(other)), 0);
	assert_int_equal(store_commit(f->st), 0);
	store_close(f->st);
	f->st = NULL;

	err[0] = '\0';
	assert_null(store_open(f->base, f->dir, MAP_BYTES, err, sizeof(err)));
	snprintf(want, sizeof(want), "version %u", other);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\" does not name the store's %s", err, want);
	snprintf(want, sizeof(want), "version %u", STORE_SCHEMA_VERSION);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\" does not name the gateway's %s", err, want);
	assert_non_null(strstr(err, f->dir));
	/* Refusing does not rewrite it: a second open refuses too. */
	assert_null(store_open(f->base, f->dir, MAP_BYTES, err, sizeof(err)));
}

static void
test_schema_bad_record(void **state)
{
	struct fixture *f = *state;
	char err[512];

	f->st = open_store(f, MAP_BYTES);
	assert_int_equal(store_put(f->st, STORE_DB_META, "schema", 6, "1", 1),
	    0);
	assert_int_equal(store_commit(f->st), 0);
	store_close(f->st);
	f->st = NULL;
	err[0] = '\0';
	assert_null(store_open(f->base, f->dir, MAP_BYTES, err, sizeof(err)));
	assert_non_null(strstr(err, "schema"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_put_commit_get),
		T(test_databases_separate),
		T(test_overwrite),
		T(test_iterate_in_key_order),
		T(test_iterate_stops),
		T(test_iterate_from_empty_key),
		T(test_delete),
		T(test_put2),
		T(test_patch),
		T(test_patch_absent),
		T(test_patch_in_batch_order),
		T(test_uncommitted_invisible),
		T(test_when_durable_order),
		T(test_when_durable_without_writes),
		T(test_when_durable_many),
		T(test_callback_starts_next_batch),
		T(test_loop_turn_commits),
		T(test_batches_in_order),
		T(test_key_limits),
		T(test_survives_reopen),
		T(test_close_commits_open_batch),
		T(test_close_during_commit),
		T(test_open_makes_dirs),
		T(test_open_fails_cleanly),
		T(test_map_full),
		T(test_map_full_on_loop),
		T(test_get_short_buffer),
		T(test_schema_written),
		T(test_schema_other_version),
		T(test_schema_bad_record),
#undef T
	};

	/* a full map is logged as a warning; the tests check the results */
	log_init("test_store", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
