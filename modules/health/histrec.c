/*
 * histrec.c: history's records and its series table, beneath the rest of
 * history (histint.h): the keys, raw values and buckets as the store holds
 * them (history.h), and the table of series, a hash of ep NUL path and
 * the series with an id in ascending order. The ingest (history.c), the
 * sweep (histsweep.c) and the reads (histquery.c) all call down to it; it
 * calls none of them.
 */
#include <stdlib.h>
#include <string.h>

#include "modules/health/histint.h"
#include "store/store.h"

/* ---- keys and values ---- */

void
hist_key(uint8_t k[HIST_PKEY_LEN], uint32_t id, int64_t t_ms)
{
	k[0] = (uint8_t)(id >> 24);
	k[1] = (uint8_t)(id >> 16);
	k[2] = (uint8_t)(id >> 8);
	k[3] = (uint8_t)id;
	store_put_be64(k + 4, (uint64_t)t_ms);
}

uint32_t
hist_key_id(const uint8_t *k)
{
	return (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 |
	    (uint32_t)k[2] << 8 | k[3];
}

int64_t
hist_key_t(const uint8_t *k)
{
	return (int64_t)store_get_be64(k + 4);
}

void
hist_put_double(uint8_t *p, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	store_put_be64(p, u);
}

double
hist_get_double(const uint8_t *p)
{
	uint64_t u = store_get_be64(p);
	double v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

void
hist_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
hist_bucket_enc(uint8_t v[HIST_BVAL_LEN], const struct hist_agg *a,
    uint32_t width_s)
{
	hist_put_double(v, a->min);
	hist_put_double(v + 8, a->max);
	hist_put_double(v + 16, a->sum);
	hist_put_be32(v + 24, a->count > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)a->count);
	hist_put_be32(v + 28, width_s);
}

int
hist_bucket_dec(const uint8_t *v, size_t vlen, struct hist_agg *a,
    uint32_t *width_s)
{
	if (vlen != HIST_BVAL_LEN)
		return -1;
	a->min = hist_get_double(v);
	a->max = hist_get_double(v + 8);
	a->sum = hist_get_double(v + 16);
	a->count = hist_key_id(v + 24);
	*width_s = hist_key_id(v + 28);
	return 0;
}

/* ---- the series table ---- */

static uint32_t
hist_hash(const char *ep, const char *path)
{
	uint32_t h = 2166136261u;
	const char *p;

	for (p = ep; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ 0) * 16777619u;
	for (p = path; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

static const char *
hist_path_of(const struct hseries *s)
{
	return s->name + strlen(s->name) + 1;
}

struct hseries *
hist_find(struct history *h, const char *ep, const char *path)
{
	uint32_t hv = hist_hash(ep, path);
	struct hseries *s;

	for (s = h->tab[hv & (h->tabsize - 1)]; s != NULL; s = s->next)
		if (s->hash == hv && strcmp(s->name, ep) == 0 &&
		    strcmp(hist_path_of(s), path) == 0)
			return s;
	return NULL;
}

/* Doubles the hash table when it is full; a failure leaves it as it was
 * (longer chains). */
static void
hist_grow(struct history *h)
{
	struct hseries **tab, *s, *next;
	size_t i, size = h->tabsize * 2;

	if (h->n < h->tabsize || (tab = calloc(size, sizeof(*tab))) == NULL)
		return;
	for (i = 0; i < h->tabsize; i++)
		for (s = h->tab[i]; s != NULL; s = next) {
			next = s->next;
			s->next = tab[s->hash & (size - 1)];
			tab[s->hash & (size - 1)] = s;
		}
	free(h->tab);
	h->tab = tab;
	h->tabsize = size;
}

struct hseries *
hist_new(struct history *h, const char *ep, const char *path)
{
	size_t el = strlen(ep), pl = strlen(path);
	struct hseries *s;

	if ((s = calloc(1, sizeof(*s) + el + pl + 2)) == NULL)
		return NULL;
	memcpy(s->name, ep, el + 1);
	memcpy(s->name + el + 1, path, pl + 1);
	s->hash = hist_hash(ep, path);
	s->first_ms = HIST_NONE;
	s->last_ms = -1;
	hist_grow(h);
	s->next = h->tab[s->hash & (h->tabsize - 1)];
	h->tab[s->hash & (h->tabsize - 1)] = s;
	h->n++;
	h->nneg++;		/* until it has an id */
	return s;
}

void
hist_unlink(struct history *h, struct hseries *s)
{
	struct hseries **pp;

	for (pp = &h->tab[s->hash & (h->tabsize - 1)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			h->n--;
			return;
		}
}

size_t
hist_byid_at(const struct history *h, uint32_t id)
{
	size_t lo = 0, hi = h->nbyid, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (h->byid[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
hist_byid_add(struct history *h, struct hseries *s)
{
	struct hseries **v;
	size_t cap;

	if (h->nbyid == h->capbyid) {
		cap = h->capbyid > 0 ? h->capbyid * 2 : 256;
		if ((v = reallocarray(h->byid, cap, sizeof(*v))) == NULL)
			return -1;
		h->byid = v;
		h->capbyid = cap;
	}
	h->byid[h->nbyid++] = s;
	return 0;
}

void
hist_forget_dead(struct history *h, size_t i)
{
	struct hseries *s = h->byid[i];

	memmove(&h->byid[i], &h->byid[i + 1], (h->nbyid - i - 1) *
	    sizeof(h->byid[0]));
	h->nbyid--;
	free(s);
}
