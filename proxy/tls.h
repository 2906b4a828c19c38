/*
 * tls.h: TLS (wolfSSL) on the gateway's reactor, as a bufferevent.
 *
 * libevent has no wolfSSL bufferevent, so this is one: a filter bufferevent
 * over a socket bufferevent whose input and output filters drive a WOLFSSL
 * object through custom I/O callbacks that read and write evbuffers. Nothing
 * here blocks or touches the socket itself; the socket bufferevent does the
 * I/O. Only this file's .c includes wolfSSL's headers.
 *
 * Used by the HTTPS listener (evhttp_set_bevcb) and, as a client, by
 * anything that needs to verify a server (the webhook).
 */
#ifndef OUTPOST_TLS_H
#define OUTPOST_TLS_H

#include <stddef.h>

#include <event2/util.h>

struct bufferevent;
struct event_base;
struct tls_ctx;

/*
 * A server context: certificate chain and private key (PEM files), and,
 * when client_ca is not "", client certificates required and verified
 * against those CAs. TLS 1.2 and 1.3, forward-secret AEAD suites only.
 * Returns NULL with a message in err (file names, never key material).
 */
struct tls_ctx	*tls_server_new(const char *cert, const char *key,
		    const char *client_ca, char *err, size_t errlen);

/*
 * A client context that verifies servers against the CAs in ca_file, or
 * the system's CAs when ca_file is "". TLS 1.2 and 1.3.
 */
struct tls_ctx	*tls_client_new(const char *ca_file, char *err,
		    size_t errlen);

/* Drops the caller's reference: connections made from ctx keep their own,
 * so a context can be replaced (reload) while they run. */
void		 tls_ctx_free(struct tls_ctx *ctx);

/*
 * A TLS bufferevent on base over fd (-1: set later with bufferevent_setfd,
 * as evhttp does, or connect with bufferevent_socket_connect on
 * tls_bufferevent_socket). As a client, host (not NULL) is sent as SNI and
 * the server's certificate must name it. The bufferevent owns the socket
 * (closed on free, after a best-effort close_notify). A TLS failure or the
 * peer's close_notify reaches the event callback as BEV_EVENT_ERROR or
 * BEV_EVENT_EOF from the loop, never from inside a filter.
 */
struct bufferevent *tls_bufferevent_new(struct tls_ctx *ctx,
		    struct event_base *base, evutil_socket_t fd,
		    const char *host);

/* The socket bufferevent under a TLS bufferevent. */
struct bufferevent *tls_bufferevent_socket(struct bufferevent *bev);

/* wolfSSL's version ("5.5.4"), for outpost_build_info; static. */
const char	*tls_lib_version(void);

#endif /* OUTPOST_TLS_H */
