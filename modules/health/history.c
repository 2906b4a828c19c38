/*
 * history.c: the policy, ingest, the series' index in the store, a device
 * dropped and the module behind history.h; the sweep and the reads are
 * below it, the records and the series table (histrec.c) below them all
 * (histint.h says how its files share the work).
 *
 * A number the cache is given reaches history_ingest during cache_put:
 * one hash lookup of ep NUL path, the policy's decision kept in the entry
 * (asked again when the policy changes, and every HIST_DECIDE_S for
 * "observed", whose answer an observation made or cancelled changes), and
 * a put into the open batch. The first kept number of a series gives it an
 * id and its two index records in the same batch.
 */
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/event.h>

#include "cache/cache.h"
#include "cache/events.h"
#include "cache/observe.h"
#include "gateway.h"
#include "log.h"
#include "lwm2m/numvals.h"
#include "modules/health/histint.h"
#include "modules/health/history.h"
#include "store/store.h"

#define HIST_TAB_MIN	1024

/* ---- the series' index in the store ---- */

/* The 'n' key of ep's path into k; its length. */
static size_t
hist_nkey(uint8_t *k, const char *name, size_t namelen)
{
	k[0] = 'n';
	memcpy(k + 1, name, namelen);
	return namelen + 1;
}

static size_t
hist_namelen(const struct hseries *s)
{
	size_t el = strlen(s->name);

	return el + 1 + strlen(s->name + el + 1);
}

/* Stages s's index records: live (flag 0) or dropped (1, and no 'n'). */
static int
hist_index(struct gateway *gw, struct hseries *s, int dead)
{
	uint8_t k[1 + 2 * 256 + 2], ik[5], id[4], flag = (uint8_t)dead;
	size_t nl = hist_namelen(s), kl;

	if (nl + 1 > sizeof(k))
		return -1;
	kl = hist_nkey(k, s->name, nl);
	ik[0] = 'i';
	hist_put_be32(ik + 1, s->id);
	hist_put_be32(id, s->id);
	if (dead)
		return store_del(gw->store, STORE_DB_HSERIES, k, kl) == -1 ||
		    store_put2(gw->store, STORE_DB_HSERIES, ik, sizeof(ik),
		    &flag, 1, s->name, nl) == -1 ? -1 : 0;
	return store_put(gw->store, STORE_DB_HSERIES, k, kl, id,
	    sizeof(id)) == -1 || store_put2(gw->store, STORE_DB_HSERIES, ik,
	    sizeof(ik), &flag, 1, s->name, nl) == -1 ? -1 : 0;
}

/* ---- the policy ---- */

/* [history] paths into patterns and "observed". */
static void
hist_policy(struct gateway *gw)
{
	struct history *h = gw->history;
	char buf[sizeof(gw->cfg.history_paths)], *p, *save = NULL;

	h->npatterns = 0;
	h->observed = 0;
	h->gen++;
	snprintf(buf, sizeof(buf), "%s", gw->cfg.history_paths);
	for (p = strtok_r(buf, " \t,", &save); p != NULL;
	    p = strtok_r(NULL, " \t,", &save)) {
		if (strcmp(p, "observed") == 0)
			h->observed = 1;
		else if (h->npatterns < HIST_PATTERNS)
			snprintf(h->patterns[h->npatterns++],
			    sizeof(h->patterns[0]), "%s", p);
		else
			log_warnx("history: paths: more than %d patterns, "
			    "\"%s\" ignored", HIST_PATTERNS, p);
	}
}

/* Whether an observation of ep watches path or a parent of it. */
static int
hist_observed(struct gateway *gw, const char *ep, const char *path)
{
	struct observe_view v;
	char buf[NUMVALS_PATH_MAX + 1];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		if (observe_get(gw, ep, buf, &v) == 0)
			return 1;
		if ((slash = strrchr(buf, '/')) == NULL)
			return 0;
		*slash = '\0';
	}
}

static int
hist_decide(struct gateway *gw, const char *ep, const char *path)
{
	struct history *h = gw->history;
	int i;

	for (i = 0; i < h->npatterns; i++)
		if (fnmatch(h->patterns[i], path, 0) == 0)
			return 1;
	return h->observed && gw->observe != NULL &&
	    hist_observed(gw, ep, path);
}

/* Frees an entry that holds no series (a path not kept), to make room:
 * 0, or -1 when every entry is a series. */
static int
hist_evict(struct history *h)
{
	struct hseries *s;
	size_t i;

	if (h->nneg == 0)
		return -1;
	for (i = 0; i < h->tabsize; i++) {
		h->evict_at = (h->evict_at + 1) & (h->tabsize - 1);
		for (s = h->tab[h->evict_at]; s != NULL; s = s->next)
			if (s->id == 0) {
				hist_unlink(h, s);
				free(s);
				h->nneg--;
				return 0;
			}
	}
	return -1;
}

/* ---- ingest ---- */

static void
hist_committed(int status, void *arg)
{
	struct gateway *gw = arg;
	struct history *h = gw->history;

	if (h == NULL)
		return;
	h->waiting = 0;
	if (status == 0)
		h->points_written += h->points_staged;
	h->points_staged = 0;
}

static void
hist_refuse(struct history *h, const char *ep, const char *path,
    const char *why)
{
	h->refused++;
	if (log_budget_take(&h->budget, 2, "history: %u more numbers "
	    "refused"))
		log_warnx("history: %s %s: %s", ep, path, why);
}

/* Gives s an id and stages its index. */
static int
hist_assign(struct gateway *gw, struct hseries *s)
{
	struct history *h = gw->history;

	if (h->next_id == 0 || h->next_id == UINT32_MAX)
		return -1;
	s->id = h->next_id;
	if (hist_byid_add(h, s) == -1) {
		s->id = 0;
		return -1;
	}
	if (hist_index(gw, s, 0) == -1) {
		h->nbyid--;
		s->id = 0;
		return -1;
	}
	h->next_id++;
	h->nneg--;
	return 0;
}

void
history_ingest(struct gateway *gw, const char *ep, const char *path,
    double v, int64_t t_ms, void *arg)
{
	struct history *h = gw->history;
	struct hseries *s;
	int64_t now = gw_now();

	(void)arg;
	if (h == NULL || !gw->cfg.history_enable || !isfinite(v))
		return;
	if ((s = hist_find(h, ep, path)) == NULL) {
		/* Full: no room for a path not kept, and one kept takes the
		 * place of one that is not. */
		if (h->n >= (size_t)gw->cfg.history_max_series) {
			if (!hist_decide(gw, ep, path))
				return;
			if (hist_evict(h) == -1) {
				hist_refuse(h, ep, path, "[history] "
				    "max_series reached");
				return;
			}
		}
		if ((s = hist_new(h, ep, path)) == NULL)
			return;
	}
	if (s->gen != h->gen || s->decided == 0 || (h->observed &&
	    now - s->decided >= HIST_DECIDE_S)) {
		s->kept = (uint8_t)hist_decide(gw, ep, path);
		s->gen = h->gen;
		s->decided = now;
	}
	if (!s->kept)
		return;
	if (t_ms > now * 1000 + HIST_AHEAD_MS || t_ms < 0 ||
	    t_ms < (now - gw->cfg.history_max_age_s) * 1000) {
		hist_refuse(h, ep, path, "time out of range");
		return;
	}
	if (s->id == 0 && hist_assign(gw, s) == -1) {
		hist_refuse(h, ep, path, "no series id");
		return;
	}
	if (h->nbuf == HIST_BUF)
		history_flush(gw);
	h->buf[h->nbuf].id = s->id;
	h->buf[h->nbuf].t_ms = t_ms;
	h->buf[h->nbuf].v = v;
	if (h->nbuf++ == 0 && h->flush_ev != NULL) {
		struct timeval tv = { 0, HIST_FLUSH_MS * 1000 };

		evtimer_add(h->flush_ev, &tv);
	}
	if (t_ms < s->first_ms)
		s->first_ms = t_ms;
	if (t_ms > s->last_ms)
		s->last_ms = t_ms;
}

void
history_flush(struct gateway *gw)
{
	struct history *h = gw->history;
	uint8_t k[HIST_PKEY_LEN], val[8];
	size_t i;

	if (h == NULL || h->nbuf == 0)
		return;
	for (i = 0; i < h->nbuf; i++) {
		hist_key(k, h->buf[i].id, h->buf[i].t_ms);
		hist_put_double(val, h->buf[i].v);
		if (store_put(gw->store, STORE_DB_HPOINTS, k, sizeof(k), val,
		    sizeof(val)) == 0)
			h->points_staged++;
	}
	h->nbuf = 0;
	if (h->flush_ev != NULL)
		evtimer_del(h->flush_ev);
	if (!h->waiting && store_when_durable(gw->store, hist_committed,
	    gw) == 0)
		h->waiting = 1;
}

static void
hist_flush_cb(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	history_flush(arg);
}

/* ---- a device dropped ---- */

int
history_drop_device(struct gateway *gw, const char *ep)
{
	struct history *h = gw->history;
	struct hseries *s, *next;
	size_t i;
	int n = 0;

	if (h == NULL)
		return 0;
	history_flush(gw);	/* staged before the sweep reads */
	for (i = 0; i < h->tabsize; i++)
		for (s = h->tab[i]; s != NULL; s = next) {
			next = s->next;
			if (strcmp(s->name, ep) != 0)
				continue;
			hist_unlink(h, s);
			if (s->id == 0) {
				free(s);
				h->nneg--;
				continue;
			}
			s->dead = 1;
			hist_index(gw, s, 1);
			n++;
		}
	if (n > 0) {
		log_info("history: %s: %d series dropped", ep, n);
		hist_sweep_arm(gw, 1);
	}
	return n;
}

/* A decommission drops the device's history. */
static void
hist_event(struct gateway *gw, const char *type, const cJSON *event,
    void *arg)
{
	const cJSON *ep;

	(void)arg;
	if (strcmp(type, "decommission") != 0)
		return;
	ep = cJSON_GetObjectItemCaseSensitive(event, "ep");
	if (cJSON_IsString(ep))
		history_drop_device(gw, ep->valuestring);
}

void
history_stats(struct gateway *gw, uint64_t *points_written,
    uint64_t *series, size_t *bytes)
{
	struct history *h = gw->history;
	size_t i;

	*points_written = 0;
	*series = 0;
	*bytes = 0;
	if (h == NULL)
		return;
	*points_written = h->points_written;
	for (i = 0; i < h->nbyid; i++)
		if (!h->byid[i]->dead)
			(*series)++;
	*bytes = store_db_bytes(gw->store, STORE_DB_HSERIES) +
	    store_db_bytes(gw->store, STORE_DB_HPOINTS) +
	    store_db_bytes(gw->store, STORE_DB_HBUCKETS);
}

/* ---- loading ---- */

/* Takes the first key of a range, if it is s's. */
static int
hist_first(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct hseries *s = arg;
	int64_t t;

	(void)val;
	(void)vlen;
	if (klen == HIST_PKEY_LEN && hist_key_id(key) == s->id &&
	    (t = hist_key_t(key)) < s->first_ms)
		s->first_ms = t;
	return 1;
}

/* The first committed time of s's points and buckets, and its last
 * point's. */
static void
hist_bounds(struct gateway *gw, struct hseries *s)
{
	uint8_t lo[HIST_PKEY_LEN], hi[HIST_PKEY_LEN], k[HIST_PKEY_LEN];
	size_t kl;

	hist_key(lo, s->id, 0);
	hist_key(hi, s->id + 1, 0);
	store_iterate(gw->store, STORE_DB_HPOINTS, lo, sizeof(lo), hist_first,
	    s);
	store_iterate(gw->store, STORE_DB_HBUCKETS, lo, sizeof(lo),
	    hist_first, s);
	if (store_last_below(gw->store, STORE_DB_HPOINTS, hi, sizeof(hi), lo,
	    sizeof(lo), k, sizeof(k), &kl) == 0 && kl == sizeof(k))
		s->last_ms = hist_key_t(k);
}

struct hist_load {
	struct gateway	*gw;
	int		 failed;
};

/* One 'i' record: a series by id. */
static int
hist_load_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct hist_load *l = arg;
	struct history *h = l->gw->history;
	const uint8_t *k = key, *v = val;
	const char *ep, *path;
	char p[NUMVALS_PATH_MAX + 1];
	struct hseries *s;
	uint32_t id;
	size_t pl;

	if (klen < 1 || k[0] != 'i')
		return 1;	/* past the 'i' records */
	if (klen != 5 || vlen < 3 || memchr(v + 1, '\0', vlen - 1) == NULL)
		return 0;	/* not ours: skipped */
	id = hist_key_id(k + 1);
	ep = (const char *)v + 1;
	path = ep + strlen(ep) + 1;
	pl = vlen - (size_t)(path - (const char *)v);
	if (pl == 0 || pl >= sizeof(p) || memchr(path, '\0', pl) != NULL)
		return 0;
	memcpy(p, path, pl);	/* the value holds no NUL after it */
	p[pl] = '\0';
	if ((s = hist_new(h, ep, p)) == NULL) {
		l->failed = 1;
		return 1;
	}
	s->id = id;
	h->nneg--;
	s->dead = v[0] != 0;
	if (s->dead)
		hist_unlink(h, s);
	if (hist_byid_add(h, s) == -1) {
		free(s);
		l->failed = 1;
		return 1;
	}
	if (id >= h->next_id)
		h->next_id = id + 1;
	return 0;
}

/* The series from the store, with their bounds. */
static int
hist_load(struct gateway *gw)
{
	struct history *h = gw->history;
	struct hist_load l = { gw, 0 };
	uint8_t from = 'i';
	size_t i;

	if (store_iterate(gw->store, STORE_DB_HSERIES, &from, 1,
	    hist_load_one, &l) == -1 || l.failed)
		return -1;
	for (i = 0; i < h->nbyid; i++)
		hist_bounds(gw, h->byid[i]);
	return 0;
}

/* ---- the module ---- */

static int
history_module_init(struct gateway *gw)
{
	struct history *h;

	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->tab = calloc(HIST_TAB_MIN, sizeof(*h->tab))) == NULL) {
		free(h);
		return -1;
	}
	h->tabsize = HIST_TAB_MIN;
	h->next_id = 1;
	if ((h->buf = calloc(HIST_BUF, sizeof(*h->buf))) == NULL) {
		free(h->tab);
		free(h);
		return -1;
	}
	gw->history = h;
	hist_policy(gw);
	if (hist_load(gw) == -1 || hist_sweep_init(gw) == -1) {
		log_warnx("history: cannot load the series");
		return -1;
	}
	if (h->nbyid > 0)
		log_info("history: %zu series", h->nbyid);
	return 0;
}

static int
history_module_start(struct gateway *gw)
{
	if ((gw->history->flush_ev = evtimer_new(gw->base, hist_flush_cb,
	    gw)) == NULL ||
	    cache_add_number_listener(gw, history_ingest, NULL) == -1 ||
	    events_subscribe(gw, hist_event, NULL) == -1)
		return -1;
	hist_sweep_arm(gw, 0);
	return 0;
}

static void
history_module_reload(struct gateway *gw, const struct gw_config *old)
{
	(void)old;
	if (gw->history == NULL)
		return;
	hist_policy(gw);
	hist_sweep_arm(gw, 0);
}

static void
history_module_stop(struct gateway *gw)
{
	struct history *h = gw->history;
	struct hseries *s, *next;
	size_t i;

	if (h == NULL)
		return;
	history_flush(gw);	/* main commits after each stop */
	if (h->flush_ev != NULL)
		event_free(h->flush_ev);
	events_unsubscribe(gw, hist_event, NULL);
	hist_sweep_free(gw);
	/* The dropped series are in byid only, the rest in the table. */
	for (i = 0; i < h->nbyid; i++)
		if (h->byid[i]->dead)
			free(h->byid[i]);
	for (i = 0; i < h->tabsize; i++)
		for (s = h->tab[i]; s != NULL; s = next) {
			next = s->next;
			free(s);
		}
	free(h->tab);
	free(h->byid);
	free(h->buf);
	free(h);
	gw->history = NULL;
}

const struct gw_module history_module = {
	.name = "history",
	.init = history_module_init,
	.start = history_module_start,
	.reload = history_module_reload,
	.stop = history_module_stop,
};
