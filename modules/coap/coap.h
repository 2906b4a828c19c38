/*
 * coap.h: the CoAP face of the gateway. coap.c: the context, its endpoints
 * and its place in the reactor, serving a route table; face.c: the table
 * (every resource the gateway serves) and the module that wires the rest:
 * rd.c (/rd), send.c (/dp), fwserve.c (/fw), dtls.c (who a peer is),
 * devreq.c (requests to devices). Only these files include libcoap.
 */
#ifndef OUTPOST_COAP_H
#define OUTPOST_COAP_H

#include <coap3/coap.h>

#include "log.h"
#include "lwm2m/lwm2m.h"
#include "modules/device/cred.h"

struct gateway;
struct rd_pending;
struct rd_part;
struct devq;
struct device;
struct event;
struct fwserve;
struct bs_face;

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
	uint8_t			 auth_pending;	/* with ep's pending (issued)
						   credential */
	uint8_t			 auth_both;	/* one of two keys under one
						   identity was tried */
	uint32_t		 routed;	/* devreq.c: devices routed
						   here; while any is, the
						   session is held */
};

#define COAP_ROUTE_GET		0x01
#define COAP_ROUTE_POST		0x02
#define COAP_ROUTE_PUT		0x04
#define COAP_ROUTE_DELETE	0x08

/*
 * One resource the gateway serves over CoAP: a row of coap_routes[]
 * (face.c), the twin of the HTTP side's api_routes[]. A fixed path ("rd")
 * is made at start with a handler for each of its methods. A segment "{}"
 * takes any one segment: such a row is matched by the dispatcher of
 * coap.c ("rd/{}": the handler checks the method), or, with instances set,
 * made one resource per instance by its owner (coap_route_instance: one
 * per firmware image, so that libcoap keeps each one's block-wise state).
 */
struct coap_route {
	const char		*path;		/* no leading '/' */
	unsigned		 methods;	/* COAP_ROUTE_* */
	coap_method_handler_t	 handler;
	const char		*rt;		/* rt= for /.well-known/core */
	const char		*ct;		/* ct= likewise */
	int			 instances;
};

/* The rate of a kind of stray notification looked into (devreq.c). */
#define COAP_STRAYS_PER_S	100

/* Requests waiting for a commit (rd.c), hashed by session and message id. */
#define RD_PARKED_BUCKETS	1024

/* The PEM files of [coap] (dtls.c), read once at start. */
enum { DTLS_PEM_CERT, DTLS_PEM_KEY, DTLS_PEM_CA, DTLS_PEM__COUNT };

/* The CoAP face's state (gw->coap), each part's named after its file. */
struct coap_server {
	coap_context_t		*ctx;
	struct coap_peer	*peers;		/* libcoap does not report
						   sessions it frees with the
						   context */
	coap_endpoint_t		*endpoint;
	coap_endpoint_t		*secure;	/* DTLS */
	struct coap_io		*io;		/* on the reactor */
	const struct coap_route	*routes;	/* face.c's table */
	size_t			 nroutes;
	void			(*peer_gone)(struct coap_peer *peer);

	/* rd.c: requests waiting for a commit; rdblock.c: bodies coming
	 * block-wise without Size1. */
	struct rd_pending	*rd_parked[RD_PARKED_BUCKETS];
	struct rd_part		*rd_parts;
	unsigned		 rd_nparts;

	/* devreq.c: stray notifications looked into this second. */
	int64_t			 stray_second;
	unsigned		 strays;

	/* dtls.c: the key handed to libcoap (which copies it at once,
	 * coap_session_refresh_psk_key), wiped on the next handshake; the
	 * PEM files (libcoap parses them at every handshake, which must not
	 * read a file on the reactor); refusals logged. */
	uint8_t			 dtls_key[CRED_KEY_MAX];
	coap_bin_const_t	 dtls_key_bin;
	uint8_t			*dtls_pem[DTLS_PEM__COUNT];
	size_t			 dtls_pem_len[DTLS_PEM__COUNT];
	struct log_budget	 dtls_log;

	/* bsserve.c: the bootstrap listeners' context, or NULL (off). */
	struct bs_face		*bs;
};

/*
 * coap_server_open makes the context (gw->coap) serving routes[0..n), and
 * calls peer_gone before a peer's state is freed; start opens the
 * endpoints of [coap] and puts the context on the reactor; close ends the
 * context and every peer; free releases the rest. The face's module calls
 * them (face.c).
 */
int		 coap_server_open(struct gateway *gw,
		    const struct coap_route *routes, size_t nroutes,
		    void (*peer_gone)(struct coap_peer *peer));
int		 coap_server_start(struct gateway *gw);
void		 coap_server_reload(struct gateway *gw);
void		 coap_server_close(struct gateway *gw);
void		 coap_server_free(struct gateway *gw);

/* An endpoint of proto on hp in ctx (what names the listener in the
 * log); NULL when it cannot be opened (the port is taken: logged). */
coap_endpoint_t	*coap_listen(coap_context_t *ctx, const struct gw_hostport *hp,
		    coap_proto_t proto, const char *what);

/* Puts ctx's epoll fd on the reactor: its datagrams and timers are handled
 * as they come, libcoap's walks of its sessions spaced by 10 to 100 ms
 * (see coap.c). NULL on failure (logged); coap_io_free takes it off. */
struct coap_io	*coap_io_on_reactor(struct gateway *gw, coap_context_t *ctx);
void		 coap_io_free(struct coap_io *io);
/* Makes the walk that ends this round of ctx's I/O run, not wait: a
 * session died, and libcoap drops its address's datagrams until the walk
 * frees it. */
void		 coap_io_walk_now(coap_context_t *ctx);
/* A client session's socket is about to be freed: the reads in hand stop
 * reading sockets that epoll did not just give. */
void		 coap_io_sockets_changed(coap_context_t *ctx);
/* A walk within the spacing: a session was released and may be idle. */
void		 coap_io_walk_soon(coap_context_t *ctx);
struct gw_config;
void		 coap_session_limits(coap_context_t *ctx,
		    const struct gw_config *cfg);
/* Sets the walks' least spacing, in ms, and their spacing now (tests);
 * returns what it was. */
unsigned	 coap_io_walk_ms(unsigned ms);

/* Makes the resource /path of the table's row pattern ("fw/{}"), or
 * forgets /path. */
int		 coap_route_instance(struct gateway *gw, const char *pattern,
		    const char *path);
void		 coap_route_forget(struct gateway *gw, const char *path);

/* The session's peer state, created if needed; NULL when out of memory. */
struct coap_peer *coap_peer(coap_session_t *s);

/* The session's remote address in the registry's form. */
struct dev_addr;
void		 coap_session_dev_addr(coap_session_t *s, struct dev_addr *a);

/* Every peer, for a walk (dtls_close_ep). */
struct coap_peer *coap_peers(struct gateway *gw);

/* The gateway a libcoap context belongs to. */
struct gateway	*coap_gateway(coap_context_t *ctx);

/* Sets a response's code and, for errors, a diagnostic payload (RFC 7252
 * §5.5.2); counts it. The one place CoAP answers are written. */
void		 coap_reply(struct gateway *gw, coap_pdu_t *resp,
		    coap_pdu_code_t code, const char *diag);

/* rd.c: POST /rd (register); POST and DELETE /rd/{id} (update,
 * deregister); a peer's last answer goes with it. */
void		 rd_register(coap_resource_t *r, coap_session_t *s,
		    const coap_pdu_t *req, const coap_string_t *query,
		    coap_pdu_t *resp);
void		 rd_item(coap_resource_t *r, coap_session_t *s,
		    const coap_pdu_t *req, const coap_string_t *query,
		    coap_pdu_t *resp);
void		 rd_peer_free(struct coap_peer *peer);

/* rdblock.c: a block of a body sent block-wise without Size1, which
 * libcoap hands over alone. 0: req is no such block (the body is
 * libcoap's); 1: the last block, *body and *len the whole, at most max
 * bytes (valid until the next call); -1: answered (2.31 Continue, or why
 * not). */
int		 rd_block1(struct gateway *gw, coap_session_t *s,
		    const coap_pdu_t *req, coap_pdu_t *resp, size_t max,
		    const uint8_t **body, size_t *len);
void		 rdblock_session_gone(coap_session_t *s);

/* dtls.c: PSK (keys from the store, per handshake) and, with a key file,
 * X.509 or RPK on the context; dtls_free at shutdown. */
int		 dtls_init(struct gateway *gw, coap_context_t *ctx);
/* The same with other callbacks (the bootstrap listener's, which look up
 * factory credentials): ctx gets the gateway's certificate or raw public
 * key of [coap]. */
int		 dtls_setup(struct gateway *gw, coap_context_t *ctx,
		    coap_dtls_id_callback_t psk_cb,
		    coap_dtls_cn_callback_t cert_cb);
void		 dtls_free(struct gateway *gw);
/* outpost -n: the rules of [coap]'s key files, and each one a readable
 * PEM file; -1 with why in err. */
struct gw_config;
int		 dtls_check_config(const struct gw_config *cfg, char *err,
		    size_t errlen);
/* Closes every DTLS session authenticated as ep; how many there were. */
int		 dtls_close_ep(struct gateway *gw, const char *ep);
/* Whether [coap] plain lets session s in at all (DTLS: always). */
int		 coap_plain_allowed(struct gateway *gw, coap_session_t *s);
/* Whether s may act for ep: 0, or the code to refuse with (4.01 for a
 * peer that proved nothing, 4.03 for one that proved another ep) and a
 * diagnostic in *why. */
coap_pdu_code_t	 coap_auth_check(struct gateway *gw, coap_session_t *s,
		    const char *ep, const char **why);

/* bsserve.c: the bootstrap listeners ([bootstrap] listen,
 * secure_listen), a context of their own serving /bs; nothing when both
 * are off. init after the hooks are set (it sets hooks.bs_send). */
int		 bsserve_init(struct gateway *gw);
int		 bsserve_start(struct gateway *gw);
void		 bsserve_reload(struct gateway *gw);
void		 bsserve_stop(struct gateway *gw);

/* fwserve.c: GET /fw/{id} (the image, block-wise), /fw/{id}/manifest. */
void		 fwserve_get_image(coap_resource_t *r, coap_session_t *s,
		    const coap_pdu_t *req, const coap_string_t *query,
		    coap_pdu_t *resp);
void		 fwserve_get_manifest(coap_resource_t *r, coap_session_t *s,
		    const coap_pdu_t *req, const coap_string_t *query,
		    coap_pdu_t *resp);

/* send.c: POST /dp (LwM2M Send). */
void		 send_post(coap_resource_t *r, coap_session_t *s,
		    const coap_pdu_t *req, const coap_string_t *query,
		    coap_pdu_t *resp);

/* devreq.c: the device's route is the session of its latest register or
 * update; it ends with the session or the registration. A response
 * nobody waits for is refused (RST); when it comes from the address a
 * registration came from (and may act for it) the device is there after
 * a gateway restart: it is routed, its observations are made again and
 * its queue goes, without waiting for its next update. */
void		 devreq_set_route(struct gateway *gw, const char *ep,
		    coap_session_t *s);
void		 devreq_peer_gone(struct coap_peer *peer);
/* ep sent a Register: the observations on its route are over. */
void		 devreq_registered_anew(struct gateway *gw, const char *ep);
/* The endpoint whose route is session s, or NULL. */
const char	*devreq_session_ep(coap_session_t *s);
coap_response_t	 devreq_response(coap_session_t *s, const coap_pdu_t *sent,
		    const coap_pdu_t *rcvd, const coap_mid_t mid);
void		 devreq_nack(coap_session_t *s, const coap_pdu_t *sent,
		    const coap_nack_reason_t reason, const coap_mid_t mid);
/* A request to a device and its answer as libcoap PDUs, for devreq.c and
 * bsserve.c. coap_request_new: a CON request of method on s with a new
 * token (into token and *token_len) and its options: Uri-Path from path,
 * Uri-Query from query ('&' between parts; NULL or "": none),
 * Content-Format cf and Accept accept (< 0: none). The caller adds the
 * rest and sends it, or deletes it. NULL when libcoap refused it.
 * coap_devresp: an answer as a devresp (its body points into rcvd). */
coap_pdu_t	*coap_request_new(coap_session_t *s, int method,
		    const char *path, const char *query, int cf, int accept,
		    uint8_t token[8], size_t *token_len);
void		 coap_devresp(const coap_pdu_t *rcvd, struct devresp *resp);

#endif /* OUTPOST_COAP_H */
