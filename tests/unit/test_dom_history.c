/*
 * test_dom_history.c: history (modules/health/) over a real store, with the
 * domain's modules alone and a clock the test moves: ingest through the
 * cache's number listener and directly, the policy ([history] paths,
 * "observed"), times refused, reads by window (paged by the cursor) and by
 * step (min, max, mean, count, aligned), the sweep's roll-up into buckets
 * (merged with a bucket already stored), retention by age and by bytes
 * (the oldest of all series first), a restart, and a device dropped.
 *
 * The sweep's slices are run by the test (hist_sweep_slice, then a
 * commit), never by the loop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "cache/cache.h"
#include "cache/observe.h"
#include "log.h"
#include "modules/health/histint.h"
#include "modules/health/history.h"
#include "store/store.h"
#include "tests/unit/domutil.h"

#define EP	"node-7"

static int
setup(void **state)
{
	struct dom *d = dom_new();

	if (d == NULL)
		return -1;
	d->gw.cfg.history_sweep_s = 3600;	/* the test runs the sweep */
	if (dom_start(d) == -1) {
		dom_free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int
teardown(void **state)
{
	dom_free(*state);
	return 0;
}

static int64_t
now_ms(void)
{
	return gw_now() * 1000;
}

static void
put(struct dom *d, const char *ep, const char *path, double v, int64_t t)
{
	history_ingest(&d->gw, ep, path, v, t, NULL);
}

/* Stages the points history holds in memory, and commits. */
static int
commit(struct dom *d)
{
	history_flush(&d->gw);
	return dom_commit(d);
}

/* Runs sweep passes to their end, each slice committed. */
static void
sweep(struct dom *d)
{
	int more;

	do {
		more = hist_sweep_slice(&d->gw);
		assert_int_equal(commit(d), 0);
	} while (more);
}

/* A read of the window; rows in *rows (freed by the caller). */
static size_t
rd(struct dom *d, const char *path, int64_t from, int64_t to, int64_t step,
    size_t limit, struct history_row **rows, int *more)
{
	struct history_query q;
	size_t n;

	memset(&q, 0, sizeof(q));
	q.from_ms = from;
	q.to_ms = to;
	q.step_ms = step;
	q.limit = limit;
	assert_int_equal(history_read(&d->gw, EP, path, &q, rows, &n, more),
	    0);
	return n;
}

/* Records of one database. */
static int
count_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	(void)k;
	(void)kl;
	(void)v;
	(void)vl;
	(*(size_t *)arg)++;
	return 0;
}

static size_t
records(struct dom *d, enum store_db db)
{
	size_t n = 0;

	assert_int_equal(store_iterate(d->gw.store, db, NULL, 0, count_cb, &n),
	    0);
	return n;
}

/* ---- ingest, policy, raw reads ---- */

static void
test_ingest_and_read(void **state)
{
	struct dom *d = *state;
	struct history_row *rows;
	int64_t t0 = now_ms() - 60000;
	size_t n;
	int more, i;

	for (i = 0; i < 10; i++)
		put(d, EP, "health/cpu_pct", i * 1.5, t0 + i * 1000);
	/* Nothing is read before it is committed. */
	assert_int_equal(rd(d, "health/cpu_pct", t0, t0 + 10000, 0, 100,
	    &rows, &more), 0);
	/* Held in memory: not in the batch until flushed (a commit of the
	 * batch alone does not show them). */
	assert_int_equal(dom_commit(d), 0);
	assert_int_equal(rd(d, "health/cpu_pct", t0, t0 + 10000, 0, 100,
	    &rows, &more), 0);
	/* The flush timer stages them, a tenth of a second on. */
	for (i = 0; i < 100 && d->gw.history->nbuf > 0; i++)
		event_base_loop(d->gw.base, EVLOOP_ONCE);
	assert_int_equal(d->gw.history->nbuf, 0);
	assert_int_equal(commit(d), 0);
	n = rd(d, "health/cpu_pct", t0, t0 + 10000, 0, 100, &rows, &more);
	assert_int_equal(n, 10);
	assert_false(more);
	for (i = 0; i < 10; i++) {
		assert_int_equal(rows[i].kind, HISTORY_POINT);
		assert_int_equal(rows[i].t_ms, t0 + i * 1000);
		assert_true(rows[i].v == i * 1.5);
	}
	free(rows);
	/* [from, to): the last second is out; a window before: nothing. */
	n = rd(d, "health/cpu_pct", t0 + 1000, t0 + 9000, 0, 100, &rows,
	    &more);
	assert_int_equal(n, 8);
	assert_int_equal(rows[0].t_ms, t0 + 1000);
	free(rows);
	assert_int_equal(rd(d, "health/cpu_pct", t0 - 5000, t0, 0, 100, &rows,
	    &more), 0);
	/* Stats: ten committed, one series. */
	{
		uint64_t w, s;
		size_t bytes;

		history_stats(&d->gw, &w, &s, &bytes);
		assert_int_equal(w, 10);
		assert_int_equal(s, 1);
		assert_true(bytes > 0);
	}
}

static void
test_paging(void **state)
{
	struct dom *d = *state;
	struct history_row *rows;
	struct history_query q;
	int64_t t0 = now_ms() - 100000;
	size_t n, seen = 0;
	int more = 1, i;

	for (i = 0; i < 25; i++)
		put(d, EP, "health/load1", i, t0 + i * 100);
	assert_int_equal(commit(d), 0);
	memset(&q, 0, sizeof(q));
	q.from_ms = t0;
	q.to_ms = t0 + 100000;
	q.limit = 10;
	while (more) {
		assert_int_equal(history_read(&d->gw, EP, "health/load1", &q,
		    &rows, &n, &more), 0);
		for (i = 0; i < (int)n; i++)
			assert_true(rows[i].v == (double)(seen + i));
		seen += n;
		if (more) {
			assert_int_equal(n, 10);
			q.has_after = 1;
			q.after_ms = rows[n - 1].t_ms;
			q.after_kind = rows[n - 1].kind;
		}
		free(rows);
	}
	assert_int_equal(seen, 25);
}

static void
test_policy(void **state)
{
	struct dom *d = *state;
	struct history_row *rows;
	struct history_query q;
	int64_t t = now_ms() - 1000;
	size_t n;
	int more;

	/* The default: health/ and what is observed. */
	put(d, EP, "3/0/9", 80, t);
	put(d, EP, "health/temp_c", 41.5, t);
	assert_int_equal(commit(d), 0);
	memset(&q, 0, sizeof(q));
	q.from_ms = t - 1000;
	q.to_ms = t + 1000;
	q.limit = 10;
	assert_int_equal(history_read(&d->gw, EP, "3/0/9", &q, &rows, &n,
	    &more), 1);
	assert_int_equal(history_read(&d->gw, EP, "health/temp_c", &q, &rows,
	    &n, &more), 0);
	free(rows);
	/* Observing /3/0 keeps /3/0/9, once the decision is asked again. */
	assert_int_equal(observe_client_put(&d->gw, EP, "3/0"),
	    OBSERVE_PUT_NEW);
	assert_int_equal(commit(d), 0);
	dom_advance(HIST_DECIDE_S);
	t = now_ms();
	put(d, EP, "3/0/9", 79, t);
	assert_int_equal(commit(d), 0);
	q.to_ms = t + 1;
	assert_int_equal(history_read(&d->gw, EP, "3/0/9", &q, &rows, &n,
	    &more), 0);
	assert_int_equal(n, 1);
	assert_true(rows[0].v == 79);
	free(rows);
	/* The numbers the cache is given come in through its listener. */
	snprintf(d->gw.cfg.history_paths, sizeof(d->gw.cfg.history_paths),
	    "3/0/1*");
	history_module.reload(&d->gw, &d->gw.cfg);
	assert_int_equal(cache_put(&d->gw, EP, "3/0/10", 0, -1,
	    (const uint8_t *)"5120", 4, 1), 1);
	assert_int_equal(cache_put(&d->gw, EP, "3/0/9", 0, -1,
	    (const uint8_t *)"12", 2, 1), 1);
	assert_int_equal(commit(d), 0);
	q.to_ms = now_ms() + 1000;
	assert_int_equal(history_read(&d->gw, EP, "3/0/10", &q, &rows, &n,
	    &more), 0);
	assert_int_equal(n, 1);
	assert_true(rows[0].v == 5120);
	free(rows);
	assert_int_equal(history_read(&d->gw, EP, "3/0/9", &q, &rows, &n,
	    &more), 0);
	assert_int_equal(n, 1);	/* 79 only: 12 came under the new policy */
	free(rows);
	/* Off: nothing is kept. */
	d->gw.cfg.history_enable = 0;
	put(d, EP, "3/0/10", 1, now_ms());
	assert_int_equal(commit(d), 0);
	assert_int_equal(history_read(&d->gw, EP, "3/0/10", &q, &rows, &n,
	    &more), 0);
	assert_int_equal(n, 1);
	free(rows);
}

static void
test_refused_times(void **state)
{
	struct dom *d = *state;
	struct history_row *rows;
	int64_t now = now_ms();
	size_t n;
	int more;

	put(d, EP, "health/x", 1, now + HIST_AHEAD_MS + 1000);	/* ahead */
	put(d, EP, "health/x", 2, now - (int64_t)d->gw.cfg.history_max_age_s *
	    1000 - 1000);		/* older than max_age */
	put(d, EP, "health/x", 3, -5);
	put(d, EP, "health/x", NAN, now);
	put(d, EP, "health/x", INFINITY, now);
	put(d, EP, "health/x", 4, now);
	assert_int_equal(commit(d), 0);
	n = rd(d, "health/x", 0, now + 86400000, 0, 100, &rows, &more);
	assert_int_equal(n, 1);
	assert_true(rows[0].v == 4);
	free(rows);
	assert_true(d->gw.history->refused >= 3);
}

/* ---- steps ---- */

static void
test_step(void **state)
{
	struct dom *d = *state;
	struct history_row *rows;
	int64_t base = (now_ms() / 60000 - 10) * 60000;	/* a whole minute */
	size_t n;
	int more, i;

	/* 10 s apart for 5 minutes: 6 a minute, values 0..29. */
	for (i = 0; i < 30; i++)
		put(d, EP, "health/mem_free_kb", i, base + i * 10000);
	assert_int_equal(commit(d), 0);
	n = rd(d, "health/mem_free_kb", base, base + 300000, 60000, 100, &rows,
	    &more);
	assert_int_equal(n, 5);
	assert_false(more);
	for (i = 0; i < 5; i++) {
		assert_int_equal(rows[i].kind, HISTORY_BUCKET);
		assert_int_equal(rows[i].t_ms, base + i * 60000);
		assert_int_equal(rows[i].count, 6);
		assert_true(rows[i].min == i * 6);
		assert_true(rows[i].max == i * 6 + 5);
		assert_true(fabs(rows[i].v - (i * 6 + 2.5)) < 1e-9);
	}
	free(rows);
	/* A window that starts inside a bucket takes only its points. */
	n = rd(d, "health/mem_free_kb", base + 30000, base + 90000, 60000, 100,
	    &rows, &more);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].t_ms, base);
	assert_int_equal(rows[0].count, 3);
	assert_true(rows[0].min == 3);
	assert_int_equal(rows[1].count, 3);
	assert_true(rows[1].max == 8);
	free(rows);
	/* Paged: two buckets a page, the cursor a bucket's start. */
	{
		struct history_query q;
		size_t total = 0;

		memset(&q, 0, sizeof(q));
		q.from_ms = base;
		q.to_ms = base + 300000;
		q.step_ms = 60000;
		q.limit = 2;
		more = 1;
		while (more) {
			assert_int_equal(history_read(&d->gw, EP,
			    "health/mem_free_kb", &q, &rows, &n, &more), 0);
			for (i = 0; i < (int)n; i++) {
				assert_int_equal(rows[i].t_ms, base +
				    (int64_t)(total + i) * 60000);
				assert_int_equal(rows[i].count, 6);
			}
			total += n;
			if (more) {
				q.has_after = 1;
				q.after_ms = rows[n - 1].t_ms;
			}
			free(rows);
		}
		assert_int_equal(total, 5);
	}
	/* One bucket of all. */
	n = rd(d, "health/mem_free_kb", base, base + 300000, 86400000, 10,
	    &rows, &more);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].count, 30);
	assert_true(rows[0].min == 0 && rows[0].max == 29);
	free(rows);
}

/* ---- the sweep ---- */

static void
test_rollup(void **state)
{
	struct dom *d = *state;
	struct history_row *rows;
	int64_t base;
	size_t n;
	int more, i;

	d->gw.cfg.history_raw_age_s = 600;
	d->gw.cfg.history_bucket_s = 60;
	base = (now_ms() / 300000 - 6) * 300000;
	/* 30 minutes, a point each 20 s: 90 points, 3 a minute. */
	for (i = 0; i < 90; i++)
		put(d, EP, "health/cpu_pct", i % 7, base + i * 20000);
	assert_int_equal(commit(d), 0);
	sweep(d);
	/* Older than 10 minutes (whole minutes): buckets. */
	n = rd(d, "health/cpu_pct", base, base + 1800000, 0, 1000, &rows,
	    &more);
	{
		size_t nb = 0, np = 0;
		uint64_t c = 0;

		for (i = 0; i < (int)n; i++) {
			if (rows[i].kind == HISTORY_BUCKET) {
				nb++;
				c += rows[i].count;
				assert_int_equal(rows[i].width_ms, 60000);
				assert_int_equal(rows[i].count, 3);
			} else {
				np++;
			}
			if (i > 0)
				assert_true(rows[i].t_ms > rows[i - 1].t_ms);
		}
		/* Whole minutes older than raw_age, at the sweep's time. */
		assert_int_equal(nb, ((now_ms() - 600000) / 60000 * 60000 -
		    base) / 60000);
		assert_int_equal(c + np, 90);
		assert_int_equal(records(d, STORE_DB_HPOINTS), np);
		assert_int_equal(records(d, STORE_DB_HBUCKETS), nb);
	}
	free(rows);
	/* A step over both: the same figures as from the raw points. */
	n = rd(d, "health/cpu_pct", base, base + 1800000, 300000, 100, &rows,
	    &more);
	assert_int_equal(n, 6);
	for (i = 0; i < 6; i++) {
		int j;
		double sum = 0, mn = 1e9, mx = -1e9;

		for (j = i * 15; j < i * 15 + 15; j++) {
			sum += j % 7;
			mn = fmin(mn, j % 7);
			mx = fmax(mx, j % 7);
		}
		assert_int_equal(rows[i].count, 15);
		assert_true(rows[i].min == mn && rows[i].max == mx);
		assert_true(fabs(rows[i].sum - sum) < 1e-9);
	}
	free(rows);
	/* A late point into a minute rolled up already: merged. */
	put(d, EP, "health/cpu_pct", 100, base + 5000);
	assert_int_equal(commit(d), 0);
	sweep(d);
	n = rd(d, "health/cpu_pct", base, base + 60000, 0, 10, &rows, &more);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].kind, HISTORY_BUCKET);
	assert_int_equal(rows[0].count, 4);
	assert_true(rows[0].max == 100);
	free(rows);
	/* Cursor over a bucket and a point at the same time. */
	put(d, EP, "health/cpu_pct", 7, base);	/* raw, beside its bucket */
	assert_int_equal(commit(d), 0);
	{
		struct history_query q;

		memset(&q, 0, sizeof(q));
		q.from_ms = base;
		q.to_ms = base + 60000;
		q.limit = 1;
		assert_int_equal(history_read(&d->gw, EP, "health/cpu_pct",
		    &q, &rows, &n, &more), 0);
		assert_int_equal(n, 1);
		assert_true(more);
		assert_int_equal(rows[0].kind, HISTORY_BUCKET);
		q.has_after = 1;
		q.after_ms = rows[0].t_ms;
		q.after_kind = rows[0].kind;
		free(rows);
		assert_int_equal(history_read(&d->gw, EP, "health/cpu_pct",
		    &q, &rows, &n, &more), 0);
		assert_int_equal(n, 1);
		assert_false(more);
		assert_int_equal(rows[0].kind, HISTORY_POINT);
		assert_true(rows[0].v == 7);
		free(rows);
	}
}

static void
test_retention_age(void **state)
{
	struct dom *d = *state;
	struct history_row *rows;
	int64_t base;
	size_t n;
	int more, i;

	d->gw.cfg.history_raw_age_s = 3600;
	d->gw.cfg.history_bucket_s = 300;
	d->gw.cfg.history_max_age_s = 7200;
	base = (now_ms() / 300000) * 300000 - 7200000 + 600000;
	/* Two hours less 10 minutes, a point a minute. */
	for (i = 0; i < 110; i++)
		put(d, EP, "health/uptime_s", i, base + i * 60000);
	assert_int_equal(commit(d), 0);
	sweep(d);
	assert_true(records(d, STORE_DB_HBUCKETS) > 0);
	/* An hour later, the first hour is past max_age. */
	dom_advance(3600);
	sweep(d);
	n = rd(d, "health/uptime_s", 0, now_ms() + 1, 60000, 1000, &rows,
	    &more);
	assert_true(n > 0);
	/* Nothing older than max_age is kept: whole buckets end after the
	 * cut. */
	assert_true(rows[0].t_ms + 300000 > now_ms() - 7200000);
	assert_true(rows[n - 1].max == 109);
	free(rows);
	/* Then all goes; the series stays, empty. */
	dom_advance(7200);
	sweep(d);
	assert_int_equal(records(d, STORE_DB_HPOINTS), 0);
	assert_int_equal(records(d, STORE_DB_HBUCKETS), 0);
	assert_int_equal(rd(d, "health/uptime_s", 0, now_ms(), 0, 10, &rows,
	    &more), 0);
}

static void
test_retention_bytes(void **state)
{
	struct dom *d = *state;
	struct history_row *rows;
	uint64_t w, s;
	size_t bytes, n;
	int64_t t0;
	int more, i, j;
	char path[32];

	d->gw.cfg.history_max_kb = 64;
	d->gw.cfg.history_bucket_s = 60;
	t0 = now_ms() - 20 * 3600 * 1000LL;
	/* 20 series, 20 hours, a point each 10 s: far more than 64 KiB. */
	for (j = 0; j < 20; j++) {
		snprintf(path, sizeof(path), "health/s%d", j);
		for (i = 0; i < 7200; i++)
			put(d, EP, path, i, t0 + (int64_t)i * 10000);
		assert_int_equal(commit(d), 0);
	}
	history_stats(&d->gw, &w, &s, &bytes);
	assert_int_equal(s, 20);
	assert_true(bytes > 64 * 1024);
	for (i = 0; i < 200 && bytes > 64 * 1024; i++) {
		sweep(d);
		history_stats(&d->gw, &w, &s, &bytes);
	}
	assert_true(bytes <= 64 * 1024);
	/* The newest of each series is kept, the oldest went. */
	for (j = 0; j < 20; j++) {
		snprintf(path, sizeof(path), "health/s%d", j);
		n = rd(d, path, 0, now_ms(), 0, 10, &rows, &more);
		assert_true(n > 0);
		assert_true(rows[0].t_ms > t0 + 3600 * 1000LL);
		free(rows);
		n = rd(d, path, now_ms() - 60000, now_ms(), 0, 10, &rows,
		    &more);
		assert_true(n == 6);
		free(rows);
	}
}

/* ---- restart, drop ---- */

static void
test_restart(void **state)
{
	struct dom *d = *state;
	struct history_row *rows;
	int64_t t0 = now_ms() - 10000;
	size_t n;
	int more, i;

	for (i = 0; i < 5; i++) {
		put(d, EP, "health/a", i, t0 + i * 1000);
		put(d, "node-8", "health/a", 10 + i, t0 + i * 1000);
	}
	assert_int_equal(dom_restart(d), 0);	/* the stop commits */
	n = rd(d, "health/a", t0, t0 + 10000, 0, 10, &rows, &more);
	assert_int_equal(n, 5);
	assert_true(rows[4].v == 4);
	free(rows);
	/* The series keep their ids: new points go on. */
	put(d, EP, "health/a", 5, t0 + 5000);
	put(d, EP, "health/b", 1, t0 + 5000);
	assert_int_equal(commit(d), 0);
	n = rd(d, "health/a", t0, t0 + 10000, 0, 10, &rows, &more);
	assert_int_equal(n, 6);
	free(rows);
	assert_int_equal(d->gw.history->nbyid, 3);
	assert_int_equal(d->gw.history->byid[0]->first_ms, t0);
	assert_int_equal(d->gw.history->byid[0]->last_ms, t0 + 5000);
}

static void
list_cb(const struct history_series *s, void *arg)
{
	char *buf = arg;

	strcat(buf, s->path);
	strcat(buf, ";");
}

static void
test_drop_device(void **state)
{
	struct dom *d = *state;
	struct history_row *rows;
	int64_t t0 = now_ms() - 10000;
	char list[256] = "";
	size_t n;
	int more, i;

	for (i = 0; i < 2000; i++) {
		put(d, EP, "health/a", i, t0 + i);
		put(d, EP, "health/b", i, t0 + i);
		put(d, "node-8", "health/a", i, t0 + i);
	}
	assert_int_equal(commit(d), 0);
	assert_int_equal(history_list(&d->gw, EP, list_cb, list), 2);
	assert_string_equal(list, "health/a;health/b;");
	list[0] = '\0';
	/* The decommission event drops the device's history. */
	events_emit(&d->gw, "decommission", EP, NULL);
	{
		struct history_query q;

		memset(&q, 0, sizeof(q));
		q.from_ms = t0;
		q.to_ms = t0 + 10000;
		q.limit = 10;
		assert_int_equal(history_read(&d->gw, EP, "health/a", &q,
		    &rows, &n, &more), 1);
	}
	assert_int_equal(commit(d), 0);
	assert_int_equal(history_list(&d->gw, EP, list_cb, list), 0);
	/* A restart before the sweep: the dropped series stay dropped. */
	assert_int_equal(dom_restart(d), 0);
	assert_int_equal(d->gw.history->nbyid, 3);
	sweep(d);
	assert_int_equal(d->gw.history->nbyid, 1);
	assert_int_equal(records(d, STORE_DB_HPOINTS), 2000);
	assert_int_equal(records(d, STORE_DB_HSERIES), 2);
	/* A device of that name again is a new series. */
	put(d, EP, "health/a", 1, now_ms());
	assert_int_equal(commit(d), 0);
	assert_int_equal(history_list(&d->gw, EP, NULL, NULL), 1);
	assert_int_equal(history_list(&d->gw, "node-8", NULL, NULL), 1);
}

static void
test_max_series(void **state)
{
	struct dom *d = *state;
	char path[32];
	int i;

	d->gw.cfg.history_max_series = 10;
	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "health/m%d", i);
		put(d, EP, path, 1, now_ms());
	}
	assert_int_equal(commit(d), 0);
	assert_int_equal(d->gw.history->n, 10);
	assert_int_equal(history_list(&d->gw, EP, NULL, NULL), 10);
}

/* Paths not kept are remembered while there is room, and make way for
 * series when there is none. */
static void
test_max_series_not_kept(void **state)
{
	struct dom *d = *state;
	char path[32];
	int i;

	d->gw.cfg.history_max_series = 10;
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "5/0/%d", i);
		put(d, EP, path, 1, now_ms());		/* not kept */
	}
	assert_int_equal(d->gw.history->n, 8);
	assert_int_equal(d->gw.history->nneg, 8);
	for (i = 0; i < 12; i++) {
		snprintf(path, sizeof(path), "health/m%d", i);
		put(d, EP, path, 1, now_ms());
	}
	assert_int_equal(commit(d), 0);
	assert_int_equal(d->gw.history->n, 10);
	assert_int_equal(d->gw.history->nneg, 0);
	assert_int_equal(history_list(&d->gw, EP, NULL, NULL), 10);
	put(d, EP, "5/0/99", 1, now_ms());	/* no room, not kept: nothing */
	assert_int_equal(d->gw.history->n, 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ingest_and_read, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_times, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_age, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retention_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_device, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_max_series, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_max_series_not_kept, setup,
		    teardown),
	};

	log_init("test_dom_history", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
