/*
 * tags.c: device tags in the store (see tags.h for the layout). Nothing
 * is kept per device in memory; only tag sets staged and not committed
 * yet are, each for the time of one batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cache/events.h"
#include "gateway.h"
#include "log.h"
#include "lwm2m/lwm2m.h"
#include "store/store.h"
#include "modules/device/tags.h"

#define TAGS_KEY_MAX	(LWM2M_EP_MAX + 1 + TAG_LEN_MAX)
#define TAGS_WALK_CHUNK	64	/* endpoints read per store_iterate */

/* A tag set staged for ep in a batch that has not committed yet. */
struct tags_pending {
	struct tags_pending	*next;
	struct gateway		*gw;
	char			 ep[LWM2M_EP_MAX + 1];
	int			 n;
	char			 tags[TAGS_PER_DEVICE_MAX][TAG_LEN_MAX + 1];
};

/* a NUL b, the key of both databases. */
static size_t
tags_key(const char *a, const char *b, char out[TAGS_KEY_MAX])
{
	size_t al = strlen(a), bl = strlen(b);

	memcpy(out, a, al);
	out[al] = '\0';
	memcpy(out + al + 1, b, bl);
	return al + 1 + bl;
}

static int
tags_ep_ok(const char *ep)
{
	size_t len = strnlen(ep, LWM2M_EP_MAX + 1);

	return len > 0 && len <= LWM2M_EP_MAX;
}

int
tags_has(struct gateway *gw, const char *ep, const char *tag)
{
	char k[TAGS_KEY_MAX], none;
	size_t vlen;
	int rc;

	if (!tags_ep_ok(ep) || !tags_valid(tag))
		return 0;
	rc = store_get(gw->store, STORE_DB_TAGS, k, tags_key(ep, tag, k),
	    &none, 0, &vlen);
	return rc == 0 ? 1 : rc == 1 ? 0 : -1;
}

struct tags_read {
	const char	 *prefix;	/* ep NUL */
	size_t		  plen;
	char		(*out)[TAG_LEN_MAX + 1];
	int		  n, max;
};

static int
tags_get_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct tags_read *r = arg;
	size_t tl;

	(void)val;
	(void)vlen;
	if (klen < r->plen || memcmp(key, r->prefix, r->plen) != 0)
		return 1;	/* past ep's pairs */
	tl = klen - r->plen;
	if (r->n == r->max)
		return 1;
	if (tl == 0 || tl > TAG_LEN_MAX) {
		log_warnx("device %s: malformed tag record", r->prefix);
		return 0;
	}
	memcpy(r->out[r->n], (const char *)key + r->plen, tl);
	r->out[r->n][tl] = '\0';
	r->n++;
	return 0;
}

int
tags_get(struct gateway *gw, const char *ep, char out[][TAG_LEN_MAX + 1],
    int max)
{
	char prefix[TAGS_KEY_MAX];
	struct tags_read r = { prefix, 0, out, 0, max };

	if (!tags_ep_ok(ep))
		return 0;
	r.plen = tags_key(ep, "", prefix);
	if (max <= 0)
		return 0;
	if (store_iterate(gw->store, STORE_DB_TAGS, prefix, r.plen,
	    tags_get_one, &r) == -1)
		return -1;
	return r.n;
}

/* One chunk of a tag's endpoints, read in one store_iterate. */
struct tags_chunk {
	const char	*prefix;	/* tag NUL */
	size_t		 plen;
	const char	*skip;		/* the endpoint to start after */
	int		 n;
	char		 eps[TAGS_WALK_CHUNK][LWM2M_EP_MAX + 1];
};

static int
tags_chunk_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct tags_chunk *c = arg;
	size_t el;

	(void)val;
	(void)vlen;
	if (klen < c->plen || memcmp(key, c->prefix, c->plen) != 0)
		return 1;	/* past the tag's pairs */
	el = klen - c->plen;
	if (el == 0 || el > LWM2M_EP_MAX) {
		log_warnx("tag %s: malformed index record", c->prefix);
		return 0;
	}
	if (c->skip != NULL && strlen(c->skip) == el &&
	    memcmp((const char *)key + c->plen, c->skip, el) == 0)
		return 0;
	memcpy(c->eps[c->n], (const char *)key + c->plen, el);
	c->eps[c->n][el] = '\0';
	return ++c->n == TAGS_WALK_CHUNK ? 2 : 0;
}

/*
 * cb runs between reads, never inside store_iterate: the store's read
 * transaction is shared, and a cb that looks a device up in the store (as
 * a campaign does) would find it in use.
 */
int
tags_walk_from(struct gateway *gw, const char *tag, const char *after,
    int (*cb)(const char *ep, void *arg), void *arg)
{
	struct tags_chunk *c;
	char prefix[TAGS_KEY_MAX], from[TAGS_KEY_MAX];
	char last[LWM2M_EP_MAX + 1];
	size_t flen;
	int rc, i, ret = 0;

	if (!tags_valid(tag))
		return 0;
	if (after != NULL && !tags_ep_ok(after))
		return 0;
	if ((c = malloc(sizeof(*c))) == NULL)
		return -1;
	c->prefix = prefix;
	c->plen = tags_key(tag, "", prefix);
	c->skip = after;
	flen = tags_key(tag, after != NULL ? after : "", from);
	for (;;) {
		c->n = 0;
		rc = store_iterate(gw->store, STORE_DB_TAGIDX, from, flen,
		    tags_chunk_one, c);
		if (rc == -1) {
			ret = -1;
			break;
		}
		for (i = 0; i < c->n; i++)
			if ((ret = cb(c->eps[i], arg)) != 0)
				goto done;
		if (rc != 2)
			break;		/* the chunk was the last */
		memcpy(last, c->eps[c->n - 1], sizeof(last));
		c->skip = last;
		flen = tags_key(tag, last, from);
	}
done:
	free(c);
	return ret;
}

int
tags_walk(struct gateway *gw, const char *tag,
    int (*cb)(const char *ep, void *arg), void *arg)
{
	return tags_walk_from(gw, tag, NULL, cb, arg);
}

static void
tags_pending_done(int status, void *arg)
{
	struct tags_pending *p = arg, **pp;

	(void)status;	/* committed or lost: either way no longer staged */
	for (pp = &p->gw->tags_pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p);
}

/* Whether tag is in the set tags[0..n). */
static int
tags_in(char tags[][TAG_LEN_MAX + 1], int n, const char *tag)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(tags[i], tag) == 0)
			return 1;
	return 0;
}

/* Stages the deletion of both pairs of (ep, tag). */
static int
tags_del_pair(struct gateway *gw, const char *ep, const char *tag)
{
	char k[TAGS_KEY_MAX];

	if (store_del(gw->store, STORE_DB_TAGS, k, tags_key(ep, tag, k)) == -1)
		return -1;
	return store_del(gw->store, STORE_DB_TAGIDX, k, tags_key(tag, ep, k));
}

/*
 * Stages the deletion of every tag ep may carry once the batches before
 * the open one have committed, except those in keep[0..nkeep): the
 * committed ones and those of every staged set (a batch with the writer
 * may commit or fail; deleting an absent pair does nothing).
 */
static int
tags_del_others(struct gateway *gw, const char *ep,
    char keep[][TAG_LEN_MAX + 1], int nkeep)
{
	char old[TAGS_PER_DEVICE_MAX][TAG_LEN_MAX + 1];
	struct tags_pending *p;
	int n, i;

	if ((n = tags_get(gw, ep, old, TAGS_PER_DEVICE_MAX)) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (!tags_in(keep, nkeep, old[i]) &&
		    tags_del_pair(gw, ep, old[i]) == -1)
			return -1;
	for (p = gw->tags_pending; p != NULL; p = p->next) {
		if (strcmp(p->ep, ep) != 0)
			continue;
		for (i = 0; i < p->n; i++)
			if (!tags_in(keep, nkeep, p->tags[i]) &&
			    !tags_in(old, n, p->tags[i]) &&
			    tags_del_pair(gw, ep, p->tags[i]) == -1)
				return -1;
	}
	return 0;
}

/* The event of a device's new tags: continuous jobs hear it before the
 * tags are committed (tags_has would not see them yet). */
static void
tags_event(struct gateway *gw, const char *ep, char tags[][TAG_LEN_MAX + 1],
    int n)
{
	cJSON *e = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(e, "tags");
	int i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(tags[i]));
	events_emit(gw, "tags", ep, e);
}

int
tags_set(struct gateway *gw, const char *ep, char tags[][TAG_LEN_MAX + 1],
    int n)
{
	struct tags_pending *p = NULL;
	char k[TAGS_KEY_MAX];
	int i;

	if (!tags_ep_ok(ep) || n < 0 || n > TAGS_PER_DEVICE_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (!tags_valid(tags[i]))
			return -1;
	if (n > 0) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return -1;
		p->gw = gw;
		memcpy(p->ep, ep, strlen(ep) + 1);
		p->n = n;
		memcpy(p->tags, tags, (size_t)n * sizeof(tags[0]));
		if (store_when_durable(gw->store, tags_pending_done, p) == -1) {
			free(p);
			return -1;
		}
		p->next = gw->tags_pending;
		gw->tags_pending = p;
	}
	if (tags_del_others(gw, ep, tags, n) == -1)
		goto fail;
	/* Every pair again, even one already stored: a staged set before
	 * this one may delete it first. */
	for (i = 0; i < n; i++)
		if (store_put(gw->store, STORE_DB_TAGS, k,
		    tags_key(ep, tags[i], k), "", 0) == -1 ||
		    store_put(gw->store, STORE_DB_TAGIDX, k,
		    tags_key(tags[i], ep, k), "", 0) == -1)
			goto fail;
	tags_event(gw, ep, tags, n);
	return 0;
fail:
	log_warnx("device %s: could not stage its tags", ep);
	return -1;
}

void
tags_drop_device(struct gateway *gw, const char *ep)
{
	if (tags_ep_ok(ep) && tags_del_others(gw, ep, NULL, 0) == -1)
		log_warnx("device %s: could not stage the removal of its tags",
		    ep);
}
