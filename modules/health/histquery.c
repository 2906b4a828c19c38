/*
 * histquery.c: reads of history, from what is committed. A window of one
 * series is two range scans, its raw points and its stored buckets, each
 * taking at most a page and one row more, merged in time order; with a
 * step, each scan sums its records into the step's buckets first.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "lwm2m/numvals.h"
#include "modules/health/histint.h"
#include "modules/health/history.h"
#include "store/store.h"

/* One scan of a series' range into rows. */
struct hist_read {
	uint32_t		 id;
	int			 kind;		/* of the database scanned */
	int64_t			 from, to;	/* [from, to) */
	int64_t			 step;		/* 0: a row per record */
	size_t			 max;		/* rows: limit + 1 */
	struct history_row	*rows;
	size_t			 n;
	int			 cut;		/* stopped with rows left */
	int64_t			 cut_at;	/* rows from it are unseen */
};

/* Adds a record (a point: count 1, min = max = sum = v) to the rows. */
static int
hist_read_add(struct hist_read *r, int64_t t, int64_t width, double min,
    double max, double sum, uint64_t count)
{
	struct history_row *w;
	int64_t start = t;

	if (r->step > 0)
		start = t - t % r->step;
	w = r->n > 0 ? &r->rows[r->n - 1] : NULL;
	if (r->step > 0 && w != NULL && w->t_ms == start) {
		if (min < w->min)
			w->min = min;
		if (max > w->max)
			w->max = max;
		w->sum += sum;
		w->count += count;
		return 0;
	}
	if (r->n == r->max) {
		r->cut = 1;
		r->cut_at = start;
		return 1;
	}
	w = &r->rows[r->n++];
	w->t_ms = start;
	w->kind = r->step > 0 ? HISTORY_BUCKET : r->kind;
	w->width_ms = r->step > 0 ? r->step : width;
	w->min = min;
	w->max = max;
	w->sum = sum;
	w->count = count;
	return 0;
}

static int
hist_read_cb(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct hist_read *r = arg;
	struct hist_agg a;
	uint32_t width;
	int64_t t;
	double v;

	if (klen != HIST_PKEY_LEN || hist_key_id(key) != r->id)
		return 1;
	if ((t = hist_key_t(key)) >= r->to)
		return 1;
	if (r->kind == HISTORY_POINT) {
		if (vlen != 8)
			return 0;
		v = hist_get_double(val);
		return hist_read_add(r, t, 0, v, v, v, 1);
	}
	if (hist_bucket_dec(val, vlen, &a, &width) == -1 || a.count == 0)
		return 0;
	return hist_read_add(r, t, (int64_t)width * 1000, a.min, a.max,
	    a.sum, a.count);
}

static int
hist_read_scan(struct gateway *gw, struct hist_read *r)
{
	uint8_t k[HIST_PKEY_LEN];

	if (r->from >= r->to)
		return 0;
	hist_key(k, r->id, r->from);
	return store_iterate(gw->store, r->kind == HISTORY_POINT ?
	    STORE_DB_HPOINTS : STORE_DB_HBUCKETS, k, sizeof(k), hist_read_cb,
	    r) == -1 ? -1 : 0;
}

/* Orders rows by time, a bucket first. */
static int
hist_row_before(const struct history_row *a, const struct history_row *b)
{
	return a->t_ms < b->t_ms || (a->t_ms == b->t_ms && a->kind < b->kind);
}

/* Merges the two scans into out (limit + 1 rows at most): with a step,
 * rows of one start become one. Rows at or past a scan's cut are left
 * out. Returns how many. */
static size_t
hist_merge(const struct hist_read *p, const struct hist_read *b,
    int64_t step, struct history_row *out, size_t max)
{
	int64_t cut = INT64_MAX;
	size_t i = 0, j = 0, n = 0;
	const struct history_row *x;

	if (p->cut)
		cut = p->cut_at;
	if (b->cut && b->cut_at < cut)
		cut = b->cut_at;
	while (n < max && (i < p->n || j < b->n)) {
		if (j == b->n || (i < p->n && hist_row_before(&p->rows[i],
		    &b->rows[j])))
			x = &p->rows[i++];
		else
			x = &b->rows[j++];
		if (x->t_ms >= cut)
			break;
		if (step > 0 && n > 0 && out[n - 1].t_ms == x->t_ms) {
			if (x->min < out[n - 1].min)
				out[n - 1].min = x->min;
			if (x->max > out[n - 1].max)
				out[n - 1].max = x->max;
			out[n - 1].sum += x->sum;
			out[n - 1].count += x->count;
			continue;
		}
		out[n++] = *x;
	}
	return n;
}

int
history_read(struct gateway *gw, const char *ep, const char *path,
    const struct history_query *q, struct history_row **rows, size_t *nrows,
    int *more)
{
	struct history *h = gw->history;
	struct hist_read p, b;
	struct history_row *out = NULL;
	struct hseries *s;
	size_t n, i;
	int ret = -1;

	*rows = NULL;
	*nrows = 0;
	*more = 0;
	if (h == NULL || (s = hist_find(h, ep, path)) == NULL || s->id == 0)
		return 1;
	memset(&p, 0, sizeof(p));
	p.id = s->id;
	p.kind = HISTORY_POINT;
	p.from = q->from_ms;
	p.to = q->to_ms;
	p.step = q->step_ms;
	p.max = q->limit + 1;
	b = p;
	b.kind = HISTORY_BUCKET;
	if (q->has_after && q->step_ms > 0) {
		if (q->after_ms + q->step_ms > p.from)
			p.from = b.from = q->after_ms + q->step_ms;
	} else if (q->has_after) {
		/* Rows after (after_ms, after_kind): a bucket at after_ms
		 * comes before a point at after_ms. */
		if (q->after_ms + 1 > b.from)
			b.from = q->after_ms + 1;
		if (q->after_ms + (q->after_kind == HISTORY_POINT) > p.from)
			p.from = q->after_ms + (q->after_kind ==
			    HISTORY_POINT);
	}
	p.rows = calloc(p.max, sizeof(*p.rows));
	b.rows = calloc(b.max, sizeof(*b.rows));
	out = calloc(p.max, sizeof(*out));
	if (p.rows == NULL || b.rows == NULL || out == NULL ||
	    hist_read_scan(gw, &p) == -1 || hist_read_scan(gw, &b) == -1)
		goto done;
	n = hist_merge(&p, &b, q->step_ms, out, p.max);
	*more = n > q->limit || p.cut || b.cut;
	if (n > q->limit)
		n = q->limit;
	for (i = 0; i < n; i++)
		out[i].v = out[i].kind == HISTORY_POINT ? out[i].sum :
		    out[i].sum / (double)out[i].count;
	if (n > 0) {
		*rows = out;
		out = NULL;
	}
	*nrows = n;
	ret = 0;
done:
	free(p.rows);
	free(b.rows);
	free(out);
	return ret;
}

/* history_list's walk of the 'n' records of one device. */
struct hist_list {
	struct gateway	*gw;
	const char	*ep;
	size_t		 eplen;
	void		(*fn)(const struct history_series *, void *);
	void		*arg;
	int		 n;
};

static int
hist_list_cb(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct hist_list *l = arg;
	const uint8_t *k = key;
	struct history_series v;
	char path[NUMVALS_PATH_MAX + 1];
	struct hseries *s;
	size_t pl;

	(void)val;
	(void)vlen;
	if (klen < l->eplen + 2 || k[0] != 'n' ||
	    memcmp(k + 1, l->ep, l->eplen + 1) != 0)
		return 1;
	pl = klen - l->eplen - 2;
	if (pl == 0 || pl >= sizeof(path))
		return 0;
	memcpy(path, k + l->eplen + 2, pl);
	path[pl] = '\0';
	if ((s = hist_find(l->gw->history, l->ep, path)) == NULL)
		return 0;	/* dropped, not yet committed */
	v.path = path;
	v.first_ms = s->first_ms == HIST_NONE ? -1 : s->first_ms;
	v.last_ms = s->last_ms;
	if (l->fn != NULL)
		l->fn(&v, l->arg);
	l->n++;
	return 0;
}

int
history_list(struct gateway *gw, const char *ep,
    void (*fn)(const struct history_series *s, void *arg), void *arg)
{
	struct hist_list l = { gw, ep, strlen(ep), fn, arg, 0 };
	uint8_t k[1 + 256];

	if (gw->history == NULL)
		return 0;
	if (l.eplen + 2 > sizeof(k))
		return -1;
	k[0] = 'n';
	memcpy(k + 1, ep, l.eplen + 1);
	if (store_iterate(gw->store, STORE_DB_HSERIES, k, l.eplen + 2,
	    hist_list_cb, &l) == -1)
		return -1;
	return l.n;
}
