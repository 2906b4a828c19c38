/*
 * coap.h: the agent's CoAP side (session.c: client sessions and their
 * sockets; link.c: contexts, registration messages; res.c: the resources
 * and their handlers, reply.c: what those share; observe.c: when
 * observers are notified; bsc.c, bsres.c: bootstrap, node/bsc.h). Only
 * these files include libcoap's headers.
 */
#ifndef OUTPOST_NODE_COAP_H
#define OUTPOST_NODE_COAP_H

#include <coap3/coap.h>
#include <event2/util.h>

#include "lwm2m/manifest.h"
#include "node/attr.h"
#include "node/health.h"
#include "node/node.h"

enum res_kind {
	RES_ONE,		/* /3/0/N, /5/0/N */
	RES_INSTANCE,		/* /3/0, /5/0 */
	RES_HEALTH,		/* /health */
	RES_CONFIG,		/* /config */
	RES_OBJECT,		/* /3, /5: its one instance, attributes */
};

enum obs_kind {
	OBS_EVENT,		/* notified when the value is changed */
	OBS_TICK,		/* changes every second: /3/0/13 */
	OBS_SAMPLED,		/* sampled while observed, notified on moves */
};

struct res_slot;
struct comp_obs;

/*
 * The observation of one resource in one shard. libcoap keeps the observers;
 * this keeps when to notify them: the attributes the observe requests
 * asked for (the smallest pmin and pmax of any; gt, lt, st of the first),
 * which win over those Write-Attributes set on the resource, its instance
 * and its object (attr_effective), what the last notification carried,
 * and a timer that runs only while the resource has observers. Whether
 * any are left is learnt when notifying.
 */
struct obs {
	struct res_slot		*slot;
	struct event		*timer;		/* made on first use */
	enum obs_kind		 kind;
	int			 active;	/* observed, timer in use */
	struct attr		 q;		/* the observe requests' */
	struct attr_watch	 w;		/* last notification, pending */
	struct health_figures	 base;		/* figures last notified */
	int64_t			 base_battery;
	uint64_t		 base_errors;	/* /3/0/11 mask */
	uint64_t		 base_hash;	/* of the value, other objects */
	unsigned		 comp;		/* composite observations with
						 * it as a member (compres.c) */
};

/* One resource in one shard. */
struct res_slot {
	struct shard		*shard;
	coap_resource_t		*res;
	enum res_kind		 kind;
	uint16_t		 oid, rid;
	struct attr		 wa;		/* Write-Attributes at this
						 * level */
	struct res_slot		*up;		/* a resource's instance, an
						 * instance's object; NULL */
	struct obs		 obs;
};

struct shard {
	struct node		*node;
	coap_context_t		*ctx;
	struct event		*io_ev;		/* the epoll fd, readable */
	coap_context_t		*fw_ctx;	/* fleetfw.c's fetches, or NULL */
	struct event		*fw_ev;
	coap_endpoint_t		*listen;	/* [node] listen */
	size_t			 first;		/* devices [first, first+n) */
	size_t			 ndevs;
	struct res_slot		*slots;
	size_t			 nslots;
	int			 radio_off;	/* io_ev removed */
	coap_resource_t		*root;		/* /: compres.c, bsres.c */
	struct comp_obs		*comps;		/* compres.c's */
	void			(*comp_due)(struct shard *sh);	/* compres.c's:
						   a member of a composite
						   observation would notify
						   (observe.c) */
	size_t			 ncomps, comps_cap;
	int			 comp_served;	/* a notification round ran */
};

/* session.c: the client sessions and their sockets. */

/* A socket address as libcoap's. */
void	session_address(coap_address_t *a, const struct sockaddr_storage *ss,
	    socklen_t len);
/*
 * A client session from ctx to server (local: NULL for any): over DTLS
 * when secure, with the node's certificate or raw public key when it has
 * one (node.pem_key; the gateway's is checked), else with its PSK, the
 * identity [node] psk_identity for a single agent or else ep (which must
 * outlive the session); plain UDP otherwise. NULL when libcoap cannot
 * make it.
 */
coap_session_t *session_client(struct node *n, coap_context_t *ctx,
	    const coap_address_t *local, const coap_address_t *server,
	    int secure, const char *ep);
/* The same with identity id and key (both to outlive the session: libcoap
 * may point at them for its life), or plain UDP when id is NULL: the
 * device's session to the gateway, and its bootstrap session (bsc.c). */
coap_session_t *session_psk(coap_context_t *ctx,
	    const coap_address_t *local, const coap_address_t *server,
	    const char *id, const uint8_t *key, size_t key_len);
/* Drops a device's session (never from inside a libcoap handler). */
void	session_free(struct node_dev *d);
/* Runs ev (a context's epoll fd event) once from the reactor, so that a
 * new DTLS session's handshake gets its retransmission timer. */
void	session_kick(struct event *ev);
/* Watches a context whose epoll fd io_ev is on the reactor: libcoap's
 * next deadline arms a reactor timer too (session.c); unwatch before
 * freeing the context. */
int	session_watch(struct event_base *base, coap_context_t *ctx,
	    struct event *io_ev);
void	session_unwatch(coap_context_t *ctx);

/* The socket descriptor socket(2) would return now (session_probe_fd). */
int	session_lowest_fd(void);
/* The socket of session s that libcoap just made, probe being
 * session_lowest_fd() from before it was made: probe when it is a socket
 * with s's local address and peer as its peer, else -1. */
int	session_probe_fd(coap_session_t *s, int probe,
	    const struct sockaddr_storage *peer);
/* Sets fd's socket filter: drop everything (off), drop the share drop
 * of 2^32 (0: nothing). */
void	session_set_filter(int fd, int off, uint32_t drop, const char *who);

/* link.c: each device's session to the gateway and its messages. */

/* The device a request came to: the session's own, or for a request from
 * another peer (to [node] listen) the shard's first device. */
struct node_dev *link_dev_of(struct shard *sh, coap_session_t *s);
/* Registers the response and nack handlers of the devices on ctx. */
void	link_context(coap_context_t *ctx);
/* Event callbacks: a shard's epoll fd (arg: the shard), a device's timer
 * (arg: the device). */
void	link_io_cb(evutil_socket_t fd, short what, void *arg);
void	link_timer_cb(evutil_socket_t fd, short what, void *arg);
extern const struct reg_ops link_reg_ops;

/* reply.c: what the handlers of res.c, bsres.c and compres.c share.
 * reply_result sets a response's code from a result (the one place) with
 * diag as the reason; reply_uint_option is the value of a uint option, -1
 * when absent; reply_content answers 2.05 with text (malloc'd, taken over)
 * in format cf; reply_body is a request's whole body; reply_activity keeps
 * a queue-mode device awake; reply_attrs parses the Uri-Query options as
 * notification attributes (0, or -1 with err), their rules left to the
 * caller. */
void	reply_result(coap_pdu_t *resp, enum node_result res, const char *diag);
int	reply_uint_option(const coap_pdu_t *req, coap_option_num_t number);
void	reply_content(coap_resource_t *r, coap_session_t *s,
	    const coap_pdu_t *req, coap_pdu_t *resp, const coap_string_t *query,
	    uint16_t cf, char *text);
void	reply_body(const coap_pdu_t *req, const uint8_t **data, size_t *len);
void	reply_activity(struct node_dev *d);
int	reply_attrs(const coap_pdu_t *req, struct attr *a, char *err,
	    size_t errlen);

/* res.c: the resources of a shard (fleets get no /config). */
int	res_init(struct shard *sh, int fleet);
void	res_free(struct shard *sh);
/* obj.changed hook: notifies the observers of /oid/0/rid and /oid/0 in
 * the shards where fw's device lives (every shard when fw is NULL or the
 * agent's own). */
void	res_obj_changed(void *arg, const struct fw *fw, uint16_t oid,
	    uint16_t rid);

/*
 * fwproto.c: the pieces of a firmware pull that fwget.c and fleetfw.c
 * share. A pull fetches URI/manifest, then URI block by block.
 */
/* A numeric host and a port as a socket address: 0, or -1. */
int	fwp_sockaddr(const char *host, uint16_t port,
	    struct sockaddr_storage *ss, socklen_t *len);
/* A Package URI "coap[s]://HOST[:PORT]/PATH" with a numeric host (no
 * name lookup blocks the loop): the server's address, the path, and
 * whether it is coaps (DTLS). 0 or -1. */
int	fwp_target(const char *uri, struct sockaddr_storage *ss,
	    socklen_t *sslen, int *secure, char *path, size_t pathlen);
/* Whether a fetched manifest is taken: verified with keys (NULL: parsed
 * only), naming vendor and class (NULL: any), its sequence number above
 * installed. FW_RESULT_INITIAL when it is, else the Update Result to set,
 * with err. */
enum fw_result fwp_manifest(const void *doc, size_t len,
	    const struct fw_keyring *keys, const char *vendor,
	    const char *class, uint64_t installed, struct fw_manifest *m,
	    char *err, size_t errlen);
/* A confirmable GET of path's manifest, or of the block of 2^(szx+4)
 * bytes at byte have of path, with a new token (token, *toklen). NULL
 * when it cannot be built (the path is not a path). */
coap_pdu_t *fwp_request(coap_session_t *s, const char *path, int manifest,
	    uint64_t have, unsigned szx, uint8_t token[8], size_t *toklen);
enum fwp_block {
	FWP_BLOCK_OK,		/* *data, *len: the bytes at have */
	FWP_BLOCK_STRAY,	/* another block: ask again from have */
	FWP_BLOCK_FAIL,		/* give up with *result, *why */
};
/* The ETag of the image a pull fetches: the first answer's (or none),
 * which every later answer must carry (RFC 7959 §2.4). Zeroed when the
 * fetch starts. The gateway's is the start of the image's SHA-256, but
 * any server's will do: the digest decides at the end. */
struct fwp_etag {
	uint8_t		 seen;		/* an answer came */
	uint8_t		 len;		/* 0: it had none */
	uint8_t		 v[8];
};
/* What a 2.05 answer to a block request of an image of size bytes, of
 * which have are here, brings; *szx follows the server down. */
enum fwp_block fwp_block(const coap_pdu_t *rcvd, struct fwp_etag *etag,
	    uint64_t have, uint64_t size, unsigned *szx, const uint8_t **data,
	    size_t *len, enum fw_result *result, const char **why);
/* Milliseconds to wait before asking again after retries failures. */
int64_t	fwp_backoff(int retries);
/* The Block2 size exponent of [firmware] block_size. */
unsigned fwp_szx(int block_size);

/* compres.c: the root resource / of a shard, with Read-Composite and
 * Observe-Composite (FETCH). compres_init sets shard.comp_due: a member
 * of a composite observation would notify, so they all do. */
int	compres_init(struct shard *sh);
void	compres_free(struct shard *sh);

/* observe.c */
void	obs_init(struct obs *o, struct res_slot *slot, enum obs_kind kind);
/* An observe request with attributes a (checked) was answered. */
void	obs_start(struct obs *o, const struct attr *a);
/* The value changed (a write, an execute, a hook). */
void	obs_changed(struct obs *o);
/* Write-Attributes changed the attributes in effect: the next deadline
 * follows them. */
void	obs_attrs_changed(struct obs *o);
/* The attributes in effect for the slot's resource: the observe requests'
 * (with_query), its own, its instance's, its object's. */
void	obs_effective(const struct obs *o, int with_query, struct attr *a);
void	obs_free(struct obs *o);
/* A composite observation takes the resource as a member, with the
 * attributes of its request a (observed as obs_start does), or leaves
 * it. While any has it, its notifications go to them too (compres_due). */
void	obs_comp_add(struct obs *o, const struct attr *a);
void	obs_comp_del(struct obs *o);

#endif /* OUTPOST_NODE_COAP_H */
