/*
 * http.h: the northbound HTTP API server (evhttp on the gateway's reactor):
 * routing through a table, JSON replies and errors, per-route metrics.
 */
#ifndef OUTPOST_HTTP_H
#define OUTPOST_HTTP_H

#include <stdint.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "modules/device/tags.h"
#include "lwm2m/lwm2m.h"
#include "proxy/auth.h"
#include "proxy/router.h"

struct gateway;
struct http_exchange;
typedef struct cJSON cJSON;

typedef void (*http_handler)(struct http_exchange *hx);

/*
 * The internal server, for the cloud link (cloud/): the whole API on a
 * loopback port of its own, for requests that carry its secret in
 * HTTP_INTERNAL_SECRET and the role they are given in HTTP_INTERNAL_ROLE
 * ("read", "operate", "admin") instead of a token. Opened on the first
 * call; *port and *secret (the server's, valid while it runs) get it.
 * Returns 0, or -1 when it cannot listen.
 */
#define HTTP_INTERNAL_SECRET	"X-Outpost-Internal"
#define HTTP_INTERNAL_ROLE	"X-Outpost-Role"
#define HTTP_INTERNAL_SECRET_LEN	64	/* hex digits */
int	http_internal(struct gateway *gw, uint16_t *port, const char **secret);

/* One row of the route table. methods is a mask of EVHTTP_REQ_*. The
 * roles a token needs (proxy/auth.h): get_role for GET and HEAD,
 * change_role for every other method; a role left out means admin. */
struct http_route {
	const char	*pattern;	/* e.g. "/v1/devices/{ep}" */
	int		 methods;
	http_handler	 handler;
	enum auth_role	 get_role;
	enum auth_role	 change_role;
};

/* One request being answered. Owned by http.c; freed by http_reply. A
 * proxied request (forward.c) sets px to what it became and t0 to when it
 * began: its reply is counted in the proxy's latency histograms. */
struct http_exchange {
	struct gateway			*gw;
	struct evhttp_request		*req;
	const struct http_route		*route;
	struct router_params		 params;
	struct evkeyvalq		 query;
	int				 px;	/* enum metrics_proxy */
	enum auth_role			 role;	/* the request's, once routed */
	struct timespec			 t0;	/* CLOCK_MONOTONIC */
};

/* proxy/forward.c: /v1/devices/{ep}/r/{path...}, PUT
 * /v1/devices/{ep}/attributes/{path...} (Write-Attributes) and POST
 * /v1/devices/{ep}/composite (Read-Composite); its state (gw->forwards)
 * is forward_module's. */
void	proxy_forward(struct http_exchange *hx);
void	proxy_attributes(struct http_exchange *hx);
void	proxy_composite(struct http_exchange *hx);
/* GET /v1/devices/{ep}/logs: a read of the device's Event Log LogData
 * through the proxy (forward.c), answered as lines by proxy/logapi.c:
 * logapi_check answers a bad query or a device without object 20 (-1),
 * logapi_reply the device's 2.05. */
void	proxy_logs(struct http_exchange *hx);
struct devresp;
int	logapi_check(struct http_exchange *hx);
void	logapi_reply(struct http_exchange *hx, const struct devresp *r);
/* Adds "log", the lines kept of each failed device of devs (a JSON array
 * of records with "ep" and "state"), to its record: kind "job" or "camp"
 * and its id (modules/device/devlog.h). */
void	api_devlogs(struct gateway *gw, const char *kind, uint64_t id,
	    cJSON *devs);

/* proxy/ops.c: /v1/ops/{id}, /v1/devices/{ep}/ops; api_op_json renders
 * op id as GET /v1/ops/{id} shows it into *out (the caller's): 0, 1 when
 * there is no such op, -1 on a store error. */
void	api_op(struct http_exchange *hx);
void	api_device_ops(struct http_exchange *hx);
int	api_op_json(struct gateway *gw, uint64_t id, cJSON **out);
/* Pushes spec to the queue of the device hx->params.value[0] and answers:
 * 202 once committed, with the op as api_op_json shows it and its
 * Location (a device that can be reached gets it at once); 429 when the
 * device's queue is full; 500 or 507 when it could not be stored.
 * Returns 0 when staged (the 202 follows the commit), else -1. */
struct devreq_spec;
int	api_op_push(struct http_exchange *hx, const struct devreq_spec *spec);

/* proxy/provision.c: POST /v1/devices; the revocation part of DELETE
 * /v1/devices/{ep}: 0 staged (with answer, hx is answered after the
 * commit), 1 ep had no credential, -1 failed (answered 500 with answer). */
void	api_devices_provision(struct http_exchange *hx);
int	api_devices_revoke(struct http_exchange *hx, const char *ep,
	    int answer);
/* Adds "credential": {kind and public part} to o when ep has one. */
void	api_device_credential(struct gateway *gw, const char *ep, cJSON *o);
/* PUT (replace: a key rotation) or DELETE (revoke, the registration
 * stays) /v1/devices/{ep}/credential. */
void	api_device_credential_http(struct http_exchange *hx);

/* proxy/obsapi.c: POST and DELETE /v1/devices/{ep}/observe/{path...};
 * POST and DELETE /v1/devices/{ep}/observe-composite, GET and DELETE
 * /v1/devices/{ep}/observe-composite/{id}; GET /v1/observations */
void	observe_http(struct http_exchange *hx);
void	observe_composite_http(struct http_exchange *hx);
void	observe_composite_one_http(struct http_exchange *hx);
void	observe_list_http(struct http_exchange *hx);

/* proxy/objapi.c: GET /v1/objects, GET /v1/objects/{id} (the object
 * model). */
void	api_objects(struct http_exchange *hx);
void	api_object(struct http_exchange *hx);
/* proxy/bsapi.c: the Bootstrap server's configurations and states
 * (/v1/bootstrap, /v1/bootstrap/{ep}, /v1/bootstrap-tags and
 * /v1/bootstrap-tags/{tag}) and POST /v1/devices/{ep}/bootstrap (the
 * device's Bootstrap-Request Trigger, queued). */
void	api_bootstrap_list(struct http_exchange *hx);
void	api_bootstrap_one(struct http_exchange *hx);
void	api_bootstrap_tags(struct http_exchange *hx);
void	api_bootstrap_tag(struct http_exchange *hx);
void	api_device_bootstrap(struct http_exchange *hx);

/* proxy/alarmapi.c: GET and POST /v1/alarm-rules, GET and DELETE
 * /v1/alarm-rules/{id}; GET /v1/alarms, GET /v1/alarms/{id}, POST
 * /v1/alarms/{id}/ack. */
/* proxy/uiapi.c: the console's files at /ui/ (and /ui, sent there). */
void	api_ui(struct http_exchange *hx);
void	api_ui_root(struct http_exchange *hx);

void	api_alarm_rules(struct http_exchange *hx);
void	api_alarm_rule(struct http_exchange *hx);
void	api_alarms(struct http_exchange *hx);
void	api_alarm(struct http_exchange *hx);
void	api_alarm_ack(struct http_exchange *hx);

/* proxy/tagapi.c: GET and PUT /v1/devices/{ep}/tags; the JSON array of
 * tags[0..n) (for GET /v1/devices/{ep} and provisioning's answer). */
void	api_device_tags(struct http_exchange *hx);
cJSON	*api_tags_json(char tags[][TAG_LEN_MAX + 1], int n);

/*
 * The listeners' rules that need no file (outpost -n runs it too): plain
 * HTTP off loopback only with [http] plain_nonloopback, tls_listen with its
 * certificate and key, and no listener off loopback without a token
 * source. Returns 0, or -1 with a message in err.
 */
struct gw_config;
int	http_check_config(const struct gw_config *cfg, char *err,
	    size_t errlen);

/* outpost -n: the certificate, its key and the client CAs load as the
 * start loads them; -1 with why in err. */
int	http_check_files(const struct gw_config *cfg, char *err,
	    size_t errlen);

/* The route table (proxy/api.c). */
extern const struct http_route	api_routes[];
extern const size_t		api_nroutes;

/* Sends body (consumed, may be NULL) with status and content type, counts
 * the request, and frees hx. Every reply goes through here. */
void	http_reply(struct http_exchange *hx, int status, const char *ctype,
	    struct evbuffer *body);

/* Frees hx without replying: its connection is gone (libevent frees the
 * request itself). */
void	http_abandon(struct http_exchange *hx);

/* The client went before its answer: counted as 499 (nginx's "client
 * closed request"), then abandoned. */
void	http_client_gone(struct http_exchange *hx);

/* Replies with a JSON document (consumed). */
void	http_reply_json(struct http_exchange *hx, int status, cJSON *doc);

/* Replies {"error": code, "detail": ...} with status. */
void	http_error(struct http_exchange *hx, int status, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Lists come in pages: ?limit= (1..HTTP_LIST_MAX, HTTP_LIST_DEFAULT when
 * absent) items after ?after= (the last one of the page before), and the
 * document's "next" is the ?after= of the next page, or null. */
#define HTTP_LIST_DEFAULT	100
#define HTTP_LIST_MAX		1000
/* ?limit= into *limit: 0, or -1 once answered 400. */
int	http_query_limit(struct http_exchange *hx, long *limit);

/* Whether ep is a name a device could register or bootstrap with
 * (lwm2m_check_ep); 0 once answered 400 when not. */
int	http_check_ep(struct http_exchange *hx, const char *ep);

/* ep as one segment of a path, for a Location or a link: what RFC 3986
 * allows in a segment as it is, everything else percent-encoded. Returns
 * buf. */
#define HTTP_SEG_LEN	(LWM2M_EP_MAX * 3 + 1)
const char *http_seg(const char *ep, char buf[HTTP_SEG_LEN]);

/*
 * One page of items (a JSON array the caller made, which this takes) into
 * doc as name, ordered by each item's key (a number or a string; the
 * greatest first when newest), with "next". 0, or -1 once answered 400
 * (doc is then freed).
 */
int	http_page(struct http_exchange *hx, cJSON *doc, const char *name,
	    cJSON *items, const char *key, int newest);

/* The {id} segment of the path (params.value[0]) as a decimal without
 * leading zeros, or 0 when it is none. */
uint64_t http_param_id(struct http_exchange *hx);

/*
 * A record made in the open batch: once it is committed, 201 with
 * Location base/id and render(gw, id) as the body (500 or 507 when the
 * commit fails).
 */
void	http_reply_created(struct http_exchange *hx, const char *base,
	    uint64_t id, cJSON *(*render)(struct gateway *, uint64_t));

/* A write the store did not take: 507 when its map is full (the
 * operator raises [store] map_size_mb), else 500; what says what failed. */
void	http_store_error(struct http_exchange *hx, const char *what);

/* Adds key: t as RFC 3339 UTC to a JSON object. */
void	http_json_time(cJSON *o, const char *key, int64_t t);

/* A query parameter, or NULL. */
const char *http_query(struct http_exchange *hx, const char *key);

#endif /* OUTPOST_HTTP_H */
