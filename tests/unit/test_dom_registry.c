/*
 * test_dom_registry.c: the registry's state machine (modules/device/
 * registry.c) over a real store, with the domain's modules alone: register,
 * update, deregister, a re-registration that replaces, lifetime expiry,
 * queue mode going to sleep, a repeated register, the max_devices cap, and
 * the format a write goes to a device in by its links (regformat.c). The
 * CoAP face is stood in for by counting hooks. Time moves by the test's
 * clock (domutil.h); a sweep runs now through the module's reload, which
 * looks at every device again, and a few non-blocking loop turns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "lwm2m/lwm2m.h"
#include "lwm2m/senml.h"
#include "modules/device/registry.h"
#include "tests/unit/domutil.h"

#define LINKS	"</1/0>,</3/0>,</5/0>"
#define MAX_SEEN	16

/* What the done callbacks and the hooks saw. Lives in the fixture: a
 * failed test leaves callbacks behind that teardown's commit runs. */
struct fixture {
	struct dom		*d;
	int			 ndone;
	enum registry_result	 res[MAX_SEEN];
	uint64_t		 id[MAX_SEEN];
	int			 nreplaced;
	uint64_t		 replaced_old, replaced_new;
	char			 replaced_ep[2][LWM2M_EP_MAX + 1];
	int			 ngone;
	uint64_t		 gone_id[MAX_SEEN];
	char			 gone_ep[MAX_SEEN][LWM2M_EP_MAX + 1];
};

static struct fixture *hook_f;	/* the hooks get no argument of ours */

static void
done_cb(enum registry_result res, uint64_t id, void *arg)
{
	struct fixture *f = arg;

	if (f->ndone < MAX_SEEN) {
		f->res[f->ndone] = res;
		f->id[f->ndone] = id;
	}
	f->ndone++;
}

static void
fake_replaced(struct device *old, struct device *d)
{
	hook_f->nreplaced++;
	hook_f->replaced_old = old->r.id;
	hook_f->replaced_new = d->r.id;
	snprintf(hook_f->replaced_ep[0], sizeof(hook_f->replaced_ep[0]), "%s",
	    old->ep);
	snprintf(hook_f->replaced_ep[1], sizeof(hook_f->replaced_ep[1]), "%s",
	    d->ep);
}

static void
fake_gone(struct device *d)
{
	if (hook_f->ngone < MAX_SEEN) {
		hook_f->gone_id[hook_f->ngone] = d->r.id;
		snprintf(hook_f->gone_ep[hook_f->ngone],
		    sizeof(hook_f->gone_ep[0]), "%s", d->ep);
	}
	hook_f->ngone++;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->d = dom_new()) == NULL)
		return -1;
	f->d->gw.hooks.dev_replaced = fake_replaced;
	f->d->gw.hooks.dev_gone = fake_gone;
	hook_f = f;
	if (dom_start(f->d) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	dom_free(f->d);
	hook_f = NULL;
	free(f);
	return 0;
}

static struct registry *
reg_of(struct fixture *f)
{
	return f->d->gw.registry;
}

static struct dev_addr
addr(uint16_t port)
{
	struct dev_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.addr[0] = 192;
	a.addr[1] = 0;
	a.addr[2] = 2;
	a.addr[3] = 7;
	a.port = port;
	return a;
}

/* Register parameters: lifetime 0 leaves lt= out, binding NULL b=. */
static struct lwm2m_params
params(const char *ep, uint32_t lifetime, const char *binding)
{
	struct lwm2m_params p;

	memset(&p, 0, sizeof(p));
	snprintf(p.ep, sizeof(p.ep), "%s", ep);
	p.has_ep = 1;
	if (lifetime != 0) {
		p.lifetime = lifetime;
		p.has_lifetime = 1;
	}
	if (binding != NULL) {
		snprintf(p.binding, sizeof(p.binding), "%s", binding);
		p.has_binding = 1;
		p.queue_mode = strchr(binding, 'Q') != NULL;
	}
	return p;
}

/* Registers ep, commits, and returns its new id. */
static uint64_t
do_register(struct fixture *f, const char *ep, uint32_t lifetime,
    const char *binding, uint16_t mid)
{
	struct lwm2m_params p = params(ep, lifetime, binding);
	struct dev_addr a = addr(5683);
	int before = f->ndone;

	assert_int_equal(registry_register(reg_of(f), &p, LINKS,
	    strlen(LINKS), &a, mid, done_cb, f), REGISTRY_OK);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(f->ndone, before + 1);
	assert_int_equal(f->res[before], REGISTRY_OK);
	assert_true(f->id[before] != 0);
	return f->id[before];
}

/* A sweep now: what the timer would do once the deadline has come. */
static void
sweep(struct fixture *f)
{
	registry_module.reload(&f->d->gw, &f->d->gw.cfg);
	dom_turns(f->d, 4);
}

/* A register is staged, then committed: the device appears only with
 * the commit, awake, with its id, lifetime and binding, and is in the
 * store (a restart finds it with the same id and links). */
static void
test_register(void **state)
{
	struct fixture *f = *state;
	struct lwm2m_params p = params("node-1", 300, "U");
	struct dev_addr a = addr(5683);
	char links[256];
	struct device *dev;
	uint64_t id;
	ssize_t n;

	assert_int_equal(registry_register(reg_of(f), &p, LINKS,
	    strlen(LINKS), &a, 7, done_cb, f), REGISTRY_OK);
	assert_null(registry_find_by_endpoint(reg_of(f), "node-1"));
	assert_int_equal(f->ndone, 0);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(f->ndone, 1);
	assert_int_equal(f->res[0], REGISTRY_OK);
	id = f->id[0];

	dev = registry_find_by_endpoint(reg_of(f), "node-1");
	assert_non_null(dev);
	assert_ptr_equal(registry_find_by_id(reg_of(f), id), dev);
	assert_int_equal(dev->r.id, id);
	assert_int_equal(dev->r.lifetime, 300);
	assert_string_equal(dev->r.binding, "U");
	assert_int_equal(dev->r.queue_mode, 0);
	assert_int_equal(registry_state(reg_of(f), dev, gw_now()),
	    DEVICE_AWAKE);
	assert_int_equal(registry_count(reg_of(f)), 1);
	assert_int_equal(registry_count_state(reg_of(f), DEVICE_AWAKE), 1);
	assert_int_equal(dom_events(f->d, "registration", "node-1"), 1);
	assert_int_equal(f->d->gw.metrics.registrations, 1);

	/* Without lt= and b=, the defaults. */
	id = do_register(f, "node-2", 0, NULL, 8);
	dev = registry_find_by_id(reg_of(f), id);
	assert_int_equal(dev->r.lifetime,
	    (uint32_t)f->d->gw.cfg.reg_default_lifetime);
	assert_string_equal(dev->r.binding, "U");

	assert_int_equal(dom_restart(f->d), 0);
	dev = registry_find_by_endpoint(reg_of(f), "node-1");
	assert_non_null(dev);
	assert_int_equal(dev->r.id, f->id[0]);
	assert_int_equal(dev->r.lifetime, 300);
	assert_int_equal(registry_state(reg_of(f), dev, gw_now()),
	    DEVICE_AWAKE);
	n = registry_links(reg_of(f), "node-1", links, sizeof(links));
	assert_int_equal(n, (ssize_t)strlen(LINKS));
	assert_memory_equal(links, LINKS, strlen(LINKS));
	assert_int_equal(registry_count(reg_of(f)), 2);
}

/* An update changes the lifetime and the binding (to queue mode), takes
 * the new address and time, keeps the links when it sends none, and is
 * stored; an unknown id is not found. */
static void
test_update(void **state)
{
	struct fixture *f = *state;
	uint64_t id = do_register(f, "node-1", 300, "U", 1);
	struct lwm2m_params p = params("node-1", 600, "UQ");
	struct dev_addr a = addr(40000);
	struct device *dev;
	char links[256];
	int64_t t;

	dom_advance(10);
	t = gw_now();
	p.has_ep = 0;
	assert_int_equal(registry_update(reg_of(f), id, &p, NULL, 0, &a,
	    done_cb, f), REGISTRY_OK);
	dev = registry_find_by_id(reg_of(f), id);
	assert_int_equal(dev->r.lifetime, 300);		/* not before commit */
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(f->ndone, 2);
	assert_int_equal(f->res[1], REGISTRY_OK);
	assert_int_equal(f->id[1], id);
	dev = registry_find_by_id(reg_of(f), id);
	assert_int_equal(dev->r.lifetime, 600);
	assert_string_equal(dev->r.binding, "UQ");
	assert_int_equal(dev->r.queue_mode, 1);
	assert_int_equal(dev->r.updated_at, t);
	assert_int_equal(dev->r.registered_at, t - 10);
	assert_int_equal(dev->r.addr.port, 40000);
	assert_int_equal(dom_events(f->d, "update", "node-1"), 1);

	/* Back to U without Q: out of queue mode. */
	p = params("node-1", 0, "U");
	assert_int_equal(registry_update(reg_of(f), id, &p, NULL, 0, &a,
	    done_cb, f), REGISTRY_OK);
	assert_int_equal(dom_commit(f->d), 0);
	dev = registry_find_by_id(reg_of(f), id);
	assert_int_equal(dev->r.lifetime, 600);		/* kept */
	assert_int_equal(dev->r.queue_mode, 0);

	assert_int_equal(registry_update(reg_of(f), id + 1, &p, NULL, 0, &a,
	    done_cb, f), REGISTRY_NOT_FOUND);

	assert_int_equal(dom_restart(f->d), 0);
	dev = registry_find_by_endpoint(reg_of(f), "node-1");
	assert_non_null(dev);
	assert_int_equal(dev->r.lifetime, 600);
	assert_string_equal(dev->r.binding, "U");
	assert_int_equal(registry_links(reg_of(f), "node-1", links,
	    sizeof(links)), (ssize_t)strlen(LINKS));
	assert_int_equal(f->ndone, 3);
}

/* A deregister removes the device from memory (telling the face it is
 * gone) and from the store; a second one finds nothing. */
static void
test_deregister(void **state)
{
	struct fixture *f = *state;
	uint64_t id = do_register(f, "node-1", 300, "U", 1);
	uint64_t other = do_register(f, "node-2", 300, "U", 2);

	assert_int_equal(registry_deregister(reg_of(f), id, done_cb, f),
	    REGISTRY_OK);
	assert_non_null(registry_find_by_id(reg_of(f), id));
	assert_int_equal(f->ngone, 0);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(f->res[2], REGISTRY_OK);
	assert_null(registry_find_by_id(reg_of(f), id));
	assert_null(registry_find_by_endpoint(reg_of(f), "node-1"));
	assert_int_equal(registry_count(reg_of(f)), 1);
	assert_int_equal(registry_count_state(reg_of(f), DEVICE_AWAKE), 1);
	assert_int_equal(f->ngone, 1);
	assert_int_equal(f->gone_id[0], id);
	assert_string_equal(f->gone_ep[0], "node-1");
	assert_int_equal(dom_events(f->d, "deregistration", "node-1"), 1);
	assert_int_equal(f->nreplaced, 0);

	assert_int_equal(registry_deregister(reg_of(f), id, done_cb, f),
	    REGISTRY_NOT_FOUND);

	assert_int_equal(dom_restart(f->d), 0);
	assert_null(registry_find_by_endpoint(reg_of(f), "node-1"));
	assert_non_null(registry_find_by_id(reg_of(f), other));
	assert_int_equal(registry_count(reg_of(f)), 1);
}

/* A register of an endpoint already known replaces it: a new id, the old
 * one gone, the face told of the replacement (old, new) and that the old
 * device is freed; the store keeps the new one only. */
static void
test_reregister_replaces(void **state)
{
	struct fixture *f = *state;
	uint64_t old = do_register(f, "node-1", 300, "U", 1), id;
	struct device *dev;

	dom_advance(5);
	id = do_register(f, "node-1", 120, "UQ", 2);
	assert_true(id != old);
	assert_int_equal(f->nreplaced, 1);
	assert_int_equal(f->replaced_old, old);
	assert_int_equal(f->replaced_new, id);
	assert_string_equal(f->replaced_ep[0], "node-1");
	assert_string_equal(f->replaced_ep[1], "node-1");
	assert_int_equal(f->ngone, 1);
	assert_int_equal(f->gone_id[0], old);

	assert_null(registry_find_by_id(reg_of(f), old));
	dev = registry_find_by_endpoint(reg_of(f), "node-1");
	assert_non_null(dev);
	assert_int_equal(dev->r.id, id);
	assert_int_equal(dev->r.lifetime, 120);
	assert_int_equal(registry_count(reg_of(f)), 1);
	assert_int_equal(registry_count_state(reg_of(f), DEVICE_AWAKE), 1);
	assert_int_equal(dom_events(f->d, "registration", "node-1"), 2);

	assert_int_equal(dom_restart(f->d), 0);
	dev = registry_find_by_endpoint(reg_of(f), "node-1");
	assert_non_null(dev);
	assert_int_equal(dev->r.id, id);
	assert_null(registry_find_by_id(reg_of(f), old));
	assert_int_equal(registry_count(reg_of(f)), 1);
}

/* A device whose lifetime has passed since its last register or update
 * becomes expired (not a second early), once, with an event; it is kept
 * (in memory and in the store) and an update no longer finds it. */
static void
test_lifetime_expiry(void **state)
{
	struct fixture *f = *state;
	uint64_t id = do_register(f, "node-1", 60, "U", 1);
	struct lwm2m_params p = params("node-1", 0, NULL);
	struct dev_addr a = addr(5683);
	struct device *dev;

	dom_advance(60);
	sweep(f);
	dev = registry_find_by_id(reg_of(f), id);
	assert_int_equal(dev->state, DEVICE_AWAKE);
	assert_int_equal(dom_events(f->d, "expired", NULL), 0);

	dom_advance(1);
	sweep(f);
	dev = registry_find_by_id(reg_of(f), id);
	assert_non_null(dev);
	assert_int_equal(dev->state, DEVICE_EXPIRED);
	assert_int_equal(registry_state(reg_of(f), dev, gw_now()),
	    DEVICE_EXPIRED);
	assert_int_equal(registry_count_state(reg_of(f), DEVICE_EXPIRED), 1);
	assert_int_equal(registry_count_state(reg_of(f), DEVICE_AWAKE), 0);
	assert_int_equal(dom_events(f->d, "expired", "node-1"), 1);
	assert_int_equal(f->d->gw.metrics.expiries, 1);
	assert_int_equal(f->ngone, 0);

	/* Another pass changes nothing. */
	sweep(f);
	assert_int_equal(dom_events(f->d, "expired", "node-1"), 1);

	assert_int_equal(registry_update(reg_of(f), id, &p, NULL, 0, &a,
	    done_cb, f), REGISTRY_NOT_FOUND);

	assert_int_equal(dom_restart(f->d), 0);
	dev = registry_find_by_id(reg_of(f), id);
	assert_non_null(dev);
	assert_int_equal(dev->state, DEVICE_EXPIRED);
	assert_int_equal(registry_count_state(reg_of(f), DEVICE_EXPIRED), 1);
}

/* An update restarts the lifetime: a device updated before its deadline
 * does not expire at the old one. */
static void
test_update_extends(void **state)
{
	struct fixture *f = *state;
	uint64_t id = do_register(f, "node-1", 60, "U", 1);
	struct lwm2m_params p = params("node-1", 0, NULL);
	struct dev_addr a = addr(5683);

	dom_advance(50);
	assert_int_equal(registry_update(reg_of(f), id, &p, NULL, 0, &a,
	    done_cb, f), REGISTRY_OK);
	assert_int_equal(dom_commit(f->d), 0);
	dom_advance(20);
	sweep(f);
	assert_int_equal(registry_find_by_id(reg_of(f), id)->state,
	    DEVICE_AWAKE);
	dom_advance(41);
	sweep(f);
	assert_int_equal(registry_find_by_id(reg_of(f), id)->state,
	    DEVICE_EXPIRED);
}

/* A device in queue mode goes to sleeping once the awake window has
 * passed since its last message, and wakes when heard from; one not in
 * queue mode stays awake. */
static void
test_queue_mode_sleeps(void **state)
{
	struct fixture *f = *state;
	uint64_t q = do_register(f, "node-q", 300, "UQ", 1);
	uint64_t u = do_register(f, "node-u", 300, "U", 2);
	int window = f->d->gw.cfg.reg_awake_window;
	struct device *dev;

	dom_advance(window - 1);
	sweep(f);
	assert_int_equal(registry_find_by_id(reg_of(f), q)->state,
	    DEVICE_AWAKE);

	dom_advance(1);
	sweep(f);
	dev = registry_find_by_id(reg_of(f), q);
	assert_int_equal(dev->state, DEVICE_SLEEPING);
	assert_int_equal(registry_state(reg_of(f), dev, gw_now()),
	    DEVICE_SLEEPING);
	assert_int_equal(registry_find_by_id(reg_of(f), u)->state,
	    DEVICE_AWAKE);
	assert_int_equal(registry_count_state(reg_of(f), DEVICE_SLEEPING), 1);
	assert_int_equal(registry_count_state(reg_of(f), DEVICE_AWAKE), 1);
	assert_int_equal(dom_events(f->d, "sleeping", "node-q"), 1);
	assert_int_equal(dom_events(f->d, "sleeping", "node-u"), 0);

	registry_touch(reg_of(f), dev);
	assert_int_equal(dev->state, DEVICE_AWAKE);
	assert_int_equal(registry_count_state(reg_of(f), DEVICE_AWAKE), 2);
	assert_int_equal(dom_events(f->d, "awake", "node-q"), 1);

	/* Asleep past the lifetime: expired wins. */
	dom_advance(300);
	sweep(f);
	assert_int_equal(registry_find_by_id(reg_of(f), q)->state,
	    DEVICE_EXPIRED);
}

/* A register whose commit ends after the awake window (a slow disk, or
 * a window of 1 s and a second that turns meanwhile) is awake when it is
 * answered, and tells when it sleeps: its window runs from the commit,
 * as an update's does. */
static void
test_queue_mode_window_from_the_commit(void **state)
{
	struct fixture *f = *state;
	struct lwm2m_params p = params("node-slow", 300, "UQ");
	struct dev_addr a = addr(5683);
	int window = f->d->gw.cfg.reg_awake_window;
	struct device *dev;

	assert_int_equal(registry_register(reg_of(f), &p, LINKS,
	    strlen(LINKS), &a, 7, done_cb, f), REGISTRY_OK);
	dom_advance(window);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(f->res[0], REGISTRY_OK);
	dev = registry_find_by_id(reg_of(f), f->id[0]);
	assert_int_equal(dev->state, DEVICE_AWAKE);
	assert_int_equal(registry_count_state(reg_of(f), DEVICE_AWAKE), 1);
	dom_advance(window);
	sweep(f);
	assert_int_equal(dev->state, DEVICE_SLEEPING);
	assert_int_equal(dom_events(f->d, "sleeping", "node-slow"), 1);
}

/* A register that repeats the one that made the registration (same
 * source, same message id, within EXCHANGE_LIFETIME) is known as such, so
 * the face answers with the same id; another message id, another source
 * or a later one is a new registration. */
static void
test_register_repeat(void **state)
{
	struct fixture *f = *state;
	uint64_t id = do_register(f, "node-1", 300, "U", 42);
	struct dev_addr a = addr(5683), b = addr(5684);
	struct device *dev = registry_find_by_id(reg_of(f), id);

	assert_true(registry_register_repeat(reg_of(f), dev, 42, &a));
	assert_int_equal(dev->r.id, id);
	assert_false(registry_register_repeat(reg_of(f), dev, 43, &a));
	assert_false(registry_register_repeat(reg_of(f), dev, 42, &b));
	dom_advance(246);
	assert_true(registry_register_repeat(reg_of(f), dev, 42, &a));
	dom_advance(1);
	assert_false(registry_register_repeat(reg_of(f), dev, 42, &a));

	/* A device loaded at start knows no message id. */
	dom_advance(-247);
	assert_int_equal(dom_restart(f->d), 0);
	dev = registry_find_by_id(reg_of(f), id);
	assert_non_null(dev);
	assert_false(registry_register_repeat(reg_of(f), dev, 42, &a));
}

/* [registry] max_devices: a new endpoint beyond it is refused (nothing
 * staged, no callback); a known one may register again; a place freed by
 * a deregister can be taken. */
static void
test_max_devices(void **state)
{
	struct fixture *f = *state;
	struct lwm2m_params p = params("node-3", 300, "U");
	struct dev_addr a = addr(5683);
	uint64_t id2;

	f->d->gw.cfg.reg_max_devices = 2;
	do_register(f, "node-1", 300, "U", 1);
	id2 = do_register(f, "node-2", 300, "U", 2);
	assert_int_equal(registry_register(reg_of(f), &p, LINKS,
	    strlen(LINKS), &a, 3, done_cb, f), REGISTRY_FULL);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(f->ndone, 2);
	assert_null(registry_find_by_endpoint(reg_of(f), "node-3"));

	do_register(f, "node-1", 300, "U", 4);
	assert_int_equal(registry_count(reg_of(f)), 2);

	assert_int_equal(registry_deregister(reg_of(f), id2, done_cb, f),
	    REGISTRY_OK);
	assert_int_equal(dom_commit(f->d), 0);
	do_register(f, "node-3", 300, "U", 5);
	assert_int_equal(registry_count(reg_of(f)), 2);
}

/* The cap holds for registers staged in one batch too: under a burst,
 * many land before the commit that counts them. */
static void
test_max_devices_one_batch(void **state)
{
	struct fixture *f = *state;
	struct lwm2m_params p;
	struct dev_addr a = addr(5683);
	char ep[16];
	int i, ok = 0;

	f->d->gw.cfg.reg_max_devices = 2;
	for (i = 0; i < 4; i++) {
		snprintf(ep, sizeof(ep), "node-%d", i);
		p = params(ep, 300, "U");
		if (registry_register(reg_of(f), &p, LINKS, strlen(LINKS),
		    &a, (uint16_t)i, done_cb, f) == REGISTRY_OK)
			ok++;
	}
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(f->ndone, ok);
	assert_int_equal(ok, 2);
	assert_int_equal(registry_count(reg_of(f)), 2);
}

/* The format a write is encoded in for a device, by the ct of its root
 * link: SenML CBOR only for one that lists 112 and not TLV. */
static void
test_write_format(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = &f->d->gw;

	assert_int_equal(dom_register(f->d, "w-plain", LINKS), 0);
	assert_int_equal(dom_register(f->d, "w-cbor",
	    "</>;rt=\"oma.lwm2m\";ct=\"60 112\",</3/0>"), 0);
	assert_int_equal(dom_register(f->d, "w-both",
	    "</>;ct=112;ct=11542,</3/0>"), 0);
	assert_int_equal(dom_register(f->d, "w-json", "</>;ct=110,</3/0>"),
	    0);
	assert_int_equal(dom_register(f->d, "w-bad", "</>;ct=112,<"), 0);
	assert_int_equal(registry_write_format(gw, "w-plain"), SENML_CF_TLV);
	assert_int_equal(registry_write_format(gw, "w-cbor"), SENML_CF_CBOR);
	assert_int_equal(registry_write_format(gw, "w-both"), SENML_CF_TLV);
	assert_int_equal(registry_write_format(gw, "w-json"), SENML_CF_TLV);
	assert_int_equal(registry_write_format(gw, "w-bad"), SENML_CF_TLV);
	assert_int_equal(registry_write_format(gw, "w-none"), SENML_CF_TLV);
	/* The links on record after a restart say the same. */
	assert_int_equal(dom_restart(f->d), 0);
	assert_int_equal(registry_write_format(gw, "w-cbor"), SENML_CF_CBOR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deregister, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reregister_replaces,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifetime_expiry, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_update_extends, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_queue_mode_sleeps, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_queue_mode_window_from_the_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_repeat, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_max_devices, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_max_devices_one_batch,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_format, setup,
		    teardown),
	};

	log_init("test_dom_registry", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
