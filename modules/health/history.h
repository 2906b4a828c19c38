/*
 * history.h: numeric values over time, per (endpoint, path), in the store.
 *
 * Every number the cache is given (notifications, Send records, reads, the
 * agent's /health members as "health/<member>") comes to history through
 * the cache's number listener; [history] paths says which are kept (glob
 * patterns over the number's path, and "observed": a path, or a parent of
 * it, that an observation watches). A kept number is a raw point of its
 * series, held in memory for at most a tenth of a second, then staged in
 * the store's open batch (group commit: the notification gains no fsync,
 * and a flood of values one batch a tenth of a second). A sweep on a timer, in slices that each wait for their
 * own commit, rolls raw points older than [history] raw_age_s into buckets
 * of bucket_s (min, max, sum, count), drops what is older than max_age_s,
 * and, while the three databases hold more than max_kb, the oldest points
 * and buckets of all series first. A decommissioned device's history goes
 * (its series at once, their records in the sweep).
 *
 * The store (store/store.h):
 *   STORE_DB_HSERIES  'n' ep NUL path -> series id (u32 BE)
 *                     'i' id (u32 BE) -> flag (0 live, 1 dropped), ep NUL
 *                     path: the series by id, for the sweep
 *   STORE_DB_HPOINTS  id (u32 BE), t (unix ms, u64 BE) -> v (IEEE 754
 *                     binary64 bits, BE): a series' window is one range
 *   STORE_DB_HBUCKETS id (u32 BE), start (unix ms, u64 BE) -> min, max,
 *                     sum (binary64 BE), count (u32 BE), width (s, u32 BE)
 *
 * In memory: the series table, a hash of ep NUL path to its id, the
 * policy's decision and the series' first and last times: about 64 bytes
 * plus the names per series (and per number path seen but not kept), at
 * most [history] max_series of them.
 */
#ifndef OUTPOST_HISTORY_H
#define OUTPOST_HISTORY_H

#include <stddef.h>
#include <stdint.h>

struct gateway;

#define HISTORY_LIMIT_DEFAULT	1000	/* rows of a page */
#define HISTORY_LIMIT_MAX	10000
#define HISTORY_WINDOW_DEFAULT	3600	/* seconds: the last hour */
#define HISTORY_STEP_MAX	(366 * 86400)	/* seconds */

/* The order of rows at the same time: a stored bucket before a point. */
enum history_kind {
	HISTORY_BUCKET,
	HISTORY_POINT
};

/*
 * A read of one series (the HTTP query's, checked: proxy/histparam.c).
 * Rows at t in [from_ms, to_ms); with step_ms, buckets aligned to
 * multiples of step_ms since the epoch. A page holds at most limit rows
 * after the cursor (has_after): in a read without step the row (after_ms,
 * after_kind), with step the bucket that starts at after_ms.
 */
struct history_query {
	int64_t		 from_ms, to_ms;
	int64_t		 step_ms;	/* 0: raw points and stored buckets */
	size_t		 limit;
	int		 has_after;
	int64_t		 after_ms;
	int		 after_kind;	/* enum history_kind */
};

/*
 * One row of a read: a raw point (kind HISTORY_POINT: v, count 1), or a
 * bucket (a stored one of width_ms in a read without step, else one of
 * the read's step) of count values from min to max that add up to sum.
 */
struct history_row {
	int64_t		 t_ms;
	int		 kind;
	int64_t		 width_ms;	/* 0 for a point */
	double		 v;		/* a point's; a bucket's mean */
	double		 min, max, sum;
	uint64_t	 count;
};

/*
 * Reads a page of ep's path per q from what is committed. *rows gets an
 * array (the caller frees it; NULL when there are none) of *nrows rows in
 * time order; *more says whether rows follow the page. Returns 0, 1 when
 * ep has no series of path, -1 on error.
 */
int		 history_read(struct gateway *gw, const char *ep,
		    const char *path, const struct history_query *q,
		    struct history_row **rows, size_t *nrows, int *more);

/* One series of a device, as history_list shows it. */
struct history_series {
	const char	*path;		/* valid during the call */
	int64_t		 first_ms;	/* the oldest point or bucket kept, */
	int64_t		 last_ms;	/* the newest point; -1 for none */
};

/*
 * Calls fn (unless NULL) for each series of ep (committed), in path order.
 * Returns how many, or -1 on error.
 */
int		 history_list(struct gateway *gw, const char *ep,
		    void (*fn)(const struct history_series *s, void *arg),
		    void *arg);

/*
 * The number listener: ep's path had value v at t_ms (unix ms). Kept when
 * [history] enable and paths say so, staged in the open batch. A time more
 * than ten minutes ahead of the clock, or older than max_age_s, is
 * refused (counted). Called by the cache; tests call it directly. One
 * value per series and millisecond: a later one at the same time wins.
 */
void		 history_ingest(struct gateway *gw, const char *ep,
		    const char *path, double v, int64_t t_ms, void *arg);

/*
 * Stages the points held in memory in the open batch. A kept number is
 * held in memory until 4096 of them are, or for at most 100 ms, so that a flood of values (proxied reads, notifications) costs the store
 * one batch a tenth of a second; the module's stop stages them too. Tests
 * call it before they commit.
 */
void		 history_flush(struct gateway *gw);

/*
 * Drops ep's history (decommission): its series go from the table and the
 * store's index in the open batch; their points and buckets go in the
 * sweep. The "decommission" event calls it. Returns how many series.
 */
int		 history_drop_device(struct gateway *gw, const char *ep);

/*
 * For /metrics: points committed since start, series held (with an id),
 * and bytes of the three databases (their pages, committed).
 */
void		 history_stats(struct gateway *gw, uint64_t *points_written,
		    uint64_t *series, size_t *bytes);

extern const struct gw_module history_module;

#endif /* OUTPOST_HISTORY_H */
