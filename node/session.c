/*
 * session.c: the agent's client sessions and their sockets: a socket
 * address as libcoap's, a session over UDP, over DTLS with a PSK or with
 * the node's certificate or raw public key, the socket libcoap made for
 * it, that socket's filter, and a device's session dropped.
 *
 * Each device's session to the gateway (link.c), its bootstrap session
 * and its DM server's (bsc.c) and the firmware pulls (fwget.c, fleetfw.c)
 * are made here.
 */
#include <sys/socket.h>
#include <linux/filter.h>
#include <netinet/in.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "node/coap.h"

void
session_address(coap_address_t *a, const struct sockaddr_storage *ss,
    socklen_t len)
{
	coap_address_init(a);
	memcpy(&a->addr, ss, len);
	a->size = len;
}

/* Whether two socket addresses name the same address and port. */
static int
session_same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
		    *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return 0;
}

/*
 * libcoap 4.3.1 does not tell a session's socket, but socket(2) returns
 * the lowest free descriptor: probe is what that was before the session
 * was made, and it is checked to be a socket with the session's local
 * address and the peer.
 */
int
session_probe_fd(coap_session_t *s, int probe,
    const struct sockaddr_storage *peer)
{
	const coap_address_t *la = coap_session_get_addr_local(s);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (probe < 0 || getsockname(probe, (struct sockaddr *)&ss, &len) ==
	    -1 || !session_same_addr((struct sockaddr *)&ss, &la->addr.sa))
		return -1;
	len = sizeof(ss);
	if (getpeername(probe, (struct sockaddr *)&ss, &len) == -1 ||
	    !session_same_addr((struct sockaddr *)&ss,
	    (const struct sockaddr *)peer))
		return -1;
	return probe;
}

int
session_lowest_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd != -1)
		close(fd);
	return fd;
}

void
session_set_filter(int fd, int off, uint32_t drop, const char *who)
{
	struct sock_filter lossy[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_RANDOM),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter deaf[] = {
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog;
	int dummy = 0;

	if (fd < 0)
		return;
	if (off) {
		prog.len = 1;
		prog.filter = deaf;
	} else if (drop != 0) {
		lossy[1].k = ~drop;	/* keep below this */
		prog.len = 4;
		prog.filter = lossy;
	} else {
		setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &dummy,
		    sizeof(dummy));
		return;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog)) == -1)
		log_warn("%s: cannot set a socket filter", who);
}

/*
 * libcoap: the gateway presented a certificate (validated against [node]
 * ca_file) or a raw public key. 1 accepts it: a certificate of the chain
 * the CA vouches for, with [node] server_cn as its CN when that is set; a
 * raw key that is [node] server_public_key.
 */
static int
session_server_cb(const char *cn, const uint8_t *der, size_t der_len,
    coap_session_t *s, unsigned int depth, int validated, void *arg)
{
	struct node *n = arg;

	(void)s;
	if (strcmp(cn, COAP_DTLS_RPK_CERT_CN) == 0) {
		if (der_len == n->server_key_len &&
		    memcmp(der, n->server_key, der_len) == 0)
			return 1;
		log_warnx("dtls: the gateway's raw public key is not [node] "
		    "server_public_key");
		return 0;
	}
	if (!validated) {
		log_warnx("dtls: the gateway's certificate '%.64s' does not "
		    "chain to [node] ca_file", cn);
		return 0;
	}
	if (depth > 0 || n->cfg.server_cn[0] == '\0' ||
	    strcmp(cn, n->cfg.server_cn) == 0)
		return 1;
	log_warnx("dtls: the gateway's certificate is for '%.64s', not [node] "
	    "server_cn '%s'", cn, n->cfg.server_cn);
	return 0;
}

/* A DTLS session that proves the node with its certificate (X.509) or
 * its raw public key ([node] rpk), and checks the gateway's. */
static coap_session_t *
session_pki(struct node *n, coap_context_t *ctx,
    const coap_address_t *local, const coap_address_t *server)
{
	coap_pki_key_pem_buf_t *pem;
	coap_dtls_pki_t pki;

	/* The PEM buffers live as long as the node: libcoap may point at
	 * them for the life of the session. */
	memset(&pki, 0, sizeof(pki));
	pki.version = COAP_DTLS_PKI_SETUP_VERSION;
	pki.validate_cn_call_back = session_server_cb;
	pki.cn_call_back_arg = n;
	pki.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
	pem = &pki.pki_key.key.pem_buf;
	pem->private_key = n->pem_key;
	pem->private_key_len = n->pem_key_len;
	if (n->cfg.rpk) {
		pki.is_rpk_not_cert = 1;
		pem->public_cert = n->pem_key;
		pem->public_cert_len = n->pem_key_len;
	} else {
		pem->public_cert = n->pem_cert;
		pem->public_cert_len = n->pem_cert_len;
		pem->ca_cert = n->pem_ca;
		pem->ca_cert_len = n->pem_ca_len;
		pki.verify_peer_cert = 1;
		pki.check_common_ca = 1;
		pki.cert_chain_validation = 1;
		pki.cert_chain_verify_depth = 3;
	}
	return coap_new_client_session_pki(ctx, local, server,
	    COAP_PROTO_DTLS, &pki);
}

coap_session_t *
session_psk(coap_context_t *ctx, const coap_address_t *local,
    const coap_address_t *server, const char *id, const uint8_t *key,
    size_t key_len)
{
	coap_dtls_cpsk_t psk;

	if (id == NULL)
		return coap_new_client_session(ctx, local, server,
		    COAP_PROTO_UDP);
	memset(&psk, 0, sizeof(psk));
	psk.version = COAP_DTLS_CPSK_SETUP_VERSION;
	psk.psk_info.identity.s = (const uint8_t *)id;
	psk.psk_info.identity.length = strlen(id);
	psk.psk_info.key.s = key;
	psk.psk_info.key.length = key_len;
	return coap_new_client_session_psk2(ctx, local, server,
	    COAP_PROTO_DTLS, &psk);
}

coap_session_t *
session_client(struct node *n, coap_context_t *ctx,
    const coap_address_t *local, const coap_address_t *server, int secure,
    const char *ep)
{
	const char *id = n->cfg.fleet == 0 && n->cfg.psk_identity[0] != '\0' ?
	    n->cfg.psk_identity : ep;

	if (secure && n->pem_key != NULL)
		return session_pki(n, ctx, local, server);
	/* The identity and the key live as long as the node and its
	 * devices. */
	return session_psk(ctx, local, server, secure ? id : NULL,
	    n->psk, n->psk_len);
}

/*
 * A new DTLS session has sent its ClientHello, and libcoap arms its timer
 * for the flight's retransmission only on its next walk of its sessions,
 * which only a datagram or that timer starts: a lost ClientHello was never
 * sent again, and the session waited for ever. Running the context's I/O
 * event once (ev, the event of its epoll fd; NULL: none now) makes that
 * walk, from the reactor rather than from whatever called.
 */
void
session_kick(struct event *ev)
{
	if (ev != NULL)
		event_active(ev, EV_READ, 0);
}

/*
 * libcoap 4.3.1 arms its timerfd for its next deadline (a retransmission,
 * a DTLS flight, a block) from a clock it reads again after its walk of
 * the sessions, and disarms it when that deadline came meanwhile (due
 * within the walk, or the process preempted): the deadline then waited
 * for the next datagram. A fleet device whose register was lost, once
 * the other devices of its shard were quiet, waited for ever, neither
 * sent again nor failed. So coap_io_prepare_epoll, which libcoap calls
 * through the dynamic linker at the end of each walk (Debian's build), is
 * ours: it calls libcoap's, and for a watched context arms a reactor
 * timer for the deadline libcoap returned, which runs the context's I/O
 * event (unless that is off: a radio off). No deadline, no timer: an
 * idle node does not wake.
 */
struct session_watch {
	coap_context_t	*ctx;
	struct event	*io_ev;
	struct event	*timer;
};

static struct session_watch	*watches;
static size_t			 nwatches, capwatches;

static void
session_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *io_ev = arg;

	(void)fd;
	(void)what;
	if (event_pending(io_ev, EV_READ, NULL))
		event_active(io_ev, EV_READ, 0);
}

int
session_watch(struct event_base *base, coap_context_t *ctx,
    struct event *io_ev)
{
	struct session_watch *w;
	size_t cap;

	if (nwatches == capwatches) {
		cap = capwatches ? 2 * capwatches : 16;
		if ((w = reallocarray(watches, cap, sizeof(*w))) == NULL)
			return -1;
		watches = w;
		capwatches = cap;
	}
	w = &watches[nwatches];
	w->ctx = ctx;
	w->io_ev = io_ev;
	if ((w->timer = evtimer_new(base, session_watch_cb, io_ev)) == NULL)
		return -1;
	nwatches++;
	return 0;
}

void
session_unwatch(coap_context_t *ctx)
{
	size_t i;

	for (i = 0; i < nwatches; i++)
		if (watches[i].ctx == ctx) {
			event_free(watches[i].timer);
			watches[i] = watches[--nwatches];
			return;
		}
}

typedef unsigned int (*session_prepare_fn)(coap_context_t *, coap_tick_t);

unsigned int	coap_io_prepare_epoll(coap_context_t *, coap_tick_t);

unsigned int
coap_io_prepare_epoll(coap_context_t *ctx, coap_tick_t now)
{
	static session_prepare_fn real;
	struct timeval tv;
	unsigned int timeout;
	size_t i;

	if (real == NULL && (real = (session_prepare_fn)(uintptr_t)dlsym(
	    RTLD_NEXT, "coap_io_prepare_epoll")) == NULL)
		abort();	/* no libcoap under us: cannot be */
	timeout = real(ctx, now);
	for (i = 0; i < nwatches; i++)
		if (watches[i].ctx == ctx) {
			if (timeout == 0) {
				evtimer_del(watches[i].timer);
				break;
			}
			tv.tv_sec = timeout / 1000;
			tv.tv_usec = (long)(timeout % 1000) * 1000;
			evtimer_add(watches[i].timer, &tv);
			break;
		}
	return timeout;
}

/* Drops d's session: whatever it still had queued is cancelled, nothing
 * of it reaches d again. Never call from inside a libcoap handler. */
void
session_free(struct node_dev *d)
{
	coap_session_t *s = d->session;

	d->reset = 0;
	if (s == NULL)
		return;
	d->session = NULL;
	d->fd = -1;
	d->inflight = 0;
	coap_session_set_app_data(s, NULL);
	coap_session_disconnected(s, COAP_NACK_NOT_DELIVERABLE);
	coap_session_release(s);
}
