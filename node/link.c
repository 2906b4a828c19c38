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
 *  - incoming: a socket filter (SO_ATTACH_FILTER, SKF_AD_RANDOM; set in
 *    session.c) drops that share of the datagrams to a device before
 *    libcoap sees them, so both ends' retransmissions work as on a real
 *    link;
 *  - outgoing requests (register, update, deregister): each transmission
 *    is lost with that chance; the request then leaves later by as long as
 *    the lost transmissions' timeouts would have taken, or fails as libcoap
 *    would after MAX_RETRANSMIT;
 *  - outgoing responses: a response is not sent with that chance (res.c),
 *    and the requester retransmits;
 *  - notifications are not dropped.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * Sets the socket filter of d: drop everything (radio off), drop a share
 * ([fleet] drop), or none.
 */
static void
link_filter(struct node_dev *d)
{
	session_set_filter(d->fd, d->radio_off, d->node->drop, d->ep);
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
	session_address(&server, &n->gateway, n->gateway_len);
	if (n->local_len > 0)
		session_address(&local, &n->local, n->local_len);
	if (n->drop != 0 || (n->cfg.fleet > 0 && n->cfg.queue_mode))
		probe = session_lowest_fd();
	if (d->bsc != NULL)	/* the DM server of its account */
		d->session = bsc_dm_session(d, d->shard->ctx,
		    n->local_len > 0 ? &local : NULL);
	else
		d->session = session_client(n, d->shard->ctx,
		    n->local_len > 0 ? &local : NULL, &server, n->secure,
		    d->ep);
	if (d->session == NULL) {
		log_warnx("%s: cannot open a CoAP%s session to the gateway",
		    d->ep, n->secure ? "/DTLS" : "");
		return -1;
	}
	coap_session_set_app_data(d->session, d);
	session_kick(d->shard->radio_off ? NULL : d->shard->io_ev);
	d->fd = session_probe_fd(d->session, probe, d->bsc != NULL ?
	    bsc_dm_peer(d) : &n->gateway);
	if (probe >= 0 && d->fd < 0)
		log_warnx("%s: socket of the session not found: no drop or "
		    "radio filter", d->ep);
	link_filter(d);
	return 0;
}

/* Drops the sessions that handlers marked for it. */
static void
link_reset_pending(struct node *n)
{
	size_t i;

	for (i = 0; i < n->nresets; i++)
		if (n->resets[i]->reset)
			session_free(n->resets[i]);
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
		session_free(d);
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
		session_free(d);
}

void
link_context(coap_context_t *ctx)
{
	coap_register_response_handler(ctx, link_response);
	coap_register_nack_handler(ctx, link_nack);
}
