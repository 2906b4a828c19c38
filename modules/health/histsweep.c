/*
 * histsweep.c: history's sweep. Every [history] sweep_s a pass walks the
 * series by id, one slice of at most HIST_SLICE records a loop turn: raw
 * points older than raw_age_s (in whole buckets of bucket_s) are rolled up
 * into buckets, merged with a bucket of the same start already stored;
 * points and buckets older than the pass's cut are dropped; a dropped
 * series loses all its records, then its index. The cut is max_age_s ago,
 * or later while history takes more than max_kb: then the oldest span of
 * all series goes, an eighth of the time kept (a second at least) a pass,
 * and the next pass follows at once.
 *
 * A slice reads what is committed and stages its writes; the next slice
 * waits until they are committed, so no point is rolled up twice and a
 * bucket merged is the one on disk. Only the sweep writes buckets.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "modules/health/histint.h"
#include "store/store.h"

/* What a scan of one series' range collects. */
struct hist_scan {
	struct history	*h;
	uint32_t	 id;
	int		 dead;
	int64_t		 limit;		/* records at or past it are kept */
	int64_t		 cut_del;
	int64_t		 bucket_ms;
	size_t		 max;		/* records to take */
	size_t		 n;		/* taken: keys[0..n) */
	size_t		 nagg;
	int		 full;		/* stopped at max */
	int64_t		 next;		/* the first kept, or HIST_NONE */
};

/* Raw points: those before limit are dropped or rolled up into agg. */
static int
hist_scan_point(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct hist_scan *sc = arg;
	struct hist_agg *a;
	int64_t t, start;
	double v;

	if (klen != HIST_PKEY_LEN || hist_key_id(key) != sc->id)
		return 1;
	t = hist_key_t(key);
	if (t >= sc->limit) {
		sc->next = t;
		return 1;
	}
	if (sc->n == sc->max) {
		sc->full = 1;
		return 1;
	}
	memcpy(sc->h->keys[sc->n++], key, HIST_PKEY_LEN);
	if (sc->dead || t < sc->cut_del || vlen != 8)
		return 0;
	v = hist_get_double(val);
	start = t - t % sc->bucket_ms;
	a = sc->nagg > 0 ? &sc->h->agg[sc->nagg - 1] : NULL;
	if (a == NULL || a->start_ms != start) {
		a = &sc->h->agg[sc->nagg++];
		a->start_ms = start;
		a->min = a->max = v;
		a->sum = 0;
		a->count = 0;
	}
	if (v < a->min)
		a->min = v;
	if (v > a->max)
		a->max = v;
	a->sum += v;
	a->count++;
	return 0;
}

/* Buckets: those that end by cut_del are dropped (a dead series': all). */
static int
hist_scan_bucket(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct hist_scan *sc = arg;
	struct hist_agg a;
	uint32_t width = 0;
	int64_t t;

	if (klen != HIST_PKEY_LEN || hist_key_id(key) != sc->id)
		return 1;
	t = hist_key_t(key);
	if (!sc->dead && hist_bucket_dec(val, vlen, &a, &width) == 0 &&
	    t + (int64_t)width * 1000 > sc->cut_del) {
		sc->next = t;
		return 1;
	}
	if (sc->n == sc->max) {
		sc->full = 1;
		return 1;
	}
	memcpy(sc->h->keys[sc->n++], key, HIST_PKEY_LEN);
	return 0;
}

/* Merges the roll-up a into the bucket stored at its start, if any. */
static int
hist_roll(struct gateway *gw, uint32_t id, const struct hist_agg *a)
{
	uint8_t k[HIST_PKEY_LEN], v[HIST_BVAL_LEN];
	uint32_t width = (uint32_t)gw->cfg.history_bucket_s, w;
	struct hist_agg m = *a, old;
	size_t vlen;

	hist_key(k, id, a->start_ms);
	if (store_get(gw->store, STORE_DB_HBUCKETS, k, sizeof(k), v,
	    sizeof(v), &vlen) == 0 && hist_bucket_dec(v, vlen, &old, &w) ==
	    0) {
		if (old.min < m.min)
			m.min = old.min;
		if (old.max > m.max)
			m.max = old.max;
		m.sum += old.sum;
		m.count += old.count;
		if (w > width)
			width = w;
	}
	hist_bucket_enc(v, &m, width);
	return store_put(gw->store, STORE_DB_HBUCKETS, k, sizeof(k), v,
	    sizeof(v));
}

/*
 * Sweeps s (at byid[i]) within *budget records: its raw points, then its
 * buckets (h->in_buckets says the points are done). Returns 1 when s is
 * done (a dead one then gone from byid), 0 when the budget ran out.
 */
static int
hist_sweep_series(struct gateway *gw, struct hseries *s, size_t i,
    size_t *budget)
{
	struct history *h = gw->history;
	struct hist_scan sc;
	uint8_t lo[HIST_PKEY_LEN], ik[5];
	size_t j;

	memset(&sc, 0, sizeof(sc));
	sc.h = h;
	sc.id = s->id;
	sc.dead = s->dead;
	sc.cut_del = h->cut_del;
	sc.bucket_ms = (int64_t)gw->cfg.history_bucket_s * 1000;
	sc.max = *budget;
	sc.next = HIST_NONE;
	hist_key(lo, s->id, 0);
	if (!h->in_buckets) {
		sc.limit = s->dead ? INT64_MAX : h->cut_roll > h->cut_del ?
		    h->cut_roll : h->cut_del;
		if (store_iterate(gw->store, STORE_DB_HPOINTS, lo, sizeof(lo),
		    hist_scan_point, &sc) == -1)
			return 1;	/* logged; the next pass tries again */
		for (j = 0; j < sc.nagg; j++)
			if (hist_roll(gw, s->id, &h->agg[j]) == 0)
				h->rolled += h->agg[j].count;
		for (j = 0; j < sc.n; j++)
			store_del(gw->store, STORE_DB_HPOINTS, h->keys[j],
			    HIST_PKEY_LEN);
		h->removed += sc.n;
		*budget -= sc.n;
		if (sc.full)
			return 0;
		h->in_buckets = 1;
		h->raw_next = sc.next;
		sc.n = 0;
		sc.max = *budget;
		sc.next = HIST_NONE;
		if (sc.max == 0)
			return 0;
	}
	if (store_iterate(gw->store, STORE_DB_HBUCKETS, lo, sizeof(lo),
	    hist_scan_bucket, &sc) == -1)
		return 1;
	for (j = 0; j < sc.n; j++)
		store_del(gw->store, STORE_DB_HBUCKETS, h->keys[j],
		    HIST_PKEY_LEN);
	h->removed += sc.n;
	*budget -= sc.n;
	if (sc.full)
		return 0;
	if (s->dead) {
		ik[0] = 'i';
		memcpy(ik + 1, lo, 4);
		store_del(gw->store, STORE_DB_HSERIES, ik, sizeof(ik));
		hist_forget_dead(h, i);
		return 1;
	}
	/* What is kept starts at the first record left; points staged since
	 * the pass read are not seen, but are no older than the newest. */
	s->first_ms = h->raw_next < sc.next ? h->raw_next : sc.next;
	if (s->last_ms >= 0 && s->last_ms < s->first_ms)
		s->first_ms = s->last_ms;
	return 1;
}

/* The cuts of a new pass: max_age_s, or later while over max_kb. */
static void
hist_pass_begin(struct gateway *gw)
{
	struct history *h = gw->history;
	int64_t now = gw_now() * 1000, oldest = HIST_NONE, span, roll;
	int64_t bucket_ms = (int64_t)gw->cfg.history_bucket_s * 1000;
	size_t bytes, max = (size_t)gw->cfg.history_max_kb * 1024, i;

	h->passing = 1;
	h->cursor = 0;
	h->in_buckets = 0;
	h->pass_removed = h->removed;
	h->cut_del = now - (int64_t)gw->cfg.history_max_age_s * 1000;
	roll = now - (int64_t)gw->cfg.history_raw_age_s * 1000;
	h->cut_roll = roll - (roll % bucket_ms + bucket_ms) % bucket_ms;
	bytes = store_db_bytes(gw->store, STORE_DB_HSERIES) +
	    store_db_bytes(gw->store, STORE_DB_HPOINTS) +
	    store_db_bytes(gw->store, STORE_DB_HBUCKETS);
	if (bytes > max && !h->over)
		log_info("history: %zu KiB, over [history] max_kb %d: the "
		    "oldest go first", bytes / 1024, gw->cfg.history_max_kb);
	else if (bytes <= max && h->over)
		log_info("history: %zu KiB, under [history] max_kb again",
		    bytes / 1024);
	h->over = bytes > max;
	if (!h->over)
		return;
	for (i = 0; i < h->nbyid; i++)
		if (!h->byid[i]->dead && h->byid[i]->first_ms < oldest)
			oldest = h->byid[i]->first_ms;
	if (oldest == HIST_NONE || oldest >= now)
		return;
	span = (now - oldest) / 8;
	if (span < 1000)
		span = 1000;
	if (oldest + span > h->cut_del)
		h->cut_del = oldest + span > now ? now : oldest + span;
}

int
hist_sweep_slice(struct gateway *gw)
{
	struct history *h = gw->history;
	size_t budget = HIST_SLICE, i;
	struct hseries *s;
	uint32_t id;

	if (!h->passing)
		hist_pass_begin(gw);
	while (budget > 0) {
		if ((i = hist_byid_at(h, h->cursor)) == h->nbyid) {
			h->passing = 0;
			h->passes++;
			return 0;
		}
		s = h->byid[i];
		if (s->id != h->cursor) {
			h->cursor = s->id;
			h->in_buckets = 0;
		}
		id = s->id;
		if (!hist_sweep_series(gw, s, i, &budget))
			break;
		h->cursor = id + 1;
		h->in_buckets = 0;
		if (budget > 0)
			budget--;	/* a series looked at costs its seeks */
	}
	return 1;
}

/* ---- the timer ---- */

static void
hist_sweep_durable(int status, void *arg)
{
	struct gateway *gw = arg;
	struct history *h = gw->history;

	(void)status;
	if (h == NULL)
		return;
	h->awaiting = 0;
	hist_sweep_arm(gw, h->passing);
}

static void
hist_sweep_cb(int fd, short what, void *arg)
{
	struct gateway *gw = arg;
	struct history *h = gw->history;
	uint64_t before = h->removed;
	int more;

	(void)fd;
	(void)what;
	if (h->awaiting)
		return;		/* the commit's callback comes back */
	more = hist_sweep_slice(gw);
	/* A pass over max_kb that dropped something: the next at once. */
	if (!more && h->over && h->removed > h->pass_removed)
		more = 1;
	if (h->removed != before) {
		h->awaiting = 1;
		if (store_when_durable(gw->store, hist_sweep_durable, gw) ==
		    0)
			return;
		h->awaiting = 0;
	}
	hist_sweep_arm(gw, more);
}

void
hist_sweep_arm(struct gateway *gw, int now)
{
	struct history *h = gw->history;
	struct timeval tv = { 0, 0 };

	if (h == NULL || h->sweep_ev == NULL || h->awaiting)
		return;
	if (!now) {
		if (evtimer_pending(h->sweep_ev, NULL))
			return;
		tv.tv_sec = gw->cfg.history_sweep_s;
	}
	evtimer_add(h->sweep_ev, &tv);
}

int
hist_sweep_init(struct gateway *gw)
{
	struct history *h = gw->history;

	h->agg = calloc(HIST_SLICE, sizeof(*h->agg));
	h->keys = calloc(HIST_SLICE, sizeof(*h->keys));
	h->sweep_ev = evtimer_new(gw->base, hist_sweep_cb, gw);
	return h->agg == NULL || h->keys == NULL || h->sweep_ev == NULL ?
	    -1 : 0;
}

void
hist_sweep_free(struct gateway *gw)
{
	struct history *h = gw->history;

	if (h->sweep_ev != NULL)
		event_free(h->sweep_ev);
	h->sweep_ev = NULL;
	free(h->agg);
	free(h->keys);
	h->agg = NULL;
	h->keys = NULL;
}
