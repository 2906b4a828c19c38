/*
 * bsserve.c: the Bootstrap server's CoAP face: POST /bs on listeners of
 * its own ([bootstrap] listen, secure_listen), and the server's requests
 * to the device on that same session (hooks.bs_send), for the exchange
 * that modules/device/bootstrap.c drives.
 *
 * The bootstrap listeners are a libcoap context of their own on the same
 * reactor, not endpoints of the DM context. libcoap 4.3.1 keeps resources,
 * the DTLS credential callbacks and the response handler per context: in
 * its own, /rd, /dp and /fw do not exist, the PSK callback reads factory
 * credentials only, and a DM listener has no /bs, without a check in any
 * handler (one context would have every handler, /rd's and the DTLS
 * callbacks first, ask which local endpoint a session is on: the DM path,
 * the hot one, would pay for the bootstrap's). The cost is one more epoll
 * fd on the reactor, with nothing on it when no one bootstraps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "lwm2m/devmsg.h"
#include "modules/coap/coap.h"
#include "modules/device/bootstrap.h"

/* Refusals logged per second at most. */
#define BS_LOG_PER_SECOND	10
/* Seconds a busy server asks a device to wait (Max-Age of a 5.03). */
#define BS_RETRY_S		30

/* A request of the server's on a bootstrap session. */
struct bs_out {
	struct bs_link		*link;
	void			(*cb)(const struct devresp *, void *);
	void			*arg;
	struct event		*timer;
	uint8_t			 token[8];
	size_t			 token_len;
	uint8_t			*body;		/* may hold a key: wiped */
	size_t			 len;
};

/* What the gateway keeps of a bootstrap session (its app data). */
struct bs_link {
	struct bs_link		*prev, *next;
	coap_session_t		*session;
	char			*auth_ep;	/* its factory credential's */
	struct bs_out		*out;		/* one at a time */
	coap_mid_t		 last_mid;	/* of its last POST /bs */
	int			 accepted;	/* that one was accepted */
};

struct bs_face {
	coap_context_t		*ctx;
	struct coap_io		*io;
	struct bs_link		*links;
	uint8_t			 key[CRED_KEY_MAX];
	coap_bin_const_t	 key_bin;
	struct log_budget	 log;
};

static int
bs_log_budget(struct gateway *gw)
{
	return log_budget_take(&gw->coap->bs->log, BS_LOG_PER_SECOND,
	    "bootstrap: %u more refusals, not logged");
}

/* The session's link, made on first use; NULL when out of memory. */
static struct bs_link *
bs_link_get(coap_session_t *s)
{
	struct bs_link *l = coap_session_get_app_data(s);
	struct bs_face *bf;

	if (l != NULL || (l = calloc(1, sizeof(*l))) == NULL)
		return l;
	bf = coap_gateway(coap_session_get_context(s))->coap->bs;
	l->session = s;
	l->last_mid = -1;
	l->next = bf->links;
	if (bf->links != NULL)
		bf->links->prev = l;
	bf->links = l;
	coap_session_set_app_data(s, l);
	/* One request of the server's at a time, and room for one more: a
	 * run abandoned for a new one on the same session may leave its CON
	 * unacknowledged (libcoap cannot withdraw it), which must not hold
	 * the new run's first request back. */
	coap_session_set_nstart(s, 2);
	return l;
}

static void
bs_out_free(struct bs_out *o)
{
	if (o->timer != NULL)
		event_free(o->timer);
	if (o->body != NULL)
		explicit_bzero(o->body, o->len);
	free(o->body);
	free(o);
}

/* Ends the link's request with kind (no answer): its callback runs. */
static void
bs_out_fail(struct bs_link *l, enum devresp_kind kind)
{
	struct bs_out *o = l->out;
	struct devresp resp;

	if (o == NULL)
		return;
	l->out = NULL;
	memset(&resp, 0, sizeof(resp));
	resp.kind = kind;
	resp.content_format = -1;
	o->cb(&resp, o->arg);
	bs_out_free(o);
}

static void
bs_link_free(struct gateway *gw, struct bs_link *l)
{
	struct bs_face *bf = gw->coap->bs;

	bs_out_fail(l, DEVRESP_UNREACHABLE);
	bootstrap_link_gone(gw, l);
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		bf->links = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	free(l->auth_ep);
	free(l);
}

static int
bs_event(coap_session_t *s, const coap_event_t event)
{
	struct gateway *gw = coap_gateway(coap_session_get_context(s));
	struct bs_link *l;

	if ((event == COAP_EVENT_DTLS_CLOSED || event == COAP_EVENT_DTLS_ERROR) &&
	    coap_session_get_state(s) == COAP_SESSION_STATE_HANDSHAKE)
		gw->metrics.dtls_refused++;
	/* Freed at once, for a restarted device's new handshake (coap.c). */
	if (event == COAP_EVENT_DTLS_CLOSED || event == COAP_EVENT_DTLS_ERROR)
		coap_io_walk_now(coap_session_get_context(s));
	if (event == COAP_EVENT_SERVER_SESSION_DEL &&
	    (l = coap_session_get_app_data(s)) != NULL) {
		coap_session_set_app_data(s, NULL);
		bs_link_free(gw, l);
	}
	return 0;
}

/* Notes on s's link that its handshake proved c's ep (NULL: nothing). */
static void
bs_bind(coap_session_t *s, const struct cred *c)
{
	struct bs_link *l = bs_link_get(s);

	if (l == NULL)
		return;
	free(l->auth_ep);
	l->auth_ep = c != NULL ? strdup(c->ep) : NULL;
}

/* libcoap: a PSK identity on the bootstrap listener: a factory key. */
static const coap_bin_const_t *
bs_psk_cb(coap_bin_const_t *identity, coap_session_t *s, void *arg)
{
	struct gateway *gw = arg;
	struct bs_face *bf = gw->coap->bs;
	struct cred c;
	char id[64];
	int rc;

	explicit_bzero(bf->key, sizeof(bf->key));
	bs_bind(s, NULL);
	rc = bootstrap_factory_find(gw, CRED_PSK, identity->s,
	    identity->length, &c);
	if (rc != 0 || c.key_len == 0) {
		cred_printable(identity->s, identity->length, id, sizeof(id));
		if (rc != 1 || bs_log_budget(gw))
			log_info("bootstrap: %s: %s factory PSK identity '%s'",
			    coap_session_str(s), rc == 1 ? "unknown" :
			    "cannot look up", id);
		explicit_bzero(&c, sizeof(c));
		return NULL;
	}
	bs_bind(s, &c);
	gw->metrics.dtls_accepted++;
	memcpy(bf->key, c.key, c.key_len);
	bf->key_bin.s = bf->key;
	bf->key_bin.length = c.key_len;
	explicit_bzero(&c, sizeof(c));
	return &bf->key_bin;
}

/* libcoap: a certificate or raw public key on the bootstrap listener. */
static int
bs_cert_cb(const char *cn, const uint8_t *der, size_t der_len,
    coap_session_t *s, unsigned int depth, int validated, void *arg)
{
	struct gateway *gw = arg;
	struct cred c;
	int rpk = strcmp(cn, COAP_DTLS_RPK_CERT_CN) == 0, rc;

	if (depth > 0)
		return validated;
	bs_bind(s, NULL);
	if (!validated)
		return 0;
	rc = rpk ? bootstrap_factory_find(gw, CRED_RPK, der, der_len, &c) :
	    bootstrap_factory_find(gw, CRED_X509, (const uint8_t *)cn,
	    strlen(cn), &c);
	if (rc != 0) {
		if (bs_log_budget(gw))
			log_info("bootstrap: %s: %s is no device's factory "
			    "credential", coap_session_str(s), rpk ?
			    "raw public key" : "certificate");
		return 0;
	}
	bs_bind(s, &c);
	explicit_bzero(&c, sizeof(c));
	gw->metrics.dtls_accepted++;
	return 1;
}

/* The Uri-Query of a Bootstrap-Request: ep= (as in a registration) and
 * pct= (a Content-Format), each once. 0, or -1 with err. */
static int
bs_query(const coap_pdu_t *req, char ep[LWM2M_EP_MAX + 1], int *pct,
    char *err, size_t errlen)
{
	struct lwm2m_params p;
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	const uint8_t *v;
	size_t len, i;
	long n;

	memset(&p, 0, sizeof(p));
	*pct = -1;
	coap_option_iterator_init(req, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL) {
		if (it.number != COAP_OPTION_URI_QUERY)
			continue;
		v = coap_opt_value(opt);
		len = coap_opt_length(opt);
		if (len >= 4 && memcmp(v, "pct=", 4) == 0) {
			if (*pct != -1 || len == 4 || len > 9) {
				snprintf(err, errlen, "pct: a Content-Format "
				    "0..65535, once");
				return -1;
			}
			for (i = 4, n = 0; i < len; i++) {
				if (v[i] < '0' || v[i] > '9') {
					snprintf(err, errlen, "pct: not a "
					    "number");
					return -1;
				}
				n = n * 10 + (v[i] - '0');
			}
			if (n > 65535) {
				snprintf(err, errlen, "pct: above 65535");
				return -1;
			}
			*pct = (int)n;
		} else if (len < 3 || memcmp(v, "ep=", 3) != 0) {
			snprintf(err, errlen, "unknown parameter: a "
			    "Bootstrap-Request takes ep and pct");
			return -1;
		} else if (lwm2m_parse_query(&p, v, len, err, errlen) == -1) {
			return -1;
		}
	}
	if (!p.has_ep) {
		snprintf(err, errlen, "missing ep");
		return -1;
	}
	memcpy(ep, p.ep, strlen(p.ep) + 1);
	return 0;
}

/* POST /bs: a Bootstrap-Request; on the client's session after the
 * exchange, a Bootstrap-Finish is ours, never the client's. */
static void
bs_post(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct gateway *gw = coap_gateway(coap_session_get_context(s));
	struct bs_link *l;
	char ep[LWM2M_EP_MAX + 1], err[128];
	const char *why = NULL;
	uint8_t buf[4];
	int pct;

	(void)r;
	(void)query;
	gw->metrics.coap_in++;
	if (coap_session_get_proto(s) == COAP_PROTO_UDP &&
	    !coap_plain_allowed(gw, s)) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_FORBIDDEN,
		    "plain CoAP is not accepted from here: use DTLS");
		return;
	}
	if (coap_pdu_get_type(req) != COAP_MESSAGE_CON) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_BAD_REQUEST,
		    "a Bootstrap-Request must be confirmable");
		return;
	}
	if (bs_query(req, ep, &pct, err, sizeof(err)) == -1) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_BAD_REQUEST, err);
		return;
	}
	if ((l = bs_link_get(s)) == NULL) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_INTERNAL_ERROR,
		    "out of memory");
		return;
	}
	/* A repeat of the request whose 2.04 was lost: the same answer,
	 * and the exchange it started goes on. */
	if (l->accepted && coap_pdu_get_mid(req) == l->last_mid) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_CHANGED, NULL);
		return;
	}
	l->last_mid = coap_pdu_get_mid(req);
	l->accepted = 0;
	switch (bootstrap_request(gw, ep, coap_session_get_proto(s) ==
	    COAP_PROTO_DTLS ? (l->auth_ep != NULL ? l->auth_ep : "") : NULL,
	    pct, l, &why)) {
	case BS_ACCEPT:
		l->accepted = 1;
		/* A request of the run the device gave up on (asking again on
		 * the same session) ends now: the new run's go next turn. */
		bs_out_fail(l, DEVRESP_UNREACHABLE);
		coap_reply(gw, resp, COAP_RESPONSE_CODE_CHANGED, NULL);
		break;
	case BS_FORBIDDEN:
		if (bs_log_budget(gw))
			log_info("bootstrap: %s: ep %s refused: %s",
			    coap_session_str(s), ep, why);
		coap_reply(gw, resp, COAP_RESPONSE_CODE_FORBIDDEN, why);
		break;
	case BS_BUSY:
		coap_add_option(resp, COAP_OPTION_MAXAGE, coap_encode_var_safe(
		    buf, sizeof(buf), BS_RETRY_S), buf);
		coap_reply(gw, resp, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE,
		    why);
		break;
	default:
		coap_reply(gw, resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, why);
		break;
	}
}

/* Anything else on the bootstrap listener. */
static void
bs_unknown(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct gateway *gw = coap_gateway(coap_session_get_context(s));

	(void)r;
	(void)req;
	(void)query;
	gw->metrics.coap_in++;
	coap_reply(gw, resp, COAP_RESPONSE_CODE_NOT_FOUND,
	    "the bootstrap server serves /bs only");
}

static void
bs_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bs_out *o = arg;

	(void)fd;
	(void)what;
	bs_out_fail(o->link, DEVRESP_TIMEOUT);
}

/* hooks.bs_send (gateway.h). */
static int
bs_send(struct gateway *gw, struct bs_link *l, const struct devreq_spec *spec,
    void (*cb)(const struct devresp *, void *), void *arg)
{
	coap_session_t *s = l->session;
	struct timeval tv = { (time_t)spec->timeout_s, 0 };
	struct bs_out *o;
	coap_pdu_t *pdu;

	if (l->out != NULL || (o = calloc(1, sizeof(*o))) == NULL)
		return -1;
	o->link = l;
	o->cb = cb;
	o->arg = arg;
	if ((o->timer = evtimer_new(gw->base, bs_timeout_cb, o)) == NULL ||
	    (spec->len > 0 && (o->body = malloc(spec->len)) == NULL) ||
	    (pdu = coap_request_new(s, spec->method, spec->path, NULL,
	    spec->content_format, spec->accept, o->token, &o->token_len)) ==
	    NULL) {
		bs_out_free(o);
		return -1;
	}
	if (spec->len > 0) {
		memcpy(o->body, spec->body, spec->len);
		o->len = spec->len;
		/* libcoap copies nothing: the body is ours until o goes. */
		if (!coap_add_data_large_request(s, pdu, o->len, o->body, NULL,
		    NULL)) {
			bs_out_free(o);
			return -1;
		}
	}
	if (coap_send(s, pdu) == COAP_INVALID_MID) {
		bs_out_free(o);
		return -1;
	}
	evtimer_add(o->timer, &tv);
	l->out = o;
	return 0;
}

/* The device's answer to the server's request. */
static coap_response_t
bs_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *rcvd,
    const coap_mid_t mid)
{
	struct bs_link *l = coap_session_get_app_data(s);
	coap_bin_const_t tok = coap_pdu_get_token(rcvd);
	struct bs_out *o;
	struct devresp resp;

	(void)sent;
	(void)mid;
	coap_gateway(coap_session_get_context(s))->metrics.coap_responses++;
	if (l == NULL || (o = l->out) == NULL || o->token_len != tok.length ||
	    memcmp(o->token, tok.s, tok.length) != 0)
		return COAP_RESPONSE_FAIL;	/* not ours: RST */
	coap_devresp(rcvd, &resp);
	l->out = NULL;
	o->cb(&resp, o->arg);
	bs_out_free(o);
	return COAP_RESPONSE_OK;
}

static void
bs_nack(coap_session_t *s, const coap_pdu_t *sent,
    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct bs_link *l = coap_session_get_app_data(s);
	coap_bin_const_t tok;

	(void)mid;
	if (sent == NULL || l == NULL || l->out == NULL)
		return;
	tok = coap_pdu_get_token(sent);
	if (l->out->token_len != tok.length ||
	    memcmp(l->out->token, tok.s, tok.length) != 0)
		return;
	bs_out_fail(l, reason == COAP_NACK_TOO_MANY_RETRIES ?
	    DEVRESP_TIMEOUT : DEVRESP_UNREACHABLE);
}

int
bsserve_init(struct gateway *gw)
{
	const struct gw_config *cfg = &gw->cfg;
	struct bs_face *bf;
	coap_resource_t *r;

	if (cfg->bs_listen[0] == '\0' && cfg->bs_secure_listen[0] == '\0')
		return 0;
	if ((bf = gw_secret_alloc(sizeof(*bf))) == NULL)
		return -1;
	gw->coap->bs = bf;
	if ((bf->ctx = coap_new_context(NULL)) == NULL) {
		log_warnx("bootstrap: cannot create a context");
		return -1;
	}
	coap_set_app_data(bf->ctx, gw);
	coap_register_event_handler(bf->ctx, bs_event);
	coap_register_response_handler(bf->ctx, bs_response);
	coap_register_nack_handler(bf->ctx, bs_nack);
	coap_context_set_block_mode(bf->ctx,
	    COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	coap_session_limits(bf->ctx, cfg);
	if ((r = coap_resource_init(coap_make_str_const("bs"), 0)) == NULL)
		return -1;
	coap_register_request_handler(r, COAP_REQUEST_POST, bs_post);
	coap_add_resource(bf->ctx, r);
	if ((r = coap_resource_unknown_init(bs_unknown)) == NULL)
		return -1;
	coap_register_request_handler(r, COAP_REQUEST_POST, bs_unknown);
	coap_register_request_handler(r, COAP_REQUEST_DELETE, bs_unknown);
	coap_register_request_handler(r, COAP_REQUEST_PUT, bs_unknown);
	coap_add_resource(bf->ctx, r);
	if (cfg->bs_secure_listen[0] != '\0' &&
	    dtls_setup(gw, bf->ctx, bs_psk_cb, bs_cert_cb) == -1)
		return -1;
	gw->hooks.bs_send = bs_send;
	return 0;
}

/* One listener of [bootstrap] (key is "listen" or "secure_listen"). */
static int
bsserve_listen(struct gateway *gw, const char *hpstr, coap_proto_t proto)
{
	struct gw_hostport hp;
	char err[128];

	if (hpstr[0] == '\0')
		return 0;
	if (config_parse_hostport(hpstr, &hp, err, sizeof(err)) == -1) {
		log_warnx("bootstrap: %s", err);
		return -1;
	}
	return coap_listen(gw->coap->bs->ctx, &hp, proto, "bootstrap") ==
	    NULL ? -1 : 0;
}

int
bsserve_start(struct gateway *gw)
{
	struct bs_face *bf = gw->coap->bs;

	if (bf == NULL)
		return 0;
	if (bsserve_listen(gw, gw->cfg.bs_listen, COAP_PROTO_UDP) == -1 ||
	    bsserve_listen(gw, gw->cfg.bs_secure_listen, COAP_PROTO_DTLS) ==
	    -1 || (bf->io = coap_io_on_reactor(gw, bf->ctx)) == NULL)
		return -1;
	return 0;
}

void
bsserve_reload(struct gateway *gw)
{
	if (gw->coap->bs != NULL)
		coap_session_limits(gw->coap->bs->ctx, &gw->cfg);
}

void
bsserve_stop(struct gateway *gw)
{
	struct bs_face *bf = gw->coap != NULL ? gw->coap->bs : NULL;

	if (bf == NULL)
		return;
	gw->hooks.bs_send = NULL;
	coap_io_free(bf->io);
	bf->io = NULL;
	/* libcoap does not report the sessions it frees with the context:
	 * their links go first, failing what is out on them. */
	while (bf->links != NULL) {
		coap_session_set_app_data(bf->links->session, NULL);
		bs_link_free(gw, bf->links);
	}
	if (bf->ctx != NULL)
		coap_free_context(bf->ctx);
	explicit_bzero(bf->key, sizeof(bf->key));
	gw_secret_free(bf, sizeof(*bf));
	gw->coap->bs = NULL;
}
