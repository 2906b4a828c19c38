/*
 * registry.c: devices in memory and in the store, and the expiry sweep.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <inttypes.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "cache/events.h"
#include "modules/device/registry.h"
#include "store/store.h"

#define RECORD_FORMAT	1
#define RECORD_LEN	(8 + sizeof(struct dev_record))

struct registry {
	struct gateway	 *gw;
	struct device	**by_ep;	/* hash buckets, nbuckets each */
	struct device	**by_id;
	size_t		  nbuckets;	/* power of two */
	struct device	**slots;	/* every device, for the sweep */
	size_t		  count, cap;
	size_t		  pending_new;	/* registers of new endpoints staged,
					   not yet committed (max_devices) */
	size_t		  state_count[DEVICE_STATE__COUNT];

	struct event	 *sweep_ev;
	int		  sweeping;	/* a pass is under way */
	size_t		  sweep_pos;	/* its next slot */
	int64_t		  sweep_min;	/* earliest deadline seen this pass */
	int64_t		  sweep_armed;	/* deadline the timer is set for */
	int64_t		  sweep_last;	/* when the last pass ended */
	uint64_t	  id_key;	/* registry_new_id state */
};

/* A change waiting for its batch to commit. */
enum change_kind { CHANGE_REGISTER, CHANGE_UPDATE, CHANGE_REMOVE };

struct change {
	enum change_kind	 kind;
	struct registry		*reg;
	registry_done_cb	 done;
	void			*arg;
	uint64_t		 id;
	struct device		*dev;	/* CHANGE_REGISTER: the new device */
	struct dev_record	 rec;	/* CHANGE_UPDATE: the new record */
	int			 decommission;
	int			 counted;	/* in reg->pending_new */
};

static const char *const state_names[DEVICE_STATE__COUNT] = {
	"awake", "sleeping", "expired"
};

const char *
registry_state_name(enum device_state st)
{
	return st < DEVICE_STATE__COUNT ? state_names[st] : "unknown";
}

int
registry_state_from_name(const char *name)
{
	int i;

	for (i = 0; i < DEVICE_STATE__COUNT; i++)
		if (strcmp(name, state_names[i]) == 0)
			return i;
	return -1;
}

void
registry_id_str(uint64_t id, char buf[REGISTRY_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = REGISTRY_ID_LEN - 1; i >= 0; i--, id >>= 4)
		buf[i] = hex[id & 0xf];
	buf[REGISTRY_ID_LEN] = '\0';
}

int
registry_id_parse(const char *s, size_t len, uint64_t *id)
{
	uint64_t v = 0;
	size_t i;

	if (len != REGISTRY_ID_LEN)
		return -1;
	for (i = 0; i < len; i++) {
		int c = s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*id = v;
	return 0;
}

const char *
registry_addr_str(const struct dev_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (inet_ntop(a->family, a->addr, host, sizeof(host)) == NULL)
		snprintf(buf, len, "unknown");
	else if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", host, a->port);
	else
		snprintf(buf, len, "%s:%u", host, a->port);
	return buf;
}

static size_t
hash_ep(const char *ep)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */

	while (*ep != '\0')
		h = (h ^ (uint8_t)*ep++) * 0x100000001b3ull;
	return (size_t)h;
}

static size_t
hash_id(uint64_t id)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 16);
}

struct device *
registry_find_by_endpoint(struct registry *reg, const char *ep)
{
	struct device *d;

	for (d = reg->by_ep[hash_ep(ep) & (reg->nbuckets - 1)]; d != NULL;
	    d = d->next_ep)
		if (strcmp(d->ep, ep) == 0)
			return d;
	return NULL;
}

struct device *
registry_find_by_id(struct registry *reg, uint64_t id)
{
	struct device *d;

	for (d = reg->by_id[hash_id(id) & (reg->nbuckets - 1)]; d != NULL;
	    d = d->next_id)
		if (d->r.id == id)
			return d;
	return NULL;
}

enum device_state
registry_state(const struct registry *reg, const struct device *dev,
    int64_t now)
{
	/* Times are whole seconds: expire only once a full lifetime has
	 * surely passed, never a fraction of a second early. */
	if (now > dev->r.updated_at + (int64_t)dev->r.lifetime)
		return DEVICE_EXPIRED;
	if (dev->r.queue_mode &&
	    now >= dev->last_seen + reg->gw->cfg.reg_awake_window)
		return DEVICE_SLEEPING;
	return DEVICE_AWAKE;
}

/* When dev's state next changes by itself, or 0 if it never does. */
static int64_t
registry_deadline(const struct registry *reg, const struct device *dev,
    int64_t now)
{
	int64_t expiry = dev->r.updated_at + (int64_t)dev->r.lifetime + 1;
	int64_t asleep = dev->last_seen + reg->gw->cfg.reg_awake_window;

	switch (registry_state(reg, dev, now)) {
	case DEVICE_AWAKE:
		return dev->r.queue_mode && asleep < expiry ? asleep : expiry;
	case DEVICE_SLEEPING:
		return expiry;
	default:
		return 0;
	}
}

size_t
registry_count(const struct registry *reg)
{
	return reg->count;
}

size_t
registry_count_state(const struct registry *reg, enum device_state st)
{
	return st < DEVICE_STATE__COUNT ? reg->state_count[st] : 0;
}

/* Doubles the hash tables. */
static int
registry_grow(struct registry *reg)
{
	size_t n = reg->nbuckets * 2, i, b;
	struct device **ep, **id, *d;

	if ((ep = calloc(n, sizeof(*ep))) == NULL)
		return -1;
	if ((id = calloc(n, sizeof(*id))) == NULL) {
		free(ep);
		return -1;
	}
	for (i = 0; i < reg->count; i++) {
		d = reg->slots[i];
		b = hash_ep(d->ep) & (n - 1);
		d->next_ep = ep[b];
		ep[b] = d;
		b = hash_id(d->r.id) & (n - 1);
		d->next_id = id[b];
		id[b] = d;
	}
	free(reg->by_ep);
	free(reg->by_id);
	reg->by_ep = ep;
	reg->by_id = id;
	reg->nbuckets = n;
	return 0;
}

/* Arms the sweep for deadline unless it is already due earlier. */
static void
registry_sweep_at(struct registry *reg, int64_t deadline)
{
	struct timeval tv = { 0, 0 };
	int64_t now = gw_now(), at;

	if (deadline == 0 || reg->sweeping)
		return;		/* nothing due, or a pass is running */
	if (reg->sweep_armed != 0 && reg->sweep_armed <= deadline)
		return;
	/* Passes at most once a second, however many deadlines there are. */
	at = deadline > reg->sweep_last + 1 ? deadline : reg->sweep_last + 1;
	if (at > now)
		tv.tv_sec = (time_t)(at - now);
	reg->sweep_armed = deadline;
	evtimer_add(reg->sweep_ev, &tv);
}

static int
registry_insert(struct registry *reg, struct device *d, int64_t now)
{
	size_t b;

	if (reg->count == reg->cap) {
		size_t cap = reg->cap ? reg->cap * 2 : 1024;
		struct device **s = reallocarray(reg->slots, cap, sizeof(*s));

		if (s == NULL)
			return -1;
		reg->slots = s;
		reg->cap = cap;
	}
	if (reg->count >= reg->nbuckets && registry_grow(reg) == -1)
		return -1;
	b = hash_ep(d->ep) & (reg->nbuckets - 1);
	d->next_ep = reg->by_ep[b];
	reg->by_ep[b] = d;
	b = hash_id(d->r.id) & (reg->nbuckets - 1);
	d->next_id = reg->by_id[b];
	reg->by_id[b] = d;
	d->slot = (uint32_t)reg->count;
	reg->slots[reg->count++] = d;
	d->state = (uint8_t)registry_state(reg, d, now);
	reg->state_count[d->state]++;
	/* Until now it counted as awake: a route it took over holds. */
	if (d->state != DEVICE_AWAKE && reg->gw->hooks.dev_state != NULL)
		reg->gw->hooks.dev_state(d, DEVICE_AWAKE);
	registry_sweep_at(reg, registry_deadline(reg, d, now));
	return 0;
}

/* Tells the CoAP face that d is about to be freed: its route ends. */
static void
registry_tell_gone(struct registry *reg, struct device *d)
{
	if (reg->gw->hooks.dev_gone != NULL)
		reg->gw->hooks.dev_gone(d);
}

/* Unlinks d from both chains and the slot array, then frees it. */
static void
registry_remove(struct registry *reg, struct device *d)
{
	struct device **pp, *last;

	for (pp = &reg->by_ep[hash_ep(d->ep) & (reg->nbuckets - 1)];
	    *pp != d; pp = &(*pp)->next_ep)
		;
	*pp = d->next_ep;
	for (pp = &reg->by_id[hash_id(d->r.id) & (reg->nbuckets - 1)];
	    *pp != d; pp = &(*pp)->next_id)
		;
	*pp = d->next_id;
	last = reg->slots[--reg->count];
	reg->slots[d->slot] = last;
	last->slot = d->slot;
	/* A running pass has already looked at this slot: take the deadline
	 * of the device moved into it now, so the pass does not miss it. */
	if (last != d && reg->sweeping && d->slot < reg->sweep_pos) {
		int64_t dl = registry_deadline(reg, last, gw_now());

		if (dl != 0 && (reg->sweep_min == 0 || dl < reg->sweep_min))
			reg->sweep_min = dl;
	}
	reg->state_count[d->state]--;
	registry_tell_gone(reg, d);
	free(d);
}

/* Tells the event sinks about d. */
static void
registry_event(struct registry *reg, const char *type, struct device *d)
{
	cJSON *e = cJSON_CreateObject();
	char id[REGISTRY_ID_LEN + 1];

	/* Constant keys: fewer allocations, and less for the event
	 * stream's ring to hold (proxy/stream.c keeps the object). */
	registry_id_str(d->r.id, id);
	cJSON_AddItemToObjectCS(e, "registration_id", cJSON_CreateString(id));
	cJSON_AddItemToObjectCS(e, "lifetime",
	    cJSON_CreateNumber(d->r.lifetime));
	cJSON_AddItemToObjectCS(e, "binding", cJSON_CreateString(d->r.binding));
	events_emit(reg->gw, type, d->ep, e);
}

static void
registry_set_state(struct registry *reg, struct device *d,
    enum device_state st)
{
	enum device_state was = d->state;

	if (was == st)
		return;
	reg->state_count[d->state]--;
	reg->state_count[st]++;
	if (st == DEVICE_EXPIRED) {
		reg->gw->metrics.expiries++;
		registry_event(reg, "expired", d);
		log_info("device %s: registration expired (lifetime %us)",
		    d->ep, d->r.lifetime);
	} else {
		log_debug("device %s: %s", d->ep, registry_state_name(st));
		registry_event(reg, registry_state_name(st), d);
	}
	d->state = (uint8_t)st;
	if (reg->gw->hooks.dev_state != NULL)
		reg->gw->hooks.dev_state(d, was);
}

/* One slice of the sweep: looks at up to sweep_slice devices, records state
 * changes, and continues on the next loop turn until the pass is done. */
static void
registry_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct registry *reg = arg;
	int64_t now = gw_now(), dl;
	size_t end;
	struct timeval zero = { 0, 0 };

	(void)fd;
	(void)what;
	if (!reg->sweeping) {		/* a new pass */
		reg->sweeping = 1;
		reg->sweep_pos = 0;
		reg->sweep_min = 0;
		reg->sweep_armed = 0;
	}
	end = reg->sweep_pos + (size_t)reg->gw->cfg.reg_sweep_slice;
	if (end > reg->count)
		end = reg->count;
	for (; reg->sweep_pos < end; reg->sweep_pos++) {
		struct device *d = reg->slots[reg->sweep_pos];

		registry_set_state(reg, d, registry_state(reg, d, now));
		dl = registry_deadline(reg, d, now);
		if (dl != 0 && (reg->sweep_min == 0 || dl < reg->sweep_min))
			reg->sweep_min = dl;
	}
	if (reg->sweep_pos < reg->count) {
		evtimer_add(reg->sweep_ev, &zero);	/* yield, then go on */
		return;
	}
	reg->sweeping = 0;
	reg->sweep_last = now;
	registry_sweep_at(reg, reg->sweep_min);
}

void
registry_touch(struct registry *reg, struct device *dev)
{
	int64_t now = gw_now();

	dev->last_seen = now;
	if (dev->state == DEVICE_SLEEPING)
		registry_set_state(reg, dev, registry_state(reg, dev, now));
	registry_sweep_at(reg, registry_deadline(reg, dev, now));
}

static void
registry_encode(const struct dev_record *r, uint8_t out[RECORD_LEN])
{
	memset(out, 0, 8);
	out[0] = RECORD_FORMAT;
	memcpy(out + 8, r, sizeof(*r));
}

/* Builds a device from a stored record; NULL if the record is not sane. */
static struct device *
registry_decode(const void *key, size_t klen, const void *val, size_t vlen)
{
	const uint8_t *v = val;
	struct device *d;

	if (klen == 0 || klen > LWM2M_EP_MAX || vlen < RECORD_LEN ||
	    v[0] != RECORD_FORMAT || memchr(key, '\0', klen) != NULL)
		return NULL;
	if ((d = calloc(1, sizeof(*d) + klen + 1)) == NULL)
		return NULL;
	memcpy(&d->r, v + 8, sizeof(d->r));
	d->r.binding[LWM2M_BINDING_MAX] = '\0';
	d->r.version[LWM2M_VERSION_MAX] = '\0';
	d->last_seen = d->r.updated_at;
	d->ep_len = (uint8_t)klen;
	memcpy(d->ep, key, klen);
	return d;
}

static int
registry_load_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct registry *reg = arg;
	struct device *d = registry_decode(key, klen, val, vlen);

	if (d == NULL) {
		log_warnx("store: skipping a malformed device record "
		    "(%zu bytes)", vlen);
		return 0;
	}
	if (registry_find_by_id(reg, d->r.id) != NULL ||
	    registry_insert(reg, d, gw_now()) == -1) {
		log_warnx("store: cannot load device %s", d->ep);
		free(d);
	}
	return 0;
}

/* Called when the batch holding c has committed (status 0) or failed. */
static void
registry_change_done(int status, void *arg)
{
	struct change *c = arg;
	struct registry *reg = c->reg;
	enum registry_result res = REGISTRY_OK;
	struct device *d, *old;
	int64_t now = gw_now();

	if (c->counted)
		reg->pending_new--;
	if (status != 0) {
		free(c->dev);
		c->done(REGISTRY_STORE_FAILED, c->id, c->arg);
		free(c);
		return;
	}
	switch (c->kind) {
	case CHANGE_REGISTER:
		/* Its awake window runs from the answer, sent after this
		 * commit, as an update's does: a commit that took past the
		 * window must not insert it asleep, with no event to say so. */
		c->dev->last_seen = now;
		if ((old = registry_find_by_endpoint(reg, c->dev->ep)) !=
		    NULL) {
			if (reg->gw->hooks.dev_replaced != NULL)
				reg->gw->hooks.dev_replaced(old, c->dev);
			registry_remove(reg, old);
		}
		if (registry_insert(reg, c->dev, now) == -1) {
			log_warnx("device %s: out of memory", c->dev->ep);
			registry_tell_gone(reg, c->dev);
			free(c->dev);
			res = REGISTRY_STORE_FAILED;
			break;
		}
		reg->gw->metrics.registrations++;
		log_debug("device %s: registered", c->dev->ep);
		registry_event(reg, "registration", c->dev);
		break;
	case CHANGE_UPDATE:
		if ((d = registry_find_by_id(reg, c->id)) == NULL) {
			res = REGISTRY_NOT_FOUND;
			break;
		}
		d->r = c->rec;
		d->last_seen = now;
		registry_set_state(reg, d, registry_state(reg, d, now));
		registry_sweep_at(reg, registry_deadline(reg, d, now));
		reg->gw->metrics.updates++;
		registry_event(reg, "update", d);
		break;
	case CHANGE_REMOVE:
		if ((d = registry_find_by_id(reg, c->id)) == NULL) {
			res = REGISTRY_NOT_FOUND;
			break;
		}
		log_info("device %s: %s", d->ep, c->decommission ?
		    "decommissioned" : "deregistered");
		if (c->decommission)
			reg->gw->metrics.decommissions++;
		else
			reg->gw->metrics.deregistrations++;
		registry_event(reg, c->decommission ? "decommission" :
		    "deregistration", d);
		registry_remove(reg, d);
		break;
	}
	c->done(res, c->id, c->arg);
	free(c);
}

/* Queues c on the current batch. */
static enum registry_result
registry_stage(struct change *c)
{
	if (store_when_durable(c->reg->gw->store, registry_change_done, c) ==
	    -1) {
		free(c->dev);
		free(c);
		return REGISTRY_STORE_FAILED;
	}
	return REGISTRY_OK;
}

static struct change *
change_new(struct registry *reg, enum change_kind kind, registry_done_cb done,
    void *arg)
{
	struct change *c = calloc(1, sizeof(*c));

	if (c != NULL) {
		c->kind = kind;
		c->reg = reg;
		c->done = done;
		c->arg = arg;
	}
	return c;
}

/*
 * A fresh registration id, unused, never 0: splitmix64 over a counter with
 * a key from getrandom(2), so ids are not guessable from one another and
 * cost no system call each.
 */
static uint64_t
registry_new_id(struct registry *reg)
{
	uint64_t id;

	do {
		id = (reg->id_key += 0x9e3779b97f4a7c15ull);
		id = (id ^ (id >> 30)) * 0xbf58476d1ce4e5b9ull;
		id = (id ^ (id >> 27)) * 0x94d049bb133111ebull;
		id ^= id >> 31;
		id &= (1ull << (4 * REGISTRY_ID_LEN)) - 1;
	} while (id == 0 || registry_find_by_id(reg, id) != NULL);
	return id;
}

/* Writes the record of ep into the batch, with its links when given
 * (NULL keeps the stored ones). */
static int
registry_write(struct registry *reg, const char *ep, size_t ep_len,
    const struct dev_record *r, const char *links, size_t links_len)
{
	uint8_t buf[RECORD_LEN];

	registry_encode(r, buf);
	if (links == NULL)
		return store_patch(reg->gw->store, STORE_DB_DEVICES, ep, ep_len,
		    buf, sizeof(buf));
	return store_put2(reg->gw->store, STORE_DB_DEVICES, ep, ep_len, buf,
	    sizeof(buf), links, links_len);
}

/* RFC 7252 4.8.2, with the default transmission parameters. */
#define EXCHANGE_LIFETIME_S	247

int
registry_addr_equal(const struct dev_addr *a, const struct dev_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

int
registry_register_repeat(const struct registry *reg, const struct device *dev,
    uint16_t mid, const struct dev_addr *from)
{
	int64_t now = gw_now();

	/* A device loaded at start has no message id in memory. */
	return dev->reg_mid == mid && registry_addr_equal(&dev->r.addr, from) &&
	    dev->r.registered_at >= (int64_t)reg->gw->started &&
	    now - dev->r.registered_at < EXCHANGE_LIFETIME_S;
}

enum registry_result
registry_register(struct registry *reg, const struct lwm2m_params *p,
    const char *links, size_t links_len, const struct dev_addr *from,
    uint16_t mid, registry_done_cb done, void *arg)
{
	size_t ep_len = strlen(p->ep);
	int64_t now = gw_now();
	struct change *c;
	struct device *d;
	enum registry_result res;
	int known = registry_find_by_endpoint(reg, p->ep) != NULL;

	/* Registers of new endpoints still on their way to the store count:
	 * a burst lands many in one batch before any is in memory. */
	if (!known && reg->count + reg->pending_new >=
	    (size_t)reg->gw->cfg.reg_max_devices)
		return REGISTRY_FULL;
	if ((c = change_new(reg, CHANGE_REGISTER, done, arg)) == NULL ||
	    (d = calloc(1, sizeof(*d) + ep_len + 1)) == NULL) {
		free(c);
		return REGISTRY_STORE_FAILED;
	}
	memcpy(d->ep, p->ep, ep_len);
	d->ep_len = (uint8_t)ep_len;
	d->r.id = registry_new_id(reg);
	d->r.registered_at = d->r.updated_at = d->last_seen = now;
	d->r.lifetime = p->has_lifetime ? p->lifetime :
	    (uint32_t)reg->gw->cfg.reg_default_lifetime;
	d->r.addr = *from;
	d->reg_mid = mid;
	d->r.queue_mode = p->queue_mode;
	/* Both fit: the parser bounds them by the same constants. */
	strcpy(d->r.binding, p->has_binding ? p->binding : "U");
	strcpy(d->r.version, p->has_version ? p->version : "1.0");
	c->dev = d;
	c->id = d->r.id;
	c->counted = !known;
	if (registry_write(reg, d->ep, ep_len, &d->r, links != NULL ? links :
	    "", links_len) == -1) {
		free(d);
		free(c);
		return REGISTRY_STORE_FAILED;
	}
	if ((res = registry_stage(c)) == REGISTRY_OK && !known)
		reg->pending_new++;
	return res;
}

enum registry_result
registry_update(struct registry *reg, uint64_t id,
    const struct lwm2m_params *p, const char *links, size_t links_len,
    const struct dev_addr *from, registry_done_cb done, void *arg)
{
	struct device *d = registry_find_by_id(reg, id);
	struct change *c;
	int64_t now = gw_now();

	if (d == NULL || registry_state(reg, d, now) == DEVICE_EXPIRED)
		return REGISTRY_NOT_FOUND;
	if ((c = change_new(reg, CHANGE_UPDATE, done, arg)) == NULL)
		return REGISTRY_STORE_FAILED;
	c->id = id;
	c->rec = d->r;
	c->rec.updated_at = now;
	c->rec.addr = *from;
	if (p->has_lifetime)
		c->rec.lifetime = p->lifetime;
	if (p->has_binding) {
		strcpy(c->rec.binding, p->binding);
		c->rec.queue_mode = p->queue_mode;
	} else if (p->queue_mode) {
		c->rec.queue_mode = 1;
	}
	if (registry_write(reg, d->ep, d->ep_len, &c->rec, links,
	    links_len) == -1) {
		free(c);
		return REGISTRY_STORE_FAILED;
	}
	return registry_stage(c);
}

/* Deletes d from the store batch and stages its removal from memory. */
static enum registry_result
registry_stage_remove(struct registry *reg, struct device *d, int decommission,
    registry_done_cb done, void *arg)
{
	struct change *c;

	if ((c = change_new(reg, CHANGE_REMOVE, done, arg)) == NULL)
		return REGISTRY_STORE_FAILED;
	c->id = d->r.id;
	c->decommission = decommission;
	if (store_del(reg->gw->store, STORE_DB_DEVICES, d->ep, d->ep_len) ==
	    -1) {
		free(c);
		return REGISTRY_STORE_FAILED;
	}
	return registry_stage(c);
}

enum registry_result
registry_deregister(struct registry *reg, uint64_t id, registry_done_cb done,
    void *arg)
{
	struct device *d = registry_find_by_id(reg, id);

	if (d == NULL)
		return REGISTRY_NOT_FOUND;
	return registry_stage_remove(reg, d, 0, done, arg);
}

enum registry_result
registry_decommission(struct registry *reg, const char *ep,
    registry_done_cb done, void *arg)
{
	struct device *d = registry_find_by_endpoint(reg, ep);

	if (d == NULL)
		return REGISTRY_NOT_FOUND;
	return registry_stage_remove(reg, d, 1, done, arg);
}

ssize_t
registry_links(struct registry *reg, const char *ep, char *buf, size_t buflen)
{
	uint8_t *tmp;
	size_t len, cap = RECORD_LEN + buflen;
	ssize_t n = -1;

	if ((tmp = malloc(cap)) == NULL)
		return -1;
	if (store_get(reg->gw->store, STORE_DB_DEVICES, ep, strlen(ep), tmp,
	    cap, &len) == 0 && len >= RECORD_LEN) {
		n = (ssize_t)((len < cap ? len : cap) - RECORD_LEN);
		memcpy(buf, tmp + RECORD_LEN, (size_t)n);
	}
	free(tmp);
	return n;
}

struct walk {
	struct registry		*reg;
	const char		*after;
	registry_walk_cb	 cb;
	void			*arg;
};

static int
registry_walk_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct walk *w = arg;
	char ep[LWM2M_EP_MAX + 1];
	struct device *d;

	(void)val;
	(void)vlen;
	if (klen > LWM2M_EP_MAX)
		return 0;
	memcpy(ep, key, klen);
	ep[klen] = '\0';
	if (w->after != NULL && strcmp(ep, w->after) == 0)
		return 0;
	if ((d = registry_find_by_endpoint(w->reg, ep)) == NULL)
		return 0;
	return w->cb(d, w->arg);
}

int
registry_walk_ordered(struct registry *reg, const char *after,
    registry_walk_cb cb, void *arg)
{
	struct walk w = { reg, after, cb, arg };

	return store_iterate(reg->gw->store, STORE_DB_DEVICES, after,
	    after != NULL ? strlen(after) : 0, registry_walk_one, &w);
}

int
registry_init(struct gateway *gw)
{
	struct registry *reg;

	if ((reg = calloc(1, sizeof(*reg))) == NULL)
		return -1;
	reg->gw = gw;
	reg->nbuckets = 1024;
	if (getrandom(&reg->id_key, sizeof(reg->id_key), 0) !=
	    sizeof(reg->id_key))
		reg->id_key = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	reg->by_ep = calloc(reg->nbuckets, sizeof(*reg->by_ep));
	reg->by_id = calloc(reg->nbuckets, sizeof(*reg->by_id));
	reg->sweep_ev = evtimer_new(gw->base, registry_sweep_cb, reg);
	gw->registry = reg;
	if (reg->by_ep == NULL || reg->by_id == NULL || reg->sweep_ev == NULL) {
		registry_free(gw);
		return -1;
	}
	if (store_iterate(gw->store, STORE_DB_DEVICES, NULL, 0,
	    registry_load_one, reg) == -1) {
		registry_free(gw);
		return -1;
	}
	log_info("registry: %zu devices loaded (%zu awake, %zu sleeping, "
	    "%zu expired)", reg->count, reg->state_count[DEVICE_AWAKE],
	    reg->state_count[DEVICE_SLEEPING], reg->state_count[DEVICE_EXPIRED]);
	return 0;
}

void
registry_free(struct gateway *gw)
{
	struct registry *reg = gw->registry;
	size_t i;

	if (reg == NULL)
		return;
	for (i = 0; i < reg->count; i++)
		free(reg->slots[i]);
	if (reg->sweep_ev != NULL)
		event_free(reg->sweep_ev);
	free(reg->slots);
	free(reg->by_ep);
	free(reg->by_id);
	free(reg);
	gw->registry = NULL;
}

static int
registry_module_init(struct gateway *gw)
{
	return registry_init(gw);
}

static void
registry_module_reload(struct gateway *gw, const struct gw_config *old)
{
	(void)old;
	/* The awake window may have changed: look at every device again. */
	gw->registry->sweep_armed = 0;
	gw->registry->sweep_last = 0;
	registry_sweep_at(gw->registry, gw_now());
}

const struct gw_module registry_module = {
	.name = "registry",
	.init = registry_module_init,
	.reload = registry_module_reload,
	.stop = registry_free,
};
