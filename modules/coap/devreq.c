/*
 * devreq.c: requests to devices on their own CoAP session.
 *
 * A device's route is the peer state of the session of its latest register
 * or update, kept in the device itself (struct dev_route: no allocation, no
 * copy of its name). A peer that routes an awake device holds its session,
 * so libcoap neither frees it when idle nor evicts it past [coap]
 * max_idle_sessions: a device stays reachable over the session it last
 * spoke on, DTLS keys and all, for as long as it is awake (binding U: as
 * long as it is registered), however long it stays quiet. A device in
 * queue mode that falls asleep lets go of its session: libcoap frees it
 * once idle for [coap] session_timeout, as a NAT would forget the
 * binding, and the device's next message (over the same session if it
 * is still there, else a new one) routes it again. The route ends with
 * the registration, with a register or update over another session (a
 * reboot, NAT rebinding), or with the session (a DTLS close or error,
 * or freed once let go). Requests
 * wait in a FIFO per device; at most [proxy] nstart are on the wire at
 * once. The FIFO and the device's observations live in a struct devq that
 * exists only while there is something in it; a peer lists its devices with
 * a devq ("busy"), so matching an answer's token walks what is outstanding,
 * not every device behind the peer.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "lwm2m/coapmap.h"
#include "modules/coap/coap.h"
#include "modules/coap/devreq.h"
#include "cache/observe.h"
#include "modules/device/queue.h"
#include "modules/device/registry.h"

struct devreq {
	TAILQ_ENTRY(devreq)	 entry;		/* in q->waiting/inflight */
	struct devq		*q;
	struct gateway		*gw;
	devreq_cb		 cb;
	void			*arg;
	struct event		*timer;
	int			 inflight;
	int			 orphan;	/* on the wire, ownerless: holds
						   no NSTART place */
	uint8_t			 token[8];
	size_t			 token_len;
	enum devreq_method	 method;
	int			 content_format, accept;
	unsigned		 timeout_s;
	size_t			 len;
	uint8_t			*body;
	char			 path[DEVREQ_PATH_MAX];
	char			 query[DEVREQ_QUERY_MAX];
};

TAILQ_HEAD(devreq_list, devreq);

struct devobs {
	TAILQ_ENTRY(devobs)	 entry;
	struct devq		*q;
	devobs_cb		 cb;
	void			*arg;
	uint8_t			 token[8];
	size_t			 token_len;
	char			 path[DEVREQ_PATH_MAX];
};

TAILQ_HEAD(devobs_list, devobs);

/* What is outstanding for one routed device. */
struct devq {
	struct device		*dev;
	struct devq		*next, *prev;	/* the peer's busy list */
	struct devreq_list	 waiting;
	struct devreq_list	 inflight;
	struct devobs_list	 observing;
	unsigned		 ninflight;
};

/* The device registered as ep, if it has a route. */
static struct device *
route_device(struct gateway *gw, const char *ep)
{
	struct device *d = registry_find_by_endpoint(gw->registry, ep);

	return d != NULL && d->route.peer != NULL ? d : NULL;
}

/* d's devq, made on first use; NULL when out of memory. d is routed. */
static struct devq *
devq_get(struct device *d)
{
	struct coap_peer *peer = d->route.peer;
	struct devq *q = d->route.q;

	if (q != NULL || (q = calloc(1, sizeof(*q))) == NULL)
		return q;
	q->dev = d;
	TAILQ_INIT(&q->waiting);
	TAILQ_INIT(&q->inflight);
	TAILQ_INIT(&q->observing);
	q->next = peer->busy;
	if (peer->busy != NULL)
		peer->busy->prev = q;
	peer->busy = q;
	d->route.q = q;
	return q;
}

/* Takes q off its peer's busy list and its device. */
static void
devq_unlink(struct devq *q)
{
	struct coap_peer *peer = q->dev->route.peer;

	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		peer->busy = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	q->dev->route.q = NULL;
}

/* Frees d's devq once nothing is left in it. Callers pass the device, not
 * the devq: a callback they ran may have ended the route (and the devq). */
static void
devq_settle(struct device *d)
{
	struct devq *q = d->route.q;

	if (q == NULL || !TAILQ_EMPTY(&q->waiting) ||
	    !TAILQ_EMPTY(&q->inflight) || !TAILQ_EMPTY(&q->observing))
		return;
	devq_unlink(q);
	free(q);
}

/* Ends one request: stops its timer, takes it off its device's lists. */
static void
devreq_unlink(struct devreq *rq)
{
	struct devq *q = rq->q;

	if (rq->timer != NULL) {
		event_free(rq->timer);
		rq->timer = NULL;
	}
	if (q == NULL)
		return;
	if (rq->inflight) {
		TAILQ_REMOVE(&q->inflight, rq, entry);
		if (!rq->orphan)
			q->ninflight--;
	} else {
		TAILQ_REMOVE(&q->waiting, rq, entry);
	}
	rq->q = NULL;
}

static void	devreq_pump(struct gateway *gw, struct devq *q);

/* Delivers resp to rq's owner (if it still has one) and frees rq; lets
 * the next one go. */
static void
devreq_finish(struct devreq *rq, const struct devresp *resp)
{
	struct device *d = rq->q != NULL ? rq->q->dev : NULL;
	struct gateway *gw = rq->gw;

	devreq_unlink(rq);
	if (rq->cb != NULL)
		rq->cb(resp, rq->arg);
	free(rq->body);
	free(rq);
	if (d != NULL && d->route.q != NULL) {
		devreq_pump(gw, d->route.q);
		devq_settle(d);
	}
}

/*
 * The owner gives up on rq (its timeout, or the HTTP client left). One
 * still waiting goes at once. One on the wire stays there, ownerless, until
 * the device answers or libcoap gives up on it (libcoap offers no way to
 * withdraw a CON, and a block-wise body is read from rq->body), so that a
 * late answer is still taken. Its NSTART place goes to the next request
 * now: a device that acknowledged it and never answers would otherwise
 * hold the place until its route ends. libcoap still holds back a CON
 * while the session's NSTART of them are unacknowledged.
 */
static void
devreq_orphan(struct devreq *rq)
{
	struct device *d = rq->q != NULL ? rq->q->dev : NULL;

	if (rq->timer != NULL) {
		event_free(rq->timer);
		rq->timer = NULL;
	}
	rq->cb = NULL;
	if (rq->inflight && d != NULL) {
		if (!rq->orphan) {
			rq->orphan = 1;
			rq->q->ninflight--;
			devreq_pump(rq->gw, rq->q);
		}
		return;
	}
	devreq_unlink(rq);
	free(rq->body);
	free(rq);
	if (d != NULL)
		devq_settle(d);
}

static void
devreq_fail(struct devreq *rq, enum devresp_kind kind)
{
	struct devresp resp;

	memset(&resp, 0, sizeof(resp));
	resp.kind = kind;
	resp.content_format = -1;
	devreq_finish(rq, &resp);
}

/* The owner's deadline passed, on the wire or still waiting its turn. */
static void
devreq_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct devreq *rq = arg;
	struct devresp resp;
	devreq_cb cb = rq->cb;
	void *cbarg = rq->arg;

	(void)fd;
	(void)what;
	memset(&resp, 0, sizeof(resp));
	resp.kind = DEVRESP_TIMEOUT;
	resp.content_format = -1;
	devreq_orphan(rq);
	cb(&resp, cbarg);
}

/* Ends an observation from the device's side: one last call, seq -1. The
 * caller settles the device's devq. */
static void
devobs_end(struct devobs *o, const struct devresp *resp)
{
	struct devresp gone;

	TAILQ_REMOVE(&o->q->observing, o, entry);
	if (resp == NULL) {
		memset(&gone, 0, sizeof(gone));
		gone.kind = DEVRESP_UNREACHABLE;
		gone.content_format = -1;
		resp = &gone;
	}
	o->cb(resp, -1, o->arg);
	free(o);
}

/* A peer holds its session while it routes an awake device: routed
 * counts those. */
static void
route_hold(struct gateway *gw, struct coap_peer *peer)
{
	if (peer->routed++ > 0)
		return;
	coap_session_reference(peer->session);
	gw->metrics.coap_sessions_held++;
}

static void
route_release(struct coap_peer *peer)
{
	coap_session_t *s = peer->session;

	if (--peer->routed > 0)
		return;
	coap_gateway(coap_session_get_context(s))->metrics.coap_sessions_held--;
	coap_session_release(s);	/* libcoap's to free when idle */
	coap_io_walk_soon(coap_session_get_context(s));
}

/* Ends d's route: off its peer, and what it holds fails. */
static void
route_unlink(struct device *d)
{
	struct coap_peer *peer = d->route.peer;
	struct devq *q = d->route.q;
	struct devreq *rq;

	if (peer == NULL)
		return;
	if (d->route.prev != NULL)
		d->route.prev->route.next = d->route.next;
	else
		peer->devices = d->route.next;
	if (d->route.next != NULL)
		d->route.next->route.prev = d->route.prev;
	if (q != NULL)
		devq_unlink(q);
	memset(&d->route, 0, sizeof(d->route));
	if (d->state == DEVICE_AWAKE)
		route_release(peer);
	if (q == NULL)
		return;
	/* Owners hear of it now; what they try in their callbacks finds no
	 * route. */
	while ((rq = TAILQ_FIRST(&q->inflight)) != NULL ||
	    (rq = TAILQ_FIRST(&q->waiting)) != NULL) {
		devreq_unlink(rq);
		devreq_fail(rq, DEVRESP_UNREACHABLE);
	}
	while (!TAILQ_EMPTY(&q->observing))
		devobs_end(TAILQ_FIRST(&q->observing), NULL);
	free(q);
}

/* Adds one Uri-Path option per segment of path. */
static int
devreq_add_path(coap_pdu_t *pdu, const char *p)
{
	const char *slash;

	while (*p != '\0') {
		slash = strchr(p, '/');
		if (slash == NULL)
			slash = p + strlen(p);
		if (!coap_add_option(pdu, COAP_OPTION_URI_PATH,
		    (size_t)(slash - p), (const uint8_t *)p))
			return -1;
		p = *slash == '/' ? slash + 1 : slash;
	}
	return 0;
}

/* Adds one Uri-Query option per '&'-separated part of query. */
static int
devreq_add_query(coap_pdu_t *pdu, const char *q)
{
	const char *amp;

	while (*q != '\0') {
		if ((amp = strchr(q, '&')) == NULL)
			amp = q + strlen(q);
		if (amp > q && !coap_add_option(pdu, COAP_OPTION_URI_QUERY,
		    (size_t)(amp - q), (const uint8_t *)q))
			return -1;
		q = *amp == '&' ? amp + 1 : amp;
	}
	return 0;
}

/* libcoap keeps the options in order, whatever the order of the calls. */
coap_pdu_t *
coap_request_new(coap_session_t *s, int method, const char *path,
    const char *query, int cf, int accept, uint8_t token[8],
    size_t *token_len)
{
	coap_pdu_t *pdu;
	uint8_t buf[4];

	if ((pdu = coap_new_pdu(COAP_MESSAGE_CON, (coap_pdu_code_t)method,
	    s)) == NULL)
		return NULL;
	coap_session_new_token(s, token_len, token);
	if (!coap_add_token(pdu, *token_len, token) ||
	    devreq_add_path(pdu, path) == -1 ||
	    (query != NULL && devreq_add_query(pdu, query) == -1) ||
	    (cf >= 0 && !coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
	    coap_encode_var_safe(buf, sizeof(buf), (unsigned)cf), buf)) ||
	    (accept >= 0 && !coap_add_option(pdu, COAP_OPTION_ACCEPT,
	    coap_encode_var_safe(buf, sizeof(buf), (unsigned)accept), buf))) {
		coap_delete_pdu(pdu);
		return NULL;
	}
	return pdu;
}

/* Puts one request on the wire. Returns -1 if libcoap refused it. */
static int
devreq_transmit(struct devq *q, struct devreq *rq)
{
	coap_session_t *s = q->dev->route.peer->session;
	coap_pdu_t *pdu;

	if ((pdu = coap_request_new(s, rq->method, rq->path, rq->query,
	    rq->content_format, rq->accept, rq->token, &rq->token_len)) ==
	    NULL)
		return -1;
	/* libcoap copies nothing: the body stays ours until rq is freed,
	 * and block-wise (Block1) starts by itself when it does not fit. */
	if (rq->len > 0 && !coap_add_data_large_request(s, pdu, rq->len,
	    rq->body, NULL, NULL))
		return -1;	/* libcoap freed pdu */
	if (coap_send(s, pdu) == COAP_INVALID_MID)
		return -1;
	return 0;
}

/* Moves waiting requests onto the wire while there is room. */
static void
devreq_pump(struct gateway *gw, struct devq *q)
{
	struct devreq *rq;

	while (q->ninflight < (unsigned)gw->cfg.proxy_nstart &&
	    (rq = TAILQ_FIRST(&q->waiting)) != NULL) {
		TAILQ_REMOVE(&q->waiting, rq, entry);
		TAILQ_INSERT_TAIL(&q->inflight, rq, entry);
		rq->inflight = 1;
		q->ninflight++;
		if (devreq_transmit(q, rq) == -1) {
			log_warnx("device %s: cannot send a request",
			    q->dev->ep);
			devreq_fail(rq, DEVRESP_UNREACHABLE);
			return;		/* devreq_fail pumped again */
		}
	}
}

/* Frees a request that never went out and was never reported. */
static void
devreq_discard(struct devreq *rq)
{
	struct device *d = rq->q != NULL ? rq->q->dev : NULL;

	devreq_unlink(rq);
	free(rq->body);
	free(rq);
	if (d != NULL)
		devq_settle(d);
}

struct devreq *
devreq_send(struct gateway *gw, const char *ep, const struct devreq_spec *spec,
    devreq_cb cb, void *arg)
{
	struct device *d = route_device(gw, ep);
	struct devreq *rq;
	struct devq *q;
	struct timeval tv = { (time_t)spec->timeout_s, 0 };

	if (d == NULL || strlen(spec->path) >= DEVREQ_PATH_MAX ||
	    (spec->query != NULL && strlen(spec->query) >= DEVREQ_QUERY_MAX) ||
	    (rq = calloc(1, sizeof(*rq))) == NULL)
		return NULL;
	if (spec->query != NULL)
		memcpy(rq->query, spec->query, strlen(spec->query) + 1);
	if ((rq->timer = evtimer_new(gw->base, devreq_timeout_cb, rq)) ==
	    NULL || (spec->len > 0 && (rq->body = malloc(spec->len)) ==
	    NULL) || (q = devq_get(d)) == NULL) {
		devreq_discard(rq);
		return NULL;
	}
	if (spec->len > 0)
		memcpy(rq->body, spec->body, spec->len);
	rq->len = spec->len;
	rq->gw = gw;
	rq->cb = cb;
	rq->arg = arg;
	rq->q = q;
	rq->method = spec->method;
	rq->content_format = spec->content_format;
	rq->accept = spec->accept;
	rq->timeout_s = spec->timeout_s;
	memcpy(rq->path, spec->path, strlen(spec->path) + 1);
	/* Behind others, it waits its turn. With room, it goes now; when
	 * libcoap refuses it, the caller hears so from the NULL (its
	 * callback is never called from inside this function). */
	if (!TAILQ_EMPTY(&q->waiting) ||
	    q->ninflight >= (unsigned)gw->cfg.proxy_nstart) {
		TAILQ_INSERT_TAIL(&q->waiting, rq, entry);
	} else {
		TAILQ_INSERT_TAIL(&q->inflight, rq, entry);
		rq->inflight = 1;
		q->ninflight++;
		if (devreq_transmit(q, rq) == -1) {
			log_warnx("device %s: cannot send a request", d->ep);
			devreq_discard(rq);
			return NULL;
		}
	}
	evtimer_add(rq->timer, &tv);
	return rq;
}

void
devreq_cancel(struct devreq *rq)
{
	devreq_orphan(rq);
}

int
devreq_routable(struct gateway *gw, const char *ep)
{
	return route_device(gw, ep) != NULL;
}

int
devreq_reachable(struct gateway *gw, struct device *d)
{
	int64_t now = gw_now();

	if (registry_state(gw->registry, d, now) != DEVICE_AWAKE)
		return 0;
	if (gw->cfg.proxy_nat_window > 0 &&
	    now - d->last_seen > gw->cfg.proxy_nat_window)
		return 0;
	return d->route.peer != NULL;
}

void
devreq_set_route(struct gateway *gw, const char *ep, coap_session_t *s)
{
	struct device *d = registry_find_by_endpoint(gw->registry, ep);
	struct coap_peer *peer = coap_peer(s);

	if (d == NULL || peer == NULL || d->route.peer == peer)
		return;
	route_unlink(d);	/* a new session: NAT rebinding, re-register */
	d->route.peer = peer;
	d->route.next = peer->devices;
	if (peer->devices != NULL)
		peer->devices->route.prev = d;
	peer->devices = d;
	if (d->state == DEVICE_AWAKE)
		route_hold(gw, peer);
	coap_session_set_nstart(s, (unsigned)gw->cfg.proxy_nstart);
}

const char *
devreq_session_ep(coap_session_t *s)
{
	struct coap_peer *peer = coap_session_get_app_data(s);

	return peer != NULL && peer->devices != NULL ? peer->devices->ep :
	    NULL;
}

void
devreq_drop_route(struct gateway *gw, const char *ep)
{
	struct device *d = registry_find_by_endpoint(gw->registry, ep);

	if (d != NULL)
		route_unlink(d);
}

/*
 * ep registered anew (a Register, not an Update). An LwM2M client forgets
 * its observations when it registers (after a reboot, say), so those the
 * gateway holds on its route are over even when the device kept its
 * address and session: they end here, without a cancel (the device holds
 * none), and observe_wake makes them again, each with a new token and so
 * a new order of Observe numbers.
 */
void
devreq_registered_anew(struct gateway *gw, const char *ep)
{
	struct device *d = route_device(gw, ep);
	struct devq *q;

	if (d == NULL || (q = d->route.q) == NULL)
		return;
	while (!TAILQ_EMPTY(&q->observing))
		devobs_end(TAILQ_FIRST(&q->observing), NULL);
	devq_settle(d);
}

void
devreq_device_replaced(struct device *old, struct device *d)
{
	struct coap_peer *peer = old->route.peer;

	d->route = old->route;
	memset(&old->route, 0, sizeof(old->route));
	if (peer == NULL)
		return;
	if (d->route.prev != NULL)
		d->route.prev->route.next = d;
	else
		peer->devices = d;
	if (d->route.next != NULL)
		d->route.next->route.prev = d;
	if (d->route.q != NULL)
		d->route.q->dev = d;
	/* d is awake (registry_insert tells if not): the route holds. */
	if (old->state != DEVICE_AWAKE)
		route_hold(coap_gateway(coap_session_get_context(
		    peer->session)), peer);
}

void
devreq_device_gone(struct device *d)
{
	route_unlink(d);
}

/* Awake, a routed device holds its session; asleep or expired, not. */
void
devreq_device_state(struct device *d, int was)
{
	struct coap_peer *peer = d->route.peer;

	if (peer == NULL || (was == DEVICE_AWAKE) == (d->state == DEVICE_AWAKE))
		return;
	if (d->state == DEVICE_AWAKE)
		route_hold(coap_gateway(coap_session_get_context(
		    peer->session)), peer);
	else
		route_release(peer);
}

void
devreq_peer_gone(struct coap_peer *peer)
{
	while (peer->devices != NULL)
		route_unlink(peer->devices);
}

/* libcoap is done with an observation's body (libcoap owns the copy it
 * was given: a block-wise body outlives the devobs that sent it). */
static void
devobs_release(coap_session_t *s, void *body)
{
	(void)s;
	free(body);
}

struct devobs *
devreq_observe(struct gateway *gw, const char *ep,
    const struct devreq_spec *spec, devobs_cb cb, void *arg)
{
	struct device *d = route_device(gw, ep);
	coap_session_t *s;
	struct devobs *o;
	struct devq *q = NULL;
	coap_pdu_t *pdu;
	uint8_t zero = 0, *body;

	if (d == NULL || strlen(spec->path) >= DEVREQ_PATH_MAX ||
	    (spec->query != NULL && strlen(spec->query) >= DEVREQ_QUERY_MAX) ||
	    (o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	s = d->route.peer->session;
	if ((pdu = coap_request_new(s, spec->method, spec->path, spec->query,
	    spec->content_format, spec->accept, o->token, &o->token_len)) ==
	    NULL) {
		free(o);
		return NULL;
	}
	if (!coap_add_option(pdu, COAP_OPTION_OBSERVE, 0, &zero) ||
	    (q = devq_get(d)) == NULL)
		goto fail;
	/* libcoap keeps the request (its cancel is the same with
	 * Observe=1) and may send the body block-wise: it gets its own
	 * copy, which it frees. */
	if (spec->len > 0) {
		if ((body = malloc(spec->len)) == NULL)
			goto fail;
		memcpy(body, spec->body, spec->len);
		if (!coap_add_data_large_request(s, pdu, spec->len, body,
		    devobs_release, body)) {
			free(o);	/* libcoap freed pdu and body */
			devq_settle(d);
			return NULL;
		}
	}
	if (coap_send(s, pdu) == COAP_INVALID_MID) {
		free(o);
		devq_settle(d);
		return NULL;
	}
	o->q = q;
	o->cb = cb;
	o->arg = arg;
	memcpy(o->path, spec->path, strlen(spec->path) + 1);
	TAILQ_INSERT_TAIL(&q->observing, o, entry);
	return o;
fail:
	coap_delete_pdu(pdu);
	free(o);
	if (q != NULL)
		devq_settle(d);
	return NULL;
}

void
devobs_cancel(struct devobs *o)
{
	struct device *d = o->q->dev;
	coap_binary_t token = { o->token_len, o->token };

	TAILQ_REMOVE(&o->q->observing, o, entry);
	coap_cancel_observe(d->route.peer->session, &token, COAP_MESSAGE_CON);
	free(o);
	devq_settle(d);
}

/* The observation a notification belongs to, by session and token. */
static struct devobs *
devobs_match(coap_session_t *s, coap_bin_const_t token)
{
	struct coap_peer *peer = coap_session_get_app_data(s);
	struct devq *q;
	struct devobs *o;

	if (peer == NULL)
		return NULL;
	for (q = peer->busy; q != NULL; q = q->next)
		TAILQ_FOREACH(o, &q->observing, entry)
			if (o->token_len == token.length &&
			    memcmp(o->token, token.s, token.length) == 0)
				return o;
	return NULL;
}

/* Finds the request a response or NACK is for, by session and token. */
static struct devreq *
devreq_match(coap_session_t *s, coap_bin_const_t token)
{
	struct coap_peer *peer = coap_session_get_app_data(s);
	struct devq *q;
	struct devreq *rq;

	if (peer == NULL)
		return NULL;
	for (q = peer->busy; q != NULL; q = q->next)
		TAILQ_FOREACH(rq, &q->inflight, entry)
			if (rq->token_len == token.length &&
			    memcmp(rq->token, token.s, token.length) == 0)
				return rq;
	return NULL;
}

/* A device whose observation of before is dormant, heard from on s. */
struct devreq_stray {
	struct gateway		*gw;
	coap_session_t		*s;
	struct dev_addr		 from;
	struct device		*d;
};

static int
devreq_stray_match(const char *ep, void *arg)
{
	struct devreq_stray *st = arg;
	struct device *d;
	const char *why;

	if ((d = registry_find_by_endpoint(st->gw->registry, ep)) == NULL ||
	    !registry_addr_equal(&d->r.addr, &st->from) ||
	    coap_auth_check(st->gw, st->s, d->ep, &why) != 0)
		return 0;
	st->d = d;
	return 1;
}

/*
 * A response nobody waits for came on s (see coap.h). At most
 * COAP_STRAYS_PER_S a second are looked into, as each walks the
 * observations: a flood gets its RSTs, nothing more.
 */
static void
devreq_stray(struct gateway *gw, coap_session_t *s)
{
	struct coap_server *cs = gw->coap;
	struct devreq_stray st;
	int64_t now = gw_now();

	if (cs->stray_second != now) {
		cs->stray_second = now;
		cs->strays = 0;
	}
	if (++cs->strays > COAP_STRAYS_PER_S)
		return;
	memset(&st, 0, sizeof(st));
	st.gw = gw;
	st.s = s;
	coap_session_dev_addr(s, &st.from);
	if (observe_walk_dormant(gw, devreq_stray_match, &st) == 0)
		return;
	log_debug("observe: %s notifies an observation of before: it is "
	    "there, observing again", st.d->ep);
	devreq_set_route(gw, st.d->ep, s);
	registry_touch(gw->registry, st.d);
	observe_wake(gw, st.d->ep);
	queue_wake(gw, st.d->ep);
}

/*
 * The answer's Location-Path options joined by '/' into loc
 * (COAPMAP_LOCATION_MAX bytes): 1, or 0 when there are none, or -1 when
 * one is not a path segment we can pass on (logged; the answer goes
 * without it).
 */
static int
devreq_location(coap_session_t *s, const coap_pdu_t *rcvd, char *loc)
{
	coap_opt_iterator_t it;
	coap_opt_filter_t f;
	coap_opt_t *opt;
	const char *ep;

	loc[0] = '\0';
	coap_option_filter_clear(&f);
	coap_option_filter_set(&f, COAP_OPTION_LOCATION_PATH);
	coap_option_iterator_init(rcvd, &it, &f);
	while ((opt = coap_option_next(&it)) != NULL)
		if (coapmap_location_add(loc, coap_opt_value(opt),
		    coap_opt_length(opt)) == -1) {
			ep = devreq_session_ep(s);
			log_info("device %s: a Location-Path that is not a "
			    "path (%u bytes) left out", ep != NULL ? ep : "?",
			    coap_opt_length(opt));
			loc[0] = '\0';
			return -1;
		}
	return loc[0] != '\0';
}

void
coap_devresp(const coap_pdu_t *rcvd, struct devresp *resp)
{
	coap_pdu_code_t code = coap_pdu_get_code(rcvd);
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	size_t offset, total;

	memset(resp, 0, sizeof(*resp));
	resp->kind = DEVRESP_ANSWER;
	resp->cls = COAP_RESPONSE_CLASS(code);
	resp->detail = code & 0x1f;
	resp->content_format = -1;
	if ((opt = coap_check_option(rcvd, COAP_OPTION_CONTENT_FORMAT,
	    &it)) != NULL)
		resp->content_format = (int)coap_decode_var_bytes(
		    coap_opt_value(opt), coap_opt_length(opt));
	if ((opt = coap_check_option(rcvd, COAP_OPTION_MAXAGE, &it)) != NULL) {
		resp->has_max_age = 1;
		resp->max_age = coap_decode_var_bytes(coap_opt_value(opt),
		    coap_opt_length(opt));
	}
	if (!coap_get_data_large(rcvd, &resp->len, &resp->body, &offset,
	    &total))
		resp->len = 0;
}

coap_response_t
devreq_response(coap_session_t *s, const coap_pdu_t *sent,
    const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	struct devreq *rq = devreq_match(s, coap_pdu_get_token(rcvd));
	struct devobs *o = NULL;
	struct device *d;
	struct gateway *gw;
	struct devresp resp;
	char ep[LWM2M_EP_MAX + 1], loc[COAPMAP_LOCATION_MAX];
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	long seq = -1;

	(void)sent;
	(void)mid;
	coap_gateway(coap_session_get_context(s))->metrics.coap_responses++;
	/*
	 * Even an answer nobody waits for any more is ours: no RST. One in
	 * an ACK (the device's answer to the GET that cancelled an
	 * observation, whose devobs is gone) is ignored: libcoap answers
	 * COAP_RESPONSE_FAIL with an RST whatever the message's type, and
	 * an ACK is never rejected with one (RFC 7252 4.2).
	 */
	if (rq == NULL && (o = devobs_match(s, coap_pdu_get_token(rcvd))) ==
	    NULL) {
		if (coap_pdu_get_type(rcvd) == COAP_MESSAGE_ACK)
			return COAP_RESPONSE_OK;
		devreq_stray(coap_gateway(coap_session_get_context(s)), s);
		return COAP_RESPONSE_FAIL;	/* not ours: RST */
	}
	coap_devresp(rcvd, &resp);
	if (rq != NULL && devreq_location(s, rcvd, loc) == 1)
		resp.location = loc;
	if (rq != NULL) {
		devreq_finish(rq, &resp);
		return COAP_RESPONSE_OK;
	}
	if ((opt = coap_check_option(rcvd, COAP_OPTION_OBSERVE, &it)) !=
	    NULL && resp.cls == 2)
		seq = (long)coap_decode_var_bytes(coap_opt_value(opt),
		    coap_opt_length(opt));
	d = o->q->dev;
	if (seq < 0) {
		devobs_end(o, &resp);	/* not (or no longer) observed */
		devq_settle(d);
		return COAP_RESPONSE_OK;
	}
	memcpy(ep, d->ep, (size_t)d->ep_len + 1);
	o->cb(&resp, seq, o->arg);
	/* A notification is a message from the device like any other: a
	 * queue-mode device that sends one is awake, and what waits for it
	 * goes now. */
	gw = coap_gateway(coap_session_get_context(s));
	if ((d = registry_find_by_endpoint(gw->registry, ep)) != NULL) {
		registry_touch(gw->registry, d);
		queue_wake(gw, d->ep);
	}
	return COAP_RESPONSE_OK;
}

void
devreq_nack(coap_session_t *s, const coap_pdu_t *sent,
    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct devreq *rq;
	struct devobs *o;
	struct device *d;

	(void)mid;
	if (sent == NULL)
		return;
	if ((rq = devreq_match(s, coap_pdu_get_token(sent))) != NULL)
		devreq_fail(rq, reason == COAP_NACK_TOO_MANY_RETRIES ?
		    DEVRESP_TIMEOUT : DEVRESP_UNREACHABLE);
	else if ((o = devobs_match(s, coap_pdu_get_token(sent))) != NULL) {
		d = o->q->dev;
		devobs_end(o, NULL);
		devq_settle(d);
	}
}
