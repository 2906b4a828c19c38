/*
 * coap.c: the libcoap context on the gateway's one reactor.
 *
 * libcoap is built with epoll: its whole state (sockets and the timerfd it
 * uses for retransmissions and deferred work) sits behind one epoll fd. That
 * fd gets one persistent read event; its callback lets libcoap do what is
 * ready and returns. No polling timer: an idle gateway sleeps in epoll.
 *
 * This file knows no resource: it serves the route table it is given
 * (modules/coap/face.c) and hands peer state to whoever asked for it.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "modules/coap/coap.h"
#include "modules/device/registry.h"
#include "modules/coap/rng.h"

struct gateway *
coap_gateway(coap_context_t *ctx)
{
	return coap_get_app_data(ctx);
}

void
coap_reply(struct gateway *gw, coap_pdu_t *resp, coap_pdu_code_t code,
    const char *diag)
{
	coap_pdu_set_code(resp, code);
	if (diag != NULL && COAP_RESPONSE_CLASS(code) >= 4)
		coap_add_data(resp, strlen(diag), (const uint8_t *)diag);
	gw->metrics.coap_out++;
	if (code == COAP_RESPONSE_CODE_BAD_REQUEST)
		gw->metrics.coap_bad++;
}

/*
 * libcoap drives its sockets through one epoll fd; the gateway puts that fd
 * on its reactor and calls coap_io_do_epoll with what epoll_wait gave. A
 * call reads one datagram per ready socket, then ends in
 * coap_io_prepare_epoll: libcoap's housekeeping, which walks every session
 * of the context (idle ones to free, DTLS and block-wise timeouts) and
 * re-arms its timerfd. With 10,000 live sessions the walk costs ~200 us,
 * ten times a proxied GET, and it ran after every datagram: 80% of the
 * gateway's CPU, and the cost of every message grew with the fleet.
 *
 * The walk is housekeeping, and it keeps every deadline of libcoap's: it
 * retransmits what is due, times out DTLS handshakes and block-wise
 * transfers, frees idle sessions and re-arms the timerfd for the next.
 * libcoap arms that timer itself when it queues a retransmission
 * (coap_wait_ack), and 4.3.1 often arms it for at once (it passes a delta
 * of its send queue as the delay), so the timer firing is no sign that
 * anything is due either. So walks are spaced: a datagram or a timer
 * expiry that finds a walk done less than the spacing ago leaves it to a
 * reactor timer, due when the spacing has passed. The spacing is 100
 * times what the last walk took (the walks take 1% of the reactor at
 * most), at least COAP_WALK_MS and at most COAP_WALK_MAX_MS: ~25 ms with
 * 10,000 sessions. Every deadline is kept, that much late at most; the
 * shortest libcoap has is a second (a DTLS flight's first retransmission;
 * ACK_TIMEOUT is 2 s).
 *
 * coap_io_do_epoll calls coap_io_prepare_epoll through the dynamic linker
 * (Debian's libcoap 4.3.1 is built so), so the definition below takes its
 * place, and calls libcoap's (dlsym RTLD_NEXT) when the walk is due or for
 * a context not on the reactor. Where a libcoap binds that call inside
 * itself, ours is never called: coap_io_on_reactor logs it once and every
 * datagram walks, as before. /metrics counts the walks run and deferred.
 */
#define COAP_EVENTS		32
#define COAP_IO_ROUNDS		64	/* epoll_waits per wakeup: a burst
					   cannot hold the reactor */
#define COAP_WALK_MS		10	/* the walks' least spacing */
#define COAP_WALK_MAX_MS	100	/* and their most */
#define COAP_WALK_SHARE		100	/* spacing / a walk's duration */
#define COAP_IO_MAX		4	/* contexts on the reactor: the
					   device face, the bootstrap one */

struct coap_io {
	coap_context_t		*ctx;
	struct gateway		*gw;
	struct event		*ev;		/* libcoap's epoll fd */
	struct event		*walk;		/* the deferred walk */
	struct timeval		 last;		/* when it last walked */
	long			 spacing;	/* ms until the next may */
	int			 due;		/* the deferred walk: walk now */
	struct timeval		 walk_at;	/* when walk is due, if armed */
	int			 freed;		/* a socket was freed: read no
						   socket epoll did not give */
};

/* The contexts on the reactor, for the interposed coap_io_prepare_epoll,
 * which is given nothing else. */
static struct coap_io	*coap_ios[COAP_IO_MAX];
static unsigned		 coap_io_interposed;	/* ours was called */
static int		 coap_io_draining;	/* reading without epoll */
static unsigned		 coap_walk_ms = COAP_WALK_MS;

typedef unsigned int (*coap_prepare_fn)(coap_context_t *, coap_tick_t);

static coap_prepare_fn
coap_walk_real(void)
{
	static coap_prepare_fn fn;

	if (fn == NULL)
		fn = (coap_prepare_fn)(uintptr_t)dlsym(RTLD_NEXT,
		    "coap_io_prepare_epoll");
	return fn;
}

static struct coap_io *
coap_io_find(coap_context_t *ctx)
{
	size_t i;

	for (i = 0; i < COAP_IO_MAX; i++)
		if (coap_ios[i] != NULL && coap_ios[i]->ctx == ctx)
			return coap_ios[i];
	return NULL;
}

static long
coap_io_since_ms(const struct timeval *then, const struct timeval *now)
{
	return (now->tv_sec - then->tv_sec) * 1000 +
	    (now->tv_usec - then->tv_usec) / 1000;
}

/* Arms the walk timer for ms from now, unless it is due sooner. */
static void
coap_io_walk_in(struct coap_io *io, long ms)
{
	struct timeval now, wait, at;

	event_base_gettimeofday_cached(io->gw->base, &now);
	wait.tv_sec = ms / 1000;
	wait.tv_usec = ms % 1000 * 1000;
	timeradd(&now, &wait, &at);
	if (evtimer_pending(io->walk, NULL) && timercmp(&io->walk_at, &at, <=))
		return;
	io->walk_at = at;
	evtimer_add(io->walk, &wait);
}

unsigned int	coap_io_prepare_epoll(coap_context_t *, coap_tick_t);

unsigned int
coap_io_prepare_epoll(coap_context_t *ctx, coap_tick_t now)
{
	coap_prepare_fn real = coap_walk_real();
	struct coap_io *io = coap_io_find(ctx);
	struct timeval tv;
	struct timespec t0, t1;
	unsigned int timeout;
	long since, took_us;

	if (real == NULL)		/* no libcoap under us: cannot be */
		abort();
	if (io == NULL)
		return real(ctx, now);
	coap_io_interposed = 1;
	event_base_gettimeofday_cached(io->gw->base, &tv);
	since = coap_io_since_ms(&io->last, &tv);
	if (!io->due && since >= 0 && since < io->spacing) {
		io->gw->metrics.coap_walks_deferred++;
		coap_io_walk_in(io, io->spacing - since);
		return 0;	/* its timerfd stays as armed */
	}
	io->due = 0;
	io->last = tv;
	io->gw->metrics.coap_walks++;
	if (evtimer_pending(io->walk, NULL))
		evtimer_del(io->walk);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	timeout = real(ctx, now);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took_us = (t1.tv_sec - t0.tv_sec) * 1000000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000;
	io->spacing = took_us * COAP_WALK_SHARE / 1000;
	if (io->spacing > COAP_WALK_MAX_MS)
		io->spacing = COAP_WALK_MAX_MS;
	if (io->spacing < (long)coap_walk_ms)
		io->spacing = (long)coap_walk_ms;
	/* libcoap 4.3.1 arms its timerfd for timeout from a clock it reads
	 * again after the walk, and disarms it when that deadline has come
	 * meanwhile (a retransmission due within the walk, or the process
	 * preempted): the deadline then waited for the next datagram. The
	 * reactor's timer is armed for it too, no sooner than the spacing. */
	if (timeout > 0)
		coap_io_walk_in(io, (long)timeout > io->spacing ?
		    (long)timeout : io->spacing);
	return timeout;
}

/* The deferred walk: coap_io_do_epoll with no event is the walk alone. */
static void
coap_walk_cb(evutil_socket_t fd, short what, void *arg)
{
	struct coap_io *io = arg;

	(void)fd;
	(void)what;
	io->due = 1;
	coap_io_do_epoll(io->ctx, NULL, 0);
}

/* Messages the handlers took: requests, and responses from devices. */
static uint64_t
coap_io_heard(const struct coap_io *io)
{
	return io->gw->metrics.coap_in + io->gw->metrics.coap_responses;
}

/*
 * The sockets of ev that were readable (the timer's event, with no
 * socket, and write-ready ones left out), in place; their count.
 */
static int
coap_io_readable(struct epoll_event *ev, int n)
{
	int i, m = 0;

	for (i = 0; i < n; i++)
		if (ev[i].data.ptr != NULL && (ev[i].events & EPOLLIN))
			ev[m++] = ev[i];
	return m;
}

/*
 * Reads what is ready: round after round while messages keep coming (a
 * round that handled none means the sockets are drained, or held
 * something else, a DTLS record, an ACK: the fd stays readable and
 * libevent calls again), up to COAP_IO_ROUNDS. Requests handled in one
 * wakeup share one group commit.
 *
 * A round reads one datagram from each socket epoll found readable. Under
 * a burst the same sockets are read again without asking epoll first: a
 * message costs its recvmsg and its answer's sendmsg, not an epoll_wait
 * as well, and the read that finds a socket empty (or a datagram that is
 * no message: a DTLS record, an empty ACK) ends the wakeup, with no
 * epoll_wait to learn that nothing is left. The sockets stay valid between
 * rounds: they are the endpoints', and the
 * client sessions', which only the gateway frees, and a free
 * (coap_io_sockets_changed) ends the repeats before the next round.
 */
static void
coap_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct coap_io *io = arg;
	struct epoll_event ev[COAP_EVENTS];
	uint64_t before;
	int i, n, full;

	(void)what;
	for (i = 0; i < COAP_IO_ROUNDS; i++) {
		before = coap_io_heard(io);
		if ((n = epoll_wait(fd, ev, COAP_EVENTS, 0)) <= 0)
			return;
		io->freed = 0;
		coap_io_do_epoll(io->ctx, ev, (size_t)n);
		if (coap_io_heard(io) == before && n < COAP_EVENTS)
			return;
		full = n == COAP_EVENTS;
		n = coap_io_readable(ev, n);
		while (n > 0 && !io->freed && ++i < COAP_IO_ROUNDS) {
			before = coap_io_heard(io);
			coap_io_draining = 1;
			coap_io_do_epoll(io->ctx, ev, (size_t)n);
			coap_io_draining = 0;
			/* Drained, or a datagram that was no message:
			 * libevent calls again if anything is left. */
			if (coap_io_heard(io) == before) {
				if (!full)
					return;
				break;
			}
		}
	}
}

struct coap_io *
coap_io_on_reactor(struct gateway *gw, coap_context_t *ctx)
{
	struct coap_io *io;
	size_t i;
	int fd;

	if ((fd = coap_context_get_coap_fd(ctx)) == -1) {
		log_warnx("coap: libcoap was built without epoll");
		return NULL;
	}
	for (i = 0; i < COAP_IO_MAX && coap_ios[i] != NULL; i++)
		;
	if (i == COAP_IO_MAX || coap_walk_real() == NULL ||
	    (io = calloc(1, sizeof(*io))) == NULL)
		return NULL;
	io->ctx = ctx;
	io->gw = gw;
	if ((io->ev = event_new(gw->base, fd, EV_READ | EV_PERSIST,
	    coap_io_cb, io)) == NULL ||
	    (io->walk = evtimer_new(gw->base, coap_walk_cb, io)) == NULL ||
	    event_add(io->ev, NULL) == -1) {
		coap_io_free(io);
		return NULL;
	}
	coap_ios[i] = io;
	/* One walk now: it shows whether ours stands in for libcoap's. */
	coap_walk_cb(-1, 0, io);
	if (!coap_io_interposed)
		log_info("coap: libcoap's session walk runs after every "
		    "datagram here (its coap_io_prepare_epoll is bound "
		    "inside it)");
	return io;
}

void
coap_io_free(struct coap_io *io)
{
	size_t i;

	if (io == NULL)
		return;
	for (i = 0; i < COAP_IO_MAX; i++)
		if (coap_ios[i] == io)
			coap_ios[i] = NULL;
	if (io->walk != NULL)
		event_free(io->walk);
	if (io->ev != NULL)
		event_free(io->ev);
	free(io);
}

void
coap_io_walk_now(coap_context_t *ctx)
{
	struct coap_io *io = coap_io_find(ctx);

	if (io != NULL)
		io->due = 1;
}

void
coap_io_sockets_changed(coap_context_t *ctx)
{
	struct coap_io *io = coap_io_find(ctx);

	if (io != NULL)
		io->freed = 1;
}

/*
 * A session released away from a datagram (a registration that expired, a
 * device deleted) has an idle deadline no walk has seen, and libcoap's
 * timer may be disarmed: nothing would free it until the next datagram.
 * One walk, spaced as the others, arms the timer for it; releases in a
 * burst share it.
 */
void
coap_io_walk_soon(coap_context_t *ctx)
{
	struct coap_io *io = coap_io_find(ctx);

	if (io != NULL)
		coap_io_walk_in(io, io->spacing);
}

unsigned
coap_io_walk_ms(unsigned ms)
{
	unsigned was = coap_walk_ms;
	size_t i;

	coap_walk_ms = ms;
	for (i = 0; i < COAP_IO_MAX; i++)
		if (coap_ios[i] != NULL)
			coap_ios[i]->spacing = (long)ms;
	return was;
}

void
coap_session_dev_addr(coap_session_t *s, struct dev_addr *a)
{
	const coap_address_t *ca = coap_session_get_addr_remote(s);

	memset(a, 0, sizeof(*a));
	if (ca->addr.sa.sa_family == AF_INET6) {
		a->family = AF_INET6;
		memcpy(a->addr, &ca->addr.sin6.sin6_addr, 16);
		a->port = ntohs(ca->addr.sin6.sin6_port);
	} else {
		a->family = AF_INET;
		memcpy(a->addr, &ca->addr.sin.sin_addr, 4);
		a->port = ntohs(ca->addr.sin.sin_port);
	}
}

struct coap_peer *
coap_peer(coap_session_t *s)
{
	struct coap_peer *peer = coap_session_get_app_data(s);
	struct coap_server *cs;

	if (peer != NULL || (peer = calloc(1, sizeof(*peer))) == NULL)
		return peer;
	cs = coap_gateway(coap_session_get_context(s))->coap;
	peer->next = cs->peers;
	if (cs->peers != NULL)
		cs->peers->prev = peer;
	cs->peers = peer;
	peer->session = s;
	coap_session_set_app_data(s, peer);
	return peer;
}

struct coap_peer *
coap_peers(struct gateway *gw)
{
	return gw->coap->peers;
}

static void
coap_peer_free(struct coap_server *cs, struct coap_peer *peer)
{
	if (peer->prev != NULL)
		peer->prev->next = peer->next;
	else
		cs->peers = peer->next;
	if (peer->next != NULL)
		peer->next->prev = peer->prev;
	if (cs->peer_gone != NULL)
		cs->peer_gone(peer);
	free(peer->auth_ep);
	free(peer);
}

/*
 * What libcoap keeps of a session that holds no reference: [coap]
 * max_idle_sessions of them, each session_timeout seconds after its last
 * message. A session that routes an awake device is held (devreq.c), so
 * it is neither: it lives while the device is awake.
 */
void
coap_session_limits(coap_context_t *ctx, const struct gw_config *cfg)
{
	coap_context_set_max_idle_sessions(ctx,
	    (unsigned int)cfg->coap_max_idle_sessions);
	coap_context_set_session_timeout(ctx,
	    (unsigned int)cfg->coap_session_timeout);
}

/* libcoap's session events: a server session going away takes its peer
 * state along; failed DTLS handshakes are counted. */
static int
coap_event(coap_session_t *s, const coap_event_t event)
{
	struct gateway *gw = coap_gateway(coap_session_get_context(s));
	struct coap_peer *peer;

	/* A DTLS session that closes before its handshake completed: a
	 * wrong key, an unknown identity, a certificate refused. */
	if ((event == COAP_EVENT_DTLS_CLOSED || event == COAP_EVENT_DTLS_ERROR) &&
	    coap_session_get_state(s) == COAP_SESSION_STATE_HANDSHAKE) {
		gw->metrics.dtls_refused++;
		/* Checked against one of two keys under one identity: the
		 * next handshake gets the other. */
		if ((peer = coap_session_get_app_data(s)) != NULL &&
		    peer->auth_ep != NULL && peer->auth_both)
			cred_handshake_failed(gw, peer->auth_ep,
			    peer->auth_pending);
	}
	/* A session gone: freed, or a DTLS one the peer closed or that
	 * failed, which a request must no longer take. libcoap frees that
	 * one on its next walk, and until then drops what comes from its
	 * address: a device that restarts at once from the same port sends
	 * its ClientHello there. So that walk is now, not deferred. */
	if (event == COAP_EVENT_DTLS_CLOSED || event == COAP_EVENT_DTLS_ERROR)
		coap_io_walk_now(coap_session_get_context(s));
	if (event == COAP_EVENT_SERVER_SESSION_DEL)
		gw->metrics.coap_sessions_freed++;
	if ((event == COAP_EVENT_SERVER_SESSION_DEL ||
	    event == COAP_EVENT_DTLS_CLOSED || event == COAP_EVENT_DTLS_ERROR) &&
	    (peer = coap_session_get_app_data(s)) != NULL) {
		coap_session_set_app_data(s, NULL);
		coap_peer_free(coap_gateway(coap_session_get_context(s))->coap,
		    peer);
	}
	return 0;
}

/* Whether the Uri-Path of req is route's path, "{}" taking any one
 * segment. */
static int
coap_route_match(const struct coap_route *route, const coap_pdu_t *req)
{
	const char *p = route->path, *slash;
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	size_t seglen, n;

	coap_option_iterator_init(req, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL) {
		if (it.number != COAP_OPTION_URI_PATH)
			continue;
		if (p == NULL)
			return 0;		/* more segments than the route */
		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		seglen = coap_opt_length(opt);
		if (!(n == 2 && memcmp(p, "{}", 2) == 0) && (n != seglen ||
		    memcmp(p, coap_opt_value(opt), n) != 0))
			return 0;
		p = slash != NULL ? slash + 1 : NULL;
	}
	return p == NULL;
}

/* Handler of every path without a resource of its own: the table's rows
 * of a family ("rd/{}") are matched here; anything else is 4.04. */
static void
coap_unknown(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct gateway *gw = coap_gateway(coap_session_get_context(s));
	const struct coap_route *route;
	size_t i;

	for (i = 0; i < gw->coap->nroutes; i++) {
		route = &gw->coap->routes[i];
		if (strstr(route->path, "{}") != NULL && !route->instances &&
		    coap_route_match(route, req)) {
			route->handler(r, s, req, query, resp);
			return;
		}
	}
	gw->metrics.coap_in++;
	coap_reply(gw, resp, COAP_RESPONSE_CODE_NOT_FOUND, "no such resource");
}

static const struct {
	unsigned	bit;
	coap_request_t	method;
} coap_route_methods[] = {
	{ COAP_ROUTE_GET, COAP_REQUEST_GET },
	{ COAP_ROUTE_POST, COAP_REQUEST_POST },
	{ COAP_ROUTE_PUT, COAP_REQUEST_PUT },
	{ COAP_ROUTE_DELETE, COAP_REQUEST_DELETE },
};

/* A libcoap resource at path serving route; uri is released with it. */
static int
coap_route_add(struct coap_server *cs, const struct coap_route *route,
    const char *path)
{
	coap_resource_t *r;
	coap_str_const_t *uri;
	size_t i;

	if ((uri = coap_new_str_const((const uint8_t *)path,
	    strlen(path))) == NULL ||
	    (r = coap_resource_init(uri, COAP_RESOURCE_FLAGS_RELEASE_URI)) ==
	    NULL) {
		coap_delete_str_const(uri);
		log_warnx("coap: cannot add /%s", path);
		return -1;
	}
	coap_resource_set_userdata(r, coap_gateway(cs->ctx));
	for (i = 0; i < sizeof(coap_route_methods) /
	    sizeof(coap_route_methods[0]); i++)
		if (route->methods & coap_route_methods[i].bit)
			coap_register_request_handler(r,
			    coap_route_methods[i].method, route->handler);
	if (route->rt != NULL)
		coap_add_attr(r, coap_make_str_const("rt"),
		    coap_make_str_const(route->rt), 0);
	if (route->ct != NULL)
		coap_add_attr(r, coap_make_str_const("ct"),
		    coap_make_str_const(route->ct), 0);
	coap_add_resource(cs->ctx, r);
	return 0;
}

int
coap_route_instance(struct gateway *gw, const char *pattern,
    const char *path)
{
	size_t i;

	for (i = 0; i < gw->coap->nroutes; i++)
		if (strcmp(gw->coap->routes[i].path, pattern) == 0)
			return coap_route_add(gw->coap, &gw->coap->routes[i],
			    path);
	log_warnx("coap: no route %s for /%s", pattern, path);
	return -1;
}

void
coap_route_forget(struct gateway *gw, const char *path)
{
	coap_str_const_t uri = { strlen(path), (const uint8_t *)path };
	coap_resource_t *r;

	if ((r = coap_get_resource_from_uri_path(gw->coap->ctx, &uri)) !=
	    NULL)
		coap_delete_resource(gw->coap->ctx, r);
}

/* libcoap's own log lines go through ours. The read that ends a drain
 * (coap_io_cb) finds its socket empty, which libcoap 4.3.1 logs as a
 * failure (EAGAIN, then "read failed"): those two are no news. */
static void
coap_log_to_ours(coap_log_t level, const char *msg)
{
	size_t n = strlen(msg);

	if (coap_io_draining && (strstr(msg, strerror(EAGAIN)) != NULL ||
	    strstr(msg, ": read failed") != NULL))
		return;

	while (n > 0 && msg[n - 1] == '\n')
		n--;
	log_relay(level <= LOG_ERR ? LOG_LEVEL_ERROR : level <= LOG_NOTICE ?
	    LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, "libcoap", msg, (int)n);
}

int
coap_server_open(struct gateway *gw, const struct coap_route *routes,
    size_t nroutes, void (*peer_gone)(struct coap_peer *peer))
{
	struct coap_server *cs;
	coap_resource_t *r;
	size_t i;

	coap_startup();
	if (rng_init() == 0)		/* else libcoap's getrandom() stays */
		coap_set_prng(rng_fill);
	coap_set_log_handler(coap_log_to_ours);
	coap_set_log_level(log_get_level() >= LOG_LEVEL_DEBUG ? LOG_INFO :
	    LOG_WARNING);
	/* It holds the DTLS key handed to libcoap: secret memory. */
	if ((cs = gw_secret_alloc(sizeof(*cs))) == NULL)
		return -1;
	gw->coap = cs;
	cs->routes = routes;
	cs->nroutes = nroutes;
	cs->peer_gone = peer_gone;
	if ((cs->ctx = coap_new_context(NULL)) == NULL) {
		log_warnx("coap: cannot create a context");
		return -1;
	}
	coap_set_app_data(cs->ctx, gw);
	coap_register_event_handler(cs->ctx, coap_event);
	coap_context_set_block_mode(cs->ctx,
	    COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	coap_session_limits(cs->ctx, &gw->cfg);
	if ((r = coap_resource_unknown_init(coap_unknown)) == NULL)
		return -1;
	coap_register_request_handler(r, COAP_REQUEST_POST, coap_unknown);
	coap_register_request_handler(r, COAP_REQUEST_DELETE, coap_unknown);
	coap_register_request_handler(r, COAP_REQUEST_GET, coap_unknown);
	coap_add_resource(cs->ctx, r);
	for (i = 0; i < nroutes; i++)
		if (strstr(routes[i].path, "{}") == NULL &&
		    coap_route_add(cs, &routes[i], routes[i].path) == -1)
			return -1;
	return 0;
}

/*
 * Whether port lies in the range the kernel hands out to sockets bound to
 * port 0. libcoap binds every socket with SO_REUSEADDR, and Linux may give
 * a client socket bound so a port another such socket already serves on.
 */
static int
coap_port_ephemeral(unsigned port)
{
	unsigned lo, hi;
	FILE *f;
	int n;

	if ((f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re")) ==
	    NULL)
		return 0;
	n = fscanf(f, "%u %u", &lo, &hi);
	fclose(f);
	return n == 2 && port >= lo && port <= hi;
}

/*
 * Whether another socket holds addr's UDP port. libcoap binds with
 * SO_REUSEADDR, and two such UDP sockets share a port: a second gateway
 * would start, and each datagram go to one of them as the kernel picks. A
 * socket bound without it is refused while anyone holds the port.
 */
static int
coap_port_taken(const coap_address_t *addr)
{
	int fd, taken;

	if ((fd = socket(addr->addr.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC,
	    0)) == -1)
		return 0;	/* libcoap will say what is wrong */
	taken = bind(fd, &addr->addr.sa, addr->size) == -1 &&
	    errno == EADDRINUSE;
	close(fd);
	return taken;
}

/* Opens an endpoint of proto on hp. */
/*
 * The receive buffer of the socket bound to addr: [coap] rcvbuf bytes. A
 * fleet that wakes at once (after a power cut, or notifying on the same
 * clock tick) sends its datagrams within milliseconds; what the kernel's
 * default buffer (208 KiB: a few hundred datagrams) cannot hold is lost
 * before the gateway reads it. libcoap does not hand out its endpoint's
 * socket, so it is found among ours by its address (nginx's listen ...
 * rcvbuf= is the same knob). Above net.core.rmem_max the kernel caps it
 * unless the gateway may force it (CAP_NET_ADMIN); the size it got is
 * logged.
 */
static void
coap_set_rcvbuf(const coap_address_t *addr, int want)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, type, got;

	if (want <= 0)
		return;
	for (fd = 0; fd < 1024; fd++) {
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
		    type != SOCK_DGRAM)
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
		    len != addr->size || memcmp(&ss, &addr->addr, len) != 0)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want,
		    sizeof(want)) == -1)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want,
			    sizeof(want));
		len = sizeof(got);
		if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0)
			(got / 2 < want ? log_info : log_debug)("coap: receive "
			    "buffer %d bytes (asked %d%s)", got / 2, want,
			    got / 2 < want ? "; raise net.core.rmem_max" :
			    "");
		return;
	}
}

coap_endpoint_t *
coap_listen(coap_context_t *ctx, const struct gw_hostport *hp,
    coap_proto_t proto, const char *what)
{
	coap_endpoint_t *ep;
	coap_address_t addr;
	char buf[96];

	coap_address_init(&addr);
	if (inet_pton(AF_INET, hp->host, &addr.addr.sin.sin_addr) == 1) {
		addr.addr.sin.sin_family = AF_INET;
		addr.addr.sin.sin_port = htons(hp->port);
		addr.size = sizeof(addr.addr.sin);
	} else if (inet_pton(AF_INET6, hp->host,
	    &addr.addr.sin6.sin6_addr) == 1) {
		addr.addr.sin6.sin6_family = AF_INET6;
		addr.addr.sin6.sin6_port = htons(hp->port);
		addr.size = sizeof(addr.addr.sin6);
	} else {
		log_warnx("coap: bad listen address %s", hp->host);
		return NULL;
	}
	config_hostport_str(hp, buf, sizeof(buf));
	if (coap_port_taken(&addr)) {
		log_warnx("%s: cannot listen on %s: the port is in use "
		    "(another outpost, or another CoAP server)", what, buf);
		return NULL;
	}
	if ((ep = coap_new_endpoint(ctx, &addr, proto)) == NULL) {
		log_warnx("%s: cannot listen on %s", what, buf);
		return NULL;
	}
	if (coap_port_ephemeral(hp->port))
		log_warnx("%s: %s is in the kernel's ephemeral port range "
		    "(net.ipv4.ip_local_port_range): a CoAP client on this "
		    "host may be given the same port and take its datagrams",
		    what, buf);
	log_info("%s: listening on %s%s", what, buf,
	    proto == COAP_PROTO_DTLS ? " (DTLS)" : "");
	coap_set_rcvbuf(&addr, coap_gateway(ctx)->cfg.coap_rcvbuf);
	return ep;
}

int
coap_server_start(struct gateway *gw)
{
	struct coap_server *cs = gw->coap;

	/* Plain CoAP listens whatever [coap] plain says (a reload may change
	 * it); every request on it is checked against it. */
	if ((cs->endpoint = coap_listen(cs->ctx, &gw->cfg.coap_listen,
	    COAP_PROTO_UDP, "coap")) == NULL)
		return -1;
	if ((cs->secure = coap_listen(cs->ctx, &gw->cfg.coap_secure_listen,
	    COAP_PROTO_DTLS, "coap")) == NULL)
		return -1;
	if ((cs->io = coap_io_on_reactor(gw, cs->ctx)) == NULL)
		return -1;
	return 0;
}

void
coap_server_close(struct gateway *gw)
{
	struct coap_server *cs = gw->coap;

	coap_io_free(cs->io);
	cs->io = NULL;
	/* Peers first: their routes hold their sessions, and libcoap frees
	 * only sessions nobody holds. */
	while (cs->peers != NULL) {
		coap_session_set_app_data(cs->peers->session, NULL);
		coap_peer_free(cs, cs->peers);
	}
	if (cs->ctx != NULL)
		coap_free_context(cs->ctx);
	cs->ctx = NULL;
}

void
coap_server_free(struct gateway *gw)
{
	coap_cleanup();
	rng_free();
	gw_secret_free(gw->coap, sizeof(*gw->coap));
	gw->coap = NULL;
}

void
coap_server_reload(struct gateway *gw)
{
	coap_session_limits(gw->coap->ctx, &gw->cfg);
	coap_set_log_level(log_get_level() >= LOG_LEVEL_DEBUG ? LOG_INFO :
	    LOG_WARNING);
}
