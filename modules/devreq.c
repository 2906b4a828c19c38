/*
 * devreq.c: requests to devices on their own CoAP session.
 *
 * A route ties an endpoint name to the session of its latest register or
 * update. It lives while that session lives: libcoap deleting the session
 * (idle, or evicted past [coap] max_idle_sessions) ends the route, and the
 * device is unreachable until its next message. Requests wait in a FIFO per
 * route; at most [proxy] nstart are on the wire at once.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "modules/coap.h"
#include "modules/devreq.h"
#include "modules/registry.h"

struct devroute;

struct devreq {
	TAILQ_ENTRY(devreq)	 entry;		/* in route->waiting/inflight */
	struct devroute		*route;
	struct gateway		*gw;
	devreq_cb		 cb;
	void			*arg;
	struct event		*timer;
	int			 inflight;
	uint8_t			 token[8];
	size_t			 token_len;
	enum devreq_method	 method;
	int			 content_format, accept;
	unsigned		 timeout_s;
	size_t			 len;
	uint8_t			*body;
	char			 path[DEVREQ_PATH_MAX];
};

TAILQ_HEAD(devreq_list, devreq);

struct devobs {
	TAILQ_ENTRY(devobs)	 entry;
	struct devroute		*route;
	devobs_cb		 cb;
	void			*arg;
	uint8_t			 token[8];
	size_t			 token_len;
	char			 path[DEVREQ_PATH_MAX];
};

TAILQ_HEAD(devobs_list, devobs);

struct devroute {
	struct gateway		*gw;
	struct devroute		*hnext;		/* hash chain */
	struct devroute		*pprev, *pnext;	/* routes of one peer */
	struct coap_peer	*peer;
	coap_session_t		*session;	/* weak: the peer tells us */
	struct devreq_list	 waiting;
	struct devreq_list	 inflight;
	struct devobs_list	 observing;
	unsigned		 ninflight;
	char			 ep[LWM2M_EP_MAX + 1];
};

#define ROUTE_BUCKETS	4096	/* grows with nothing: chains stay short
				   up to ~[coap] max_idle_sessions routes */
static struct devroute	*routes[ROUTE_BUCKETS];

static size_t
route_hash(const char *ep)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*ep != '\0')
		h = (h ^ (uint8_t)*ep++) * 0x100000001b3ull;
	return (size_t)(h & (ROUTE_BUCKETS - 1));
}

static struct devroute *
route_find(const char *ep)
{
	struct devroute *r;

	for (r = routes[route_hash(ep)]; r != NULL; r = r->hnext)
		if (strcmp(r->ep, ep) == 0)
			return r;
	return NULL;
}

/* Ends one request: stops its timer, takes it off its route's lists. */
static void
devreq_unlink(struct devreq *rq)
{
	struct devroute *r = rq->route;

	if (rq->timer != NULL) {
		event_free(rq->timer);
		rq->timer = NULL;
	}
	if (r == NULL)
		return;
	if (rq->inflight) {
		TAILQ_REMOVE(&r->inflight, rq, entry);
		r->ninflight--;
	} else {
		TAILQ_REMOVE(&r->waiting, rq, entry);
	}
	rq->route = NULL;
}

static void	devreq_pump(struct gateway *gw, struct devroute *r);

/* Delivers resp to rq's owner (if it still has one) and frees rq; lets
 * the next one go. */
static void
devreq_finish(struct devreq *rq, const struct devresp *resp)
{
	struct devroute *r = rq->route;
	struct gateway *gw = rq->gw;

	devreq_unlink(rq);
	if (rq->cb != NULL)
		rq->cb(resp, rq->arg);
	free(rq->body);
	free(rq);
	if (r != NULL)
		devreq_pump(gw, r);
}

/*
 * The owner gives up on rq (its timeout, or the HTTP client left). One
 * still waiting goes at once. One on the wire stays there, ownerless, until
 * the device answers or libcoap gives up on it: it still holds one of the
 * device's NSTART places, and libcoap offers no way to withdraw a CON.
 */
static void
devreq_orphan(struct devreq *rq)
{
	struct devroute *r = rq->route;

	if (rq->timer != NULL) {
		event_free(rq->timer);
		rq->timer = NULL;
	}
	rq->cb = NULL;
	if (rq->inflight && r != NULL)
		return;
	devreq_unlink(rq);
	free(rq->body);
	free(rq);
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

/* Ends an observation from the device's side: one last call, seq -1. */
static void
devobs_end(struct devobs *o, const struct devresp *resp)
{
	struct devresp gone;

	TAILQ_REMOVE(&o->route->observing, o, entry);
	if (resp == NULL) {
		memset(&gone, 0, sizeof(gone));
		gone.kind = DEVRESP_UNREACHABLE;
		gone.content_format = -1;
		resp = &gone;
	}
	o->cb(resp, -1, o->arg);
	free(o);
}

/* Unlinks a route from its peer and the hash, failing what it holds. */
static void
route_free(struct devroute *r)
{
	struct devroute **pp;
	struct devreq *rq;

	for (pp = &routes[route_hash(r->ep)]; *pp != r; pp = &(*pp)->hnext)
		;
	*pp = r->hnext;
	if (r->peer != NULL) {
		if (r->pprev != NULL)
			r->pprev->pnext = r->pnext;
		else
			r->peer->routes = r->pnext;
		if (r->pnext != NULL)
			r->pnext->pprev = r->pprev;
	}
	r->session = NULL;
	while ((rq = TAILQ_FIRST(&r->inflight)) != NULL ||
	    (rq = TAILQ_FIRST(&r->waiting)) != NULL) {
		devreq_unlink(rq);
		devreq_fail(rq, DEVRESP_UNREACHABLE);
	}
	while (!TAILQ_EMPTY(&r->observing))
		devobs_end(TAILQ_FIRST(&r->observing), NULL);
	free(r);
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

/* Puts one request on the wire. Returns -1 if libcoap refused it. */
static int
devreq_transmit(struct gateway *gw, struct devroute *r, struct devreq *rq)
{
	coap_session_t *s = r->session;
	coap_pdu_t *pdu;
	uint8_t buf[4];

	(void)gw;
	if ((pdu = coap_new_pdu(COAP_MESSAGE_CON, (coap_pdu_code_t)rq->method,
	    s)) == NULL)
		return -1;
	coap_session_new_token(s, &rq->token_len, rq->token);
	if (!coap_add_token(pdu, rq->token_len, rq->token) ||
	    devreq_add_path(pdu, rq->path) == -1)
		goto fail;
	if (rq->content_format >= 0 && !coap_add_option(pdu,
	    COAP_OPTION_CONTENT_FORMAT, coap_encode_var_safe(buf, sizeof(buf),
	    (unsigned)rq->content_format), buf))
		goto fail;
	if (rq->accept >= 0 && !coap_add_option(pdu, COAP_OPTION_ACCEPT,
	    coap_encode_var_safe(buf, sizeof(buf), (unsigned)rq->accept), buf))
		goto fail;
	/* libcoap copies nothing: the body stays ours until rq is freed,
	 * and block-wise (Block1) starts by itself when it does not fit. */
	if (rq->len > 0 && !coap_add_data_large_request(s, pdu, rq->len,
	    rq->body, NULL, NULL))
		return -1;	/* libcoap freed pdu */
	if (coap_send(s, pdu) == COAP_INVALID_MID)
		return -1;
	return 0;
fail:
	coap_delete_pdu(pdu);
	return -1;
}

/* Moves waiting requests onto the wire while there is room. */
static void
devreq_pump(struct gateway *gw, struct devroute *r)
{
	struct devreq *rq;

	while (r->session != NULL &&
	    r->ninflight < (unsigned)gw->cfg.proxy_nstart &&
	    (rq = TAILQ_FIRST(&r->waiting)) != NULL) {
		TAILQ_REMOVE(&r->waiting, rq, entry);
		TAILQ_INSERT_TAIL(&r->inflight, rq, entry);
		rq->inflight = 1;
		r->ninflight++;
		if (devreq_transmit(gw, r, rq) == -1) {
			log_warnx("device %s: cannot send a request", r->ep);
			devreq_fail(rq, DEVRESP_UNREACHABLE);
			return;		/* devreq_fail pumped again */
		}
	}
}

struct devreq *
devreq_send(struct gateway *gw, const char *ep, const struct devreq_spec *spec,
    devreq_cb cb, void *arg)
{
	struct devroute *r = route_find(ep);
	struct devreq *rq;
	struct timeval tv = { (time_t)spec->timeout_s, 0 };

	if (r == NULL || r->session == NULL ||
	    strlen(spec->path) >= DEVREQ_PATH_MAX)
		return NULL;
	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return NULL;
	if ((rq->timer = evtimer_new(gw->base, devreq_timeout_cb, rq)) ==
	    NULL) {
		free(rq);
		return NULL;
	}
	if (spec->len > 0 && (rq->body = malloc(spec->len)) == NULL) {
		free(rq);
		return NULL;
	}
	if (spec->len > 0)
		memcpy(rq->body, spec->body, spec->len);
	rq->len = spec->len;
	rq->gw = gw;
	rq->cb = cb;
	rq->arg = arg;
	rq->route = r;
	rq->method = spec->method;
	rq->content_format = spec->content_format;
	rq->accept = spec->accept;
	rq->timeout_s = spec->timeout_s;
	memcpy(rq->path, spec->path, strlen(spec->path) + 1);
	evtimer_add(rq->timer, &tv);
	TAILQ_INSERT_TAIL(&r->waiting, rq, entry);
	devreq_pump(gw, r);
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
	struct devroute *r = route_find(ep);

	(void)gw;
	return r != NULL && r->session != NULL;
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
	return devreq_routable(gw, d->ep);
}

void
devreq_set_route(struct gateway *gw, const char *ep, coap_session_t *s)
{
	struct coap_peer *peer = coap_peer(s);
	struct devroute *r = route_find(ep);
	size_t b;

	if (peer == NULL)
		return;
	if (r != NULL && r->session == s)
		return;
	if (r != NULL)
		route_free(r);	/* a new session: NAT rebinding, re-register */
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	memcpy(r->ep, ep, strlen(ep) + 1);
	r->gw = gw;
	TAILQ_INIT(&r->observing);
	TAILQ_INIT(&r->waiting);
	TAILQ_INIT(&r->inflight);
	r->session = s;
	coap_session_set_nstart(s, (unsigned)gw->cfg.proxy_nstart);
	r->peer = peer;
	r->pnext = peer->routes;
	if (peer->routes != NULL)
		peer->routes->pprev = r;
	peer->routes = r;
	b = route_hash(ep);
	r->hnext = routes[b];
	routes[b] = r;
}

const char *
devreq_session_ep(coap_session_t *s)
{
	struct coap_peer *peer = coap_session_get_app_data(s);

	return peer != NULL && peer->routes != NULL ? peer->routes->ep : NULL;
}

void
devreq_drop_route(struct gateway *gw, const char *ep)
{
	struct devroute *r = route_find(ep);

	(void)gw;
	if (r != NULL)
		route_free(r);
}

void
devreq_peer_gone(struct coap_peer *peer)
{
	while (peer->routes != NULL)
		route_free(peer->routes);
}

struct devobs *
devreq_observe(struct gateway *gw, const char *ep, const char *path,
    devobs_cb cb, void *arg)
{
	struct devroute *r = route_find(ep);
	struct devobs *o;
	coap_pdu_t *pdu;
	uint8_t zero = 0;

	(void)gw;
	if (r == NULL || r->session == NULL ||
	    strlen(path) >= DEVREQ_PATH_MAX ||
	    (o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	if ((pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET,
	    r->session)) == NULL) {
		free(o);
		return NULL;
	}
	coap_session_new_token(r->session, &o->token_len, o->token);
	if (!coap_add_token(pdu, o->token_len, o->token) ||
	    devreq_add_path(pdu, path) == -1 ||
	    !coap_add_option(pdu, COAP_OPTION_OBSERVE, 0, &zero)) {
		coap_delete_pdu(pdu);
		free(o);
		return NULL;
	}
	/* Options must go in order: Observe (6) before Uri-Path (11) is
	 * handled by libcoap, which inserts in place. */
	if (coap_send(r->session, pdu) == COAP_INVALID_MID) {
		free(o);
		return NULL;
	}
	o->route = r;
	o->cb = cb;
	o->arg = arg;
	memcpy(o->path, path, strlen(path) + 1);
	TAILQ_INSERT_TAIL(&r->observing, o, entry);
	return o;
}

void
devobs_cancel(struct devobs *o)
{
	struct devroute *r = o->route;
	coap_binary_t token = { o->token_len, o->token };

	TAILQ_REMOVE(&r->observing, o, entry);
	if (r->session != NULL)
		coap_cancel_observe(r->session, &token, COAP_MESSAGE_CON);
	free(o);
}

/* The observation a notification belongs to, by session and token. */
static struct devobs *
devobs_match(coap_session_t *s, coap_bin_const_t token)
{
	struct coap_peer *peer = coap_session_get_app_data(s);
	struct devroute *r;
	struct devobs *o;

	if (peer == NULL)
		return NULL;
	for (r = peer->routes; r != NULL; r = r->pnext)
		TAILQ_FOREACH(o, &r->observing, entry)
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
	struct devroute *r;
	struct devreq *rq;

	if (peer == NULL)
		return NULL;
	for (r = peer->routes; r != NULL; r = r->pnext)
		TAILQ_FOREACH(rq, &r->inflight, entry)
			if (rq->token_len == token.length &&
			    memcmp(rq->token, token.s, token.length) == 0)
				return rq;
	return NULL;
}

coap_response_t
devreq_response(coap_session_t *s, const coap_pdu_t *sent,
    const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	struct devreq *rq = devreq_match(s, coap_pdu_get_token(rcvd));
	struct devobs *o = NULL;
	struct devresp resp;
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	size_t offset, total;
	coap_pdu_code_t code = coap_pdu_get_code(rcvd);
	long seq = -1;

	(void)sent;
	(void)mid;
	/* Even an answer nobody waits for any more is ours: no RST. */
	if (rq == NULL && (o = devobs_match(s, coap_pdu_get_token(rcvd))) ==
	    NULL)
		return COAP_RESPONSE_FAIL;	/* not ours: RST */
	memset(&resp, 0, sizeof(resp));
	resp.kind = DEVRESP_ANSWER;
	resp.cls = COAP_RESPONSE_CLASS(code);
	resp.detail = code & 0x1f;
	resp.content_format = -1;
	if ((opt = coap_check_option(rcvd, COAP_OPTION_CONTENT_FORMAT,
	    &it)) != NULL)
		resp.content_format = (int)coap_decode_var_bytes(
		    coap_opt_value(opt), coap_opt_length(opt));
	if ((opt = coap_check_option(rcvd, COAP_OPTION_MAXAGE, &it)) != NULL) {
		resp.has_max_age = 1;
		resp.max_age = coap_decode_var_bytes(coap_opt_value(opt),
		    coap_opt_length(opt));
	}
	if (!coap_get_data_large(rcvd, &resp.len, &resp.body, &offset,
	    &total))
		resp.len = 0;
	if (rq != NULL) {
		devreq_finish(rq, &resp);
		return COAP_RESPONSE_OK;
	}
	if ((opt = coap_check_option(rcvd, COAP_OPTION_OBSERVE, &it)) !=
	    NULL && resp.cls == 2)
		seq = (long)coap_decode_var_bytes(coap_opt_value(opt),
		    coap_opt_length(opt));
	if (seq < 0)
		devobs_end(o, &resp);	/* not (or no longer) observed */
	else
		o->cb(&resp, seq, o->arg);
	return COAP_RESPONSE_OK;
}

void
devreq_nack(coap_session_t *s, const coap_pdu_t *sent,
    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct devreq *rq;

	struct devobs *o;

	(void)mid;
	if (sent == NULL)
		return;
	if ((rq = devreq_match(s, coap_pdu_get_token(sent))) != NULL)
		devreq_fail(rq, reason == COAP_NACK_TOO_MANY_RETRIES ?
		    DEVRESP_TIMEOUT : DEVRESP_UNREACHABLE);
	else if ((o = devobs_match(s, coap_pdu_get_token(sent))) != NULL)
		devobs_end(o, NULL);
}
