/*
 * rd.c: the LwM2M 1.1 registration interface on CoAP /rd.
 *
 *   POST   /rd?ep=..&lt=..&lwm2m=..&b=..[&Q]  register   -> 2.01 rd/<id>
 *   POST   /rd/<id>[?lt=..&b=..]              update     -> 2.04
 *   DELETE /rd/<id>                           deregister -> 2.02
 *
 * A change is answered only once the store has committed it. Its request
 * is parked until the batch of this loop turn is on disk (a fraction of a
 * millisecond to a few, well inside the client's ACK timeout), and then
 * answered with a piggybacked response: one datagram each way, as when a
 * server answers at once, and no separate response for the client to
 * acknowledge.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "cache/observe.h"
#include "modules/coap/coap.h"
#include "modules/coap/devreq.h"
#include "modules/device/queue.h"
#include "lwm2m/lwm2m.h"
#include "modules/device/registry.h"

enum rd_op { RD_REGISTER, RD_UPDATE, RD_DEREGISTER };

#define RD_KEEP_OPTS	2	/* options libcoap set on the response:
				   Block1, of the last block of a
				   block-wise body */
#define RD_OPT_MAX	4	/* bytes of one kept option (Block1: 3) */

/* A request waiting for its commit; once answered, kept as its session's
 * last answer so that a repeat of it gets the same answer (RFC 7252 §4.5). */
struct rd_pending {
	coap_session_t		*session;	/* referenced until answered */
	struct rd_pending	*next;		/* in its rd_parked bucket */
	uint64_t		 regid;
	coap_mid_t		 mid;
	uint8_t			 type;		/* coap_pdu_type_t */
	uint8_t			 op;		/* enum rd_op */
	uint8_t			 res;		/* enum registry_result */
	uint8_t			 token_len;
	uint8_t			 token[8];
	uint8_t			 nopts;
	struct {
		uint16_t	 number;
		uint8_t		 len;
		uint8_t		 value[RD_OPT_MAX];
	}			 opts[RD_KEEP_OPTS];
};

static struct gateway *
rd_gw(const struct rd_pending *pd)
{
	return coap_gateway(coap_session_get_context(pd->session));
}

/* Requests waiting for a commit (gw->coap->rd_parked), hashed by session
 * and message id, so a retransmission is recognised in constant time
 * however large the batch. */
static struct rd_pending **
rd_bucket(coap_session_t *s, coap_mid_t mid)
{
	struct coap_server *cs = coap_gateway(coap_session_get_context(s))->coap;
	uintptr_t h = (uintptr_t)s >> 4 ^ (uintptr_t)mid * 0x9e3779b1u;

	return &cs->rd_parked[h & (RD_PARKED_BUCKETS - 1)];
}

static void
rd_unpark(struct rd_pending *pd)
{
	struct rd_pending **pp;

	for (pp = rd_bucket(pd->session, pd->mid); *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == pd) {
			*pp = pd->next;
			return;
		}
}

/*
 * One pass over the request's options: every Uri-Query goes into p, the
 * Content-Format (-1 when absent) into *cf. Returns 0 or -1 with err.
 */
static int
rd_parse_options(const coap_pdu_t *req, struct lwm2m_params *p, int *cf,
    char *err, size_t errlen)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;

	memset(p, 0, sizeof(*p));
	*cf = -1;
	coap_option_iterator_init(req, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL) {
		if (it.number == COAP_OPTION_CONTENT_FORMAT)
			*cf = (int)coap_decode_var_bytes(coap_opt_value(opt),
			    coap_opt_length(opt));
		else if (it.number == COAP_OPTION_URI_QUERY &&
		    lwm2m_parse_query(p, coap_opt_value(opt),
		    coap_opt_length(opt), err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* Checks lt against the configured bounds. */
static int
rd_check_lifetime(struct gateway *gw, const struct lwm2m_params *p, char *err,
    size_t errlen)
{
	if (!p->has_lifetime)
		return 0;
	if (p->lifetime < (uint32_t)gw->cfg.reg_min_lifetime) {
		snprintf(err, errlen, "lt: %u is below the minimum %d",
		    p->lifetime, gw->cfg.reg_min_lifetime);
		return -1;
	}
	if (p->lifetime > (uint32_t)gw->cfg.reg_max_lifetime) {
		snprintf(err, errlen, "lt: %u is above the maximum %d",
		    p->lifetime, gw->cfg.reg_max_lifetime);
		return -1;
	}
	return 0;
}

/*
 * Gets the link-format body, if any (whole: one rdblock.c put together,
 * else req's), and validates it. Returns 0 with *body (NULL when there is
 * none), or the CoAP code to answer with and err.
 */
static coap_pdu_code_t
rd_body(struct gateway *gw, const coap_pdu_t *req, int cf,
    const uint8_t *whole, size_t wlen, const char **body, size_t *len,
    char *err, size_t errlen)
{
	const uint8_t *data = whole;
	size_t offset, total = wlen;

	*body = NULL;
	*len = wlen;
	if (cf != -1 && cf != COAP_MEDIATYPE_APPLICATION_LINK_FORMAT) {
		snprintf(err, errlen, "body must be link-format (40)");
		return COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT;
	}
	if ((whole == NULL && !coap_get_data_large(req, len, &data, &offset,
	    &total)) || *len == 0)
		return 0;
	if (total > (size_t)gw->cfg.coap_max_links) {
		snprintf(err, errlen, "link-format body of %zu bytes is over "
		    "the limit of %d", total, gw->cfg.coap_max_links);
		return COAP_RESPONSE_CODE_REQUEST_TOO_LARGE;
	}
	if (lwm2m_parse_links((const char *)data, *len, NULL, NULL, err,
	    errlen) != 0)
		return COAP_RESPONSE_CODE_BAD_REQUEST;
	*body = (const char *)data;
	return 0;
}

/* The answer to a change that did not happen: the one place registry
 * results become CoAP codes. */
static void
rd_reply_error(struct gateway *gw, coap_pdu_t *pdu, enum registry_result res)
{
	switch (res) {
	case REGISTRY_NOT_FOUND:
		coap_reply(gw, pdu, COAP_RESPONSE_CODE_NOT_FOUND,
		    "registration not found");
		break;
	case REGISTRY_FULL:
		coap_reply(gw, pdu, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE,
		    "registry full");
		break;
	default:
		coap_reply(gw, pdu, COAP_RESPONSE_CODE_INTERNAL_ERROR,
		    "storage failure");
		break;
	}
}

/* Location-Path rd/<id> of a registration. */
static void
rd_location(coap_pdu_t *pdu, uint64_t regid)
{
	char id[REGISTRY_ID_LEN + 1];

	registry_id_str(regid, id);
	coap_add_option(pdu, COAP_OPTION_LOCATION_PATH, 2,
	    (const uint8_t *)"rd");
	coap_add_option(pdu, COAP_OPTION_LOCATION_PATH, REGISTRY_ID_LEN,
	    (const uint8_t *)id);
}

/*
 * Sends the answer to pd that libcoap was told not to send: an ACK carrying
 * the response for a confirmable request (piggybacked, as if it had been
 * answered at once), a NON for a non-confirmable one.
 */
static void
rd_answer(struct rd_pending *pd)
{
	static const coap_pdu_code_t ok[] = {
		[RD_REGISTER] = COAP_RESPONSE_CODE_CREATED,
		[RD_UPDATE] = COAP_RESPONSE_CODE_CHANGED,
		[RD_DEREGISTER] = COAP_RESPONSE_CODE_DELETED,
	};
	coap_session_t *s = pd->session;
	coap_pdu_t *pdu;
	size_t i;

	pdu = coap_pdu_init(pd->type == COAP_MESSAGE_CON ? COAP_MESSAGE_ACK :
	    COAP_MESSAGE_NON, 0, pd->type == COAP_MESSAGE_CON ? pd->mid :
	    coap_new_message_id(s), coap_session_max_pdu_size(s));
	if (pdu == NULL || !coap_add_token(pdu, pd->token_len, pd->token)) {
		log_warnx("coap: cannot build a response: out of memory");
		coap_delete_pdu(pdu);
		return;
	}
	if (pd->res == REGISTRY_OK && pd->op == RD_REGISTER)
		rd_location(pdu, pd->regid);
	for (i = 0; i < pd->nopts; i++)
		coap_add_option(pdu, pd->opts[i].number, pd->opts[i].len,
		    pd->opts[i].value);
	if (pd->res == REGISTRY_OK)
		coap_reply(rd_gw(pd), pdu, ok[pd->op], NULL);
	else
		rd_reply_error(rd_gw(pd), pdu, pd->res);
	if (coap_send(s, pdu) == COAP_INVALID_MID)
		log_debug("coap: response to %s not sent", coap_session_str(s));
}

/* The first registration over a session that the device's pending
 * (issued) credential authenticated: that one becomes its credential. */
static void
rd_promote(struct gateway *gw, coap_session_t *s, enum rd_op op,
    const char *ep)
{
	struct coap_peer *peer = coap_session_get_app_data(s);

	if (op != RD_REGISTER || peer == NULL || !peer->auth_pending ||
	    peer->auth_ep == NULL || strcmp(peer->auth_ep, ep) != 0)
		return;
	peer->auth_pending = 0;
	peer->auth_both = 0;
	if (cred_promote(gw, ep) == -1)
		log_warnx("device %s: cannot retire its old credential", ep);
}

/* Store callback: the change is on disk (or failed). Answers, and keeps
 * the answer of a confirmable request as the session's last. */
static void
rd_done(enum registry_result res, uint64_t regid, void *arg)
{
	struct rd_pending *pd = arg;
	coap_session_t *s = pd->session;
	struct gateway *gw = rd_gw(pd);
	struct coap_peer *peer;
	struct device *dev;

	rd_unpark(pd);
	pd->res = (uint8_t)res;
	pd->regid = regid;
	rd_answer(pd);
	if (res == REGISTRY_OK && pd->op != RD_DEREGISTER &&
	    (dev = registry_find_by_id(gw->registry, regid)) != NULL) {
		if (pd->op == RD_REGISTER)
			devreq_registered_anew(gw, dev->ep);
		devreq_set_route(gw, dev->ep, s);
		queue_wake(gw, dev->ep);	/* what waited for it goes */
		observe_wake(gw, dev->ep);
		rd_promote(gw, s, pd->op, dev->ep);
	}
	if (pd->type == COAP_MESSAGE_CON && (peer = coap_peer(s)) != NULL) {
		free(peer->rd_last);
		peer->rd_last = pd;	/* session pointer kept, unreferenced */
	} else {
		free(pd);
	}
	coap_session_release(s);
}

void
rd_peer_free(struct coap_peer *peer)
{
	free(peer->rd_last);
	peer->rd_last = NULL;
	rdblock_session_gone(peer->session);
}

/*
 * Parks a request until its change commits. libcoap sends nothing for it:
 * a response of type NON with code 0.00 is dropped (RFC 7252 has no empty
 * NON); rd_done sends the real one. A retransmission of a request already
 * parked (same session and message id) is dropped the same way. Returns
 * NULL after answering 5.00 itself.
 */
static struct rd_pending *
rd_park(struct gateway *gw, coap_session_t *s, const coap_pdu_t *req,
    coap_pdu_t *resp, enum rd_op op)
{
	coap_bin_const_t tok = coap_pdu_get_token(req);
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	struct rd_pending *pd, **bucket;

	if ((pd = calloc(1, sizeof(*pd))) == NULL) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_INTERNAL_ERROR,
		    "out of memory");
		return NULL;
	}
	pd->session = coap_session_reference(s);
	pd->mid = coap_pdu_get_mid(req);
	pd->type = (uint8_t)coap_pdu_get_type(req);
	pd->op = (uint8_t)op;
	pd->token_len = (uint8_t)tok.length;
	memcpy(pd->token, tok.s, tok.length);
	/* Keep what libcoap put on the response so far (Block1 of the last
	 * block of a block-wise body). */
	coap_option_iterator_init(resp, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL &&
	    pd->nopts < RD_KEEP_OPTS) {
		if (coap_opt_length(opt) > RD_OPT_MAX)
			continue;
		pd->opts[pd->nopts].number = it.number;
		pd->opts[pd->nopts].len = (uint8_t)coap_opt_length(opt);
		memcpy(pd->opts[pd->nopts].value, coap_opt_value(opt),
		    coap_opt_length(opt));
		pd->nopts++;
	}
	bucket = rd_bucket(s, pd->mid);
	pd->next = *bucket;
	*bucket = pd;
	coap_pdu_set_type(resp, COAP_MESSAGE_NON);
	return pd;
}

/*
 * A repeat of a confirmable request (same session, same message id): one
 * still waiting for its commit is dropped (its answer comes), one already
 * answered gets the same answer again. Either way libcoap sends nothing.
 */
static int
rd_is_repeat(coap_session_t *s, const coap_pdu_t *req, coap_pdu_t *resp)
{
	struct coap_peer *peer = coap_session_get_app_data(s);
	struct rd_pending *pd;
	coap_mid_t mid = coap_pdu_get_mid(req);

	if (coap_pdu_get_type(req) != COAP_MESSAGE_CON)
		return 0;
	for (pd = *rd_bucket(s, mid); pd != NULL; pd = pd->next)
		if (pd->session == s && pd->mid == mid)
			break;
	if (pd == NULL && peer != NULL && peer->rd_last != NULL &&
	    peer->rd_last->mid == mid) {
		rd_answer(peer->rd_last);
		pd = peer->rd_last;
	}
	if (pd == NULL)
		return 0;
	coap_pdu_set_type(resp, COAP_MESSAGE_NON);
	return 1;
}

/* Staging failed: unpark and answer at once. */
static void
rd_stage(coap_pdu_t *resp, struct rd_pending *pd, enum registry_result res)
{
	if (res == REGISTRY_OK)
		return;
	rd_unpark(pd);
	coap_pdu_set_type(resp, pd->type == COAP_MESSAGE_CON ?
	    COAP_MESSAGE_ACK : COAP_MESSAGE_NON);
	rd_reply_error(rd_gw(pd), resp, res);
	coap_session_release(pd->session);
	free(pd);
}

/*
 * Reads the parameters and the body of a register or update. Bad ones are
 * answered here (4.00, 4.13, 4.15) and give -1.
 */
static int
rd_read(struct gateway *gw, coap_session_t *s, const coap_pdu_t *req,
    coap_pdu_t *resp, struct lwm2m_params *p, const char **body, size_t *len)
{
	const uint8_t *whole = NULL;
	size_t wlen = 0;
	coap_pdu_code_t code;
	char err[160];
	int cf;

	if (rd_parse_options(req, p, &cf, err, sizeof(err)) == -1 ||
	    rd_check_lifetime(gw, p, err, sizeof(err)) == -1) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_BAD_REQUEST, err);
		return -1;
	}
	if (rd_block1(gw, s, req, resp, (size_t)gw->cfg.coap_max_links,
	    &whole, &wlen) == -1)
		return -1;
	if ((code = rd_body(gw, req, cf, whole, wlen, body, len, err,
	    sizeof(err))) != 0) {
		coap_reply(gw, resp, code, err);
		return -1;
	}
	return 0;
}

/* Refuses a request whose session may not act for ep (NULL: for anyone,
 * before the registration is even looked up). Returns -1 after answering. */
static int
rd_refuse(struct gateway *gw, coap_session_t *s, const char *ep,
    coap_pdu_t *resp)
{
	const char *why = "plain CoAP is not accepted from here: use DTLS";
	coap_pdu_code_t code = COAP_RESPONSE_CODE_UNAUTHORIZED;

	if (ep == NULL ? coap_plain_allowed(gw, s) :
	    (code = coap_auth_check(gw, s, ep, &why)) == 0)
		return 0;
	coap_reply(gw, resp, code, why);
	return -1;
}

/* POST /rd: register. */
void
rd_register(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct gateway *gw = coap_resource_get_userdata(r);
	struct lwm2m_params p;
	struct dev_addr from;
	struct rd_pending *pd;
	struct device *dev;
	const char *body;
	size_t len;

	(void)query;
	if (rd_is_repeat(s, req, resp))
		return;
	gw->metrics.coap_in++;
	if (rd_refuse(gw, s, NULL, resp) == -1)
		return;
	if (coap_pdu_get_type(req) != COAP_MESSAGE_CON) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_BAD_REQUEST,
		    "register must be confirmable");
		return;
	}
	if (rd_read(gw, s, req, resp, &p, &body, &len) == -1)
		return;
	if (!p.has_ep) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_BAD_REQUEST,
		    "missing ep");
		return;
	}
	if (rd_refuse(gw, s, p.ep, resp) == -1)
		return;
	coap_session_dev_addr(s, &from);
	if ((dev = registry_find_by_endpoint(gw->registry, p.ep)) != NULL &&
	    registry_register_repeat(gw->registry, dev, coap_pdu_get_mid(req),
	    &from)) {
		log_debug("device %s: a repeat of its register: answered as "
		    "the first was", p.ep);
		rd_location(resp, dev->r.id);
		coap_reply(gw, resp, COAP_RESPONSE_CODE_CREATED, NULL);
		return;
	}
	if ((pd = rd_park(gw, s, req, resp, RD_REGISTER)) == NULL)
		return;
	rd_stage(resp, pd, registry_register(gw->registry, &p,
	    body, len, &from, coap_pdu_get_mid(req), rd_done, pd));
}

/* The second segment of req's Uri-Path (the id of /rd/{id}); its length
 * in *len, 0 when there is none. */
static const char *
rd_item_id(const coap_pdu_t *req, size_t *len)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	int n = 0;

	*len = 0;
	coap_option_iterator_init(req, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL)
		if (it.number == COAP_OPTION_URI_PATH && n++ == 1) {
			*len = coap_opt_length(opt);
			return (const char *)coap_opt_value(opt);
		}
	return NULL;
}

/* POST /rd/<id>: update. DELETE /rd/<id>: deregister. */
void
rd_item(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct gateway *gw = coap_gateway(coap_session_get_context(s));
	struct lwm2m_params p;
	struct dev_addr from;
	struct rd_pending *pd;
	struct device *dev;
	const char *body;
	size_t len;
	uint64_t id;
	int del = coap_pdu_get_code(req) == COAP_REQUEST_CODE_DELETE;
	size_t idlen;
	const char *idstr = rd_item_id(req, &idlen);

	(void)r;
	(void)query;
	if (rd_is_repeat(s, req, resp))
		return;
	gw->metrics.coap_in++;
	if (rd_refuse(gw, s, NULL, resp) == -1)
		return;
	if (!del && coap_pdu_get_code(req) != COAP_REQUEST_CODE_POST) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_NOT_ALLOWED,
		    "use POST (update) or DELETE (deregister)");
		return;
	}
	if (registry_id_parse(idstr, idlen, &id) == -1 ||
	    (dev = registry_find_by_id(gw->registry, id)) == NULL) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_NOT_FOUND,
		    "registration not found");
		return;
	}
	if (rd_refuse(gw, s, dev->ep, resp) == -1)
		return;
	if (del) {
		devreq_drop_route(gw, dev->ep);
		if ((pd = rd_park(gw, s, req, resp, RD_DEREGISTER)) != NULL)
			rd_stage(resp, pd, registry_deregister(
			    gw->registry, id, rd_done, pd));
		return;
	}
	if (rd_read(gw, s, req, resp, &p, &body, &len) == -1)
		return;
	if (p.has_ep || p.has_version) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_BAD_REQUEST,
		    "ep and lwm2m are not allowed in an update");
		return;
	}
	coap_session_dev_addr(s, &from);
	if ((pd = rd_park(gw, s, req, resp, RD_UPDATE)) == NULL)
		return;
	rd_stage(resp, pd, registry_update(gw->registry, id, &p,
	    body, len, &from, rd_done, pd));
}
