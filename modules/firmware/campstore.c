/*
 * campstore.c: a campaign's devices in memory and in the store (see
 * campint.h). In memory, devs in target order and by_ep, indexes sorted
 * by endpoint for lookups. In the store, the campaign's settings and
 * status as one JSON record (STORE_DB_CAMPAIGNS, key: id) and each
 * device as a 24-byte record (STORE_DB_CAMPDEVS, key: id, endpoint),
 * written when that device alone changes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cache/events.h"
#include "gateway.h"
#include "log.h"
#include "modules/firmware/campint.h"
#include "lwm2m/campparse.h"
#include "store/store.h"

#define CAMP_DEV_REC_LEN	24
#define CAMP_DEV_REC_VERSION	1

static const char *const camp_dev_names[CDEV__COUNT] = {
	"pending", "announced", "downloading", "downloaded", "updating",
	"succeeded", "failed", "removed"
};
static const char *const camp_status_names[CAMP__COUNT] = {
	"running", "paused", "cancelled", "done"
};
const char *const camp_delivery_names[] = { "lwm2m", "multicast" };

const char *
campaign_dev_state_name(int st)
{
	return st >= 0 && st < CDEV__COUNT ? camp_dev_names[st] : "?";
}

struct camp *
camp_find(struct gateway *gw, uint64_t id)
{
	struct camp *c;

	if (gw->campaigns == NULL)
		return NULL;	/* a commit after the module stopped */
	for (c = gw->campaigns->list; c != NULL; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* by_ep's order. */
static int
camp_ep_cmp(const void *a, const void *b, void *arg)
{
	const struct camp_dev *devs = arg;

	return strcmp(devs[*(const uint32_t *)a].ep,
	    devs[*(const uint32_t *)b].ep);
}

static int
camp_index(struct camp *c)
{
	size_t i;

	free(c->by_ep);
	if ((c->by_ep = reallocarray(NULL, c->ndevs ? c->ndevs : 1,
	    sizeof(*c->by_ep))) == NULL)
		return -1;
	for (i = 0; i < c->ndevs; i++)
		c->by_ep[i] = (uint32_t)i;
	if (c->ndevs > 1)
		qsort_r(c->by_ep, c->ndevs, sizeof(*c->by_ep), camp_ep_cmp,
		    c->devs);
	return 0;
}

/* ep's device in c, or NULL. */
struct camp_dev *
camp_lookup(const struct camp *c, const char *ep)
{
	size_t lo = 0, hi = c->by_ep != NULL ? c->ndevs : 0, mid;
	int cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = strcmp(ep, c->devs[c->by_ep[mid]].ep);
		if (cmp == 0)
			return &c->devs[c->by_ep[mid]];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static cJSON *
camp_dev_json(const struct camp_dev *dv)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "ep", dv->ep);
	cJSON_AddStringToObject(d, "state", camp_dev_names[dv->state]);
	cJSON_AddNumberToObject(d, "group", dv->group);
	if (dv->state != CDEV_PENDING)
		cJSON_AddStringToObject(d, "via", camp_delivery_names[dv->via]);
	if (dv->result >= 0)
		cJSON_AddNumberToObject(d, "result", dv->result);
	else
		cJSON_AddNullToObject(d, "result");
	cJSON_AddNumberToObject(d, "op", dv->op == CAMP_OP_PENDING ? 0 :
	    (double)dv->op);
	return d;
}

static void	camp_stored_devices(struct gateway *, const struct camp *,
		    cJSON *);

/*
 * The campaign as JSON: devices < 0, its stored record (its devices have
 * their own); 0, with counts; > 0, with every device.
 */
static cJSON *
camp_record(struct gateway *gw, const struct camp *c, int devices)
{
	cJSON *o = cJSON_CreateObject(), *p, *a, *d, *counts;
	size_t i, n[CDEV__COUNT] = { 0 };
	char t[GW_TIME_LEN];

	cJSON_AddNumberToObject(o, "id", (double)c->id);
	cJSON_AddStringToObject(o, "image", c->image);
	cJSON_AddStringToObject(o, "uri", c->uri);
	cJSON_AddStringToObject(o, "uri_secure", c->uri_secure);
	cJSON_AddStringToObject(o, "status", camp_status_names[c->status]);
	cJSON_AddStringToObject(o, "reason", c->reason);
	cJSON_AddStringToObject(o, "created_at", gw_time_str(c->created, t));
	if (c->announced != 0)
		cJSON_AddStringToObject(o, "announced_at",
		    gw_time_str(c->announced, t));
	cJSON_AddNumberToObject(o, "group", c->group);
	cJSON_AddNumberToObject(o, "groups", c->ngroups);
	cJSON_AddNumberToObject(o, "threshold_off", c->threshold_off);
	p = cJSON_AddObjectToObject(o, "policy");
	cJSON_AddStringToObject(p, "delivery",
	    camp_delivery_names[c->delivery]);
	cJSON_AddNumberToObject(p, "group_size", c->group_size);
	cJSON_AddNumberToObject(p, "max_concurrent", c->max_concurrent);
	cJSON_AddNumberToObject(p, "failure_percent", c->failure_percent);
	if (c->win_from >= 0) {
		snprintf(t, sizeof(t), "%02d:%02d", c->win_from / 60,
		    c->win_from % 60);
		d = cJSON_AddObjectToObject(p, "window");
		cJSON_AddStringToObject(d, "from", t);
		snprintf(t, sizeof(t), "%02d:%02d", c->win_to / 60,
		    c->win_to % 60);
		cJSON_AddStringToObject(d, "to", t);
	}
	if (devices < 0) {
		/* The stored form: times as numbers. */
		cJSON_AddNumberToObject(o, "created", (double)c->created);
		cJSON_AddNumberToObject(o, "announced", (double)c->announced);
		return o;
	}
	if (c->unloaded)
		memcpy(n, c->counts, sizeof(n));
	for (i = 0; i < c->ndevs && !c->unloaded; i++)
		n[c->devs[i].state]++;
	counts = cJSON_AddObjectToObject(o, "counts");
	for (i = 0; i < CDEV__COUNT; i++)
		cJSON_AddNumberToObject(counts, camp_dev_names[i], (double)n[i]);
	cJSON_AddNumberToObject(o, "total", (double)c->ndevs);
	if (!devices)
		return o;
	a = cJSON_AddArrayToObject(o, "devices");
	if (c->unloaded) {
		camp_stored_devices(gw, c, a);
		return o;
	}
	for (i = 0; i < c->ndevs; i++)
		cJSON_AddItemToArray(a, camp_dev_json(&c->devs[i]));
	return o;
}

int
camp_save(struct gateway *gw, struct camp *c)
{
	cJSON *rec = camp_record(gw, c, -1), *e;
	char *text = cJSON_PrintUnformatted(rec);
	uint8_t key[8];
	int rc = -1;

	cJSON_Delete(rec);
	/* Every change of status passes here: one event, as a job's. */
	if (c->status != c->told) {
		c->told = c->status;
		e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "campaign", (double)c->id);
		cJSON_AddStringToObject(e, "status",
		    camp_status_names[c->status]);
		cJSON_AddStringToObject(e, "reason", c->reason);
		events_emit(gw, "campaign", NULL, e);
	}
	store_put_be64(key, c->id);
	if (text != NULL)
		rc = store_put(gw->store, STORE_DB_CAMPAIGNS, key, sizeof(key),
		    text, strlen(text));
	free(text);
	return rc;
}

/* A device's record: 24 bytes, written in the open batch on every change
 * of that device alone (a campaign of 100,000 devices does not rewrite
 * them all when one moves). */
int
camp_dev_save(struct gateway *gw, const struct camp *c,
    const struct camp_dev *d)
{
	uint8_t key[8 + LWM2M_EP_MAX], v[CAMP_DEV_REC_LEN];
	size_t eplen = strlen(d->ep);

	store_put_be64(key, c->id);
	memcpy(key + 8, d->ep, eplen);
	memset(v, 0, sizeof(v));
	v[0] = CAMP_DEV_REC_VERSION;
	v[1] = d->state;
	v[2] = d->op == CAMP_OP_PENDING ? COP_NONE : d->op_kind;
	v[3] = d->via;
	v[4] = d->flags & CDF_ARMED;
	v[5] = (uint8_t)(d->fw_state < 0 ? 0xff : d->fw_state);
	v[6] = (uint8_t)((uint16_t)d->result >> 8);
	v[7] = (uint8_t)d->result;
	store_put_be64(v + 8, (uint64_t)d->group << 32 | d->index);
	store_put_be64(v + 16, d->op == CAMP_OP_PENDING ? 0 : d->op);
	return store_put(gw->store, STORE_DB_CAMPDEVS, key, 8 + eplen, v,
	    sizeof(v));
}

void
camp_free(struct camp *c)
{
	if (c == NULL)
		return;
	free(c->devs);
	free(c->by_ep);
	free(c);
}

/* Adds ep at the end of the target (duplicates go in camp_finish). */
int
camp_add_dev(struct camp *c, const char *ep)
{
	struct camp_dev *n;
	size_t cap;

	if (c->ndevs == CAMP_MAX_DEVICES)
		return -1;
	if (c->ndevs == c->cap) {
		cap = c->cap ? c->cap * 2 : 64;
		if ((n = reallocarray(c->devs, cap, sizeof(*n))) == NULL)
			return -1;
		c->devs = n;
		c->cap = cap;
	}
	memset(&c->devs[c->ndevs], 0, sizeof(c->devs[0]));
	snprintf(c->devs[c->ndevs].ep, sizeof(c->devs[0].ep), "%s", ep);
	c->devs[c->ndevs].result = -1;
	c->devs[c->ndevs].fw_state = -1;
	c->devs[c->ndevs].index = (uint32_t)c->ndevs;
	c->ndevs++;
	return 0;
}

/* Sorts devs by index (the target's order), drops later duplicates of an
 * endpoint, and builds by_ep. */
static int
camp_index_cmp(const void *a, const void *b)
{
	const struct camp_dev *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

int
camp_finish(struct camp *c)
{
	struct camp_dev *shrunk;
	size_t i, n;
	uint8_t *dup;

	if (c->ndevs > 1)
		qsort(c->devs, c->ndevs, sizeof(*c->devs), camp_index_cmp);
	if (camp_index(c) == -1 || (dup = calloc(c->ndevs ? c->ndevs : 1,
	    1)) == NULL)
		return -1;
	for (i = 1; i < c->ndevs; i++)
		if (strcmp(c->devs[c->by_ep[i]].ep,
		    c->devs[c->by_ep[i - 1]].ep) == 0)
			dup[c->by_ep[i] > c->by_ep[i - 1] ? c->by_ep[i] :
			    c->by_ep[i - 1]] = 1;
	for (i = n = 0; i < c->ndevs; i++)
		if (!dup[i])
			c->devs[n++] = c->devs[i];
	free(dup);
	if (n < c->cap && n > 0 &&
	    (shrunk = reallocarray(c->devs, n, sizeof(*c->devs))) != NULL) {
		c->devs = shrunk;	/* the doubling's slack goes */
		c->cap = n;
	}
	if (n == c->ndevs)
		return 0;
	c->ndevs = n;
	return camp_index(c);
}

cJSON *
campaign_json(struct gateway *gw, uint64_t id, int devices)
{
	struct camp *c = camp_find(gw, id);

	return c != NULL ? camp_record(gw, c, devices) : NULL;
}

cJSON *
campaign_list_json(struct gateway *gw)
{
	cJSON *a = cJSON_CreateArray();
	struct camp *c;

	for (c = gw->campaigns->list; c != NULL; c = c->next)
		cJSON_AddItemToArray(a, camp_record(gw, c, 0));
	return a;
}

/* A member as a whole number, or def. */
static int
camp_jint(const cJSON *o, const char *name, int def)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(x) ? x->valueint : def;
}

static const char *
camp_jstr(const cJSON *o, const char *name)
{
	const char *s = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(o, name));

	return s != NULL ? s : "";
}

static int
camp_name_index(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* Loads one campaign record at start (its devices come after). */
static int
camp_load_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct gateway *gw = arg;
	cJSON *o = cJSON_ParseWithLength(val, vlen), *d, *x;
	struct camp *c = calloc(1, sizeof(*c));
	int i;

	if (o == NULL || c == NULL || klen != 8)
		goto bad;
	c->id = store_get_be64(key);
	snprintf(c->image, sizeof(c->image), "%s", camp_jstr(o, "image"));
	snprintf(c->uri, sizeof(c->uri), "%s", camp_jstr(o, "uri"));
	snprintf(c->uri_secure, sizeof(c->uri_secure), "%s",
	    camp_jstr(o, "uri_secure"));
	snprintf(c->reason, sizeof(c->reason), "%s", camp_jstr(o, "reason"));
	if ((i = camp_name_index(camp_status_names, CAMP__COUNT,
	    camp_jstr(o, "status"))) < 0)
		goto bad;
	c->status = c->told = i;
	c->unloaded = c->status == CAMP_DONE || c->status == CAMP_CANCELLED;
	c->group = camp_jint(o, "group", 0);
	c->ngroups = camp_jint(o, "groups", 1);
	c->threshold_off = camp_jint(o, "threshold_off", -1);
	x = cJSON_GetObjectItemCaseSensitive(o, "policy");
	c->group_size = camp_jint(x, "group_size", 1);
	c->max_concurrent = camp_jint(x, "max_concurrent", 1);
	c->failure_percent = camp_jint(x, "failure_percent", 0);
	c->delivery = strcmp(camp_jstr(x, "delivery"), "multicast") == 0 ?
	    DELIVER_MULTICAST : DELIVER_LWM2M;
	if (c->group_size < 1 || c->max_concurrent < 1)
		goto bad;
	c->win_from = c->win_to = -1;
	if ((d = cJSON_GetObjectItemCaseSensitive(x, "window")) != NULL) {
		c->win_from = campparse_minutes(camp_jstr(d, "from"));
		c->win_to = campparse_minutes(camp_jstr(d, "to"));
	}
	c->created = (int64_t)cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(o, "created"));
	c->announced = (int64_t)camp_jint(o, "announced", 0);
	if (c->id >= gw->campaigns->next_id)
		gw->campaigns->next_id = c->id + 1;
	c->next = gw->campaigns->list;
	gw->campaigns->list = c;
	cJSON_Delete(o);
	return 0;
bad:
	log_warnx("campaign: skipping a bad campaign record in the store");
	cJSON_Delete(o);
	camp_free(c);
	return 0;
}

struct camp_loader {
	struct gateway	*gw;
	struct camp	*into;		/* one campaign's devices; NULL: all */
};

/* Loads one device record: key campaign id, endpoint. A finished
 * campaign only counts them. */
static int
camp_load_dev(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct camp_loader *l = arg;
	const uint8_t *k = key, *v = val;
	char ep[LWM2M_EP_MAX + 1];
	struct camp_dev *d;
	struct camp *c;
	uint64_t x;

	if (l->into != NULL && (klen < 8 || store_get_be64(k) != l->into->id))
		return 1;	/* past its records */
	if (klen <= 8 || klen > 8 + LWM2M_EP_MAX ||
	    vlen != CAMP_DEV_REC_LEN || v[0] != CAMP_DEV_REC_VERSION ||
	    v[1] >= CDEV__COUNT || v[2] > COP_EXECUTE || v[3] > VIA_MULTICAST)
		goto bad;
	memcpy(ep, k + 8, klen - 8);
	ep[klen - 8] = '\0';
	if (!campparse_ep_ok(ep))
		goto bad;
	if ((c = l->into) == NULL &&
	    (c = camp_find(l->gw, store_get_be64(k))) == NULL)
		return 0;	/* its campaign's record was bad */
	if (c->unloaded) {
		c->counts[v[1]]++;
		c->ndevs++;
		return 0;
	}
	if (camp_add_dev(c, ep) == -1)
		return -1;
	d = &c->devs[c->ndevs - 1];
	d->state = v[1];
	d->op_kind = v[2];
	d->via = v[3];
	d->flags = v[4] & CDF_ARMED;
	d->fw_state = v[5] == 0xff ? -1 : v[5];
	d->result = (int16_t)(v[6] << 8 | v[7]);
	x = store_get_be64(v + 8);
	d->group = (uint32_t)(x >> 32);
	d->index = (uint32_t)x;
	d->op = store_get_be64(v + 16);
	if (d->op == 0)
		d->op_kind = COP_NONE;
	return 0;
bad:
	log_warnx("campaign: skipping a bad device record in the store");
	return 0;
}

/* A finished campaign's devices, read from the store, in target order. */
static void
camp_stored_devices(struct gateway *gw, const struct camp *c, cJSON *a)
{
	struct camp tmp;
	struct camp_loader l = { gw, &tmp };
	uint8_t key[8];
	size_t i;

	memset(&tmp, 0, sizeof(tmp));
	tmp.id = c->id;
	store_put_be64(key, c->id);
	if (store_iterate(gw->store, STORE_DB_CAMPDEVS, key, sizeof(key),
	    camp_load_dev, &l) != -1 && camp_finish(&tmp) == 0)
		for (i = 0; i < tmp.ndevs; i++)
			cJSON_AddItemToArray(a, camp_dev_json(&tmp.devs[i]));
	free(tmp.devs);
	free(tmp.by_ep);
}

int
camp_load(struct gateway *gw)
{
	struct camp_loader l = { gw, NULL };
	struct camp *c;

	if (store_iterate(gw->store, STORE_DB_CAMPAIGNS, NULL, 0,
	    camp_load_one, gw) == -1 || store_iterate(gw->store,
	    STORE_DB_CAMPDEVS, NULL, 0, camp_load_dev, &l) == -1)
		return -1;
	for (c = gw->campaigns->list; c != NULL; c = c->next)
		if (!c->unloaded && camp_finish(c) == -1)
			return -1;
	return 0;
}
