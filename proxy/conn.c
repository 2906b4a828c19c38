/*
 * conn.c: the guard of the HTTP listeners (see conn.h).
 *
 * Why a filter from the bevcb: libevent 2.1 has no evhttp_set_newreqcb,
 * and evhttp takes connections only from a listener it is bound to, whose
 * accept callback it sets to its own. The bevcb is the one call evhttp
 * makes for each accepted connection, and a filter's free_context is the
 * one call when it frees it. The filter sits on top (over the socket, or
 * over the TLS bufferevent), so one place counts both servers' connections
 * and its input filter sees the request head in plaintext.
 *
 * Data moves between the layers by evbuffer_remove_buffer, which moves
 * chains: no copy of a body. The head of the first request alone is
 * looked at, for its end (an empty line), through evbuffer_peek.
 *
 * The write callback means "all written" to evhttp, which then may free
 * the connection and shut the socket down at once (Connection: close).
 * libevent's filter would call it as soon as the bytes reached the layer
 * below, so, as in proxy/tls.c, the output filter never reports progress
 * and the write callback is called from the loop when every layer below
 * has drained. The layer below has a high watermark: beyond it, a reply
 * waits in the filter's output, where evhttp's users see a slow client
 * (proxy/stream.c drops one).
 *
 * Address and deadline: evhttp sets the socket after the bevcb returns,
 * so the connection's timer first runs at once from the loop, learns the
 * peer (getpeername), applies the per-address cap, then waits for the
 * header deadline. A refusal or an expiry is handed to evhttp's event
 * callback (as a read error or timeout), which frees the connection.
 *
 * Accept errors: evhttp_bind_listener makes evhttp's pointer the
 * listener's user data, the argument of its error callback as well, and
 * nothing of ours hangs off evhttp. The error callback finds its
 * listener's state among the base's events instead
 * (event_base_foreach_event): the listener's resume timer, which is kept
 * pending for that (a day ahead while not paused). A failure is rare and
 * then pauses the listener, so the walk happens twice a second at most.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "gateway.h"
#include "log.h"
#include "proxy/conn.h"
#include "proxy/headscan.h"
#include "proxy/tokens.h"

#define CONN_ADDR_BUCKETS	4096	/* a power of two */
#define CONN_OUT_HIGH		65536	/* bytes queued below before a reply
					   waits in the filter */
#define CONN_LISTENERS		2	/* HTTP and HTTPS */
#define CONN_PAUSE_MS		500	/* a listener's pause after a failure */
#define CONN_IDLE_S		86400	/* a resume timer's wait, unpaused */
#define CONN_REPORT_S		60	/* one log line a minute at most */

/* What the kick event does. */
#define CONN_KICK_FLUSH		0x1	/* run the output filter */
#define CONN_KICK_WROTE		0x2	/* maybe call the write callback */

/* Connections open from one address (an IPv4 address or an IPv6 /64). */
struct conn_addr {
	struct conn_addr	*next;
	unsigned char		 key[9];
	unsigned		 n;
};

struct conn_listener {
	struct conn_guard	*g;
	struct evconnlistener	*lev;		/* evhttp's */
	struct event		*resume;	/* always pending, see above */
	const char		*what;
	int			 paused;
	unsigned		 held;		/* pauses not logged yet */
};

struct conn_guard {
	struct event_base	*base;
	unsigned		 refs;		/* the owner's and each conn's */
	int			 max_total;
	int			 max_per_addr;
	int			 header_timeout;	/* seconds */
	int			 nconns;
	struct conn_addr	*addrs[CONN_ADDR_BUCKETS];
	struct conn_listener	 lis[CONN_LISTENERS];
	int			 nlis;
	/* Refusals and expiries: the first is logged at once, the rest are
	 * counted and logged by the report timer a minute later. */
	struct event		*report;
	unsigned		 refused_total, refused_addr, expired, paused;
};

/* One connection; owned by its filter bufferevent (freed with it). */
struct conn {
	struct conn_guard	*g;		/* a reference */
	struct bufferevent	*bev;		/* the filter evhttp uses */
	struct bufferevent	*sock;		/* the socket at the bottom */
	struct event		*timer;		/* start, then head deadline */
	struct event		*kick;		/* deferred work, see above */
	struct evbuffer_cb_entry *sock_cb;	/* on the socket's output */
	struct conn_addr	*addr;		/* counted under, or NULL */
	unsigned		 kicks;		/* CONN_KICK_* */
	int			 eol;		/* head scan: 1 after LF, 2
						   after LF CR */
	unsigned		 started:1;	/* the timer ran once */
	unsigned		 head_done:1;	/* first head complete */
	unsigned		 wrote:1;	/* output moved since writecb */
};

static void	conn_guard_unref(struct conn_guard *g);

/* --- reports --- */

/* Logs what was counted since the last line, if anything. */
static void
conn_report_flush(struct conn_guard *g)
{
	if (g->refused_total + g->refused_addr + g->expired + g->paused == 0)
		return;
	log_info("http: in the last minute, connections closed: %u over "
	    "max_connections, %u over max_connections_per_addr, %u without a "
	    "request head in header_timeout; accept paused %u times",
	    g->refused_total, g->refused_addr, g->expired, g->paused);
	g->refused_total = g->refused_addr = g->expired = g->paused = 0;
}

static void
conn_report_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn_guard *g = arg;
	struct timeval tv = { CONN_REPORT_S, 0 };
	int any = g->refused_total + g->refused_addr + g->expired +
	    g->paused > 0;

	(void)fd;
	(void)what;
	conn_report_flush(g);
	if (any)	/* the next minute is counted too */
		evtimer_add(g->report, &tv);
}

/*
 * One more of *counter: whether to log it now (nothing was logged in the
 * last minute); otherwise it is counted for the report.
 */
static int
conn_report_take(struct conn_guard *g, unsigned *counter)
{
	struct timeval tv = { CONN_REPORT_S, 0 };

	if (g->report == NULL)
		return 1;
	if (evtimer_pending(g->report, NULL)) {
		(*counter)++;
		return 0;
	}
	evtimer_add(g->report, &tv);
	return 1;
}

/* --- addresses --- */

/* The peer of fd as a key (family, then IPv4 or the /64), or -1. */
static int
conn_peer_key(evutil_socket_t fd, unsigned char key[9], char *name,
    size_t namelen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(key, 0, 9);
	snprintf(name, namelen, "?");
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	if (ss.ss_family == AF_INET)
		evutil_inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)&ss)->sin_addr, name, namelen);
	else if (ss.ss_family == AF_INET6)
		evutil_inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)&ss)->sin6_addr, name, namelen);
	else
		return -1;
	auth_addr_key((const struct sockaddr *)&ss, key);	/* a /64 */
	return 0;
}

static size_t
conn_addr_bucket(const unsigned char key[9])
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < 9; i++)
		h = (h ^ key[i]) * 16777619u;
	return h & (CONN_ADDR_BUCKETS - 1);
}

/* Counts one more connection from key; NULL when out of memory. */
static struct conn_addr *
conn_addr_get(struct conn_guard *g, const unsigned char key[9])
{
	size_t b = conn_addr_bucket(key);
	struct conn_addr *a;

	for (a = g->addrs[b]; a != NULL; a = a->next)
		if (memcmp(a->key, key, sizeof(a->key)) == 0)
			break;
	if (a == NULL) {
		if ((a = calloc(1, sizeof(*a))) == NULL)
			return NULL;
		memcpy(a->key, key, sizeof(a->key));
		a->next = g->addrs[b];
		g->addrs[b] = a;
	}
	a->n++;
	return a;
}

static void
conn_addr_put(struct conn_guard *g, struct conn_addr *a)
{
	struct conn_addr **p;

	if (--a->n > 0)
		return;
	for (p = &g->addrs[conn_addr_bucket(a->key)]; *p != NULL;
	    p = &(*p)->next) {
		if (*p == a) {
			*p = a->next;
			break;
		}
	}
	free(a);
}

/* --- connections --- */

/* Whether evhttp still holds c's bufferevent (bufferevent_free clears
 * its callbacks, and evhttp always sets an event callback). */
static int
conn_alive(struct conn *c)
{
	bufferevent_event_cb eventcb = NULL;

	bufferevent_getcb(c->bev, NULL, NULL, &eventcb, NULL);
	return eventcb != NULL;
}

/* Whether c's output and every layer's below are empty. */
static int
conn_drained(struct conn *c)
{
	struct bufferevent *b;

	for (b = c->bev; b != NULL; b = bufferevent_get_underlying(b))
		if (evbuffer_get_length(bufferevent_get_output(b)) > 0)
			return 0;
	return 1;
}

/* The write callback, once everything written has left for the socket.
 * Last thing a caller does: the callback may free the connection. */
static void
conn_maybe_wrote(struct conn *c)
{
	bufferevent_data_cb writecb = NULL;
	void *cbarg = NULL;

	if (!c->wrote || !conn_drained(c) ||
	    !(bufferevent_get_enabled(c->bev) & EV_WRITE))
		return;
	c->wrote = 0;
	bufferevent_getcb(c->bev, NULL, &writecb, NULL, &cbarg);
	if (writecb != NULL)
		writecb(c->bev, cbarg);
}

static void
conn_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	unsigned kicks = c->kicks;

	(void)fd;
	(void)what;
	c->kicks = 0;
	if (!conn_alive(c))
		return;
	if (kicks & CONN_KICK_FLUSH)
		bufferevent_flush(c->bev, EV_WRITE, BEV_NORMAL);
	conn_maybe_wrote(c);
}

static void
conn_kick(struct conn *c, unsigned kicks)
{
	c->kicks |= kicks;
	event_active(c->kick, EV_TIMEOUT, 0);
}

/* Output was added: libevent runs the output filter then only if EV_WRITE
 * is enabled already, and evhttp enables it after adding a reply. */
static void
conn_outbuf_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	if (info->n_added > 0 && evbuffer_get_length(buf) > 0)
		conn_kick(arg, CONN_KICK_FLUSH);
}

/* The socket's output lost bytes to the socket: when it is empty, what was
 * written may have left. */
static void
conn_sockout_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn *c = arg;

	if (info->n_deleted > 0 && c->wrote && evbuffer_get_length(buf) == 0)
		conn_kick(c, CONN_KICK_WROTE);
}

/*
 * Scans n bytes of the head for its end, an empty line (LF LF or LF CR
 * LF, as evhttp reads lines). Sets head_done and ends the deadline.
 */
static void
conn_scan(struct conn *c, struct evbuffer *src, size_t n)
{
	struct evbuffer_iovec v[8];
	struct evbuffer_ptr p;
	const unsigned char *s;
	size_t done = 0, len;
	int nv, i;

	while (done < n) {
		if (evbuffer_ptr_set(src, &p, done, EVBUFFER_PTR_SET) == -1 ||
		    (nv = evbuffer_peek(src, (ev_ssize_t)(n - done), &p, v,
		    8)) <= 0)
			return;
		for (i = 0; i < nv && i < 8 && done < n; i++) {
			len = v[i].iov_len < n - done ? v[i].iov_len :
			    n - done;
			s = v[i].iov_base;
			done += len;
			if (headscan(&c->eol, s, len)) {
				c->head_done = 1;
				evtimer_del(c->timer);
				return;
			}
		}
	}
}

/* Input filter: passes everything through; looks for the end of the
 * first request's head on the way. */
static enum bufferevent_filter_result
conn_filter_in(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct conn *c = arg;
	size_t n = evbuffer_get_length(src);

	(void)mode;
	if (limit >= 0 && n > (size_t)limit)
		n = (size_t)limit;
	if (n == 0)
		return BEV_NEED_MORE;
	if (!c->head_done)
		conn_scan(c, src, n);
	if (evbuffer_remove_buffer(src, dst, n) <= 0)
		return BEV_NEED_MORE;
	return BEV_OK;
}

/* Output filter: passes everything through, up to limit (the layer below
 * is at its watermark). Always BEV_NEED_MORE: see the top of the file. */
static enum bufferevent_filter_result
conn_filter_out(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct conn *c = arg;
	size_t n = evbuffer_get_length(src);

	(void)mode;
	if (limit >= 0 && n > (size_t)limit)
		n = (size_t)limit;
	if (n == 0 || evbuffer_remove_buffer(src, dst, n) <= 0)
		return BEV_NEED_MORE;
	c->wrote = 1;
	/* What libevent does on progress: restart the write timeout. */
	if (bufferevent_get_enabled(c->bev) & EV_WRITE)
		bufferevent_enable(c->bev, EV_WRITE);
	return BEV_NEED_MORE;
}

/* Hands evhttp an event for c (it frees the connection). */
static void
conn_close(struct conn *c, short what)
{
	bufferevent_trigger_event(c->bev, what, 0);
}

/* The connection's first turn: its address and the caps. Returns 0 to go
 * on, -1 once it is closed. */
static int
conn_start(struct conn *c)
{
	struct conn_guard *g = c->g;
	unsigned char key[9];
	char name[64];
	struct conn_addr *a;
	struct timeval tv;
	evutil_socket_t fd;
	int one = 1;

	c->started = 1;
	if (g->nconns > g->max_total) {
		if (conn_report_take(g, &g->refused_total))
			log_info("http: %d connections open: closing a new "
			    "one ([http] max_connections)", g->nconns - 1);
		conn_close(c, BEV_EVENT_ERROR | BEV_EVENT_READING);
		return -1;
	}
	/* An answer leaves in 16 KiB writes: without TCP_NODELAY the last,
	 * short one of a kept-alive connection waits for the client's
	 * delayed acknowledgement (40 ms; /metrics, long pages). */
	if ((fd = bufferevent_getfd(c->sock)) >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	if (conn_peer_key(fd, key, name, sizeof(name)) == 0) {
		if ((a = conn_addr_get(g, key)) == NULL) {
			conn_close(c, BEV_EVENT_ERROR | BEV_EVENT_READING);
			return -1;
		}
		c->addr = a;
		if (a->n > (unsigned)g->max_per_addr) {
			if (conn_report_take(g, &g->refused_addr))
				log_info("http: %s has %u connections open: "
				    "closing a new one ([http] "
				    "max_connections_per_addr)", name,
				    a->n - 1);
			conn_close(c, BEV_EVENT_ERROR | BEV_EVENT_READING);
			return -1;
		}
	}
	if (!c->head_done) {
		tv.tv_sec = g->header_timeout;
		tv.tv_usec = 0;
		evtimer_add(c->timer, &tv);
	}
	return 0;
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	unsigned char key[9];
	char name[64];

	(void)fd;
	(void)what;
	if (!conn_alive(c))
		return;
	if (!c->started) {
		(void)conn_start(c);
		return;
	}
	if (c->head_done)
		return;
	if (conn_report_take(c->g, &c->g->expired)) {
		(void)conn_peer_key(bufferevent_getfd(c->sock), key, name,
		    sizeof(name));
		log_info("http: %s sent no complete request head in %d s: "
		    "closing ([http] header_timeout)", name,
		    c->g->header_timeout);
	}
	conn_close(c, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
}

/* free_context of the filter: the connection is gone. */
static void
conn_free(void *arg)
{
	struct conn *c = arg;

	if (c->sock_cb != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_output(c->sock),
		    c->sock_cb);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->kick != NULL)
		event_free(c->kick);
	if (c->addr != NULL)
		conn_addr_put(c->g, c->addr);
	c->g->nconns--;
	conn_guard_unref(c->g);
	free(c);
}

struct bufferevent *
conn_bufferevent_new(struct conn_guard *g, struct bufferevent *under)
{
	struct conn *c;
	struct bufferevent *b;

	if (under == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->g = g;
	g->refs++;
	g->nconns++;
	for (c->sock = under; (b = bufferevent_get_underlying(c->sock)) !=
	    NULL; c->sock = b)
		;
	if ((c->timer = evtimer_new(g->base, conn_timer_cb, c)) == NULL ||
	    (c->kick = event_new(g->base, -1, 0, conn_kick_cb, c)) == NULL) {
		conn_free(c);
		goto fail;
	}
	c->bev = bufferevent_filter_new(under, conn_filter_in,
	    conn_filter_out, BEV_OPT_CLOSE_ON_FREE, conn_free, c);
	if (c->bev == NULL) {
		conn_free(c);
		goto fail;
	}
	bufferevent_setwatermark(under, EV_WRITE, 0, CONN_OUT_HIGH);
	if (evbuffer_add_cb(bufferevent_get_output(c->bev), conn_outbuf_cb,
	    c) == NULL || (c->sock_cb = evbuffer_add_cb(
	    bufferevent_get_output(c->sock), conn_sockout_cb, c)) == NULL) {
		bufferevent_free(c->bev);	/* frees c and under */
		return NULL;
	}
	/* Runs once evhttp has set the socket. */
	event_active(c->timer, EV_TIMEOUT, 0);
	return c->bev;
fail:
	bufferevent_free(under);
	return NULL;
}

/* --- listeners --- */

/* The listener's pause is over, or a day has passed. */
static void
conn_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn_listener *l = arg;
	struct timeval tv = { CONN_IDLE_S, 0 };

	(void)fd;
	(void)what;
	if (l->paused) {
		l->paused = 0;
		evconnlistener_enable(l->lev);
	}
	evtimer_add(l->resume, &tv);
}

struct conn_find {
	struct evconnlistener	*lev;
	struct conn_listener	*found;
};

static int
conn_find_cb(const struct event_base *base, const struct event *ev,
    void *arg)
{
	struct conn_find *f = arg;
	struct conn_listener *l;

	(void)base;
	if (event_get_callback(ev) != conn_resume_cb)
		return 0;
	l = event_get_callback_arg(ev);
	if (l->lev != f->lev)
		return 0;
	f->found = l;
	return 1;
}

/*
 * accept() failed with other than a retriable error (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM mostly): libevent would retry at once, in every loop
 * turn, and log each time. Pauses the listener instead.
 */
static void
conn_accept_error(struct evconnlistener *lev, void *evhttp)
{
	int err = EVUTIL_SOCKET_ERROR();
	struct conn_find f = { lev, NULL };
	struct timeval tv = { 0, CONN_PAUSE_MS * 1000 };
	struct conn_listener *l;

	(void)evhttp;
	event_base_foreach_event(evconnlistener_get_base(lev), conn_find_cb,
	    &f);
	if ((l = f.found) == NULL)
		return;		/* not guarded: libevent's own handling */
	evconnlistener_disable(lev);
	l->paused = 1;
	if (conn_report_take(l->g, &l->g->paused))
		log_warnx("http: %s: accept failed: %s: pausing new "
		    "connections for %d ms at a time", l->what,
		    evutil_socket_error_to_string(err), CONN_PAUSE_MS);
	evtimer_add(l->resume, &tv);
}

int
conn_guard_listener(struct conn_guard *g, struct evconnlistener *lev,
    const char *what)
{
	struct conn_listener *l;
	struct timeval tv = { CONN_IDLE_S, 0 };

	if (g->nlis == CONN_LISTENERS)
		return -1;
	l = &g->lis[g->nlis];
	l->g = g;
	l->lev = lev;
	l->what = what;
	if ((l->resume = evtimer_new(g->base, conn_resume_cb, l)) == NULL ||
	    evtimer_add(l->resume, &tv) == -1)
		return -1;
	g->nlis++;
	evconnlistener_set_error_cb(lev, conn_accept_error);
	return 0;
}

/* --- the guard --- */

struct conn_guard *
conn_guard_new(struct event_base *base, const struct gw_config *cfg)
{
	struct conn_guard *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->base = base;
	g->refs = 1;
	if ((g->report = evtimer_new(base, conn_report_cb, g)) == NULL) {
		free(g);
		return NULL;
	}
	conn_guard_set_limits(g, cfg);
	return g;
}

void
conn_guard_set_limits(struct conn_guard *g, const struct gw_config *cfg)
{
	g->max_total = cfg->http_max_connections;
	g->max_per_addr = cfg->http_max_connections_per_addr;
	g->header_timeout = cfg->http_header_timeout;
}

static void
conn_guard_unref(struct conn_guard *g)
{
	size_t i;

	if (--g->refs > 0)
		return;
	for (i = 0; i < CONN_ADDR_BUCKETS; i++)
		while (g->addrs[i] != NULL) {
			struct conn_addr *a = g->addrs[i];

			g->addrs[i] = a->next;
			free(a);
		}
	free(g);
}

void
conn_guard_free(struct conn_guard *g)
{
	int i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nlis; i++)
		event_free(g->lis[i].resume);
	g->nlis = 0;
	if (g->report != NULL) {
		conn_report_flush(g);
		event_free(g->report);
		g->report = NULL;
	}
	conn_guard_unref(g);
}
