/*
 * forward.c: the HTTP to CoAP proxy (RFC 8075): /v1/devices/{ep}/r/{path...}
 * (read, write, execute, create, delete, discover), and the LwM2M
 * operations that have their own routes, /v1/devices/{ep}/attributes/
 * {path...} (Write-Attributes) and /v1/devices/{ep}/composite
 * (Read-Composite). The request goes to the device on its own session
 * (modules/coap/devreq.c), or into the queue; the answer comes back mapped
 * by lwm2m/coapmap.c, the one place where CoAP codes and formats become
 * HTTP.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "cache/cache.h"
#include "gateway.h"
#include "log.h"
#include "modules/coap/devreq.h"
#include "modules/device/guard.h"
#include "modules/device/queue.h"
#include "modules/device/registry.h"
#include "lwm2m/coapmap.h"
#include "lwm2m/devlog.h"
#include "lwm2m/dmparse.h"
#include "lwm2m/lwm2m.h"
#include "lwm2m/senml.h"
#include "proxy/http.h"

enum forward_mode { FORWARD_AUTO, FORWARD_QUEUE, FORWARD_WAIT };

/* ?mode=queue stores the request whatever the device's state; ?mode=wait
 * never stores it (503 when the device cannot be reached now). */
static enum forward_mode
forward_mode(struct http_exchange *hx)
{
	const char *m = http_query(hx, "mode");

	if (m != NULL && strcmp(m, "queue") == 0)
		return FORWARD_QUEUE;
	if (m != NULL && strcmp(m, "wait") == 0)
		return FORWARD_WAIT;
	return FORWARD_AUTO;
}

/*
 * One proxied request: the HTTP exchange, in the group of exchanges that one
 * CoAP request serves. A group has one member, except for GETs when [proxy]
 * collapse is on: a GET for the same device, path, Accept and timeout that
 * arrives while one is on its way joins it and gets the same answer (as
 * nginx's proxy_cache_lock does), so a constrained device answers once
 * however many clients ask at the same moment. Only requests that arrive
 * while the device's answer is still to come join: none gets an answer
 * older than itself.
 */
struct forward {
	TAILQ_ENTRY(forward)	 entry;
	struct fwgroup		*g;
	struct http_exchange	*hx;
	struct evhttp_connection *conn;
	struct event		*hangup;	/* the client's close */
};

struct fwgroup {
	struct fwgroup		*hnext;		/* open to joiners: in
						   gw->forwards */
	struct gateway		*gw;
	struct devreq		*req;
	TAILQ_HEAD(, forward)	 members;
	int			 open;
	int			 accept, json;
	unsigned		 timeout_s;
	size_t			 eplen;
	char			 key[];		/* "ep\0path\0" */
};

/* The groups still open to joiners, by device and path. */
#define FW_BUCKETS	256
struct forward_groups {
	struct fwgroup		*open[FW_BUCKETS];
};

static int
forward_init(struct gateway *gw)
{
	gw->forwards = calloc(1, sizeof(*gw->forwards));
	return gw->forwards != NULL ? 0 : -1;
}

/* Groups still waiting for an answer stay until it comes (or the CoAP
 * face stops, after this): they are closed to joiners only. */
static void
forward_stop(struct gateway *gw)
{
	free(gw->forwards);
	gw->forwards = NULL;
}

const struct gw_module forward_module = {
	.name = "forward",
	.init = forward_init,
	.stop = forward_stop,
};

static size_t
fw_hash(const char *ep, const char *path)
{
	uint32_t h = 2166136261u;

	for (; *ep != '\0'; ep++)
		h = (h ^ (uint8_t)*ep) * 16777619u;
	for (; *path != '\0'; path++)
		h = (h ^ (uint8_t)*path) * 16777619u;
	return h & (FW_BUCKETS - 1);
}

/* Closes g to joiners. */
static void
fwgroup_close(struct fwgroup *g)
{
	struct fwgroup **pp;

	if (!g->open)
		return;
	g->open = 0;
	if (g->gw->forwards == NULL)
		return;		/* the HTTP face stopped */
	for (pp = &g->gw->forwards->open[fw_hash(g->key,
	    g->key + g->eplen + 1)]; *pp != g;
	    pp = &(*pp)->hnext)
		;
	*pp = g->hnext;
}

/* fw's client will not be heard from again: no watch, no close callback. */
static void
forward_unwatch(struct forward *fw)
{
	if (fw->hangup != NULL) {
		event_free(fw->hangup);
		fw->hangup = NULL;
	}
	if (fw->conn != NULL)
		evhttp_connection_set_closecb(fw->conn, NULL, NULL);
}

/* The HTTP client went away: it leaves its group; the CoAP request goes
 * when nobody is left to wait for it. */
static void
forward_closed(struct evhttp_connection *conn, void *arg)
{
	struct forward *fw = arg;
	struct fwgroup *g = fw->g;

	(void)conn;
	forward_unwatch(fw);
	TAILQ_REMOVE(&g->members, fw, entry);
	http_client_gone(fw->hx);
	free(fw);
	if (!TAILQ_EMPTY(&g->members))
		return;
	fwgroup_close(g);
	devreq_cancel(g->req);
	free(g);
}

/*
 * The client's socket became readable while its request waits. evhttp
 * reads nothing from a connection whose request is pending, so it would
 * learn of a close only when the answer fails to go out, after the device
 * had been asked for nobody. A peek tells a close (end of stream, or a
 * reset) from bytes the client sent ahead (a pipelined request, a TLS
 * record): on a close the request leaves its group, as nginx drops a
 * request whose client closed (its 499), and the connection goes; on bytes
 * the watch ends, since they stay unread and would wake the reactor
 * forever, and evhttp learns of a close at the answer as before.
 */
static void
forward_hangup(evutil_socket_t fd, short what, void *arg)
{
	struct forward *fw = arg;
	struct evhttp_connection *conn = fw->conn;
	ssize_t n;
	char c;

	if (!(what & EV_CLOSED)) {
		n = recv(fd, &c, 1, MSG_PEEK);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			event_add(fw->hangup, NULL);
			return;
		}
		if (n > 0) {
			event_free(fw->hangup);
			fw->hangup = NULL;
			return;
		}
	}
	log_debug("http: a client hung up while its request to a device "
	    "waited");
	forward_closed(conn, fw);
	evhttp_connection_free(conn);
}

/*
 * Hears of the client's close while fw waits. EV_READ as well as EV_CLOSED:
 * libevent 2.1 turns a reset (EPOLLHUP|EPOLLERR) into EV_READ|EV_WRITE,
 * never EV_CLOSED, so a watch for EV_CLOSED alone would leave a reset
 * socket reported again and again with nobody to take it.
 */
static void
forward_watch(struct gateway *gw, struct forward *fw)
{
	struct bufferevent *bev;
	evutil_socket_t fd;

	evhttp_connection_set_closecb(fw->conn, forward_closed, fw);
	if ((bev = evhttp_connection_get_bufferevent(fw->conn)) == NULL)
		return;
	/* HTTPS: the socket is under the TLS filter. */
	while ((fd = bufferevent_getfd(bev)) < 0 &&
	    (bev = bufferevent_get_underlying(bev)) != NULL)
		;
	if (fd < 0)
		return;
	fw->hangup = event_new(gw->base, fd, EV_READ | EV_CLOSED,
	    forward_hangup, fw);
	if (fw->hangup != NULL && event_add(fw->hangup, NULL) == -1) {
		event_free(fw->hangup);
		fw->hangup = NULL;
	}
}

/* What a request through the proxy is, by its route. */
enum forward_kind {
	FWK_RESOURCE,		/* /r/{path...}: the method says */
	FWK_ATTRIBUTES,		/* Write-Attributes: PUT with a query */
	FWK_COMPOSITE,		/* Read-Composite: FETCH on the root */
	FWK_LOGS,		/* /logs: a read of the Event Log's LogData */
};

static enum forward_kind
forward_kind(struct http_exchange *hx)
{
	if (hx->route != NULL && hx->route->handler == proxy_attributes)
		return FWK_ATTRIBUTES;
	if (hx->route != NULL && hx->route->handler == proxy_composite)
		return FWK_COMPOSITE;
	if (hx->route != NULL && hx->route->handler == proxy_logs)
		return FWK_LOGS;
	return FWK_RESOURCE;
}

/* The device's path the request is for ("" for the root). */
static const char *
forward_path(struct http_exchange *hx)
{
	switch (forward_kind(hx)) {
	case FWK_COMPOSITE:
		return "";
	case FWK_LOGS:
		return DEVLOG_PATH;
	default:
		return hx->params.value[1];
	}
}

/* The CoAP method of a resource request (/r/): its HTTP method's. */
static enum devreq_method
forward_method(struct http_exchange *hx)
{
	switch (evhttp_request_get_command(hx->req)) {
	case EVHTTP_REQ_PUT:
		return DEVREQ_PUT;
	case EVHTTP_REQ_POST:
		return DEVREQ_POST;
	case EVHTTP_REQ_DELETE:
		return DEVREQ_DELETE;
	default:
		return DEVREQ_GET;
	}
}

/* A request to send, with what it owns: the query of Write-Attributes,
 * the payload of a Read-Composite or of a write converted from JSON. */
struct fwspec {
	struct devreq_spec	 s;
	char			 query[DM_QUERY_MAX];
	char			*owned;
};

static int	forward_spec(struct http_exchange *hx, struct fwspec *fs);

static void
fwspec_free(struct fwspec *fs)
{
	free(fs->owned);
	fs->owned = NULL;
}

/* Keeps the request for the device's next message (api_op_push: 202
 * once stored, or 429 or 5xx). */
static void
forward_enqueue(struct http_exchange *hx)
{
	struct fwspec fs;

	hx->px = MPX_QUEUED;
	if (forward_spec(hx, &fs) == -1)
		return;
	(void)api_op_push(hx, &fs.s);
	fwspec_free(&fs);
}


/*
 * SenML JSON from a device's TLV, SenML CBOR, plain text or opaque answer
 * (lwm2m/senml_dec.c), TLV and plain text typed by the object model: the one
 * call of the converter, for live answers, cached values and composites
 * alike. path is the device's path the body is for (TLV needs it). Returns
 * the JSON (caller frees) with its length, or NULL with a reason in err.
 */
static char *
forward_to_json(struct gateway *gw, int cf, const uint8_t *body, size_t len,
    const char *path, size_t *outlen, char *err, size_t errlen)
{
	return senml_to_json(cf, body, len, path, gw->models, outlen, err,
	    errlen);
}

/* Whether the client asked for application/json. */
static int
forward_wants_json(struct http_exchange *hx)
{
	const char *accept = evhttp_find_header(
	    evhttp_request_get_input_headers(hx->req), "Accept");

	return accept != NULL && coapmap_content_format(accept) == 50;
}

/* Whether a body in Content-Format cf of the device's path is converted
 * for a client that asked for application/json: plain text and opaque
 * only from an LwM2M resource (a plain CoAP node's /health stays text). */
static int
forward_converts(struct http_exchange *hx, int cf, size_t len)
{
	if (!forward_wants_json(hx) || len == 0)
		return 0;
	if (cf == SENML_CF_TLV || cf == SENML_CF_CBOR)
		return 1;
	return (cf == SENML_CF_TEXT || cf == SENML_CF_OPAQUE) &&
	    senml_path_depth(forward_path(hx)) >= 3;
}

/* The ETag of the JSON made from a representation whose ETag is etag:
 * another representation, another strong tag. */
static const char *
forward_json_etag(const char *etag, char *buf, size_t len)
{
	size_t n = strlen(etag);

	if (n < 2 || etag[n - 1] != '"')
		return etag;
	snprintf(buf, len, "%.*s-json\"", (int)(n - 1), etag);
	return buf;
}

/* Answers from the cache: 200 with Age, ETag and X-Observed-At (304 when
 * the client has it already); a stale value says so. A client that asked
 * for JSON gets the value converted, as a live read is. */
static void
forward_cached(struct http_exchange *hx, const struct cache_entry *e)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(hx->req);
	const char *inm = evhttp_find_header(
	    evhttp_request_get_input_headers(hx->req), "If-None-Match");
	struct evbuffer *body;
	char num[GW_TIME_LEN], type[64], tag[CACHE_ETAG_LEN + 8], err[160];
	const char *etag = e->etag, *ctype;
	char *json = NULL;
	size_t jlen = 0;
	int conv = forward_converts(hx, e->content_format, e->len);

	hx->px = MPX_CACHED;
	if (conv) {
		if ((json = forward_to_json(hx->gw, e->content_format, e->body,
		    e->len, forward_path(hx), &jlen, err, sizeof(err))) ==
		    NULL) {
			log_info("device %s: cached value not convertible to "
			    "JSON: %s", hx->params.value[0], err);
			http_error(hx, 502, "bad_gateway", "the cached value "
			    "(Content-Format %d) is not valid",
			    e->content_format);
			return;
		}
		etag = forward_json_etag(e->etag, tag, sizeof(tag));
	}
	snprintf(num, sizeof(num), "%lld", (long long)cache_age(e));
	evhttp_add_header(h, "Age", num);
	evhttp_add_header(h, "ETag", etag);
	evhttp_add_header(h, "X-Observed-At", e->observed);
	evhttp_add_header(h, "Vary", "Accept");
	if (!cache_fresh(e))
		evhttp_add_header(h, "Warning", "110 - \"Response is Stale\"");
	if (inm != NULL && strstr(inm, etag) != NULL) {
		free(json);
		http_reply(hx, 304, NULL, NULL);
		return;
	}
	if (conv)
		ctype = "application/json";
	else
		ctype = e->content_format >= 0 ? coapmap_media_type(
		    e->content_format, type, sizeof(type)) :
		    "application/octet-stream";
	if ((body = evbuffer_new()) == NULL || evbuffer_add(body,
	    conv ? (const uint8_t *)json : e->body, conv ? jlen : e->len) ==
	    -1) {
		if (body != NULL)
			evbuffer_free(body);
		free(json);
		http_error(hx, 500, "internal", "out of memory");
		return;
	}
	free(json);
	http_reply(hx, 200, ctype, body);
}

/* Whether the client asks for the cached value only (RFC 9111 5.2.1.7). */
static int
forward_only_if_cached(struct http_exchange *hx)
{
	const char *cc = evhttp_find_header(
	    evhttp_request_get_input_headers(hx->req), "Cache-Control");

	return http_query(hx, "cached") != NULL ||
	    (cc != NULL && strcasestr(cc, "only-if-cached") != NULL);
}

/*
 * For a client that asked for application/json: TLV, plain text, opaque
 * and SenML CBOR answers become SenML JSON (forward_to_json); a
 * Read-Composite's answer always does. Returns the converted body (caller
 * frees) or NULL to pass the answer on as it is; *bad is set when the
 * device's answer could not be converted (502).
 */
static char *
forward_json(struct http_exchange *hx, const struct devresp *r, size_t *len,
    int *bad)
{
	char err[160], *out;

	*bad = 0;
	if (forward_kind(hx) == FWK_COMPOSITE ? r->len == 0 ||
	    r->content_format != SENML_CF_CBOR :
	    !forward_converts(hx, r->content_format, r->len))
		return NULL;
	if ((out = forward_to_json(hx->gw, r->content_format, r->body, r->len,
	    forward_path(hx), len, err, sizeof(err))) == NULL) {
		log_info("device %s: answer not convertible to JSON: %s",
		    hx->params.value[0], err);
		*bad = 1;
	}
	return out;
}

static int	forward_write_format(struct http_exchange *hx);
static const char *forward_format_name(int cf);

/* The device refused: its code's status, and a JSON body that names the
 * code and carries its diagnostic (coapmap_device_error); a 4.15 to a JSON
 * write says which format the gateway chose for it. */
static void
forward_device_error(struct http_exchange *hx, const struct devresp *r,
    int status)
{
	char detail[640], code[8];
	const char *name;
	cJSON *doc;
	size_t n;
	int cf;

	name = coapmap_device_error(hx->params.value[0], r->cls, r->detail,
	    r->content_format, r->body, r->len, detail, sizeof(detail) - 128,
	    code, sizeof(code));
	if (r->cls == 4 && r->detail == 15 &&
	    (cf = forward_write_format(hx)) >= 0) {
		n = strlen(detail);
		snprintf(detail + n, sizeof(detail) - n, " (the gateway sent "
		    "the JSON body as %s, Content-Format %d: ?format=tlv, "
		    "cbor, text or senml-json sends another)",
		    forward_format_name(cf), cf);
	}
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "error", name);
	cJSON_AddStringToObject(doc, "detail", detail);
	cJSON_AddStringToObject(doc, "device_code", code);
	http_reply_json(hx, status, doc);
}

/* 2.01 Created: the new instance's path in the body and, when the device
 * named it (Location-Path), in Location as the proxy's own URL of it. */
static void
forward_created(struct http_exchange *hx, const struct devresp *r)
{
	char buf[COAPMAP_LOCATION_MAX + HTTP_SEG_LEN + 32], seg[HTTP_SEG_LEN];
	cJSON *doc = cJSON_CreateObject();

	if (r->location == NULL) {
		cJSON_AddNullToObject(doc, "path");
	} else {
		snprintf(buf, sizeof(buf), "/v1/devices/%s/r/%s",
		    http_seg(hx->params.value[0], seg), r->location);
		evhttp_add_header(evhttp_request_get_output_headers(hx->req),
		    "Location", buf);
		snprintf(buf, sizeof(buf), "/%s", r->location);
		cJSON_AddStringToObject(doc, "path", buf);
	}
	http_reply_json(hx, 201, doc);
}

/* The device answered, or did not: map it onto hx's reply. etag: the
 * cache entry's, when the answer went into the cache. */
static void
forward_reply(struct http_exchange *hx, const struct devresp *r,
    const char *etag)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(hx->req);
	struct evbuffer *body;
	char type[64], num[16], tag[CACHE_ETAG_LEN + 8], *json;
	size_t jlen;
	int status, bad;

	if (r->kind == DEVRESP_TIMEOUT) {
		hx->px = MPX_TIMEOUT;
		http_error(hx, 504, "timeout", "device %s did not answer",
		    hx->params.value[0]);
		return;
	}
	if (r->kind == DEVRESP_UNREACHABLE) {
		hx->px = MPX_ERROR;
		if (forward_mode(hx) == FORWARD_WAIT)
			http_error(hx, 502, "unreachable", "device %s could "
			    "not be reached", hx->params.value[0]);
		else
			forward_enqueue(hx);	/* a send that failed */
		return;
	}
	status = coapmap_status(r->cls, r->detail, r->len > 0);
	if (r->cls == 5 && r->detail == 3 && r->has_max_age) {
		snprintf(num, sizeof(num), "%u", r->max_age);
		evhttp_add_header(h, "Retry-After", num);
	}
	if (r->cls == 4 || r->cls == 5) {
		forward_device_error(hx, r, status);
		return;
	}
	if (r->cls == 2 && r->detail == 1) {
		forward_created(hx, r);
		return;
	}
	if (forward_kind(hx) == FWK_LOGS) {
		logapi_reply(hx, r);
		return;
	}
	if (etag != NULL)
		evhttp_add_header(h, "ETag", forward_converts(hx,
		    r->content_format, r->len) ? forward_json_etag(etag, tag,
		    sizeof(tag)) : etag);
	if (status == 204 || status == 304 || r->len == 0) {
		http_reply(hx, status, NULL, NULL);
		return;
	}
	if ((json = forward_json(hx, r, &jlen, &bad)) != NULL || bad) {
		if (bad) {
			http_error(hx, 502, "bad_gateway", "the device's answer "
			    "(Content-Format %d) is not valid", r->content_format);
			return;
		}
		if ((body = evbuffer_new()) != NULL)
			evbuffer_add(body, json, jlen);
		free(json);
		http_reply(hx, status, forward_kind(hx) == FWK_COMPOSITE ?
		    "application/senml+json" : "application/json", body);
		return;
	}
	if ((body = evbuffer_new()) == NULL ||
	    evbuffer_add(body, r->body, r->len) == -1) {
		if (body != NULL)
			evbuffer_free(body);
		http_error(hx, 500, "internal", "out of memory");
		return;
	}
	http_reply(hx, status, r->content_format >= 0 ?
	    coapmap_media_type(r->content_format, type, sizeof(type)) :
	    "application/octet-stream", body);
}

/* The group's answer: into the cache once (a 2.05 to a plain GET), then
 * to every member. */
static void
forward_done(const struct devresp *r, void *arg)
{
	struct fwgroup *g = arg;
	struct forward *fw = TAILQ_FIRST(&g->members);
	struct http_exchange *hx = fw->hx;
	const struct cache_entry *e = NULL;
	char etag[sizeof(e->etag)];

	fwgroup_close(g);
	etag[0] = '\0';
	if (r->kind == DEVRESP_ANSWER && r->cls == 2 &&
	    forward_kind(hx) == FWK_RESOURCE)
		guard_accepted(hx->gw, hx->params.value[0], forward_method(hx),
		    hx->params.value[1]);
	if (r->kind == DEVRESP_ANSWER && r->cls == 2 && r->detail == 5 &&
	    forward_kind(hx) == FWK_RESOURCE &&
	    evhttp_request_get_command(hx->req) == EVHTTP_REQ_GET &&
	    http_query(hx, "discover") == NULL &&
	    cache_put(hx->gw, hx->params.value[0], hx->params.value[1],
	    r->content_format, r->has_max_age ? (long)r->max_age : -1, r->body,
	    r->len, 0) == 1 && (e = cache_get(hx->gw, hx->params.value[0],
	    hx->params.value[1])) != NULL)
		snprintf(etag, sizeof(etag), "%s", e->etag);
	while ((fw = TAILQ_FIRST(&g->members)) != NULL) {
		TAILQ_REMOVE(&g->members, fw, entry);
		forward_unwatch(fw);
		forward_reply(fw->hx, r, etag[0] != '\0' ? etag : NULL);
		free(fw);
	}
	free(g);
}

/* Seconds until the device is expected to be heard from again. */
static long
forward_retry_after(struct device *d)
{
	int64_t due = d->r.updated_at + (int64_t)d->r.lifetime - gw_now();

	return due > 1 ? (long)due : 1;
}

/*
 * A resource request whose query names LwM2M attributes would go out as
 * an empty write and look done: Write-Attributes has its own route. No
 * query of /r/ goes to the device: its parameters (mode, timeout, cached,
 * stale, discover, format, force) are the gateway's. Returns -1 once
 * answered 400.
 */
static int
forward_check_query(struct http_exchange *hx)
{
	struct evkeyval *kv;

	TAILQ_FOREACH(kv, &hx->query, next) {
		if (strcmp(kv->key, "force") == 0 &&
		    strcmp(kv->value, "1") != 0) {
			http_error(hx, 400, "bad_request", "force must be 1");
			return -1;
		}
		if (!dm_attribute_name(kv->key))
			continue;
		http_error(hx, 400, "bad_request", "'%s' is an LwM2M "
		    "attribute: Write-Attributes is PUT /v1/devices/%s/"
		    "attributes/%s with a JSON body", kv->key,
		    hx->params.value[0], hx->params.value[1]);
		return -1;
	}
	return 0;
}

/* Whether path is {o}/{i}/{r}: a resource, whose POST is an Execute. */
static int
forward_is_resource(const char *path)
{
	char buf[DEVREQ_PATH_MAX + 1];
	const char *p;
	int slashes = 0;

	for (p = path; *p != '\0'; p++)
		slashes += *p == '/';
	return slashes == 2 && snprintf(buf, sizeof(buf), "/%s", path) <
	    (int)sizeof(buf) && dm_path_valid(buf, strlen(buf));
}

/* The body of a Write-Attributes or Read-Composite: JSON (a missing
 * Content-Type is taken as JSON). -1 once answered. */
static int
forward_json_body(struct http_exchange *hx, const char *ctype)
{
	if (ctype != NULL && coapmap_content_format(ctype) != 50) {
		http_error(hx, 415, "unsupported_media_type", "the body is "
		    "application/json");
		return -1;
	}
	return 0;
}

/* The formats a write in SenML JSON goes to a device in: ?format=NAME. */
static const struct {
	const char	*name;
	int		 cf;
} forward_formats[] = {
	{ "tlv", SENML_CF_TLV },
	{ "cbor", SENML_CF_CBOR },
	{ "text", SENML_CF_TEXT },
	{ "senml-json", SENML_CF_JSON },	/* as it is */
};

static const char *
forward_format_name(int cf)
{
	size_t i;

	for (i = 0; i < sizeof(forward_formats) / sizeof(forward_formats[0]);
	    i++)
		if (forward_formats[i].cf == cf)
			return forward_formats[i].name;
	return "?";
}

/*
 * The Content-Format a write (PUT of an instance, resource or resource
 * instance; POST of an instance) or create (POST of an object) whose body
 * is SenML JSON (application/json or application/senml+json) goes to the
 * device in: what ?format= names; else, for application/senml+json, SenML
 * JSON as it is (the client named a format devices speak, and RFC 8075
 * maps it); else (application/json, which no device speaks) the one its
 * registration says it reads (registry_write_format: SenML CBOR or TLV).
 * -1 for any other request (it goes as it is), -2 when ?format= names no
 * format.
 */
static int
forward_write_format(struct http_exchange *hx)
{
	const char *ctype = evhttp_find_header(
	    evhttp_request_get_input_headers(hx->req), "Content-Type");
	const char *q = http_query(hx, "format");
	enum evhttp_cmd_type m = evhttp_request_get_command(hx->req);
	int depth, cf;
	size_t i;

	if (forward_kind(hx) != FWK_RESOURCE)
		return -1;
	depth = senml_path_depth(hx->params.value[1]);
	if (ctype == NULL || depth < 1 ||
	    ((cf = coapmap_content_format(ctype)) != 50 &&
	    cf != SENML_CF_JSON) || !((m == EVHTTP_REQ_PUT && depth >= 2) ||
	    (m == EVHTTP_REQ_POST && depth <= 2)))
		return -1;
	if (q != NULL) {
		for (i = 0; i < sizeof(forward_formats) /
		    sizeof(forward_formats[0]); i++)
			if (strcmp(q, forward_formats[i].name) == 0)
				return forward_formats[i].cf;
		return -2;
	}
	if (cf == SENML_CF_JSON)
		return SENML_CF_JSON;
	return registry_write_format(hx->gw, hx->params.value[0]);
}

/*
 * A write or create in SenML JSON: the body the device gets, in its format
 * (forward_write_format), each value typed by the object model
 * (senml_encode), so that what does not fit is refused now (400), before
 * anything is sent or queued. Returns -1 once answered.
 */
static int
forward_write_json(struct http_exchange *hx, struct fwspec *fs)
{
	struct devreq_spec *spec = &fs->s;
	int cf = forward_write_format(hx), outcf;
	char err[240];
	size_t len;

	if (cf == -1 && http_query(hx, "format") != NULL) {
		http_error(hx, 400, "bad_request", "format is for a write or "
		    "create of an LwM2M path with a SenML JSON body");
		return -1;
	}
	if (cf == -2) {
		http_error(hx, 400, "bad_request", "format must be tlv, cbor, "
		    "text or senml-json");
		return -1;
	}
	if (cf == SENML_CF_JSON)
		spec->content_format = SENML_CF_JSON;
	if (cf == -1 || cf == SENML_CF_JSON)
		return 0;
	if ((fs->owned = (char *)senml_encode(cf, spec->body, spec->len,
	    spec->path, hx->gw->models, &outcf, &len, err, sizeof(err))) ==
	    NULL) {
		http_error(hx, 400, "bad_request", "SenML JSON body: %s", err);
		return -1;
	}
	spec->body = (const uint8_t *)fs->owned;
	spec->len = len;
	spec->content_format = outcf;
	return 0;
}

/* The resource request of /r/{path...}: the method says which. */
static int
forward_spec_resource(struct http_exchange *hx, struct fwspec *fs,
    const char *ctype)
{
	struct devreq_spec *spec = &fs->s;
	char err[160];

	spec->method = forward_method(hx);
	if (forward_check_query(hx) == -1)
		return -1;
	if (ctype != NULL || spec->len > 0) {
		if ((spec->content_format = coapmap_content_format(ctype)) ==
		    COAPMAP_NONE) {
			http_error(hx, 415, "unsupported_media_type", "no CoAP "
			    "Content-Format for '%s'", ctype != NULL ? ctype :
			    "(none)");
			return -1;
		}
	}
	/* An Execute's arguments (LwM2M 1.1 Core 5.4.5) are checked here: a
	 * device that cannot parse them may run the command without them. */
	if (spec->method == DEVREQ_POST && spec->content_format == 0 &&
	    forward_is_resource(spec->path) && dm_execute_args(spec->body,
	    spec->len, err, sizeof(err)) == -1) {
		http_error(hx, 400, "bad_request", "%s", err);
		return -1;
	}
	return forward_write_json(hx, fs);
}

/* Builds the CoAP request from the HTTP one; answers errors itself. On
 * success the caller frees fs with fwspec_free. */
static int
forward_spec(struct http_exchange *hx, struct fwspec *fs)
{
	struct devreq_spec *spec = &fs->s;
	struct evkeyvalq *in = evhttp_request_get_input_headers(hx->req);
	struct evbuffer *buf = evhttp_request_get_input_buffer(hx->req);
	const char *ctype = evhttp_find_header(in, "Content-Type");
	const char *accept = evhttp_find_header(in, "Accept");
	const char *timeout = http_query(hx, "timeout");
	char *end, err[200];
	size_t len;
	long t;

	memset(fs, 0, sizeof(*fs));
	spec->path = forward_path(hx);
	spec->len = evbuffer_get_length(buf);
	spec->body = spec->len > 0 ? evbuffer_pullup(buf, -1) : NULL;
	spec->content_format = COAPMAP_NONE;
	spec->accept = COAPMAP_NONE;
	switch (forward_kind(hx)) {
	case FWK_ATTRIBUTES:
		/* A PUT with the attributes as Uri-Query and no payload
		 * (LwM2M 1.1 Core 5.4.4). */
		if (forward_json_body(hx, ctype) == -1)
			return -1;
		if (dm_attributes((const char *)spec->body, spec->len,
		    fs->query, sizeof(fs->query), err, sizeof(err)) == -1) {
			http_error(hx, 400, "bad_request", "%s", err);
			return -1;
		}
		spec->method = DEVREQ_PUT;
		spec->query = fs->query;
		spec->body = NULL;
		spec->len = 0;
		break;
	case FWK_COMPOSITE:
		/* A FETCH on the root whose payload names the paths, in
		 * SenML JSON: the format Zephyr, Anjay and Wakaama all read
		 * a Read-Composite in (Zephyr refuses SenML-ETCH, 320). */
		if (forward_json_body(hx, ctype) == -1)
			return -1;
		if ((fs->owned = dm_composite((const char *)spec->body,
		    spec->len, &len, err, sizeof(err))) == NULL) {
			http_error(hx, 400, "bad_request", "%s", err);
			return -1;
		}
		spec->method = DEVREQ_FETCH;
		spec->body = (const uint8_t *)fs->owned;
		spec->len = len;
		spec->content_format = SENML_CF_JSON;
		spec->accept = SENML_CF_JSON;
		break;
	case FWK_LOGS:
		spec->method = DEVREQ_GET;
		spec->body = NULL;
		spec->len = 0;
		break;
	default:
		if (forward_spec_resource(hx, fs, ctype) == -1)
			return -1;
		spec->accept = accept != NULL ?
		    coapmap_content_format(accept) : COAPMAP_NONE;
		/* Devices speak TLV and SenML, not plain JSON: the gateway
		 * converts (forward_json) instead of asking for it. */
		if (spec->accept == 50)
			spec->accept = COAPMAP_NONE;
		if (http_query(hx, "discover") != NULL)
			spec->accept = 40;	/* application/link-format */
		break;
	}
	spec->timeout_s = (unsigned)hx->gw->cfg.proxy_timeout;
	if (timeout != NULL) {
		t = strtol(timeout, &end, 10);
		if (*timeout == '\0' || *end != '\0' || t < 1 || t > 3600) {
			http_error(hx, 400, "bad_request", "timeout must be "
			    "1..3600 seconds");
			fwspec_free(fs);
			return -1;
		}
		spec->timeout_s = (unsigned)t;
	}
	return 0;
}

/*
 * The single-device guard (modules/device/guard.h): a reboot, factory
 * reset or second update of a device whose firmware update is downloading,
 * or downloaded and not applied, is refused with 409 and the reason, sent
 * now, waited for or queued alike; ?force=1 (the gateway's, never sent to
 * the device) lets it through. Returns -1 once answered.
 */
static int
forward_guard(struct http_exchange *hx, struct device *d,
    const struct devreq_spec *spec)
{
	char reason[LWM2M_EP_MAX + 128];

	if (forward_kind(hx) != FWK_RESOURCE || !guard_refuses(hx->gw, d->ep,
	    (int)spec->method, spec->path, reason, sizeof(reason)))
		return 0;
	if (http_query(hx, "force") != NULL) {
		log_info("device %s: %s /%s forced past the update guard: %s",
		    d->ep, spec->method == DEVREQ_POST ? "POST" : "PUT",
		    spec->path, reason);
		return 0;
	}
	log_info("device %s: %s /%s refused: %s", d->ep,
	    spec->method == DEVREQ_POST ? "POST" : "PUT", spec->path, reason);
	http_error(hx, 409, "update_in_progress", "%s (?force=1 sends it "
	    "anyway)", reason);
	return -1;
}

/* The open group of an identical GET on its way to d, or NULL. */
static struct fwgroup *
forward_join(struct gateway *gw, struct device *d,
    const struct devreq_spec *spec, struct http_exchange *hx)
{
	struct fwgroup *g;
	int json = forward_wants_json(hx);

	if (!gw->cfg.proxy_collapse || spec->method != DEVREQ_GET)
		return NULL;
	for (g = gw->forwards->open[fw_hash(d->ep, spec->path)]; g != NULL;
	    g = g->hnext)
		if (g->accept == spec->accept && g->json == json &&
		    g->timeout_s == spec->timeout_s &&
		    strcmp(g->key, d->ep) == 0 &&
		    strcmp(g->key + g->eplen + 1, spec->path) == 0)
			return g;
	return NULL;
}

/* A new group and its CoAP request; NULL when it cannot be sent. A GET is
 * open to joiners until the answer comes. */
static struct fwgroup *
forward_group(struct gateway *gw, struct device *d,
    const struct devreq_spec *spec, struct http_exchange *hx)
{
	size_t eplen = strlen(d->ep), plen = strlen(spec->path);
	struct fwgroup *g;
	size_t b;

	if ((g = calloc(1, sizeof(*g) + eplen + plen + 2)) == NULL)
		return NULL;
	TAILQ_INIT(&g->members);
	g->gw = gw;
	g->accept = spec->accept;
	g->json = forward_wants_json(hx);
	g->timeout_s = spec->timeout_s;
	g->eplen = eplen;
	memcpy(g->key, d->ep, eplen + 1);
	memcpy(g->key + eplen + 1, spec->path, plen + 1);
	if ((g->req = devreq_send(gw, d->ep, spec, forward_done, g)) == NULL) {
		free(g);
		return NULL;
	}
	if (gw->cfg.proxy_collapse && spec->method == DEVREQ_GET) {
		b = fw_hash(d->ep, spec->path);
		g->hnext = gw->forwards->open[b];
		gw->forwards->open[b] = g;
		g->open = 1;
	}
	return g;
}

/* Every request of the proxy: from the cache, into the queue, or to the
 * device now. */
static void
forward_run(struct http_exchange *hx)
{
	struct gateway *gw = hx->gw;
	struct device *d = registry_find_by_endpoint(gw->registry,
	    hx->params.value[0]);
	struct fwspec fs;
	struct devreq_spec *spec = &fs.s;
	struct forward *fw;
	enum forward_mode mode;
	char num[24];

	clock_gettime(CLOCK_MONOTONIC, &hx->t0);
	if (d == NULL) {
		http_error(hx, 404, "not_found", "device '%s' is not "
		    "registered", hx->params.value[0]);
		return;
	}
	if (forward_spec(hx, &fs) == -1)
		return;
	if (forward_kind(hx) == FWK_RESOURCE && spec->method == DEVREQ_GET &&
	    spec->accept != 40) {
		const struct cache_entry *e = cache_get(gw, d->ep, spec->path);

		if (forward_only_if_cached(hx)) {
			hx->px = MPX_CACHED;	/* a miss is an error */
			if (e != NULL && (cache_fresh(e) ||
			    http_query(hx, "stale") != NULL))
				forward_cached(hx, e);
			else
				http_error(hx, 504, "not_cached", "no %svalue "
				    "of %s/%s is cached", e != NULL ? "fresh " :
				    "", d->ep, spec->path);
			goto done;
		}
		/* A device that cannot answer now: a fresh value will do. */
		if (e != NULL && cache_fresh(e) && http_query(hx, "mode") ==
		    NULL && !devreq_reachable(gw, d)) {
			forward_cached(hx, e);
			goto done;
		}
	}
	mode = forward_mode(hx);
	if (http_query(hx, "mode") != NULL && mode == FORWARD_AUTO) {
		http_error(hx, 400, "bad_request", "mode must be queue or wait");
		goto done;
	}
	if (forward_guard(hx, d, spec) == -1)
		goto done;
	/* Queued ops go before anything new: a request for a device with a
	 * queue joins it. */
	if (mode == FORWARD_QUEUE || (mode == FORWARD_AUTO &&
	    (!devreq_reachable(gw, d) || queue_length(gw, d->ep) > 0))) {
		forward_enqueue(hx);
		goto done;
	}
	/* mode=wait for a device that cannot be reached now: it is
	 * unavailable for a while (asleep, or its route stale), not late, so
	 * 503 with when to try again, not 504. */
	hx->px = MPX_ERROR;	/* until it is on its way */
	if (!devreq_reachable(gw, d)) {
		snprintf(num, sizeof(num), "%ld", forward_retry_after(d));
		evhttp_add_header(evhttp_request_get_output_headers(hx->req),
		    "Retry-After", num);
		http_error(hx, 503, "unavailable", "device %s is %s", d->ep,
		    registry_state_name(registry_state(gw->registry, d,
		    gw_now())));
		goto done;
	}
	if ((fw = calloc(1, sizeof(*fw))) == NULL) {
		http_error(hx, 500, "internal", "out of memory");
		goto done;
	}
	fw->hx = hx;
	if ((fw->g = forward_join(gw, d, spec, hx)) == NULL &&
	    (fw->g = forward_group(gw, d, spec, hx)) == NULL) {
		free(fw);
		if (mode == FORWARD_WAIT)
			http_error(hx, 503, "unavailable", "device %s has no "
			    "route", d->ep);
		else
			forward_enqueue(hx);
		goto done;
	}
	hx->px = MPX_OK;	/* an error answer counts as one */
	TAILQ_INSERT_TAIL(&fw->g->members, fw, entry);
	fw->conn = evhttp_request_get_connection(hx->req);
	if (fw->conn != NULL)
		forward_watch(gw, fw);
done:
	fwspec_free(&fs);
}

void
proxy_forward(struct http_exchange *hx)
{
	forward_run(hx);
}

void
proxy_attributes(struct http_exchange *hx)
{
	forward_run(hx);
}

void
proxy_composite(struct http_exchange *hx)
{
	forward_run(hx);
}

void
proxy_logs(struct http_exchange *hx)
{
	if (logapi_check(hx) == 0)
		forward_run(hx);
}
