/*
 * test_cache.c: the value cache (cache/cache.c): LRU eviction by entries and
 * by bytes, Observe ordering (RFC 7641 3.4), freshness, ETags, and dropping
 * a device's entries or one path of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cache/cache.h"
#include "gateway.h"

static struct gateway gw;

static int
setup(void **state)
{
	(void)state;
	memset(&gw, 0, sizeof(gw));
	config_defaults(&gw.cfg);
	return cache_init(&gw);
}

static int
teardown(void **state)
{
	(void)state;
	cache_free(&gw);
	return 0;
}

static void
put(const char *ep, const char *path, const char *v, int note)
{
	assert_int_equal(cache_put(&gw, ep, path, 0, -1, (const uint8_t *)v,
	    strlen(v), note), 1);
}

static void
assert_value(const char *ep, const char *path, const char *v)
{
	const struct cache_entry *e = cache_get(&gw, ep, path);

	assert_non_null(e);
	assert_int_equal(e->len, strlen(v));
	assert_memory_equal(e->body, v, e->len);
}

static void
test_put_get_and_etag(void **state)
{
	const struct cache_entry *e;
	char etag[CACHE_ETAG_LEN + 1], when[GW_TIME_LEN];

	(void)state;
	put("n1", "3/0/9", "87", 0);
	e = cache_get(&gw, "n1", "3/0/9");
	assert_non_null(e);
	assert_int_equal(e->max_age, CACHE_DEFAULT_MAX_AGE);
	assert_true(cache_fresh(e));
	assert_int_equal(e->etag[0], '"');
	assert_int_equal(strlen(e->etag), CACHE_ETAG_LEN);
	assert_string_equal(e->observed, gw_time_str(e->observed_at, when));
	assert_int_equal(strlen(e->observed), CACHE_TIME_LEN);
	memcpy(etag, e->etag, sizeof(etag));
	put("n1", "3/0/9", "87", 0);		/* same value: same tag */
	assert_string_equal(cache_get(&gw, "n1", "3/0/9")->etag, etag);
	put("n1", "3/0/9", "88", 0);		/* another: another tag */
	assert_string_not_equal(cache_get(&gw, "n1", "3/0/9")->etag, etag);
	assert_null(cache_get(&gw, "n1", "3/0/10"));
	assert_null(cache_get(&gw, "n2", "3/0/9"));
	assert_null(cache_get(&gw, "n", "13/0/9"));	/* "n1/3/0/9" apart */
	assert_null(cache_get(&gw, "n1", "3/0/9/0"));
	assert_null(cache_get(&gw, "n1", "3/0/"));
}

static void
test_lru_by_entries(void **state)
{
	size_t n, b;

	(void)state;
	gw.cfg.cache_max_entries = 3;
	put("n", "1", "a", 0);
	put("n", "2", "b", 0);
	put("n", "3", "c", 0);
	assert_non_null(cache_get(&gw, "n", "1"));	/* 1 is now recent */
	put("n", "4", "d", 0);				/* 2 goes */
	assert_null(cache_get(&gw, "n", "2"));
	assert_value("n", "1", "a");
	assert_value("n", "3", "c");
	assert_value("n", "4", "d");
	cache_stats(&gw, &n, &b);
	assert_int_equal(n, 3);
}

static void
test_lru_by_bytes(void **state)
{
	char big[2000];
	size_t n, b;
	int i;

	(void)state;
	gw.cfg.cache_max_bytes = 8192;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 10; i++) {
		char path[8];

		snprintf(path, sizeof(path), "%d", i);
		put("n", path, big, 0);
		cache_stats(&gw, &n, &b);
		assert_true(b <= 8192);
	}
	assert_null(cache_get(&gw, "n", "0"));
	assert_non_null(cache_get(&gw, "n", "9"));
	/* One value larger than the whole cache is not kept. */
	gw.cfg.cache_max_bytes = 4096;
	assert_int_equal(cache_put(&gw, "n", "huge", 0, -1,
	    (const uint8_t *)big, 4096, 0), 0);
}

/* The cache keeps the latest value it is given, notification or read:
 * the order of notifications is their observation's (test_dom_observe). */
static void
test_latest_value(void **state)
{
	(void)state;
	put("n", "p", "v10", 1);
	put("n", "p", "v9", 1);
	assert_value("n", "p", "v9");
	put("n", "p", "read", 0);
	assert_value("n", "p", "read");
	assert_int_equal(cache_get(&gw, "n", "p")->notifications, 2);
}

/* The same bytes again refresh the entry where it is: the same ETag, the
 * same memory, a new Max-Age, one more notification; other bytes or another format replace it. */
static void
test_same_value_again(void **state)
{
	const struct cache_entry *e, *again;
	char etag[CACHE_ETAG_LEN + 1];
	size_t entries, bytes, entries2, bytes2;

	(void)state;
	put("n", "s", "same", 1);
	e = cache_get(&gw, "n", "s");
	snprintf(etag, sizeof(etag), "%s", e->etag);
	cache_stats(&gw, &entries, &bytes);
	assert_int_equal(cache_put(&gw, "n", "s", 0, 30,
	    (const uint8_t *)"same", 4, 1), 1);
	again = cache_get(&gw, "n", "s");
	assert_ptr_equal(again, e);
	assert_string_equal(again->etag, etag);
	assert_int_equal(again->max_age, 30);
	assert_int_equal(again->notifications, 2);
	cache_stats(&gw, &entries2, &bytes2);
	assert_int_equal(entries2, entries);
	assert_int_equal(bytes2, bytes);
	/* Another format, or other bytes: a new value and ETag. */
	assert_int_equal(cache_put(&gw, "n", "s", 50, -1,
	    (const uint8_t *)"same", 4, 1), 1);
	assert_string_not_equal(cache_get(&gw, "n", "s")->etag, etag);
	put("n", "s", "other", 1);
	assert_value("n", "s", "other");
}

static void
test_drop_device(void **state)
{
	size_t n, b;

	(void)state;
	put("dev", "1", "a", 0);
	put("dev", "2", "b", 0);
	put("dev2", "1", "c", 0);	/* a longer name, same prefix */
	cache_drop_device(&gw, "dev");
	assert_null(cache_get(&gw, "dev", "1"));
	assert_null(cache_get(&gw, "dev", "2"));
	assert_value("dev2", "1", "c");
	cache_stats(&gw, &n, &b);
	assert_int_equal(n, 1);
}

/* One path of one device forgotten; the rest stays, and counts. */
static void
test_forget(void **state)
{
	size_t n, b;

	(void)state;
	put("dev", "5/0/3", "2", 0);
	put("dev", "5/0/5", "0", 0);
	put("dev2", "5/0/3", "1", 0);
	cache_forget(&gw, "dev", "5/0/3");
	assert_null(cache_get(&gw, "dev", "5/0/3"));
	assert_value("dev", "5/0/5", "0");
	assert_value("dev2", "5/0/3", "1");
	cache_forget(&gw, "dev", "5/0/3");	/* again: nothing there */
	cache_forget(&gw, "dev3", "5/0/3");
	cache_stats(&gw, &n, &b);
	assert_int_equal(n, 2);
	put("dev", "5/0/3", "1", 0);		/* and heard again */
	assert_value("dev", "5/0/3", "1");
}

static void
test_freshness(void **state)
{
	struct cache_entry e;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.observed_at = gw_now() - 10;
	e.max_age = 60;
	assert_true(cache_fresh(&e));
	assert_true(cache_age(&e) >= 10);
	e.max_age = 5;
	assert_false(cache_fresh(&e));
	e.observed_at = gw_now() + 100;		/* clock went back */
	assert_int_equal(cache_age(&e), 0);
}

/* An empty value, as a device's empty string comes (no body at all):
 * kept, and the same again. */
static void
test_empty_value(void **state)
{
	const struct cache_entry *e;

	(void)state;
	assert_int_equal(cache_put(&gw, "n", "9/0/1", 0, -1, NULL, 0, 1), 1);
	e = cache_get(&gw, "n", "9/0/1");
	assert_non_null(e);
	assert_int_equal(e->len, 0);
	assert_int_equal(cache_put(&gw, "n", "9/0/1", 0, -1, NULL, 0, 1), 1);
	assert_ptr_equal(cache_get(&gw, "n", "9/0/1"), e);
	assert_int_equal(e->notifications, 2);
	assert_int_equal(cache_put(&gw, "n", "9/0/1", 0, -1,
	    (const uint8_t *)"1.4", 3, 1), 1);
	assert_int_equal(cache_get(&gw, "n", "9/0/1")->len, 3);
}

struct heard {
	int	n;
	char	ep[16], path[32];
	double	v;
};

static void
hear(struct gateway *g, const char *ep, const char *path, double v,
    int64_t t_ms, void *arg)
{
	struct heard *h = arg;

	assert_ptr_equal(g, &gw);
	assert_true(t_ms / 1000 >= gw_now() - 1 && t_ms / 1000 <= gw_now());
	h->n++;
	snprintf(h->ep, sizeof(h->ep), "%s", ep);
	snprintf(h->path, sizeof(h->path), "%s", path);
	h->v = v;
}

/* Every number of every value reaches each listener, the same value again
 * too (a notification of an unchanged value is a point of history), and a
 * value too large to cache as well; a value with no number tells nobody. */
static void
test_number_listeners(void **state)
{
	struct heard a = { 0 }, b = { 0 };
	int i;

	(void)state;
	assert_int_equal(cache_add_number_listener(&gw, hear, &a), 0);
	assert_int_equal(cache_add_number_listener(&gw, hear, &b), 0);
	for (i = 2; i < CACHE_MAX_LISTENERS; i++)
		assert_int_equal(cache_add_number_listener(&gw, hear, &b), 0);
	assert_int_equal(cache_add_number_listener(&gw, hear, &b), -1);
	put("dev1", "3/0/9", "87", 1);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.ep, "dev1");
	assert_string_equal(a.path, "3/0/9");
	assert_true(a.v == 87.0);
	put("dev1", "3/0/9", "87", 1);
	assert_int_equal(a.n, 2);
	assert_int_equal(b.n, 2 * (CACHE_MAX_LISTENERS - 1));
	put("dev1", "3/0/0", "Acme", 0);
	assert_int_equal(a.n, 2);
	gw.cfg.cache_max_bytes = 16;
	assert_int_equal(cache_put(&gw, "dev2", "health", 50,
	    -1, (const uint8_t *)"{\"cpu_pct\":3}", 13, 1), 0);
	assert_int_equal(a.n, 3);
	assert_string_equal(a.path, "health/cpu_pct");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_and_etag, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lru_by_entries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lru_by_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_latest_value, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_same_value_again, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_drop_device, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_value, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_number_listeners, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_freshness, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
