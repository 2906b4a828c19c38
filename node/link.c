/*
 * link.c: each device's client session to the gateway, the registration
 * messages reg.c asks for and their answers, the radio, a lossy link.
 *
 * A device is a libcoap client session that also serves: libcoap dispatches
 * requests arriving on a client session to its context's resources, so the
 * gateway reaches a device at the address it registered from, NAT or not.
 * With [node] listen the session is bound to that address, and an endpoint
 * on the same address (SO_REUSEADDR; the kernel prefers the connected
 * socket for the gateway's datagrams) serves every other peer.
 *
 * The radio: a single agent in queue mode turns it off by removing its
 * shard's read event (the socket is not read; what arrives waits in the
 * kernel, as in a modem's buffer). Fleet devices share a shard, so each
 * turns off its own socket with a socket filter that drops everything.
 *
 * [fleet] drop imitates a lossy link, both ways:
 *  - incoming: a socket filter (SO_ATTACH_FILTER, SKF_AD_RANDOM) drops that
 *    share of the datagrams to a device before libcoap sees them, so both
 *    ends' retransmissions work as on a real link;
 *  - outgoing requests (register, update, deregister): each transmission
 *    is lost with that chance; the request then leaves later by as long as
 *    the lost transmissions' timeouts would have taken, or fails as libcoap
 *    would after MAX_RETRANSMIT;
 *  - outgoing responses: a response is not sent with that chance (res.c),
 *    and the requester retransmits;
 *  - notifications are not dropped.
 */
#include <sys/socket.h>
#include <linux/filter.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "node/bsc.h"
#include "node/coap.h"

#define LINK_ACK_TIMEOUT_MS	2000	/* RFC 7252 defaults, for drop */
#define LINK_MAX_RETRANSMIT	4

#define LINK_PAYLOAD_MAX	1024	/* bytes of the registration's links */

/* The registration's links other than the objects': the LwM2M root, and
 * the agent's own resources (res.c) as /.well-known/core lists them. */
static const char link_root[] = "</>;rt=\"oma.lwm2m\";ct=110";
static const char link_health[] =
    "</health>;rt=\"outpost.health\";ct=50;obs";
static const char link_config[] =
    "</config>;rt=\"outpost.config\";ct=50;obs";

static const char *const link_msg_names[] = {
	"register", "update", "deregister"
};

char *
link_payload(const struct obj_def *const *table, int fleet)
{
	char objs[LINK_PAYLOAD_MAX], buf[LINK_PAYLOAD_MAX];
	int len;

	if (obj_links(table, objs, sizeof(objs)) == -1)
		return NULL;
	len = snprintf(buf, sizeof(buf), "%s%s%s,%s%s%s", link_root,
	    objs[0] != '\0' ? "," : "", objs, link_health, fleet ? "" : ",",
	    fleet ? "" : link_config);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return NULL;
	return strdup(buf);
}

struct node_dev *
link_dev_of(struct shard *sh, coap_session_t *s)
{
	struct node_dev *d = coap_session_get_app_data(s);

	return d != NULL ? d : &sh->node->devs[sh->first];
}

void
link_coap_address(coap_address_t *a, const struct sockaddr_storage *ss,
    socklen_t len)
{
	coap_address_init(a);
	memcpy(&a->addr, ss, len);
	a->size = len;
}

/* Whether two socket addresses name the same address and port. */
static int
link_same_addr(const struct sockaddr *a, const struct sockaddr *b)
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
link_probe_fd(coap_session_t *s, int probe,
    const struct sockaddr_storage *peer)
{
	const coap_address_t *la = coap_session_get_addr_local(s);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (probe < 0 || getsockname(probe, (struct sockaddr *)&ss, &len) ==
	    -1 || !link_same_addr((struct sockaddr *)&ss, &la->addr.sa))
		return -1;
	len = sizeof(ss);
	if (getpeername(probe, (struct sockaddr *)&ss, &len) == -1 ||
	    !link_same_addr((struct sockaddr *)&ss,
	    (const struct sockaddr *)peer))
		return -1;
	return probe;
}

int
link_lowest_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd != -1)
		close(fd);
	return fd;
}

void
link_set_filter(int fd, int off, uint32_t drop, const char *who)
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
 * Sets the socket filter of d: drop everything (radio off), drop a share
 * ([fleet] drop), or none.
 */
static void
link_filter(struct node_dev *d)
{
	link_set_filter(d->fd, d->radio_off, d->node->drop, d->ep);
}

/*
 * libcoap: the gateway presented a certificate (validated against [node]
 * ca_file) or a raw public key. 1 accepts it: a certificate of the chain
 * the CA vouches for, with [node] server_cn as its CN when that is set; a
 * raw key that is [node] server_public_key.
 */
static int
link_server_cb(const char *cn, const uint8_t *der, size_t der_len,
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
link_pki_session(struct node *n, coap_context_t *ctx,
    const coap_address_t *local, const coap_address_t *server)
{
	coap_pki_key_pem_buf_t *pem;
	coap_dtls_pki_t pki;

	/* The PEM buffers live as long as the node: libcoap may point at
	 * them for the life of the session. */
	memset(&pki, 0, sizeof(pki));
	pki.version = COAP_DTLS_PKI_SETUP_VERSION;
	pki.validate_cn_call_back = link_server_cb;
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
link_psk_session(coap_context_t *ctx, const coap_address_t *local,
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
link_client_session(struct node *n, coap_context_t *ctx,
    const coap_address_t *local, const coap_address_t *server, int secure,
    const char *ep)
{
	const char *id = n->cfg.fleet == 0 && n->cfg.psk_identity[0] != '\0' ?
	    n->cfg.psk_identity : ep;

	if (secure && n->pem_key != NULL)
		return link_pki_session(n, ctx, local, server);
	/* The identity and the key live as long as the node and its
	 * devices. */
	return link_psk_session(ctx, local, server, secure ? id : NULL,
	    n->psk, n->psk_len);
}

/* Creates d's session to the gateway if it has none. */
static int
link_session(struct node_dev *d)
{
	struct node *n = d->node;
	coap_address_t server, local;
	int probe = -1;

	if (d->session != NULL)
		return 0;
	link_coap_address(&server, &n->gateway, n->gateway_len);
	if (n->local_len > 0)
		link_coap_address(&local, &n->local, n->local_len);
	if (n->drop != 0 || (n->cfg.fleet > 0 && n->cfg.queue_mode))
		probe = link_lowest_fd();
	if (d->bsc != NULL)	/* the DM server of its account */
		d->session = bsc_dm_session(d, d->shard->ctx,
		    n->local_len > 0 ? &local : NULL);
	else
		d->session = link_client_session(n, d->shard->ctx,
		    n->local_len > 0 ? &local : NULL, &server, n->secure,
		    d->ep);
	if (d->session == NULL) {
		log_warnx("%s: cannot open a CoAP%s session to the gateway",
		    d->ep, n->secure ? "/DTLS" : "");
		return -1;
	}
	coap_session_set_app_data(d->session, d);
	d->fd = link_probe_fd(d->session, probe, d->bsc != NULL ?
	    bsc_dm_peer(d) : &n->gateway);
	if (probe >= 0 && d->fd < 0)
		log_warnx("%s: socket of the session not found: no drop or "
		    "radio filter", d->ep);
	link_filter(d);
	return 0;
}

/* Drops d's session: whatever it still had queued is cancelled, nothing
 * of it reaches d again. Never call from inside a libcoap handler. */
void
link_session_free(struct node_dev *d)
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

/* Drops the sessions that handlers marked for it. */
static void
link_reset_pending(struct node *n)
{
	size_t i;

	for (i = 0; i < n->nresets; i++)
		if (n->resets[i]->reset)
			link_session_free(n->resets[i]);
	n->nresets = 0;
}

/* The epoll fd of a shard is readable: libcoap does what is ready. */
void
link_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct shard *sh = arg;

	(void)fd;
	(void)what;
	coap_io_process(sh->ctx, COAP_IO_NO_WAIT);
	link_reset_pending(sh->node);
}

/* Adds "name=value" as a Uri-Query option. */
static int
link_query(coap_pdu_t *pdu, const char *fmt, const char *name,
    unsigned long v, const char *s)
{
	char buf[96];
	int len;

	if (s != NULL)
		len = snprintf(buf, sizeof(buf), "%s=%s", name, s);
	else
		len = snprintf(buf, sizeof(buf), fmt, name, v);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return 0;
	return coap_add_option(pdu, COAP_OPTION_URI_QUERY, (size_t)len,
	    (const uint8_t *)buf) != 0;
}

/* Adds each segment of "rd/5f3a.." as a Uri-Path option. */
static int
link_path(coap_pdu_t *pdu, const char *loc)
{
	const char *slash;
	size_t len;

	while (*loc != '\0') {
		slash = strchr(loc, '/');
		len = slash != NULL ? (size_t)(slash - loc) : strlen(loc);
		if (coap_add_option(pdu, COAP_OPTION_URI_PATH, len,
		    (const uint8_t *)loc) == 0)
			return 0;
		loc += len + (slash != NULL);
	}
	return 1;
}

/* Builds and sends msg on d's session. Returns 0 or -1. */
static int
link_transmit(struct node_dev *d, enum reg_msg msg)
{
	struct node *n = d->node;
	const char *links = n->links;
	char buf[LINK_PAYLOAD_MAX];
	uint8_t cf[4];
	coap_pdu_t *pdu;
	coap_mid_t mid;
	size_t toklen;
	int ok;

	if (link_session(d) == -1)
		return -1;
	if (d->bsc != NULL)
		links = bsc_links(d, buf, sizeof(buf));
	pdu = coap_new_pdu(COAP_MESSAGE_CON, msg == REG_MSG_DEREGISTER ?
	    COAP_REQUEST_CODE_DELETE : COAP_REQUEST_CODE_POST, d->session);
	if (pdu == NULL)
		return -1;
	coap_session_new_token(d->session, &toklen, d->token);
	d->token_len = (uint8_t)toklen;
	ok = coap_add_token(pdu, toklen, d->token);
	if (msg == REG_MSG_REGISTER) {
		ok = ok && link_path(pdu, "rd") &&
		    coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
		    coap_encode_var_safe(cf, sizeof(cf),
		    COAP_MEDIATYPE_APPLICATION_LINK_FORMAT), cf) &&
		    link_query(pdu, NULL, "ep", 0, d->ep) &&
		    link_query(pdu, "%s=%lu", "lt", d->reg.params->lifetime,
		    NULL) &&
		    link_query(pdu, NULL, "lwm2m", 0, "1.1") &&
		    link_query(pdu, NULL, "b", 0, d->reg.params->queue ?
		    "UQ" : "U") &&
		    coap_add_data(pdu, strlen(links), (const uint8_t *)links);
	} else {
		ok = ok && link_path(pdu, d->reg.location);
		if (msg == REG_MSG_UPDATE && reg_update_needs_lifetime(&d->reg))
			ok = ok && link_query(pdu, "%s=%lu", "lt",
			    d->reg.params->lifetime, NULL);
		if (msg == REG_MSG_UPDATE && reg_update_needs_binding(&d->reg))
			ok = ok && link_query(pdu, NULL, "b", 0,
			    d->reg.params->queue ? "UQ" : "U");
	}
	if (!ok) {
		coap_delete_pdu(pdu);
		log_warnx("%s: cannot build the %s request", d->ep,
		    link_msg_names[msg]);
		return -1;
	}
	if ((mid = coap_send(d->session, pdu)) == COAP_INVALID_MID) {
		log_warnx("%s: cannot send the %s request", d->ep,
		    link_msg_names[msg]);
		return -1;
	}
	d->mid = mid;
	d->inflight = (uint8_t)(msg + 1);
	log_debug("%s: %s sent", d->ep, link_msg_names[msg]);
	return 0;
}

/* reg op: sends msg, or, with [fleet] drop, loses transmissions first. */
static int
link_send(void *arg, enum reg_msg msg)
{
	struct node_dev *d = arg;
	struct node *n = d->node;
	int64_t delay = 0;
	int lost = 0;

	if (d->reset)
		link_session_free(d);
	d->inflight = 0;
	d->delayed = 0;
	while (n->drop != 0 && lost <= LINK_MAX_RETRANSMIT && node_drop(n)) {
		delay += ((int64_t)LINK_ACK_TIMEOUT_MS << lost) *
		    (int64_t)(1000 + node_random(n) % 501) / 1000;
		lost++;
	}
	if (lost == 0)
		return link_transmit(d, msg);
	d->delayed = (uint8_t)(msg + 1);
	d->lost = lost > LINK_MAX_RETRANSMIT;
	log_debug("%s: %s lost %d time%s on the way (drop)", d->ep,
	    link_msg_names[msg], lost, lost == 1 ? "" : "s");
	{
		struct timeval tv = { delay / 1000, (delay % 1000) * 1000 };

		evtimer_add(d->timer, &tv);
	}
	return 0;
}

static void
link_arm(void *arg, int64_t delay_ms)
{
	struct node_dev *d = arg;
	struct timeval tv;

	d->delayed = 0;
	if (delay_ms < 0) {
		evtimer_del(d->timer);
		return;
	}
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	evtimer_add(d->timer, &tv);
}

static void
link_radio(void *arg, int on)
{
	struct node_dev *d = arg;
	struct shard *sh = d->shard;

	d->radio_off = !on;
	if (d->node->cfg.fleet > 0) {
		link_filter(d);
		return;
	}
	sh->radio_off = !on;
	if (on)
		event_add(sh->io_ev, NULL);
	else
		event_del(sh->io_ev);
}

static void
link_reset(void *arg)
{
	struct node_dev *d = arg;
	struct node *n = d->node;
	struct node_dev **grown;
	size_t cap;

	if (d->session == NULL || d->reset)
		return;
	d->reset = 1;
	d->inflight = 0;
	if (n->nresets == n->resets_cap) {
		cap = n->resets_cap ? n->resets_cap * 2 : 16;
		if ((grown = realloc(n->resets, cap * sizeof(*grown))) == NULL)
			return;		/* dropped at its next send instead */
		n->resets = grown;
		n->resets_cap = cap;
	}
	n->resets[n->nresets++] = d;
}

/* Counts d as registered or not. */
static void
link_count(struct node_dev *d, int registered)
{
	if (d->counted == registered)
		return;
	d->counted = (uint8_t)registered;
	if (registered)
		d->node->registered++;
	else
		d->node->registered--;
}

/* What a single agent's exchange tells of the gateway: it answered (a
 * 2.01, a 2.04, even a 4.04), or an exchange got no answer; for /3/0/11
 * code 7 (health_errors). */
static void
link_heard(struct node_dev *d, enum reg_note note)
{
	struct node *n = d->node;

	if (n->cfg.fleet > 0)
		return;
	if (note == REG_NOTE_REGISTERED || note == REG_NOTE_UPDATED ||
	    note == REG_NOTE_LOST) {
		n->gw_heard_ms = node_now_ms();
		n->gw_failing = 0;
	} else if (note == REG_NOTE_FAILED) {
		n->gw_failing = 1;
	}
}

static void
link_note(void *arg, enum reg_note note, int64_t v)
{
	struct node_dev *d = arg;
	struct node *n = d->node;
	int one = n->cfg.fleet == 0;

	link_heard(d, note);
	switch (note) {
	case REG_NOTE_REGISTERED:
		link_count(d, 1);
		if (one)
			log_info("%s: registered as %s (lifetime %u s, binding "
			    "%s)", d->ep, d->reg.location,
			    d->reg.server_lifetime,
			    d->reg.server_queue ? "UQ" : "U");
		else if (n->registered == n->ndevs && !n->all_registered) {
			n->all_registered = 1;
			log_info("fleet: all %zu devices registered", n->ndevs);
		}
		break;
	case REG_NOTE_UPDATED:
		log_debug("%s: updated %s", d->ep, d->reg.location);
		break;
	case REG_NOTE_LOST:
		link_count(d, 0);
		(one ? log_info : log_debug)("%s: the gateway lost the "
		    "registration (4.04); registering afresh", d->ep);
		break;
	case REG_NOTE_FAILED:
		link_count(d, 0);
		(one ? log_info : log_debug)("%s: registration failed; "
		    "retrying in %.1f s", d->ep, (double)v / 1000);
		break;
	case REG_NOTE_SLEEP:
		log_debug("%s: radio off for %.1f s", d->ep, (double)v / 1000);
		break;
	case REG_NOTE_WAKE:
		log_debug("%s: radio on", d->ep);
		break;
	case REG_NOTE_DONE:
		link_count(d, 0);
		if (d->node->dev_done != NULL)
			d->node->dev_done(d);
		break;
	}
}

const struct reg_ops link_reg_ops = {
	.send = link_send,
	.arm = link_arm,
	.radio = link_radio,
	.reset = link_reset,
	.note = link_note,
};

/* Copies a diagnostic payload into buf as printable ASCII. */
static const char *
link_diag(const coap_pdu_t *pdu, char *buf, size_t size)
{
	const uint8_t *data;
	size_t len, i;

	buf[0] = '\0';
	if (!coap_get_data(pdu, &len, &data) || len == 0)
		return buf;
	if (len > size - 3)
		len = size - 3;
	buf[0] = ':';
	buf[1] = ' ';
	for (i = 0; i < len; i++)
		buf[i + 2] = data[i] >= 0x20 && data[i] < 0x7f ? (char)data[i] :
		    '?';
	buf[len + 2] = '\0';
	return buf;
}

/*
 * libcoap's response handler: the answer to a device's message in flight
 * (the same token) goes to its state machine; anything else is dropped.
 */
static coap_response_t
link_response(coap_session_t *s, const coap_pdu_t *sent,
    const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	struct node_dev *d = coap_session_get_app_data(s);
	coap_bin_const_t tok = coap_pdu_get_token(rcvd);
	coap_pdu_code_t code = coap_pdu_get_code(rcvd);
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	char loc[URI_LOCATION_MAX] = "", err[96], diag[100];
	int c = COAP_RESPONSE_CLASS(code) * 100 + (code & 0x1f);
	enum reg_msg msg;

	(void)sent;
	(void)mid;
	if (d != NULL && bsc_response(d, s, rcvd))
		return COAP_RESPONSE_OK;
	if (d == NULL || d->inflight == 0 || tok.length != d->token_len ||
	    memcmp(tok.s, d->token, tok.length) != 0)
		return COAP_RESPONSE_OK;
	msg = (enum reg_msg)(d->inflight - 1);
	d->inflight = 0;
	if (msg == REG_MSG_REGISTER && c == 201) {
		coap_option_iterator_init(rcvd, &it, COAP_OPT_ALL);
		while ((opt = coap_option_next(&it)) != NULL) {
			if (it.number != COAP_OPTION_LOCATION_PATH)
				continue;
			if (uri_location_add(loc, coap_opt_value(opt),
			    coap_opt_length(opt), err, sizeof(err)) == -1) {
				log_warnx("%s: the gateway's answer to register "
				    "has a bad %s", d->ep, err);
				loc[0] = '\0';
				break;
			}
		}
	}
	if (c >= 400)
		(d->node->cfg.fleet == 0 ? log_warnx : log_debug)("%s: %s "
		    "answered %d.%02d%s", d->ep, link_msg_names[msg], c / 100,
		    c % 100, link_diag(rcvd, diag, sizeof(diag)));
	else if (msg == REG_MSG_DEREGISTER && d->node->cfg.fleet == 0)
		log_info("%s: deregistered", d->ep);
	if (bsc_reg_outcome(d, msg, c))
		return COAP_RESPONSE_OK;	/* back to bootstrap */
	reg_answer(&d->reg, node_now_ms(), c, loc[0] != '\0' ? loc : NULL);
	return COAP_RESPONSE_OK;
}

/* libcoap's handler of a confirmable message that got no answer. */
static void
link_nack(coap_session_t *s, const coap_pdu_t *sent,
    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	static const char *const why[] = {
		[COAP_NACK_TOO_MANY_RETRIES] = "no answer",
		[COAP_NACK_NOT_DELIVERABLE] = "not deliverable",
		[COAP_NACK_RST] = "reset by the gateway",
		[COAP_NACK_TLS_FAILED] = "DTLS failed",
		[COAP_NACK_ICMP_ISSUE] = "gateway unreachable (ICMP)",
	};
	struct node_dev *d = coap_session_get_app_data(s);
	enum reg_msg msg;

	(void)sent;
	if (d != NULL && bsc_nack(d, s, mid, reason))
		return;
	if (d == NULL || d->inflight == 0 || mid != d->mid)
		return;
	msg = (enum reg_msg)(d->inflight - 1);
	d->inflight = 0;
	(d->node->cfg.fleet == 0 ? log_info : log_debug)("%s: %s failed: %s",
	    d->ep, link_msg_names[msg], (size_t)reason < sizeof(why) /
	    sizeof(why[0]) && why[reason] != NULL ? why[reason] : "nack");
	if (bsc_reg_outcome(d, msg, 0))
		return;		/* back to bootstrap */
	reg_failed(&d->reg, node_now_ms());
}

/* A device's timer: a delayed transmission ([fleet] drop) or reg's. */
void
link_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct node_dev *d = arg;
	int64_t now = node_now_ms();
	enum reg_msg msg;

	(void)fd;
	(void)what;
	if (d->delayed != 0) {
		msg = (enum reg_msg)(d->delayed - 1);
		d->delayed = 0;
		if (d->lost) {
			d->lost = 0;
			log_debug("%s: %s lost every time (drop)", d->ep,
			    link_msg_names[msg]);
			reg_failed(&d->reg, now);
		} else if (link_transmit(d, msg) == -1) {
			reg_failed(&d->reg, now);
		}
	} else {
		reg_timer(&d->reg, now);
	}
	if (d->reset)
		link_session_free(d);
}

void
link_context(coap_context_t *ctx)
{
	coap_register_response_handler(ctx, link_response);
	coap_register_nack_handler(ctx, link_nack);
}
