/*
 * conn.h: the guard of the HTTP listeners (nginx's limit_conn and
 * client_header_timeout, OpenBSD httpd's accept reserve):
 *
 * - connections open at once, in all ([http] max_connections) and from
 *   one client address ([http] max_connections_per_addr; an IPv6 /64 is
 *   one address): beyond either, a new connection is closed at once;
 * - a deadline for the first request's head ([http] header_timeout) that
 *   runs from the accept and is not restarted by each byte, as evhttp's
 *   idle timeout is; later requests of a keep-alive connection have the
 *   idle timeout only;
 * - a listener whose accept fails (out of descriptors, most often) pauses
 *   for a moment instead of retrying in every loop turn.
 *
 * Each connection is a filter bufferevent over the one evhttp would have
 * used (a socket, or the TLS bufferevent of proxy/tls.c), made from the
 * servers' bevcb: evhttp frees it with the connection, and its input
 * filter sees the plaintext of the request head. What is refused or
 * expires is logged once a minute at most, with counts.
 */
#ifndef OUTPOST_CONN_H
#define OUTPOST_CONN_H

struct bufferevent;
struct conn_guard;
struct event_base;
struct evconnlistener;
struct gw_config;

/* A guard on base with cfg's limits; NULL when out of memory. */
struct conn_guard	*conn_guard_new(struct event_base *base,
			    const struct gw_config *cfg);

/* Takes cfg's limits (reload); connections already open keep theirs. */
void			 conn_guard_set_limits(struct conn_guard *g,
			    const struct gw_config *cfg);

/*
 * Drops the owner's reference, after the listeners and the servers are
 * freed: connections that libevent has yet to finalize keep the guard
 * until they are.
 */
void			 conn_guard_free(struct conn_guard *g);

/*
 * For a server's bevcb: a connection over under (taken: freed with the
 * result, or at once on failure), counted until evhttp frees it. NULL
 * when under is NULL or memory is short.
 */
struct bufferevent	*conn_bufferevent_new(struct conn_guard *g,
			    struct bufferevent *under);

/* Guards lev (a server's listener; what names it in the log): a failed
 * accept pauses it. 0, or -1 when out of memory. */
int			 conn_guard_listener(struct conn_guard *g,
			    struct evconnlistener *lev, const char *what);

#endif /* OUTPOST_CONN_H */
