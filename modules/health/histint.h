/*
 * histint.h: what history's files share, and nothing else (other modules
 * use history.h). Calls run down: history.c calls the sweep, and all
 * three call histrec.c, which calls none of them:
 *   history.c    the policy, ingest, a device dropped, the module;
 *   histsweep.c  the sweep: roll-up and retention, in slices;
 *   histquery.c  reads: a window of points or buckets, a device's series;
 *   histrec.c    the records (keys, values, buckets) and the series table.
 */
#ifndef OUTPOST_HISTINT_H
#define OUTPOST_HISTINT_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

struct event;
struct gateway;

#define HIST_PKEY_LEN	12	/* id (u32 BE), t (u64 BE) */
#define HIST_BVAL_LEN	32	/* min, max, sum, count, width */
#define HIST_NONE	INT64_MAX	/* first_ms of a series with nothing */
#define HIST_PATTERNS	16	/* [history] paths: patterns kept */
#define HIST_DECIDE_S	10	/* "observed" is asked again this often */
#define HIST_AHEAD_MS	600000	/* a point this far ahead is refused */
#define HIST_SLICE	1024	/* records a sweep slice looks at */
#define HIST_BUF	4096	/* points held before they are staged */
#define HIST_FLUSH_MS	100	/* or at most this long */

/* One (ep, path) seen: a series when it has an id. Decided says when the
 * policy was last asked (gen: of which policy). */
struct hseries {
	struct hseries	*next;		/* hash chain */
	uint32_t	 hash;
	uint32_t	 id;		/* 0: none (never kept so far) */
	uint8_t		 kept;
	uint8_t		 dead;		/* dropped: in byid only, until the
					   sweep has removed its records */
	uint16_t	 gen;
	int64_t		 decided;	/* unix seconds */
	int64_t		 first_ms;	/* the oldest kept, or HIST_NONE */
	int64_t		 last_ms;	/* the newest point, or -1 */
	char		 name[];	/* ep NUL path NUL */
};

/* A point on its way to the store. */
struct hist_point {
	uint32_t	 id;
	int64_t		 t_ms;
	double		 v;
};

struct hist_agg {
	int64_t		 start_ms;
	double		 min, max, sum;
	uint64_t	 count;
};

struct history {
	struct hseries	**tab;		/* hash of ep NUL path */
	size_t		  tabsize;	/* a power of two */
	size_t		  n;		/* entries, kept or not */
	size_t		  nneg;		/* of them, paths not kept (no id) */
	size_t		  evict_at;	/* where hist_evict looks next */
	struct hseries	**byid;		/* with an id, ascending, dead too */
	size_t		  nbyid, capbyid;
	uint32_t	  next_id;
	uint16_t	  gen;		/* of the policy below */
	char		  patterns[HIST_PATTERNS][128];
	int		  npatterns;
	int		  observed;	/* "observed" is in paths */

	struct hist_point *buf;		/* HIST_BUF, not yet staged */
	size_t		  nbuf;
	struct event	 *flush_ev;
	uint64_t	  points_written;	/* committed */
	uint64_t	  points_staged;	/* in the open batch */
	int		  waiting;	/* a commit callback is registered */
	uint64_t	  refused;	/* times out of range, table full */
	struct log_budget budget;

	/* The sweep: a pass over byid from id cursor, one slice a turn. */
	struct event	 *sweep_ev;
	int		  passing;	/* a pass is under way */
	uint32_t	  cursor;	/* the next series id to look at */
	int		  in_buckets;	/* its raw points are done */
	int64_t		  raw_next;	/* then: its first raw point left */
	int64_t		  cut_del;	/* older than this goes */
	int64_t		  cut_roll;	/* older raw points are rolled up */
	int		  over;		/* the pass began over max_kb */
	int		  awaiting;	/* a slice's commit */
	uint64_t	  passes;	/* passes finished */
	uint64_t	  rolled;	/* points rolled up into buckets */
	uint64_t	  removed;	/* records deleted (rolled ones too) */
	uint64_t	  pass_removed;	/* removed when the pass began */
	struct hist_agg	 *agg;		/* HIST_SLICE of them */
	uint8_t		 (*keys)[HIST_PKEY_LEN];	/* HIST_SLICE */
};

/* histrec.c: keys and values. */
void		 hist_key(uint8_t k[HIST_PKEY_LEN], uint32_t id, int64_t t_ms);
uint32_t	 hist_key_id(const uint8_t *k);
int64_t		 hist_key_t(const uint8_t *k);
void		 hist_put_double(uint8_t *p, double v);
double		 hist_get_double(const uint8_t *p);
void		 hist_put_be32(uint8_t *p, uint32_t v);
void		 hist_bucket_enc(uint8_t v[HIST_BVAL_LEN],
		    const struct hist_agg *a, uint32_t width_s);
/* 0, or -1 when vlen is not a bucket's. */
int		 hist_bucket_dec(const uint8_t *v, size_t vlen,
		    struct hist_agg *a, uint32_t *width_s);

/* histrec.c: the series table. */
/* The series of ep's path, or NULL. */
struct hseries	*hist_find(struct history *h, const char *ep,
		    const char *path);
/* A new entry of ep's path in the table (no id yet), or NULL. */
struct hseries	*hist_new(struct history *h, const char *ep,
		    const char *path);
/* Takes s out of the hash (not out of byid). */
void		 hist_unlink(struct history *h, struct hseries *s);
/* Appends s (whose id is the greatest yet) to byid: 0, or -1. */
int		 hist_byid_add(struct history *h, struct hseries *s);
/* Removes a dead series from byid (its records are gone) and frees it. */
void		 hist_forget_dead(struct history *h, size_t i);
/* The position in byid of the first series with an id >= id. */
size_t		 hist_byid_at(const struct history *h, uint32_t id);

/* histsweep.c: runs one slice of the sweep (starting a pass when none is
 * under way). Returns 1 when the pass goes on, 0 when it ended. Its
 * writes are in the open batch: the next slice must wait for them. */
int		 hist_sweep_slice(struct gateway *gw);
/* Arms the sweep's timer: a slice next turn (now), or the next pass. */
void		 hist_sweep_arm(struct gateway *gw, int now);
int		 hist_sweep_init(struct gateway *gw);
void		 hist_sweep_free(struct gateway *gw);

#endif /* OUTPOST_HISTINT_H */
