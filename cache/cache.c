/*
 * cache.c: see cache.h. A hash table over "ep/path" and an LRU list.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "gateway.h"
#include "log.h"
#include "lwm2m/numvals.h"

#define CACHE_BUCKETS	4096
#define CACHE_FNV_BASIS	0xcbf29ce484222325ull

struct centry {
	struct cache_entry	 pub;
	struct centry		*hnext;
	TAILQ_ENTRY(centry)	 lru;
	size_t			 size;		/* bytes charged */
	char			*key;		/* "ep/path" */
	uint8_t			 data[];
};

TAILQ_HEAD(centry_list, centry);

struct cache {
	struct centry		*buckets[CACHE_BUCKETS];
	struct centry_list	 lru;		/* most recent first */
	size_t			 entries, bytes;
	struct {
		cache_number_cb	 cb;
		void		*arg;
	}			 listeners[CACHE_MAX_LISTENERS];
	int			 nlisteners;
};

/* One value's numbers on their way to the listeners. */
struct cache_numbers {
	struct gateway	*gw;
	const char	*ep;
};

/* FNV-1a over s, continuing from h. */
static uint64_t
cache_fnv(uint64_t h, const char *s)
{
	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

static size_t
cache_hash(const char *key)
{
	return (size_t)(cache_fnv(CACHE_FNV_BASIS, key) & (CACHE_BUCKETS - 1));
}

static char *
cache_key(const char *ep, const char *path)
{
	char *key;

	if (asprintf(&key, "%s/%s", ep, path) == -1)
		return NULL;
	return key;
}

/* The entry of "ep/path", found without making the key: cached reads and
 * repeated values are the hot path, and each would allocate and free it. */
static struct centry *
cache_find_parts(struct cache *c, const char *ep, const char *path)
{
	size_t n = strlen(ep), b;
	struct centry *e;

	b = (size_t)(cache_fnv(cache_fnv(cache_fnv(CACHE_FNV_BASIS, ep), "/"),
	    path) & (CACHE_BUCKETS - 1));
	for (e = c->buckets[b]; e != NULL; e = e->hnext)
		if (strncmp(e->key, ep, n) == 0 && e->key[n] == '/' &&
		    strcmp(e->key + n + 1, path) == 0)
			return e;
	return NULL;
}

static void
cache_unlink(struct cache *c, struct centry *e)
{
	struct centry **pp;

	for (pp = &c->buckets[cache_hash(e->key)]; *pp != e;
	    pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	TAILQ_REMOVE(&c->lru, e, lru);
	c->entries--;
	c->bytes -= e->size;
	free(e->key);
	free(e);
}

/* A strong ETag from the representation: FNV-1a over format and body. */
static void
cache_etag(int cf, const uint8_t *body, size_t len, char *out)
{
	uint64_t h = CACHE_FNV_BASIS;
	size_t i;

	h = (h ^ (uint64_t)(uint32_t)cf) * 0x100000001b3ull;
	for (i = 0; i < len; i++)
		h = (h ^ body[i]) * 0x100000001b3ull;
	snprintf(out, CACHE_ETAG_LEN + 1, "\"%016llx\"", (unsigned long long)h);
}

/* gw_time_str's text in CACHE_TIME_LEN + 1 bytes (cut after year 9999). */
static void
cache_time(int64_t t, char out[CACHE_TIME_LEN + 1])
{
	char buf[GW_TIME_LEN];

	memcpy(out, gw_time_str(t, buf), CACHE_TIME_LEN);
	out[CACHE_TIME_LEN] = '\0';
}

/*
 * The value a device gave again (a read or a notification with the same
 * bytes): the entry is refreshed where it is, its ETag stays (it is made
 * from the bytes), and nothing is allocated; only its time is new, and its
 * text form is made again when a client reads it.
 */
static void
cache_refresh(struct cache *c, struct centry *e, long max_age,
    int notification, int64_t now)
{
	e->pub.max_age = max_age < 0 ? CACHE_DEFAULT_MAX_AGE :
	    (uint32_t)max_age;
	if (e->pub.observed_at != now) {
		e->pub.observed_at = now;
		e->pub.observed[0] = '\0';
	}
	e->pub.notifications += (notification != 0);
	TAILQ_REMOVE(&c->lru, e, lru);
	TAILQ_INSERT_HEAD(&c->lru, e, lru);
}

int
cache_add_number_listener(struct gateway *gw, cache_number_cb cb, void *arg)
{
	struct cache *c = gw->cache;

	if (c == NULL || c->nlisteners == CACHE_MAX_LISTENERS)
		return -1;
	c->listeners[c->nlisteners].cb = cb;
	c->listeners[c->nlisteners].arg = arg;
	c->nlisteners++;
	return 0;
}

static void
cache_number(const char *path, double v, int64_t t_ms, void *arg)
{
	struct cache_numbers *cn = arg;
	struct cache *c = cn->gw->cache;
	int i;

	for (i = 0; i < c->nlisteners; i++)
		c->listeners[i].cb(cn->gw, cn->ep, path, v, t_ms,
		    c->listeners[i].arg);
}

/* The value's numbers to the listeners: split once, for all of them. */
static void
cache_tell(struct gateway *gw, const char *ep, const char *path, int cf,
    const uint8_t *body, size_t len)
{
	struct cache_numbers cn = { gw, ep };

	if (gw->cache->nlisteners == 0)
		return;
	(void)numvals_extract(cf, body, len, path, gw->models, gw_now_ms(),
	    cache_number, &cn);
}

int
cache_put(struct gateway *gw, const char *ep, const char *path,
    int content_format, long max_age, const uint8_t *body, size_t len,
    int notification)
{
	struct cache *c = gw->cache;
	struct centry *old, *e;
	int64_t now = gw_now();
	uint64_t notes = 0;
	char *key;
	size_t size;

	cache_tell(gw, ep, path, content_format, body, len);
	if ((old = cache_find_parts(c, ep, path)) != NULL) {
		/* An empty value may come as a NULL body. */
		if (old->pub.len == len &&
		    old->pub.content_format == content_format &&
		    (len == 0 || memcmp(old->data, body, len) == 0)) {
			cache_refresh(c, old, max_age, notification, now);
			return 1;	/* the same value again */
		}
	}
	if ((key = cache_key(ep, path)) == NULL)
		return -1;
	size = sizeof(*e) + len + strlen(key) + 1;
	if (size > (size_t)gw->cfg.cache_max_bytes) {
		free(key);
		return 0;
	}
	if (old != NULL) {
		notes = old->pub.notifications;
		cache_unlink(c, old);
	}
	if ((e = calloc(1, sizeof(*e) + len)) == NULL) {
		free(key);
		return -1;
	}
	e->key = key;
	e->size = size;
	if (len > 0)
		memcpy(e->data, body, len);
	e->pub.body = e->data;
	e->pub.len = len;
	e->pub.content_format = content_format;
	e->pub.max_age = max_age < 0 ? CACHE_DEFAULT_MAX_AGE :
	    (uint32_t)max_age;
	e->pub.observed_at = now;
	e->pub.notifications = notes + (notification != 0);
	cache_etag(content_format, body, len, e->pub.etag);
	e->hnext = c->buckets[cache_hash(key)];
	c->buckets[cache_hash(key)] = e;
	TAILQ_INSERT_HEAD(&c->lru, e, lru);
	c->entries++;
	c->bytes += size;
	while (c->entries > (size_t)gw->cfg.cache_max_entries ||
	    c->bytes > (size_t)gw->cfg.cache_max_bytes)
		cache_unlink(c, TAILQ_LAST(&c->lru, centry_list));
	return 1;
}

const struct cache_entry *
cache_get(struct gateway *gw, const char *ep, const char *path)
{
	struct cache *c = gw->cache;
	struct centry *e;

	if ((e = cache_find_parts(c, ep, path)) == NULL)
		return NULL;
	if (e->pub.observed[0] == '\0')	/* the first read of this value */
		cache_time(e->pub.observed_at, e->pub.observed);
	TAILQ_REMOVE(&c->lru, e, lru);
	TAILQ_INSERT_HEAD(&c->lru, e, lru);
	return &e->pub;
}

int64_t
cache_age(const struct cache_entry *e)
{
	int64_t age = gw_now() - e->observed_at;

	return age > 0 ? age : 0;
}

int
cache_fresh(const struct cache_entry *e)
{
	return cache_age(e) <= (int64_t)e->max_age;
}

void
cache_forget(struct gateway *gw, const char *ep, const char *path)
{
	struct centry *e;

	if ((e = cache_find_parts(gw->cache, ep, path)) != NULL)
		cache_unlink(gw->cache, e);
}

void
cache_drop_device(struct gateway *gw, const char *ep)
{
	struct cache *c = gw->cache;
	struct centry *e, *next;
	size_t n = strlen(ep);

	for (e = TAILQ_FIRST(&c->lru); e != NULL; e = next) {
		next = TAILQ_NEXT(e, lru);
		if (strncmp(e->key, ep, n) == 0 && e->key[n] == '/')
			cache_unlink(c, e);
	}
}

void
cache_stats(struct gateway *gw, size_t *entries, size_t *bytes)
{
	*entries = gw->cache->entries;
	*bytes = gw->cache->bytes;
}

int
cache_init(struct gateway *gw)
{
	if ((gw->cache = calloc(1, sizeof(*gw->cache))) == NULL)
		return -1;
	TAILQ_INIT(&gw->cache->lru);
	return 0;
}

void
cache_free(struct gateway *gw)
{
	struct cache *c = gw->cache;

	if (c == NULL)
		return;
	while (!TAILQ_EMPTY(&c->lru))
		cache_unlink(c, TAILQ_FIRST(&c->lru));
	free(c);
	gw->cache = NULL;
}

static void
cache_reload(struct gateway *gw, const struct gw_config *old)
{
	struct cache *c = gw->cache;

	(void)old;
	while (c->entries > (size_t)gw->cfg.cache_max_entries ||
	    c->bytes > (size_t)gw->cfg.cache_max_bytes)
		cache_unlink(c, TAILQ_LAST(&c->lru, centry_list));
}

const struct gw_module cache_module = {
	.name = "cache",
	.init = cache_init,
	.reload = cache_reload,
	.stop = cache_free,
};
