/*
 * rd.c: the LwM2M 1.1 registration interface on CoAP /rd.
 *
 *   POST   /rd?ep=..&lt=..&lwm2m=..&b=..[&Q]  register   -> 2.01 rd/<id>
 *   POST   /rd/<id>[?lt=..&b=..]              update     -> 2.04
 *   DELETE /rd/<id>                           deregister -> 2.02
 *
 * A change is answered only once the store has committed it. The request
 * is parked with libcoap's async support (an empty ACK goes out at once, so
 * the client does not retransmit) and the response follows as a separate
 * response when the batch of this loop turn is on disk.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "modules/coap.h"
#include "modules/lwm2m.h"
#include "modules/registry.h"

enum rd_op { RD_REGISTER, RD_UPDATE, RD_DEREGISTER };

/* A request waiting for its commit. */
struct rd_pending {
	struct gateway		*gw;
	coap_async_t		*async;
	enum rd_op		 op;
	int			 ready;
	enum registry_result	 res;
	uint64_t		 id;
};

static void
rd_addr_from(coap_session_t *s, struct dev_addr *a)
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

/* Reads every Uri-Query option into p. Returns 0 or -1 with err. */
static int
rd_parse_query(const coap_pdu_t *req, struct lwm2m_params *p, char *err,
    size_t errlen)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	coap_opt_filter_t f;

	memset(p, 0, sizeof(*p));
	coap_option_filter_clear(&f);
	coap_option_filter_set(&f, COAP_OPTION_URI_QUERY);
	coap_option_iterator_init(req, &it, &f);
	while ((opt = coap_option_next(&it)) != NULL)
		if (lwm2m_parse_query(p, coap_opt_value(opt),
		    coap_opt_length(opt), err, errlen) == -1)
			return -1;
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
 * Gets the link-format body, if any, and validates it. Returns 0 with *body
 * (NULL when there is none), or the CoAP code to answer with and err.
 */
static coap_pdu_code_t
rd_body(struct gateway *gw, const coap_pdu_t *req, const char **body,
    size_t *len, char *err, size_t errlen)
{
	const uint8_t *data;
	size_t offset, total;
	coap_opt_iterator_t it;
	coap_opt_t *cf;

	*body = NULL;
	*len = 0;
	if ((cf = coap_check_option(req, COAP_OPTION_CONTENT_FORMAT, &it)) !=
	    NULL && coap_decode_var_bytes(coap_opt_value(cf),
	    coap_opt_length(cf)) != COAP_MEDIATYPE_APPLICATION_LINK_FORMAT) {
		snprintf(err, errlen, "body must be link-format (40)");
		return COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT;
	}
	if (!coap_get_data_large(req, len, &data, &offset, &total) ||
	    *len == 0)
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

/* Store callback: the change is on disk (or failed); wake the request. */
static void
rd_done(enum registry_result res, uint64_t id, void *arg)
{
	struct rd_pending *pd = arg;

	pd->res = res;
	pd->id = id;
	pd->ready = 1;
	coap_async_trigger(pd->async);
}

/* Second call of a handler for a parked request: send the outcome. */
static void
rd_finish(struct rd_pending *pd, coap_async_t *async, coap_pdu_t *resp)
{
	static const coap_pdu_code_t ok[] = {
		[RD_REGISTER] = COAP_RESPONSE_CODE_CREATED,
		[RD_UPDATE] = COAP_RESPONSE_CODE_CHANGED,
		[RD_DEREGISTER] = COAP_RESPONSE_CODE_DELETED,
	};
	char id[REGISTRY_ID_LEN + 1];

	coap_async_set_app_data(async, NULL);
	switch (pd->res) {
	case REGISTRY_OK:
		if (pd->op == RD_REGISTER) {
			registry_id_str(pd->id, id);
			coap_add_option(resp, COAP_OPTION_LOCATION_PATH, 2,
			    (const uint8_t *)"rd");
			coap_add_option(resp, COAP_OPTION_LOCATION_PATH,
			    REGISTRY_ID_LEN, (const uint8_t *)id);
		}
		coap_reply(pd->gw, resp, ok[pd->op], NULL);
		break;
	case REGISTRY_NOT_FOUND:
		coap_reply(pd->gw, resp, COAP_RESPONSE_CODE_NOT_FOUND,
		    "registration not found");
		break;
	default:
		coap_reply(pd->gw, resp, COAP_RESPONSE_CODE_INTERNAL_ERROR,
		    "storage failure");
		break;
	}
	free(pd);
}

/*
 * Common front of every /rd handler: on the second call for a parked
 * request it answers and returns NULL; otherwise it counts the request and
 * parks nothing yet.
 */
static int
rd_resume(coap_session_t *s, const coap_pdu_t *req, coap_pdu_t *resp)
{
	coap_async_t *async = coap_find_async(s, coap_pdu_get_token(req));
	struct rd_pending *pd;

	if (async == NULL)
		return 0;
	if ((pd = coap_async_get_app_data(async)) != NULL && pd->ready)
		rd_finish(pd, async, resp);
	return 1;
}

/* Parks the request until its change commits; answers errors at once. */
static void
rd_stage(struct gateway *gw, coap_session_t *s, const coap_pdu_t *req,
    coap_pdu_t *resp, struct rd_pending *pd, enum registry_result res)
{
	switch (res) {
	case REGISTRY_OK:
		return;
	case REGISTRY_NOT_FOUND:
		coap_reply(gw, resp, COAP_RESPONSE_CODE_NOT_FOUND,
		    "registration not found");
		break;
	case REGISTRY_FULL:
		coap_reply(gw, resp, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE,
		    "registry full");
		break;
	default:
		coap_reply(gw, resp, COAP_RESPONSE_CODE_INTERNAL_ERROR,
		    "storage failure");
		break;
	}
	(void)req;
	coap_free_async(s, pd->async);
	free(pd);
}

/* Allocates the pending state and registers the async; NULL answers 5.00. */
static struct rd_pending *
rd_park(struct gateway *gw, coap_session_t *s, const coap_pdu_t *req,
    coap_pdu_t *resp, enum rd_op op)
{
	struct rd_pending *pd = calloc(1, sizeof(*pd));

	if (pd == NULL || (pd->async = coap_register_async(s, req, 0)) ==
	    NULL) {
		free(pd);
		coap_reply(gw, resp, COAP_RESPONSE_CODE_INTERNAL_ERROR,
		    "out of memory");
		return NULL;
	}
	pd->gw = gw;
	pd->op = op;
	coap_async_set_app_data(pd->async, pd);
	return pd;
}

/* POST /rd: register. */
static void
rd_register(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct gateway *gw = coap_resource_get_userdata(r);
	struct lwm2m_params p;
	struct dev_addr from;
	struct rd_pending *pd;
	const char *body;
	size_t len;
	coap_pdu_code_t code;
	char err[160];

	(void)query;
	if (rd_resume(s, req, resp))
		return;
	gw->metrics.coap_in++;
	if (coap_pdu_get_type(req) != COAP_MESSAGE_CON) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_BAD_REQUEST,
		    "register must be confirmable");
		return;
	}
	if (rd_parse_query(req, &p, err, sizeof(err)) == -1 ||
	    rd_check_lifetime(gw, &p, err, sizeof(err)) == -1) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_BAD_REQUEST, err);
		return;
	}
	if (!p.has_ep) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_BAD_REQUEST,
		    "missing ep");
		return;
	}
	if ((code = rd_body(gw, req, &body, &len, err, sizeof(err))) != 0) {
		coap_reply(gw, resp, code, err);
		return;
	}
	rd_addr_from(s, &from);
	if ((pd = rd_park(gw, s, req, resp, RD_REGISTER)) == NULL)
		return;
	rd_stage(gw, s, req, resp, pd, registry_register(gw->registry, &p,
	    body, len, &from, rd_done, pd));
}

/* POST /rd/<id>: update. DELETE /rd/<id>: deregister. */
void
rd_item(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const char *idstr, size_t idlen, coap_pdu_t *resp)
{
	struct gateway *gw = coap_gateway(coap_session_get_context(s));
	struct lwm2m_params p;
	struct dev_addr from;
	struct rd_pending *pd;
	const char *body;
	size_t len;
	uint64_t id;
	coap_pdu_code_t code;
	char err[160];
	int del = coap_pdu_get_code(req) == COAP_REQUEST_CODE_DELETE;

	(void)r;
	if (rd_resume(s, req, resp))
		return;
	gw->metrics.coap_in++;
	if (!del && coap_pdu_get_code(req) != COAP_REQUEST_CODE_POST) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_NOT_ALLOWED,
		    "use POST (update) or DELETE (deregister)");
		return;
	}
	if (registry_id_parse(idstr, idlen, &id) == -1 ||
	    registry_find_by_id(gw->registry, id) == NULL) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_NOT_FOUND,
		    "registration not found");
		return;
	}
	if (del) {
		if ((pd = rd_park(gw, s, req, resp, RD_DEREGISTER)) != NULL)
			rd_stage(gw, s, req, resp, pd, registry_deregister(
			    gw->registry, id, rd_done, pd));
		return;
	}
	if (rd_parse_query(req, &p, err, sizeof(err)) == -1 ||
	    rd_check_lifetime(gw, &p, err, sizeof(err)) == -1) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_BAD_REQUEST, err);
		return;
	}
	if (p.has_ep || p.has_version) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_BAD_REQUEST,
		    "ep and lwm2m are not allowed in an update");
		return;
	}
	if ((code = rd_body(gw, req, &body, &len, err, sizeof(err))) != 0) {
		coap_reply(gw, resp, code, err);
		return;
	}
	rd_addr_from(s, &from);
	if ((pd = rd_park(gw, s, req, resp, RD_UPDATE)) == NULL)
		return;
	rd_stage(gw, s, req, resp, pd, registry_update(gw->registry, id, &p,
	    body, len, &from, rd_done, pd));
}

int
rd_init(struct gateway *gw, coap_context_t *ctx)
{
	coap_resource_t *r;

	if ((r = coap_resource_init(coap_make_str_const("rd"), 0)) == NULL)
		return -1;
	coap_resource_set_userdata(r, gw);
	coap_register_request_handler(r, COAP_REQUEST_POST, rd_register);
	coap_add_attr(r, coap_make_str_const("rt"),
	    coap_make_str_const("\"core.rd\""), 0);
	coap_add_attr(r, coap_make_str_const("ct"), coap_make_str_const("40"),
	    0);
	coap_add_resource(ctx, r);
	return 0;
}
