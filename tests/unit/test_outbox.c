/*
 * test_outbox.c: unit tests for cache/outbox.c, the durable queue of the
 * cloud link, over a real LMDB store in a temporary directory: messages in
 * order, durable only once committed, popped, dropped (oldest first,
 * counted) past the bounds of count and bytes, sequence numbers never
 * given twice (across an empty outbox and a reopen), what survives a
 * close and a kill -9 (what was committed), and the stats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "gateway.h"
#include "cache/outbox.h"
#include "store/store.h"
#include "tests/unit/testutil.h"

#define MAP_BYTES	(8u << 20)
#define META		"cloud.next"

struct fixture {
	char			 dir[64];
	struct event_base	*base;
	struct store		*st;
	struct outbox		*ob;
	int			 durable_calls;
	int			 last_status;
};

static int
setup(void **state)
{
	struct fixture *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/outpost-test-outbox.XXXXXX");
	if (mkdtemp(f->dir) == NULL || (f->base = event_base_new()) == NULL) {
		free(f);
		return -1;
	}
	f->last_status = 99;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	outbox_close(f->ob);
	store_close(f->st);
	event_base_free(f->base);
	rc = rm_tree(f->dir);
	free(f);
	return rc;
}

static void
on_durable(struct outbox *ob, int status, void *arg)
{
	struct fixture *f = arg;

	assert_ptr_equal(ob, f->ob);
	f->durable_calls++;
	f->last_status = status;
}

static void
open_all(struct fixture *f, size_t max_count, size_t max_bytes)
{
	char err[512];

	f->st = store_open(f->base, f->dir, MAP_BYTES, err, sizeof(err));
	if (f->st == NULL)
		fail_msg("store_open %s: %s", f->dir, err);
	f->ob = outbox_open(f->st, STORE_DB_CLOUDBOX, META, max_count,
	    max_bytes, on_durable, f);
	assert_non_null(f->ob);
}

static void
close_all(struct fixture *f)
{
	outbox_close(f->ob);
	f->ob = NULL;
	store_close(f->st);
	f->st = NULL;
}

/* Puts "<name>" as head and "-tail" as tail; returns its number. */
static uint64_t
put(struct fixture *f, const char *name)
{
	uint64_t seq = UINT64_MAX;

	assert_int_equal(outbox_put(f->ob, name, strlen(name), "-tail", 5,
	    &seq), 0);
	return seq;
}

/* The record's length for put(name). */
static size_t
rec_len(const char *name)
{
	return 8 + strlen(name) + 5;
}

/* Message seq must be there and be name + "-tail", put in [t0, t1]. */
static void
assert_message(struct fixture *f, uint64_t seq, const char *name,
    int64_t t0, int64_t t1)
{
	uint8_t *rec;
	size_t len;
	int64_t t;
	int rc;

	if ((rc = outbox_get(f->ob, seq, &rec, &len)) != 0)
		fail_msg("message %llu: outbox_get %d, want \"%s\"",
		    (unsigned long long)seq, rc, name);
	assert_int_equal(len, rec_len(name));
	t = (int64_t)store_get_be64(rec);
	assert_in_range(t, t0, t1);
	assert_memory_equal(rec + 8, name, strlen(name));
	assert_memory_equal(rec + 8 + strlen(name), "-tail", 5);
	free(rec);
}

static void
assert_gone(struct fixture *f, uint64_t seq)
{
	uint8_t *rec = (uint8_t *)"x";
	size_t len = 9;

	assert_int_equal(outbox_get(f->ob, seq, &rec, &len), 1);
	assert_null(rec);
	assert_int_equal(len, 0);
}

static void
test_put_commit_get(void **state)
{
	struct fixture *f = *state;
	struct outbox_stats s;
	int64_t t0, t1;

	open_all(f, 100, 0);
	assert_int_equal(outbox_head(f->ob), 0);
	assert_int_equal(outbox_tail(f->ob), 0);
	t0 = gw_now_ms();
	assert_int_equal(put(f, "a"), 0);
	assert_int_equal(put(f, "bb"), 1);
	assert_int_equal(put(f, ""), 2);
	t1 = gw_now_ms();
	assert_int_equal(outbox_tail(f->ob), 3);
	/* staged, not committed: not readable, not durable */
	assert_int_equal(outbox_durable(f->ob), 0);
	assert_int_equal(f->durable_calls, 0);
	assert_gone(f, 0);
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 3);
	assert_int_equal(s.bytes, rec_len("a") + rec_len("bb") + rec_len(""));

	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(outbox_durable(f->ob), 3);
	assert_true(f->durable_calls >= 1);
	assert_int_equal(f->last_status, 0);
	assert_message(f, 0, "a", t0, t1);
	assert_message(f, 1, "bb", t0, t1);
	assert_message(f, 2, "", t0, t1);
	assert_gone(f, 3);
	assert_gone(f, UINT64_MAX);
}

/* outbox_durable moves with each commit, never before it. */
static void
test_durable_moves_on_commit(void **state)
{
	struct fixture *f = *state;

	open_all(f, 100, 0);
	put(f, "a");
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(outbox_durable(f->ob), 1);
	put(f, "b");
	put(f, "c");
	assert_int_equal(outbox_durable(f->ob), 1);
	assert_message(f, 0, "a", 0, INT64_MAX);
	assert_gone(f, 1);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(outbox_durable(f->ob), 3);
	assert_message(f, 2, "c", 0, INT64_MAX);
}

static void
test_pop(void **state)
{
	struct fixture *f = *state;
	struct outbox_stats s;

	open_all(f, 100, 0);
	put(f, "a");
	put(f, "b");
	put(f, "c");
	assert_int_equal(store_commit(f->st), 0);
	outbox_pop(f->ob);
	assert_int_equal(outbox_head(f->ob), 1);
	assert_gone(f, 0);
	assert_message(f, 1, "b", 0, INT64_MAX);
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.bytes, 2 * rec_len("b"));
	assert_int_equal(s.dropped, 0);
	outbox_pop(f->ob);
	outbox_pop(f->ob);
	/* popping an empty outbox does nothing */
	outbox_pop(f->ob);
	assert_int_equal(outbox_head(f->ob), 3);
	assert_int_equal(outbox_tail(f->ob), 3);
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 0);
	assert_int_equal(s.bytes, 0);
	assert_int_equal(s.oldest_ms, 0);
	assert_int_equal(store_commit(f->st), 0);

	/* the pops are in the store too */
	close_all(f);
	open_all(f, 100, 0);
	assert_int_equal(outbox_head(f->ob), 3);
	assert_int_equal(outbox_tail(f->ob), 3);
}

/* Past max_count the oldest go, counted; the newest stays. */
static void
test_bound_count(void **state)
{
	struct fixture *f = *state;
	struct outbox_stats s;
	char name[16];
	uint64_t i;

	open_all(f, 3, 0);
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "m%llu", (unsigned long long)i);
		assert_int_equal(put(f, name), i);
	}
	assert_int_equal(store_commit(f->st), 0);
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 3);
	assert_int_equal(s.dropped, 2);
	assert_int_equal(s.bytes, 3 * rec_len("m0"));
	assert_int_equal(outbox_head(f->ob), 2);
	assert_gone(f, 0);
	assert_gone(f, 1);
	assert_message(f, 2, "m2", 0, INT64_MAX);
	assert_message(f, 4, "m4", 0, INT64_MAX);

	/* what was dropped is gone from the store as well */
	close_all(f);
	open_all(f, 3, 0);
	assert_int_equal(outbox_head(f->ob), 2);
	assert_int_equal(outbox_tail(f->ob), 5);
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 3);
	assert_int_equal(s.dropped, 0);		/* since start */
	assert_gone(f, 1);
}

/* Past max_bytes the oldest go until the new one fits. */
static void
test_bound_bytes(void **state)
{
	struct fixture *f = *state;
	struct outbox_stats s;
	size_t r = rec_len("0123456789");

	open_all(f, 100, 3 * r);
	put(f, "0123456789");
	put(f, "1123456789");
	put(f, "2123456789");
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 3);
	assert_int_equal(s.bytes, 3 * r);
	assert_int_equal(s.dropped, 0);
	put(f, "3123456789");
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 3);
	assert_int_equal(s.bytes, 3 * r);
	assert_int_equal(s.dropped, 1);
	/* one twice as long makes room for itself: two go */
	put(f, "40123456789012345678901");
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.dropped, 3);
	assert_int_equal(s.bytes, r + rec_len("40123456789012345678901"));
	assert_int_equal(outbox_head(f->ob), 3);
	assert_int_equal(store_commit(f->st), 0);
	assert_gone(f, 2);
	assert_message(f, 3, "3123456789", 0, INT64_MAX);
	assert_message(f, 4, "40123456789012345678901", 0, INT64_MAX);
}

/* The limits may change: the next put keeps to them. */
static void
test_set_limits(void **state)
{
	struct fixture *f = *state;
	struct outbox_stats s;
	int i;

	open_all(f, 100, 0);
	for (i = 0; i < 10; i++)
		put(f, "x");
	outbox_set_limits(f->ob, 4, 0);
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 10);
	put(f, "y");
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 4);
	assert_int_equal(s.dropped, 7);
	/* 0 is taken as 1: the newest is always kept */
	outbox_set_limits(f->ob, 0, 0);
	put(f, "z");
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 1);
	assert_int_equal(outbox_head(f->ob), 11);
	assert_int_equal(store_commit(f->st), 0);
	assert_message(f, 11, "z", 0, INT64_MAX);
}

/* An outbox that empties goes on from where it was, across a reopen. */
static void
test_seq_never_reused(void **state)
{
	struct fixture *f = *state;

	open_all(f, 100, 0);
	put(f, "a");
	put(f, "b");
	put(f, "c");
	assert_int_equal(store_commit(f->st), 0);
	outbox_pop(f->ob);
	outbox_pop(f->ob);
	outbox_pop(f->ob);
	assert_int_equal(store_commit(f->st), 0);
	close_all(f);

	open_all(f, 100, 0);
	assert_int_equal(outbox_head(f->ob), 3);
	assert_int_equal(outbox_tail(f->ob), 3);
	assert_int_equal(outbox_durable(f->ob), 3);
	assert_int_equal(put(f, "d"), 3);
	assert_int_equal(store_commit(f->st), 0);
	outbox_pop(f->ob);
	assert_int_equal(store_commit(f->st), 0);
	close_all(f);

	/* and again, with dropped ones the last to go */
	open_all(f, 1, 0);
	assert_int_equal(put(f, "e"), 4);
	assert_int_equal(put(f, "f"), 5);
	assert_int_equal(store_commit(f->st), 0);
	outbox_pop(f->ob);
	assert_int_equal(store_commit(f->st), 0);
	close_all(f);
	open_all(f, 1, 0);
	assert_int_equal(put(f, "g"), 6);
}

/* Two outboxes in one store keep their own numbers. */
static void
test_meta_per_outbox(void **state)
{
	struct fixture *f = *state;
	struct outbox *other;
	uint64_t seq;

	open_all(f, 100, 0);
	put(f, "a");
	put(f, "b");
	assert_int_equal(store_commit(f->st), 0);
	other = outbox_open(f->st, STORE_DB_DEVLOGS, "other.next", 10, 0,
	    NULL, NULL);
	assert_non_null(other);
	assert_int_equal(outbox_tail(other), 0);
	assert_int_equal(outbox_put(other, "o", 1, NULL, 0, &seq), 0);
	assert_int_equal(seq, 0);
	assert_int_equal(store_commit(f->st), 0);
	outbox_close(other);
	assert_int_equal(put(f, "c"), 2);
}

/* What was committed comes back, in order, with its bytes and times. */
static void
test_reopen(void **state)
{
	struct fixture *f = *state;
	struct outbox_stats before, after;
	int64_t t0, t1;

	open_all(f, 100, 0);
	t0 = gw_now_ms();
	put(f, "first");
	put(f, "second");
	put(f, "third");
	t1 = gw_now_ms();
	assert_int_equal(store_commit(f->st), 0);
	outbox_pop(f->ob);
	assert_int_equal(store_commit(f->st), 0);
	outbox_stats(f->ob, &before);
	close_all(f);

	open_all(f, 100, 0);
	assert_int_equal(outbox_head(f->ob), 1);
	assert_int_equal(outbox_tail(f->ob), 3);
	assert_int_equal(outbox_durable(f->ob), 3);
	assert_message(f, 1, "second", t0, t1);
	assert_message(f, 2, "third", t0, t1);
	outbox_stats(f->ob, &after);
	assert_int_equal(after.count, 2);
	assert_int_equal(after.bytes, before.bytes);
	assert_int_equal(after.oldest_ms, before.oldest_ms);
	assert_int_equal(put(f, "fourth"), 3);
}

/* close with a put not yet committed: the commit's callback frees it. */
static void
test_close_before_commit(void **state)
{
	struct fixture *f = *state;

	open_all(f, 100, 0);
	put(f, "a");
	outbox_close(f->ob);
	f->ob = NULL;
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(f->durable_calls, 0);
	close_all(f);
	open_all(f, 100, 0);
	assert_message(f, 0, "a", 0, INT64_MAX);
}

/*
 * A child puts and commits two messages, puts two more and is killed
 * before they commit: the two committed are there, in order; the others
 * are not, and their numbers (never durable, so never sent) go on.
 */
static void
test_kill9(void **state)
{
	struct fixture *f = *state;
	struct outbox_stats s;
	struct outbox *ob;
	struct store *st;
	char err[512];
	uint64_t seq;
	pid_t pid;
	int status;

	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		/* the child: no cmocka here, only an exit code */
		if ((st = store_open(f->base, f->dir, MAP_BYTES, err,
		    sizeof(err))) == NULL ||
		    (ob = outbox_open(st, STORE_DB_CLOUDBOX, META, 100, 0,
		    NULL, NULL)) == NULL)
			_exit(2);
		if (outbox_put(ob, "c1", 2, NULL, 0, &seq) == -1 ||
		    outbox_put(ob, "c2", 2, NULL, 0, &seq) == -1 ||
		    store_commit(st) == -1 ||
		    outbox_put(ob, "u3", 2, NULL, 0, &seq) == -1 ||
		    outbox_put(ob, "u4", 2, NULL, 0, &seq) == -1)
			_exit(3);
		raise(SIGKILL);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	open_all(f, 100, 0);
	assert_int_equal(outbox_head(f->ob), 0);
	assert_int_equal(outbox_tail(f->ob), 2);
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.bytes, 2 * (8 + 2));
	assert_gone(f, 2);
	assert_int_equal(put(f, "n"), 2);
	assert_int_equal(store_commit(f->st), 0);
	assert_message(f, 2, "n", 0, INT64_MAX);
}

static void
test_stats(void **state)
{
	struct fixture *f = *state;
	struct outbox_stats s;
	int64_t t0, t1, t2;

	open_all(f, 100, 0);
	memset(&s, 0xa5, sizeof(s));
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 0);
	assert_int_equal(s.bytes, 0);
	assert_int_equal(s.dropped, 0);
	assert_int_equal(s.oldest_ms, 0);

	/* the oldest, not committed yet: about now */
	t0 = gw_now_ms();
	put(f, "a");
	outbox_stats(f->ob, &s);
	t1 = gw_now_ms();
	assert_int_equal(s.count, 1);
	assert_in_range(s.oldest_ms, t0, t1);

	/* committed: when it was put, which later puts do not move */
	assert_int_equal(store_commit(f->st), 0);
	outbox_stats(f->ob, &s);
	assert_in_range(s.oldest_ms, t0, t1);
	t2 = s.oldest_ms;
	put(f, "bbbb");
	assert_int_equal(store_commit(f->st), 0);
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.bytes, rec_len("a") + rec_len("bbbb"));
	assert_int_equal(s.oldest_ms, t2);
	outbox_pop(f->ob);
	assert_int_equal(store_commit(f->st), 0);
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.bytes, rec_len("bbbb"));
	assert_true(s.oldest_ms >= t2);
}

/* A message of 1 MiB, and one in many pieces of the ring as it grows. */
static void
test_large_and_many(void **state)
{
	struct fixture *f = *state;
	struct outbox_stats s;
	size_t n = 1u << 20, len;
	uint8_t *big, *rec;
	char name[16];
	uint64_t i, seq;

	open_all(f, 100000, 0);
	assert_non_null(big = malloc(n));
	memset(big, 0x5a, n);
	assert_int_equal(outbox_put(f->ob, big, n, NULL, 0, &seq), 0);
	assert_int_equal(seq, 0);
	for (i = 1; i <= 1000; i++) {
		snprintf(name, sizeof(name), "m%llu", (unsigned long long)i);
		assert_int_equal(put(f, name), i);
		if (i % 300 == 0)
			outbox_pop(f->ob);
	}
	assert_int_equal(store_commit(f->st), 0);
	outbox_stats(f->ob, &s);
	assert_int_equal(s.count, 1001 - 3);
	assert_int_equal(outbox_head(f->ob), 3);
	assert_message(f, 3, "m3", 0, INT64_MAX);
	assert_message(f, 1000, "m1000", 0, INT64_MAX);
	close_all(f);
	open_all(f, 100000, 0);
	assert_message(f, 999, "m999", 0, INT64_MAX);
	assert_int_equal(outbox_head(f->ob), 3);
	assert_int_equal(outbox_tail(f->ob), 1001);
	assert_int_equal(outbox_put(f->ob, big, n, NULL, 0, &seq), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(outbox_get(f->ob, seq, &rec, &len), 0);
	assert_int_equal(len, 8 + n);
	assert_memory_equal(rec + 8, big, n);
	free(rec);
	free(big);
}

int
main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_put_commit_get),
		T(test_durable_moves_on_commit),
		T(test_pop),
		T(test_bound_count),
		T(test_bound_bytes),
		T(test_set_limits),
		T(test_seq_never_reused),
		T(test_meta_per_outbox),
		T(test_reopen),
		T(test_close_before_commit),
		T(test_kill9),
		T(test_stats),
		T(test_large_and_many),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
