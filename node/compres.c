/*
 * compres.c: the root resource / of each shard, and on it LwM2M 1.1
 * Read-Composite and Observe-Composite: a FETCH whose body names the paths
 * (node/comp.h), answered 2.05 with one pack of their records, SenML JSON
 * (110) or, when Accept asks, SenML CBOR (112).
 *
 * With Observe 0 the FETCH is an observation of the set (RFC 7641 with
 * RFC 8132: the token and the body identify it). libcoap keeps the
 * observer (the request with its body) as it does for a GET, cancels it
 * on Observe 1 with its token, on a RST to a notification and with the
 * session, and builds each notification by calling this handler again.
 * This file keeps, per observation, which resources it watches: each
 * member's resource is observed as a GET of it would be (observe.c,
 * counted in obs.comp), and a member that would notify on its own makes
 * every composite observation of the shard notify (compres_due): libcoap
 * 4.3.1 notifies all observers of a resource together, so an observation
 * may hear its unchanged values again, sooner than its own pmin, when
 * another one's member changes (RFC 7641 allows it; a fleet's observers
 * of one resource share the same).
 *
 * libcoap does not say when it drops an observer; each round of
 * notifications does, by calling the handler for every live one: an
 * observation not served in a round that was served is forgotten at the
 * next, and one that is served again but was forgotten is taken up again
 * from its request.
 *
 * Limits: COMP_PATHS_MAX names (4.13 beyond), COMPRES_OBS_MAX composite
 * observations per peer session (5.03 beyond).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "node/coap.h"
#include "node/comp.h"

#define COMPRES_OBS_MAX	8	/* composite observations of one session */

/* One composite observation. The session is compared, never used: it
 * may be gone (see above). */
struct comp_obs {
	const void		*session;
	uint8_t			 token[8];
	size_t			 toklen;
	struct comp_list	 list;
	struct res_slot		*slots[COMP_PATHS_MAX];	/* observed */
	size_t			 nslots;
	int			 alive;		/* served since the last
						 * round began */
};

/* The slot of path p in sh: an object, its instance or a resource. */
static struct res_slot *
compres_slot(struct shard *sh, const struct comp_path *p)
{
	enum res_kind kind = p->iid < 0 ? RES_OBJECT : p->rid < 0 ?
	    RES_INSTANCE : RES_ONE;
	size_t i;

	if (p->iid > 0)
		return NULL;	/* each object has the one instance 0 */
	for (i = 0; i < sh->nslots; i++)
		if (sh->slots[i].kind == kind && sh->slots[i].oid == p->oid &&
		    (kind != RES_ONE || sh->slots[i].rid == p->rid))
			return &sh->slots[i];
	return NULL;
}

/* The observation of session s with token tok, or NULL. */
static struct comp_obs *
compres_find(struct shard *sh, const void *s, coap_bin_const_t tok)
{
	size_t i;

	for (i = 0; i < sh->ncomps; i++)
		if (sh->comps[i].session == s &&
		    sh->comps[i].toklen == tok.length &&
		    memcmp(sh->comps[i].token, tok.s, tok.length) == 0)
			return &sh->comps[i];
	return NULL;
}

/* Forgets the observation at index i: its members are observed one
 * observation less. */
static void
compres_drop(struct shard *sh, size_t i)
{
	struct comp_obs *c = &sh->comps[i];
	size_t k;

	for (k = 0; k < c->nslots; k++)
		obs_comp_del(&c->slots[k]->obs);
	sh->comps[i] = sh->comps[--sh->ncomps];
}

/*
 * Takes up the observation of s with token tok over l with attributes a:
 * replaces one of s over the same paths (an observer made again with a
 * new token), else adds one. NODE_UNAVAILABLE when s has
 * COMPRES_OBS_MAX already.
 */
static enum node_result
compres_add(struct shard *sh, const void *s, coap_bin_const_t tok,
    const struct comp_list *l, const struct attr *a)
{
	struct comp_obs *c, *grown;
	size_t i, count = 0;

	for (i = 0; i < sh->ncomps; i++)
		if (sh->comps[i].session == s &&
		    comp_same(&sh->comps[i].list, l)) {
			compres_drop(sh, i);
			break;
		}
	for (i = 0; i < sh->ncomps; i++)
		count += sh->comps[i].session == s;
	if (count >= COMPRES_OBS_MAX)
		return NODE_UNAVAILABLE;
	if (sh->ncomps == sh->comps_cap) {
		if ((grown = reallocarray(sh->comps, sh->comps_cap + 4,
		    sizeof(*grown))) == NULL)
			return NODE_INTERNAL;
		sh->comps = grown;
		sh->comps_cap += 4;
	}
	c = &sh->comps[sh->ncomps++];
	memset(c, 0, sizeof(*c));
	c->session = s;
	c->toklen = tok.length > sizeof(c->token) ? sizeof(c->token) :
	    tok.length;
	memcpy(c->token, tok.s, c->toklen);
	c->list = *l;
	c->alive = 1;
	for (i = 0; i < l->n; i++)
		if ((c->slots[c->nslots] = compres_slot(sh, &l->p[i])) != NULL)
			obs_comp_add(&c->slots[c->nslots++]->obs, a);
	return NODE_OK;
}

/* shard.comp_due, called by observe.c: a member of a composite
 * observation would notify, so they all do. */
static void
compres_due(struct shard *sh)
{
	size_t i;

	if (sh->ncomps == 0)
		return;
	/* The last round was served: who was not is gone. */
	if (sh->comp_served)
		for (i = sh->ncomps; i-- > 0;)
			if (!sh->comps[i].alive) {
				log_debug("observe: a composite observation "
				    "is gone");
				compres_drop(sh, i);
			}
	for (i = 0; i < sh->ncomps; i++)
		sh->comps[i].alive = 0;
	sh->comp_served = 0;
	if (sh->ncomps > 0 && !coap_resource_notify_observers(sh->root,
	    NULL)) {
		log_debug("observe: no composite observation is left");
		while (sh->ncomps > 0)
			compres_drop(sh, sh->ncomps - 1);
	}
}

/* The Uri-Query attributes of a composite observation: periods only. */
static int
compres_attrs(const coap_pdu_t *req, struct attr *a, char *err, size_t errlen)
{
	static const struct attr none;
	struct attr out;

	if (reply_attrs(req, a, err, errlen) == -1)
		return -1;
	if (a->clear != 0) {
		snprintf(err, errlen, "an attribute without a value");
		return -1;
	}
	return attr_write(&none, a, 0, 0, &out, err, errlen);
}

static void
compres_release(coap_session_t *s, void *data)
{
	(void)s;
	free(data);
}

/*
 * What an Observe option of req asks, with the answer resp: 0 a
 * registration (libcoap took it: resp has Observe) or a notification of
 * it, 1 a cancellation, -1 neither.
 */
static int
compres_observe(const coap_pdu_t *req, coap_pdu_t *resp)
{
	coap_opt_iterator_t it;
	int o = reply_uint_option(req, COAP_OPTION_OBSERVE);

	if (o == COAP_OBSERVE_ESTABLISH)
		return coap_check_option(resp, COAP_OPTION_OBSERVE, &it) !=
		    NULL ? 0 : -1;
	return o == COAP_OBSERVE_CANCEL ? 1 : -1;
}

/* Whether resp is a notification rather than the answer to req: libcoap
 * keeps the request (a CON) and sends its notifications as NON or CON. */
static int
compres_is_notification(const coap_pdu_t *req, const coap_pdu_t *resp)
{
	return coap_pdu_get_type(req) == COAP_MESSAGE_CON &&
	    coap_pdu_get_type(resp) != COAP_MESSAGE_ACK;
}

/* Keeps the observation book of req (obs: compres_observe) up to date.
 * NODE_OK, or the result to answer instead. */
static enum node_result
compres_book(struct shard *sh, coap_session_t *s, const coap_pdu_t *req,
    coap_pdu_t *resp, int obs, const struct comp_list *l,
    const struct attr *a, const char *ep)
{
	coap_bin_const_t tok = coap_pdu_get_token(req);
	struct comp_obs *c = compres_find(sh, s, tok);
	enum node_result res;
	char first[24];

	if (obs == 1) {
		if (c != NULL) {
			compres_drop(sh, (size_t)(c - sh->comps));
			log_debug("%s: composite observation cancelled", ep);
		}
		return NODE_OK;
	}
	if (c != NULL) {
		c->alive = 1;
		if (compres_is_notification(req, resp)) {
			sh->comp_served = 1;
			log_debug("%s: composite notification", ep);
		}
		return NODE_OK;
	}
	if ((res = compres_add(sh, s, tok, l, a)) == NODE_UNAVAILABLE) {
		log_warnx("%s: composite observation refused: %d already",
		    ep, COMPRES_OBS_MAX);
		return res;
	}
	comp_path_text(&l->p[0], first, sizeof(first));
	log_debug("%s: composite observation of %s and %zu more path(s)", ep,
	    first, l->n - 1);
	return res;
}

/* FETCH /: Read-Composite, Observe-Composite and its notifications. */
static void
compres_fetch(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct shard *sh = coap_resource_get_userdata(r);
	struct node_dev *d = link_dev_of(sh, s);
	struct node *n = d->node;
	enum node_result res;
	struct comp_list l;
	const uint8_t *body;
	struct attr a;
	uint8_t *pack;
	size_t len;
	char err[160];
	int accept = reply_uint_option(req, COAP_OPTION_ACCEPT), obs;

	reply_activity(d);
	if (accept == -1)
		accept = COMP_CF_SENML_JSON;
	if (accept != COMP_CF_SENML_JSON && accept != COMP_CF_SENML_CBOR) {
		reply_result(resp, NODE_NOT_ACCEPTABLE, "a composite read "
		    "answers SenML JSON (110) or SenML CBOR (112)");
		return;
	}
	if (compres_attrs(req, &a, err, sizeof(err)) == -1) {
		reply_result(resp, NODE_BAD_REQUEST, err);
		return;
	}
	reply_body(req, &body, &len);
	if ((res = comp_parse(reply_uint_option(req,
	    COAP_OPTION_CONTENT_FORMAT), body, len, &l, err, sizeof(err))) !=
	    NODE_OK) {
		reply_result(resp, res, err);
		return;
	}
	if ((obs = compres_observe(req, resp)) >= 0 &&
	    (res = compres_book(sh, s, req, resp, obs, &l, &a, d->ep)) !=
	    NODE_OK) {
		reply_result(resp, res, res == NODE_UNAVAILABLE ? "too many "
		    "composite observations" : "out of memory");
		return;
	}
	if ((pack = comp_read(&n->obj, d->ep, n->fwops != NULL ?
	    n->fwops->read(d) : &n->obj.fw, &l, accept == COMP_CF_SENML_CBOR,
	    &len, err, sizeof(err))) == NULL) {
		reply_result(resp, NODE_INTERNAL, err);
		return;
	}
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
	coap_add_data_large_response(r, s, req, resp, query, (uint16_t)accept,
	    -1, 0, len, pack, compres_release, pack);
}

int
compres_init(struct shard *sh)
{
	coap_resource_t *r;

	if ((r = coap_resource_init(NULL, 0)) == NULL)
		return -1;
	coap_resource_set_userdata(r, sh);
	coap_register_request_handler(r, COAP_REQUEST_FETCH, compres_fetch);
	coap_resource_set_get_observable(r, 1);
	coap_add_resource(sh->ctx, r);
	sh->root = r;
	sh->comp_due = compres_due;
	return 0;
}

void
compres_free(struct shard *sh)
{
	free(sh->comps);
	sh->comps = NULL;
	sh->ncomps = sh->comps_cap = 0;
	sh->root = NULL;
}
