/*
 * face.c: the CoAP face's module. coap_routes[] lists every resource the
 * gateway serves over CoAP, one row each (a new resource is a handler and
 * a row here); the module opens the context over that table, sets up who
 * a peer is (dtls.c), and fills gw->hooks, through which the layers below
 * reach devices and tell of images without calling up.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "modules/coap/coap.h"
#include "modules/coap/devreq.h"
#include "modules/coap/face.h"
#include "modules/coap/fwserve.h"
#include "modules/device/registry.h"
#include "store/store.h"

/* /.well-known/core is libcoap's own. */
static const struct coap_route coap_routes[] = {
	{ "rd", COAP_ROUTE_POST, rd_register, "\"core.rd\"", "40", 0 },
	{ "rd/{}", COAP_ROUTE_POST | COAP_ROUTE_DELETE, rd_item, NULL, NULL,
	    0 },
	{ "dp", COAP_ROUTE_POST, send_post, NULL, NULL, 0 },
	{ "fw/{}", COAP_ROUTE_GET, fwserve_get_image, NULL, NULL, 1 },
	{ "fw/{}/manifest", COAP_ROUTE_GET, fwserve_get_manifest, NULL, NULL,
	    1 },
};

/* What the gateway kept of a peer goes with its session. */
static void
face_peer_gone(struct coap_peer *peer)
{
	devreq_peer_gone(peer);
	rd_peer_free(peer);
}

/* Observes what spec reads on ep if the device can be reached now; NULL
 * if not. */
static struct devobs *
face_observe(struct gateway *gw, const char *ep,
    const struct devreq_spec *spec, devobs_cb cb, void *arg)
{
	struct device *d = registry_find_by_endpoint(gw->registry, ep);

	if (d == NULL || !devreq_reachable(gw, d))
		return NULL;
	return devreq_observe(gw, ep, spec, cb, arg);
}

/* A credential changed: ep's DTLS sessions close, and its route with
 * them. */
static void
face_dtls_close(struct gateway *gw, const char *ep)
{
	if (dtls_close_ep(gw, ep) > 0)
		devreq_drop_route(gw, ep);
}

static const struct gw_hooks face_hooks = {
	.dev_reachable = devreq_reachable,
	.dev_send = devreq_send,
	.dev_observe = face_observe,
	.dev_observe_cancel = devobs_cancel,
	.dev_replaced = devreq_device_replaced,
	.dev_gone = devreq_device_gone,
	.dev_state = devreq_device_state,
	.route_drop = devreq_drop_route,
	.dtls_close = face_dtls_close,
	.image_added = fwserve_image_added,
	.image_gone = fwserve_image_gone,
	.image_announce = fwserve_announce,
};

const char *
coap_face_version(void)
{
	const char *v = coap_package_version();	/* "libcoap 4.3.1" */

	return strncmp(v, "libcoap ", 8) == 0 ? v + 8 : v;
}

int
coap_check_config(const struct gw_config *cfg, char *err, size_t errlen)
{
	return dtls_check_config(cfg, err, errlen);
}

static int
face_init(struct gateway *gw)
{
	if (coap_server_open(gw, coap_routes, sizeof(coap_routes) /
	    sizeof(coap_routes[0]), face_peer_gone) == -1)
		return -1;
	coap_register_response_handler(gw->coap->ctx, devreq_response);
	coap_register_nack_handler(gw->coap->ctx, devreq_nack);
	if (fwserve_init(gw) == -1 || dtls_init(gw, gw->coap->ctx) == -1)
		return -1;
	gw->hooks = face_hooks;
	return bsserve_init(gw);
}

static int
face_start(struct gateway *gw)
{
	if (coap_server_start(gw) == -1)
		return -1;
	return bsserve_start(gw);
}

static void
face_reload(struct gateway *gw, const struct gw_config *old)
{
	(void)old;
	coap_server_reload(gw);
	bsserve_reload(gw);
}

static void
face_stop(struct gateway *gw)
{
	if (gw->coap == NULL)
		return;
	/* Replies still waiting for a commit refer to libcoap state: let
	 * them complete before the context goes. */
	if (gw->store != NULL)
		store_commit(gw->store);
	fwserve_stop(gw);
	bsserve_stop(gw);
	coap_server_close(gw);
	dtls_free(gw);
	coap_server_free(gw);
}

const struct gw_module coap_module = {
	.name = "coap",
	.init = face_init,
	.start = face_start,
	.reload = face_reload,
	.stop = face_stop,
};
