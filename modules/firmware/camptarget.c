/*
 * camptarget.c: making a campaign from its parsed request (campaign.h):
 * the devices of its target in their order, its policy with the
 * [campaign] defaults, its groups, and the check that no device is in
 * another campaign that has not finished with it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "modules/firmware/campint.h"
#include "lwm2m/campparse.h"
#include "modules/device/registry.h"
#include "modules/device/tags.h"

static int
camp_add_registered(struct device *dev, void *arg)
{
	return camp_add_dev(arg, dev->ep) == -1 ? -1 : 0;
}

struct camp_tagged {
	struct gateway			*gw;
	struct camp			*c;
	const struct camp_req		*req;
};

/* An endpoint carrying the first tag: added if it carries the others. */
static int
camp_add_tagged(const char *ep, void *arg)
{
	struct camp_tagged *t = arg;
	int i, has;

	for (i = 1; i < t->req->ntags; i++)
		if ((has = tags_has(t->gw, ep, t->req->tags[i])) != 1)
			return has;	/* 0: not this one; -1: stop */
	return camp_add_dev(t->c, ep);
}

/* The devices of the target: "all" (registered now), or the listed
 * endpoints in their order, then those carrying every tag (registered
 * or not). */
static int
camp_target(struct gateway *gw, struct camp *c, const struct camp_req *req,
    char *err, size_t errlen)
{
	struct camp_tagged t = { gw, c, req };
	size_t i;

	if (req->all && registry_walk_ordered(gw->registry, NULL,
	    camp_add_registered, c) != 0) {
		snprintf(err, errlen, "cannot list the devices");
		return -1;
	}
	for (i = 0; i < req->neps; i++)
		if (camp_add_dev(c, req->eps[i]) == -1) {
			snprintf(err, errlen, "too many devices");
			return -1;
		}
	if (req->ntags > 0 && tags_walk(gw, req->tags[0], camp_add_tagged,
	    &t) != 0) {
		snprintf(err, errlen, c->ndevs == CAMP_MAX_DEVICES ?
		    "too many devices" : "cannot list the tagged devices");
		return -1;
	}
	if (camp_finish(c) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (c->ndevs == 0) {
		snprintf(err, errlen, "the target holds no device");
		return -1;
	}
	return 0;
}

/* The policy, with the [campaign] defaults. */
static void
camp_policy(struct gateway *gw, struct camp *c, const struct camp_req *req)
{
	c->delivery = req->delivery;
	c->group_size = req->group_size >= 0 ? req->group_size :
	    gw->cfg.campaign_group_size;
	c->max_concurrent = req->max_concurrent >= 0 ? req->max_concurrent :
	    gw->cfg.campaign_max_concurrent;
	c->failure_percent = req->failure_percent >= 0 ?
	    req->failure_percent : gw->cfg.campaign_failure_percent;
	if (c->delivery == DELIVER_MULTICAST)
		c->group_size = 0;	/* one group: everyone hears it */
	else if (req->group_percent > 0)
		c->group_size = (int)((c->ndevs * (size_t)req->group_percent +
		    99) / 100);
	if (c->group_size <= 0)
		c->group_size = c->ndevs > 0 ? (int)c->ndevs : 1;
	c->win_from = req->win_from;
	c->win_to = req->win_to;
}

/* The first device of c that another campaign still has to update (or
 * is updating): two campaigns never drive one device. */
static const char *
camp_conflict(struct gateway *gw, const struct camp *c, uint64_t *other)
{
	const struct camp_dev *d;
	struct camp *o;
	size_t i;

	for (o = gw->campaigns->list; o != NULL; o = o->next) {
		if (o->status != CAMP_RUNNING && o->status != CAMP_PAUSED)
			continue;
		for (i = 0; i < c->ndevs; i++)
			if ((d = camp_lookup(o, c->devs[i].ep)) != NULL &&
			    d->state < CDEV_SUCCEEDED) {
				*other = o->id;
				return d->ep;
			}
	}
	return NULL;
}

/* The URIs devices fetch the image from: plain CoAP, and DTLS for the
 * devices that have a credential. 0, or -1 when there is neither. */
static int
camp_uri(struct gateway *gw, struct camp *c)
{
	firmware_fetch_uri(gw, c->image, 0, c->uri, sizeof(c->uri));
	firmware_fetch_uri(gw, c->image, 1, c->uri_secure,
	    sizeof(c->uri_secure));
	return c->uri[0] != '\0' || c->uri_secure[0] != '\0' ? 0 : -1;
}

uint64_t
campaign_create(struct gateway *gw, const struct camp_req *req, int *status,
    char *err, size_t errlen)
{
	struct fw_image *fi;
	const char *busy;
	struct camp *c;
	uint64_t other;
	size_t i;

	*status = 400;
	if ((fi = firmware_find(gw, req->image)) == NULL || !fi->complete) {
		*status = 422;
		snprintf(err, errlen, "no complete image '%s'", req->image);
		return 0;
	}
	if (!fi->trusted) {
		*status = 422;
		snprintf(err, errlen, "image %s is signed by a key that is no "
		    "longer in [firmware] trusted_keys", fi->id);
		return 0;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		*status = 500;
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	snprintf(c->image, sizeof(c->image), "%s", fi->id);
	if (camp_target(gw, c, req, err, errlen) == -1)
		goto fail;
	camp_policy(gw, c, req);
	if ((busy = camp_conflict(gw, c, &other)) != NULL) {
		*status = 409;
		snprintf(err, errlen, "device '%s' is in campaign %" PRIu64
		    ", which has not finished with it", busy, other);
		goto fail;
	}
	for (i = 0; i < c->ndevs; i++)
		c->devs[i].group = (uint32_t)(i / (size_t)c->group_size);
	c->ngroups = (int)((c->ndevs + (size_t)c->group_size - 1) /
	    (size_t)c->group_size);
	c->threshold_off = -1;
	if (camp_uri(gw, c) == -1) {
		*status = 409;
		snprintf(err, errlen, "no URI to fetch the image from: [coap] "
		    "listen and secure_listen are wildcard addresses; set "
		    "[campaign] fetch_uri (and fetch_uri_secure)");
		goto fail;
	}
	c->id = gw->campaigns->next_id++;
	c->created = gw_now();
	c->status = CAMP_RUNNING;
	if (camp_save(gw, c) == -1)
		goto store;
	for (i = 0; i < c->ndevs; i++)
		if (camp_dev_save(gw, c, &c->devs[i]) == -1)
			goto store;
	c->next = gw->campaigns->list;
	gw->campaigns->list = c;
	log_info("campaign %" PRIu64 ": image %s to %zu devices in %d groups "
	    "by %s", c->id, c->image, c->ndevs, c->ngroups,
	    camp_delivery_names[c->delivery]);
	camp_arm(gw);
	return c->id;
store:
	*status = 500;
	snprintf(err, errlen, "store failure");
fail:
	camp_free(c);
	return 0;
}
