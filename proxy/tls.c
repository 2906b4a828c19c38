/*
 * tls.c: wolfSSL as a bufferevent filter on the gateway's reactor.
 *
 * Ciphertext lives in the socket bufferevent's buffers; plaintext in the
 * filter bufferevent's. wolfSSL reads ciphertext from the evbuffer the input
 * filter was handed (the socket's input) and writes ciphertext straight to
 * the socket's output, so records leave in the order wolfSSL makes them,
 * whether a handshake, a reply or an alert made them. A partial record stays
 * inside wolfSSL until the rest arrives; a filter returns BEV_OK only when it
 * moved plaintext, so libevent never loops on a filter that cannot progress.
 *
 * libevent ignores what an input filter returns on error and a filter
 * cannot raise EOF, so failures and the peer's close_notify are handed to
 * the bufferevent's event callback from a one-shot event on the loop: the
 * callback may free the bufferevent, which it must not do inside a filter.
 *
 * The write callback means "all written" to evhttp, which then may shut the
 * socket down at once (Connection: close). libevent's filter would call it
 * as soon as plaintext became ciphertext in the socket's buffer, before a
 * byte reached the socket; so the output filter never reports progress and
 * the write callback is called from the loop when the socket's buffer has
 * drained. The socket's buffer has a high watermark: beyond it plaintext
 * waits in the filter's output, where evhttp's users see a slow client.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <sys/socket.h>
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "log.h"
#include "proxy/tls.h"

#define TLS_READ_CHUNK	16384	/* one TLS record of plaintext */
#define TLS_SOCK_HIGH	65536	/* ciphertext queued before plaintext waits */
#define TLS_SYSTEM_CAS	"/etc/ssl/certs/ca-certificates.crt"

/* What the kick event does (besides delivering events). */
#define TLS_KICK_FLUSH	0x1	/* run the output filter */
#define TLS_KICK_WROTE	0x2	/* maybe call the write callback */

/* Forward-secret AEAD suites only; TLS 1.3's first. */
static const char tls_ciphers[] =
    "TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:"
    "TLS13-CHACHA20-POLY1305-SHA256:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

struct tls_ctx {
	WOLFSSL_CTX		*ctx;
	int			 server;
	unsigned		 refs;		/* its owner's and each
						   connection's */
	struct log_budget	 failures;	/* failures logged */
};

/* One connection; owned by its filter bufferevent (freed with it). */
struct tls_conn {
	struct tls_ctx		*t;		/* a reference */
	WOLFSSL			*ssl;
	struct bufferevent	*bev;		/* the filter: plaintext */
	struct bufferevent	*sock;		/* under it: ciphertext */
	struct evbuffer		*src;		/* ciphertext, during a filter */
	struct event		*kick;		/* deferred work, see above */
	struct evbuffer_cb_entry *sock_cb;	/* on the socket's output */
	short			 pending;	/* BEV_EVENT_* for the kick */
	unsigned		 kicks;		/* TLS_KICK_* */
	unsigned		 wrote:1;	/* plaintext sent since writecb */
	unsigned		 server:1;
	unsigned		 handshaken:1;
	unsigned		 closed:1;	/* close_notify received */
	unsigned		 failed:1;
};

/* wolfSSL's receive callback: ciphertext from the evbuffer being filtered. */
static int
tls_io_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tls_conn *c = arg;
	int n;

	(void)ssl;
	if (c->src == NULL || sz <= 0 ||
	    (n = evbuffer_remove(c->src, buf, (size_t)sz)) <= 0)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	return n;
}

/* wolfSSL's send callback: ciphertext onto the socket's output, which the
 * socket bufferevent writes when the fd is writable. */
static int
tls_io_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tls_conn *c = arg;

	(void)ssl;
	if (sz < 0 || evbuffer_add(bufferevent_get_output(c->sock), buf,
	    (size_t)sz) == -1)
		return WOLFSSL_CBIO_ERR_GENERAL;
	return sz;
}

static struct tls_ctx *
tls_ctx_new(int server, char *err, size_t errlen)
{
	struct tls_ctx *t;

	/* wolfSSL counts its initialisations: one for each context. */
	if (wolfSSL_Init() != WOLFSSL_SUCCESS ||
	    (t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "cannot initialise wolfSSL");
		return NULL;
	}
	t->server = server;
	t->refs = 1;
	t->ctx = wolfSSL_CTX_new(server ? wolfSSLv23_server_method() :
	    wolfSSLv23_client_method());
	if (t->ctx == NULL ||
	    wolfSSL_CTX_SetMinVersion(t->ctx, WOLFSSL_TLSV1_2) !=
	    WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_set_cipher_list(t->ctx, tls_ciphers) !=
	    WOLFSSL_SUCCESS) {
		snprintf(err, errlen, "cannot create a TLS context");
		tls_ctx_free(t);
		return NULL;
	}
	wolfSSL_CTX_SetIORecv(t->ctx, tls_io_recv);
	wolfSSL_CTX_SetIOSend(t->ctx, tls_io_send);
	return t;
}

/* Memory I/O for tls_selftest: each side reads what the other wrote. */
struct tls_pipe {
	struct evbuffer	*in, *out;
};

static int
tls_pipe_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tls_pipe *p = arg;
	int n;

	(void)ssl;
	if (sz <= 0 || (n = evbuffer_remove(p->in, buf, (size_t)sz)) <= 0)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	return n;
}

static int
tls_pipe_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tls_pipe *p = arg;

	(void)ssl;
	if (sz < 0 || evbuffer_add(p->out, buf, (size_t)sz) == -1)
		return WOLFSSL_CBIO_ERR_GENERAL;
	return sz;
}

/*
 * Whether the server context's key goes with its certificate: wolfSSL 5.5's
 * check_private_key passes a mismatched EC key, so a handshake in memory
 * decides (the client checks the server's signature even without a chain).
 */
static int
tls_selftest(WOLFSSL_CTX *sctx)
{
	WOLFSSL_CTX *cctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
	WOLFSSL *cli = NULL, *srv = NULL;
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	struct tls_pipe pc = { b, a }, ps = { a, b };
	int i, r, rc = -1, done_c = 0, done_s = 0;

	if (cctx == NULL || a == NULL || b == NULL ||
	    (cli = wolfSSL_new(cctx)) == NULL ||
	    (srv = wolfSSL_new(sctx)) == NULL)
		goto out;
	wolfSSL_set_verify(cli, WOLFSSL_VERIFY_NONE, NULL);
	wolfSSL_set_verify(srv, WOLFSSL_VERIFY_NONE, NULL);
	wolfSSL_SSLSetIORecv(cli, tls_pipe_recv);
	wolfSSL_SSLSetIOSend(cli, tls_pipe_send);
	wolfSSL_SSLSetIORecv(srv, tls_pipe_recv);
	wolfSSL_SSLSetIOSend(srv, tls_pipe_send);
	wolfSSL_SetIOReadCtx(cli, &pc);
	wolfSSL_SetIOWriteCtx(cli, &pc);
	wolfSSL_SetIOReadCtx(srv, &ps);
	wolfSSL_SetIOWriteCtx(srv, &ps);
	for (i = 0; i < 16 && !(done_c && done_s); i++) {
		if (!done_c && (r = wolfSSL_connect(cli)) == WOLFSSL_SUCCESS)
			done_c = 1;
		else if (!done_c && wolfSSL_get_error(cli, r) !=
		    WOLFSSL_ERROR_WANT_READ)
			goto out;
		if (!done_s && (r = wolfSSL_accept(srv)) == WOLFSSL_SUCCESS)
			done_s = 1;
		else if (!done_s && wolfSSL_get_error(srv, r) !=
		    WOLFSSL_ERROR_WANT_READ)
			goto out;
	}
	rc = done_c && done_s ? 0 : -1;
out:
	if (cli != NULL)
		wolfSSL_free(cli);
	if (srv != NULL)
		wolfSSL_free(srv);
	if (cctx != NULL)
		wolfSSL_CTX_free(cctx);
	if (a != NULL)
		evbuffer_free(a);
	if (b != NULL)
		evbuffer_free(b);
	return rc;
}

struct tls_ctx *
tls_server_new(const char *cert, const char *key, const char *client_ca,
    char *err, size_t errlen)
{
	struct tls_ctx *t;
	struct stat st;

	if (cert[0] == '\0' || key[0] == '\0') {
		snprintf(err, errlen, "tls_cert and tls_key are both needed");
		return NULL;
	}
	if ((t = tls_ctx_new(1, err, errlen)) == NULL)
		return NULL;
	if (wolfSSL_CTX_use_certificate_chain_file(t->ctx, cert) !=
	    WOLFSSL_SUCCESS) {
		snprintf(err, errlen, "tls_cert %s: cannot load a PEM "
		    "certificate chain", cert);
		goto fail;
	}
	if (stat(key, &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH)))
		log_warnx("tls: private key %s may be read or written by "
		    "other users (mode %04o)", key,
		    (unsigned)(st.st_mode & 07777));
	if (wolfSSL_CTX_use_PrivateKey_file(t->ctx, key,
	    WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_check_private_key(t->ctx) != WOLFSSL_SUCCESS ||
	    tls_selftest(t->ctx) == -1) {
		snprintf(err, errlen, "tls_key %s: cannot load a PEM private "
		    "key that matches tls_cert", key);
		goto fail;
	}
	if (client_ca[0] == '\0') {
		wolfSSL_CTX_set_verify(t->ctx, WOLFSSL_VERIFY_NONE, NULL);
		return t;
	}
	if (wolfSSL_CTX_load_verify_locations(t->ctx, client_ca, NULL) !=
	    WOLFSSL_SUCCESS) {
		snprintf(err, errlen, "tls_client_ca %s: cannot load PEM CA "
		    "certificates", client_ca);
		goto fail;
	}
	wolfSSL_CTX_set_verify(t->ctx, WOLFSSL_VERIFY_PEER |
	    WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return t;
fail:
	tls_ctx_free(t);
	return NULL;
}

struct tls_ctx *
tls_client_new(const char *ca_file, char *err, size_t errlen)
{
	struct tls_ctx *t;
	const char *cas = ca_file[0] != '\0' ? ca_file : TLS_SYSTEM_CAS;

	if ((t = tls_ctx_new(0, err, errlen)) == NULL)
		return NULL;
	if (wolfSSL_CTX_load_verify_locations(t->ctx, cas, NULL) !=
	    WOLFSSL_SUCCESS) {
		snprintf(err, errlen, "%s: cannot load PEM CA certificates",
		    cas);
		tls_ctx_free(t);
		return NULL;
	}
	wolfSSL_CTX_set_verify(t->ctx, WOLFSSL_VERIFY_PEER, NULL);
	return t;
}

void
tls_ctx_free(struct tls_ctx *t)
{
	if (t == NULL || --t->refs > 0)
		return;		/* a connection still uses it */
	if (t->ctx != NULL)
		wolfSSL_CTX_free(t->ctx);	/* reference counted */
	free(t);
}

/* "ADDR:PORT" of the peer, for log lines. */
static const char *
tls_peer(struct tls_conn *c, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd = bufferevent_getfd(c->sock);
	char host[64] = "?";
	int port = 0;

	if (fd >= 0 && getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			evutil_inet_ntop(AF_INET, &s4->sin_addr, host,
			    sizeof(host));
			port = ntohs(s4->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			evutil_inet_ntop(AF_INET6, &s6->sin6_addr, host,
			    sizeof(host));
			port = ntohs(s6->sin6_port);
		}
	}
	snprintf(buf, len, "%s:%d", host, port);
	return buf;
}

/* The write callback, once everything sent has left for the socket. Last
 * thing a caller does: the callback may free c. */
static void
tls_maybe_wrote(struct tls_conn *c)
{
	bufferevent_data_cb writecb = NULL;
	void *cbarg = NULL;

	if (!c->wrote ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0 ||
	    evbuffer_get_length(bufferevent_get_output(c->sock)) > 0 ||
	    !(bufferevent_get_enabled(c->bev) & EV_WRITE))
		return;
	c->wrote = 0;
	bufferevent_getcb(c->bev, NULL, &writecb, NULL, &cbarg);
	if (writecb != NULL)
		writecb(c->bev, cbarg);
}

/* Runs what a filter could not: an event for the callback, a flush of
 * plaintext, the write callback. */
static void
tls_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tls_conn *c = arg;
	bufferevent_event_cb eventcb = NULL;
	void *cbarg = NULL;
	short ev = c->pending;
	unsigned kicks = c->kicks;

	(void)fd;
	(void)what;
	c->pending = 0;
	c->kicks = 0;
	if (ev != 0) {
		bufferevent_getcb(c->bev, NULL, NULL, &eventcb, &cbarg);
		if (eventcb != NULL)
			eventcb(c->bev, ev, cbarg);	/* may free c */
		return;
	}
	if (kicks & TLS_KICK_FLUSH)
		bufferevent_flush(c->bev, EV_WRITE, BEV_NORMAL);
	tls_maybe_wrote(c);
}

/* Schedules events ev (BEV_EVENT_*) or, with ev 0, the work in kicks. */
static void
tls_kick(struct tls_conn *c, short ev, unsigned kicks)
{
	c->pending |= ev;
	c->kicks |= kicks;
	event_active(c->kick, EV_TIMEOUT, 0);
}

/* The socket's output lost bytes to the socket: when it is empty, what
 * was written has left. */
static void
tls_sockout_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct tls_conn *c = arg;

	if (info->n_deleted > 0 && c->wrote && evbuffer_get_length(buf) == 0)
		tls_kick(c, 0, TLS_KICK_WROTE);
}

/* Failures logged per second at most; the rest are counted (anyone may
 * offer a handshake: the log must not be theirs to flood). */
#define TLS_LOG_PER_SECOND	10

/* A fatal TLS error: no more I/O through wolfSSL; the alert it queued goes
 * out when the bufferevent is freed. */
static void
tls_fail(struct tls_conn *c, const char *what, int err)
{
	char msg[WOLFSSL_MAX_ERROR_SZ], peer[96];

	c->failed = 1;
	tls_kick(c, BEV_EVENT_ERROR | BEV_EVENT_READING, 0);
	if (!log_budget_take(&c->t->failures, TLS_LOG_PER_SECOND,
	    "tls: %u more failures, not logged"))
		return;
	wolfSSL_ERR_error_string_n((unsigned long)err, msg, sizeof(msg));
	log_info("tls: %s %s: %s failed: %s (%d)", c->server ? "client" :
	    "server", tls_peer(c, peer, sizeof(peer)), what, msg, err);
}

/* Advances the handshake. Returns 1 done, 0 waiting for the peer, -1. */
static int
tls_handshake(struct tls_conn *c)
{
	char peer[96];
	int r, err;

	r = c->server ? wolfSSL_accept(c->ssl) : wolfSSL_connect(c->ssl);
	if (r == WOLFSSL_SUCCESS) {
		c->handshaken = 1;
		log_debug("tls: %s %s: %s %s", c->server ? "client" : "server",
		    tls_peer(c, peer, sizeof(peer)),
		    wolfSSL_get_version(c->ssl),
		    wolfSSL_get_cipher_name(c->ssl));
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
			tls_kick(c, 0, TLS_KICK_FLUSH);
		return 1;
	}
	err = wolfSSL_get_error(c->ssl, r);
	if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE)
		return 0;
	tls_fail(c, "handshake", err);
	return -1;
}

/* Input filter: ciphertext in src, plaintext out to dst. */
static enum bufferevent_filter_result
tls_filter_in(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct tls_conn *c = arg;
	struct evbuffer_iovec v;
	int n, err, moved = 0;

	(void)limit;	/* a record is decrypted whole; evhttp sets none */
	(void)mode;
	if (c->failed || c->closed) {
		evbuffer_drain(src, evbuffer_get_length(src));
		return BEV_NEED_MORE;
	}
	c->src = src;
	if (!c->handshaken && tls_handshake(c) != 1)
		goto out;
	for (;;) {
		if (evbuffer_reserve_space(dst, TLS_READ_CHUNK, &v, 1) < 1) {
			tls_fail(c, "read", WOLFSSL_FATAL_ERROR);
			break;
		}
		n = wolfSSL_read(c->ssl, v.iov_base, (int)v.iov_len);
		if (n > 0) {
			v.iov_len = (size_t)n;
			evbuffer_commit_space(dst, &v, 1);
			moved = 1;
			continue;
		}
		err = wolfSSL_get_error(c->ssl, n);
		if (err == WOLFSSL_ERROR_WANT_READ ||
		    err == WOLFSSL_ERROR_WANT_WRITE)
			break;
		if (err == WOLFSSL_ERROR_ZERO_RETURN) {
			/* close_notify: answer it, then EOF upwards. */
			c->closed = 1;
			wolfSSL_shutdown(c->ssl);
			tls_kick(c, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
			break;
		}
		tls_fail(c, "read", err);
		break;
	}
out:
	c->src = NULL;
	if (c->failed || c->closed)
		evbuffer_drain(src, evbuffer_get_length(src));
	return moved ? BEV_OK : BEV_NEED_MORE;
}

/*
 * Output filter: plaintext in src, ciphertext out (through tls_io_send), at
 * most limit bytes of plaintext when limit >= 0 (the socket's buffer is
 * near its high watermark). Always BEV_NEED_MORE: see the top of the file.
 */
static enum bufferevent_filter_result
tls_filter_out(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct tls_conn *c = arg;
	struct evbuffer_iovec v;
	size_t room = limit >= 0 ? (size_t)limit : (size_t)-1;
	int n, err, moved = 0;

	(void)dst;	/* tls_io_send writes to it */
	(void)mode;
	if (c->failed || c->closed) {
		evbuffer_drain(src, evbuffer_get_length(src));
		return BEV_NEED_MORE;
	}
	/* A client starts its handshake with its first write; a server
	 * writes nothing before its handshake is done. */
	if (!c->handshaken && (c->server || tls_handshake(c) != 1))
		return BEV_NEED_MORE;
	while (room > 0 && evbuffer_get_length(src) > 0 &&
	    evbuffer_peek(src, -1, NULL, &v, 1) >= 1) {
		if (v.iov_len > room)
			v.iov_len = room;
		if (v.iov_len > INT_MAX)
			v.iov_len = INT_MAX;
		n = wolfSSL_write(c->ssl, v.iov_base, (int)v.iov_len);
		if (n <= 0) {
			err = wolfSSL_get_error(c->ssl, n);
			if (err != WOLFSSL_ERROR_WANT_READ &&
			    err != WOLFSSL_ERROR_WANT_WRITE)
				tls_fail(c, "write", err);
			break;
		}
		evbuffer_drain(src, (size_t)n);
		room -= (size_t)n;
		moved = 1;
	}
	if (moved) {
		c->wrote = 1;
		/* What libevent does on progress: restart the write
		 * timeout (enabling EV_WRITE again re-arms it). */
		if (bufferevent_get_enabled(c->bev) & EV_WRITE)
			bufferevent_enable(c->bev, EV_WRITE);
	}
	return BEV_NEED_MORE;
}

/*
 * Plaintext was added to the filter's output. libevent runs the output
 * filter then only if EV_WRITE is already enabled, and enabling it later
 * does not run it; evhttp adds a reply first and enables EV_WRITE after.
 * So the flush is run from the loop, once the adder's call has returned.
 */
static void
tls_outbuf_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct tls_conn *c = arg;

	(void)buf;
	if (info->n_added > 0 && evbuffer_get_length(buf) > 0)
		tls_kick(c, 0, TLS_KICK_FLUSH);
}

/* Frees a connection with its filter: a close_notify if it is still
 * clean, then one non-blocking write of what is left for the socket
 * (alerts included), since the socket closes right after. */
static void
tls_conn_free(void *arg)
{
	struct tls_conn *c = arg;
	evutil_socket_t fd;

	if (c->sock_cb != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_output(c->sock),
		    c->sock_cb);
	if (c->ssl != NULL && c->handshaken && !c->closed && !c->failed)
		wolfSSL_shutdown(c->ssl);
	if (c->sock != NULL && (fd = bufferevent_getfd(c->sock)) >= 0)
		(void)evbuffer_write(bufferevent_get_output(c->sock), fd);
	if (c->ssl != NULL)
		wolfSSL_free(c->ssl);
	if (c->kick != NULL)
		event_free(c->kick);
	tls_ctx_free(c->t);
	free(c);
}

struct bufferevent *
tls_bufferevent_new(struct tls_ctx *t, struct event_base *base,
    evutil_socket_t fd, const char *host)
{
	struct tls_conn *c;
	struct bufferevent *sock;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->t = t;
	t->refs++;
	c->server = t->server;
	if ((c->kick = event_new(base, -1, 0, tls_kick_cb, c)) == NULL ||
	    (c->ssl = wolfSSL_new(t->ctx)) == NULL)
		goto fail;
	wolfSSL_SetIOReadCtx(c->ssl, c);
	wolfSSL_SetIOWriteCtx(c->ssl, c);
	if (!t->server && host != NULL &&
	    (wolfSSL_UseSNI(c->ssl, WOLFSSL_SNI_HOST_NAME, host,
	    (unsigned short)strlen(host)) != WOLFSSL_SUCCESS ||
	    wolfSSL_check_domain_name(c->ssl, host) != WOLFSSL_SUCCESS))
		goto fail;
	if ((sock = bufferevent_socket_new(base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		goto fail;
	c->sock = sock;
	c->bev = bufferevent_filter_new(sock, tls_filter_in, tls_filter_out,
	    BEV_OPT_CLOSE_ON_FREE, tls_conn_free, c);
	if (c->bev == NULL) {
		c->sock = NULL;
		bufferevent_free(sock);
		goto fail;
	}
	bufferevent_setwatermark(sock, EV_WRITE, 0, TLS_SOCK_HIGH);
	if (evbuffer_add_cb(bufferevent_get_output(c->bev), tls_outbuf_cb,
	    c) == NULL || (c->sock_cb = evbuffer_add_cb(
	    bufferevent_get_output(sock), tls_sockout_cb, c)) == NULL) {
		bufferevent_free(c->bev);	/* frees c */
		return NULL;
	}
	return c->bev;
fail:
	tls_conn_free(c);
	return NULL;
}

struct bufferevent *
tls_bufferevent_socket(struct bufferevent *bev)
{
	return bufferevent_get_underlying(bev);
}

const char *
tls_lib_version(void)
{
	return wolfSSL_lib_version();
}
