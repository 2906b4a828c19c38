/*
 * coap.h: the CoAP side of the gateway (modules/coap.c: context, endpoint
 * and its place in the reactor; modules/rd.c: the registration interface).
 * Only these files include libcoap's headers.
 */
#ifndef OUTPOST_COAP_H
#define OUTPOST_COAP_H

#include <coap3/coap.h>

struct gateway;
struct rd_pending;
struct devroute;

/* What the gateway keeps per CoAP session (its libcoap app data): made on
 * first use, freed when libcoap deletes the session. */
struct coap_peer {
	struct rd_pending	*rd_last;	/* rd.c: last answer sent */
	struct devroute		*routes;	/* devreq.c: devices on it */
	struct coap_peer	*prev, *next;	/* every peer, for shutdown */
};

/* The session's peer state, created if needed; NULL when out of memory. */
struct coap_peer *coap_peer(coap_session_t *s);

/* The gateway a libcoap context belongs to. */
struct gateway	*coap_gateway(coap_context_t *ctx);

/* Sets a response's code and, for errors, a diagnostic payload (RFC 7252
 * §5.5.2); counts it. The one place CoAP answers are written. */
void		 coap_reply(struct gateway *gw, coap_pdu_t *resp,
		    coap_pdu_code_t code, const char *diag);

/* rd.c: adds /rd; handles /rd/<id> for the dispatcher in coap.c. */
int		 rd_init(struct gateway *gw, coap_context_t *ctx);
void		 rd_item(coap_resource_t *r, coap_session_t *s,
		    const coap_pdu_t *req, const char *id, size_t idlen,
		    coap_pdu_t *resp);
void		 rd_peer_free(struct coap_peer *peer);

/* send.c: adds /dp (LwM2M Send). */
int		 send_init(struct gateway *gw, coap_context_t *ctx);

/* devreq.c: the device's route is the session of its latest register or
 * update; it ends with the session or the registration. */
void		 devreq_set_route(struct gateway *gw, const char *ep,
		    coap_session_t *s);
void		 devreq_peer_gone(struct coap_peer *peer);
/* The endpoint whose route is session s, or NULL. */
const char	*devreq_session_ep(coap_session_t *s);
coap_response_t	 devreq_response(coap_session_t *s, const coap_pdu_t *sent,
		    const coap_pdu_t *rcvd, const coap_mid_t mid);
void		 devreq_nack(coap_session_t *s, const coap_pdu_t *sent,
		    const coap_nack_reason_t reason, const coap_mid_t mid);

#endif /* OUTPOST_COAP_H */
