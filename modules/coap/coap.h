/*
 * coap.h: the CoAP side of the gateway (modules/coap/coap.c: context, endpoint
 * and its place in the reactor; modules/coap/rd.c: the registration interface).
 * Only these files include libcoap's headers.
 */
#ifndef OUTPOST_COAP_H
#define OUTPOST_COAP_H

#include <coap3/coap.h>

#include "lwm2m/lwm2m.h"

struct gateway;
struct rd_pending;
struct devq;
struct device;

/* What the gateway keeps per CoAP session (its libcoap app data): made on
 * first use, freed when libcoap deletes the session. */
struct coap_peer {
	struct rd_pending	*rd_last;	/* rd.c: last answer sent */
	coap_session_t		*session;	/* the session this is of */
	struct device		*devices;	/* devreq.c: devices routed here */
	struct devq		*busy;		/* devreq.c: those with requests
						   or observations out */
	struct coap_peer	*prev, *next;	/* every peer, for shutdown */
	char			*auth_ep;	/* dtls.c: the ep its handshake
						   proved (malloc'd), or NULL:
						   plain sessions pay 8 bytes */
};

/* The session's peer state, created if needed; NULL when out of memory. */
struct coap_peer *coap_peer(coap_session_t *s);

/* The session's remote address in the registry's form. */
struct dev_addr;
void		 coap_session_dev_addr(coap_session_t *s, struct dev_addr *a);

/*
 * observe.c: a response nobody waits for came on s. After a gateway
 * restart a device still notifies the observations of the previous run;
 * when s is the address its registration came from (and may act for it),
 * the device is there: it is routed, its observations are made again and
 * its queue goes, without waiting for its next update. The stray itself
 * is refused (RST) as before, which ends the old observation.
 */
void		 observe_stray(struct gateway *gw, coap_session_t *s);

/* Every peer, for a walk (dtls_close_ep). */
struct coap_peer *coap_peers(struct gateway *gw);

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

/* dtls.c: PSK (keys from the store, per handshake) and, with a key file,
 * X.509 or RPK on the context; dtls_free at shutdown. */
int		 dtls_init(struct gateway *gw, coap_context_t *ctx);
void		 dtls_free(void);
/* Whether [coap] plain lets session s in at all (DTLS: always). */
int		 coap_plain_allowed(struct gateway *gw, coap_session_t *s);
/* Whether s may act for ep: 0, or the code to refuse with (4.01 for a
 * peer that proved nothing, 4.03 for one that proved another ep) and a
 * diagnostic in *why. */
coap_pdu_code_t	 coap_auth_check(struct gateway *gw, coap_session_t *s,
		    const char *ep, const char **why);

/* fwserve.c: serves the complete images under /fw; fwserve_stop before
 * the context goes. */
int		 fwserve_init(struct gateway *gw, coap_context_t *ctx);
void		 fwserve_stop(struct gateway *gw);

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
