/*
 * http.c: evhttp server, dispatch through the route table, replies.
 */
#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include "gateway.h"
#include "hex.h"
#include "proxy/metrics.h"
#include "log.h"
#include "lwm2m/lwm2m.h"
#include "proxy/auth.h"
#include "proxy/conn.h"
#include "proxy/http.h"
#include "proxy/tls.h"
#include "store/store.h"

/* Plain HTTP and HTTPS are two evhttp servers with one dispatcher: evhttp
 * asks its bevcb for every connection of every socket it has bound, so TLS
 * gets a server of its own. */
struct http_server {
	struct evhttp		*http;
	struct evhttp		*https;		/* NULL: no tls_listen */
	struct tls_ctx		*tls;		/* replaced on reload */
	struct auth		*auth;
	struct conn_guard	*guard;		/* both servers' connections */
	struct evhttp		*internal;	/* the cloud link's; NULL: none */
	uint16_t		 internal_port;
	char			 internal_secret[HTTP_INTERNAL_SECRET_LEN + 1];
	int64_t			 date_at;	/* the second date[] shows */
	char			 date[40];
	struct log_budget	 refusals;	/* auth refusals logged */
};

/* Refusals logged per second at most; the rest are counted (a client
 * guessing tokens must not fill the log). */
#define HTTP_REFUSALS_LOG_PER_SECOND	10

static const struct {
	int		 method;
	const char	*name;
} http_methods[] = {
	{ EVHTTP_REQ_GET, "GET" }, { EVHTTP_REQ_HEAD, "HEAD" },
	{ EVHTTP_REQ_POST, "POST" }, { EVHTTP_REQ_PUT, "PUT" },
	{ EVHTTP_REQ_DELETE, "DELETE" }, { EVHTTP_REQ_PATCH, "PATCH" },
	{ EVHTTP_REQ_OPTIONS, "OPTIONS" }, { EVHTTP_REQ_TRACE, "TRACE" },
	{ EVHTTP_REQ_CONNECT, "CONNECT" },
};

/*
 * The Date header (RFC 9110 6.6.1), formatted once a second; evhttp, which
 * adds one only when there is none, would format it for every reply (6% of
 * the instructions of a cached read). NULL: leave it to evhttp.
 */
static const char *
http_date(struct http_server *hs)
{
	int64_t now = gw_now();
	time_t t = (time_t)now;
	struct tm tm;

	if (now != hs->date_at && gmtime_r(&t, &tm) != NULL) {
		evutil_date_rfc1123(hs->date, sizeof(hs->date), &tm);
		hs->date_at = now;
	}
	return hs->date[0] != '\0' ? hs->date : NULL;
}

/* One more request of hx's route ended with status. */
static void
http_count(struct http_exchange *hx, int status)
{
	metrics_http_count(&hx->gw->metrics, hx->route != NULL ?
	    hx->route->pattern : "unmatched", status);
	if (hx->px != MPX_NONE)
		metrics_proxy_count(&hx->gw->metrics, hx->px, status, &hx->t0);
}

void
http_reply(struct http_exchange *hx, int status, const char *ctype,
    struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(hx->req);
	const char *date = http_date(hx->gw->http);

	if (ctype != NULL)
		evhttp_add_header(h, "Content-Type", ctype);
	/* API answers are never kept; a handler may say otherwise (the
	 * console's files). */
	if (evhttp_find_header(h, "Cache-Control") == NULL)
		evhttp_add_header(h, "Cache-Control", "no-store");
	if (date != NULL)
		evhttp_add_header(h, "Date", date);
	http_count(hx, status);
	evhttp_send_reply(hx->req, status, NULL, body);
	if (body != NULL)
		evbuffer_free(body);
	http_abandon(hx);
}

void
http_client_gone(struct http_exchange *hx)
{
	http_count(hx, 499);
	http_abandon(hx);
}

void
http_abandon(struct http_exchange *hx)
{
	evhttp_clear_headers(&hx->query);
	free(hx);
}

void
http_reply_json(struct http_exchange *hx, int status, cJSON *doc)
{
	struct evbuffer *body = evbuffer_new();
	char *text = doc != NULL ? cJSON_PrintUnformatted(doc) : NULL;

	cJSON_Delete(doc);
	if (body == NULL || text == NULL) {
		free(text);
		if (body != NULL)
			evbuffer_free(body);
		http_reply(hx, 500, NULL, NULL);
		return;
	}
	evbuffer_add(body, text, strlen(text));
	evbuffer_add(body, "\n", 1);
	free(text);
	http_reply(hx, status, "application/json", body);
}

void
http_error(struct http_exchange *hx, int status, const char *code,
    const char *fmt, ...)
{
	cJSON *doc = cJSON_CreateObject();
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(doc, "error", code);
	cJSON_AddStringToObject(doc, "detail", detail);
	http_reply_json(hx, status, doc);
}

int
http_query_limit(struct http_exchange *hx, long *limit)
{
	const char *q = http_query(hx, "limit");
	char *end;

	*limit = HTTP_LIST_DEFAULT;
	if (q == NULL)
		return 0;
	*limit = strtol(q, &end, 10);
	if (*q == '\0' || *end != '\0' || *limit < 1 ||
	    *limit > HTTP_LIST_MAX) {
		http_error(hx, 400, "bad_request", "limit must be 1..%d",
		    HTTP_LIST_MAX);
		return -1;
	}
	return 0;
}

int
http_check_ep(struct http_exchange *hx, const char *ep)
{
	char err[128];

	if (lwm2m_check_ep(ep, err, sizeof(err)) == 0)
		return 1;
	http_error(hx, 400, "bad_request", "%s", err);
	return 0;
}

/* Orders two items of a page by their key: numbers, or strings. */
static int
http_page_cmp(const void *a, const void *b, void *arg)
{
	const cJSON *x = cJSON_GetObjectItem(*(cJSON *const *)a, arg);
	const cJSON *y = cJSON_GetObjectItem(*(cJSON *const *)b, arg);

	if (cJSON_IsNumber(x) && cJSON_IsNumber(y))
		return (x->valuedouble > y->valuedouble) -
		    (x->valuedouble < y->valuedouble);
	if (cJSON_IsString(x) && cJSON_IsString(y))
		return strcmp(x->valuestring, y->valuestring);
	return 0;
}

/* Whether item comes after the cursor, in the page's order. */
static int
http_page_after(const cJSON *item, const char *key, const char *after,
    int newest)
{
	const cJSON *v = cJSON_GetObjectItem(item, key);
	int c;

	if (after == NULL)
		return 1;
	if (cJSON_IsNumber(v)) {
		c = (v->valuedouble > strtod(after, NULL)) -
		    (v->valuedouble < strtod(after, NULL));
	} else if (cJSON_IsString(v)) {
		c = strcmp(v->valuestring, after);
	} else
		return 0;
	return newest ? c < 0 : c > 0;
}

int
http_page(struct http_exchange *hx, cJSON *doc, const char *name,
    cJSON *items, const char *key, int newest)
{
	const char *after = http_query(hx, "after");
	cJSON **v = NULL, *page, *k;
	int n = cJSON_GetArraySize(items), i, taken = 0;
	long limit;
	char next[128];

	if (http_query_limit(hx, &limit) == -1) {
		cJSON_Delete(items);
		cJSON_Delete(doc);
		return -1;
	}
	page = cJSON_AddArrayToObject(doc, name);
	if (n > 0 && (v = calloc((size_t)n, sizeof(*v))) != NULL) {
		for (i = 0; i < n; i++)
			v[i] = cJSON_GetArrayItem(items, i);
		qsort_r(v, (size_t)n, sizeof(*v), http_page_cmp, (void *)key);
		for (i = 0; newest && i < n / 2; i++) {
			k = v[i];
			v[i] = v[n - 1 - i];
			v[n - 1 - i] = k;
		}
	}
	next[0] = '\0';
	for (i = 0; v != NULL && i < n; i++) {
		if (!http_page_after(v[i], key, after, newest))
			continue;
		if (taken == limit)
			break;
		k = cJSON_GetObjectItem(v[i], key);
		if (cJSON_IsNumber(k))
			snprintf(next, sizeof(next), "%.0f", k->valuedouble);
		else if (cJSON_IsString(k))
			snprintf(next, sizeof(next), "%s", k->valuestring);
		cJSON_AddItemToArray(page, cJSON_DetachItemViaPointer(items,
		    v[i]));
		taken++;
	}
	if (v != NULL && i < n && taken > 0)
		cJSON_AddStringToObject(doc, "next", next);
	else
		cJSON_AddNullToObject(doc, "next");
	free(v);
	cJSON_Delete(items);
	return 0;
}

uint64_t
http_param_id(struct http_exchange *hx)
{
	const char *s = hx->params.value[0];
	char *end;
	unsigned long long v;

	if (*s < '1' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	return *end == '\0' && errno == 0 ? (uint64_t)v : 0;
}

struct http_created {
	struct http_exchange	*hx;
	uint64_t		 id;
	cJSON			*(*render)(struct gateway *, uint64_t);
	char			 location[96];
};

static void
http_created_durable(int status, void *arg)
{
	struct http_created *c = arg;
	struct http_exchange *hx = c->hx;

	if (status != 0) {
		http_store_error(hx, "store commit failed");
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(hx->req),
		    "Location", c->location);
		http_reply_json(hx, 201, c->render(hx->gw, c->id));
	}
	free(c);
}

void
http_reply_created(struct http_exchange *hx, const char *base, uint64_t id,
    cJSON *(*render)(struct gateway *, uint64_t))
{
	struct http_created *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		http_error(hx, 500, "internal", "out of memory");
		return;
	}
	c->hx = hx;
	c->id = id;
	c->render = render;
	snprintf(c->location, sizeof(c->location), "%s/%" PRIu64, base, id);
	if (store_when_durable(hx->gw->store, http_created_durable, c) == -1) {
		free(c);
		http_store_error(hx, "store failure");
	}
}

void
http_store_error(struct http_exchange *hx, const char *what)
{
	if (store_full(hx->gw->store))
		http_error(hx, 507, "insufficient_storage", "%s: the store is "
		    "full (raise [store] map_size_mb)", what);
	else
		http_error(hx, 500, "internal", "%s", what);
}

void
http_json_time(cJSON *o, const char *key, int64_t t)
{
	char buf[GW_TIME_LEN];

	cJSON_AddStringToObject(o, key, gw_time_str(t, buf));
}

const char *
http_seg(const char *ep, char buf[HTTP_SEG_LEN])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, n = 0;
	unsigned char c;

	for (i = 0; ep[i] != '\0' && n + 4 <= HTTP_SEG_LEN; i++) {
		c = (unsigned char)ep[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@", c)
		    != NULL)
			buf[n++] = (char)c;
		else {
			buf[n++] = '%';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
	}
	buf[n] = '\0';
	return buf;
}

const char *
http_query(struct http_exchange *hx, const char *key)
{
	return evhttp_find_header(&hx->query, key);
}

/* Lists the methods of a route for the Allow header. */
static void
http_allow(int methods, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	if (methods & EVHTTP_REQ_GET)
		methods |= EVHTTP_REQ_HEAD;
	for (i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++) {
		if (!(methods & http_methods[i].method))
			continue;
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
		    n > 0 ? ", " : "", http_methods[i].name);
	}
}

/* Every request: find the route, check the method, call the handler. */

/* The client's address, or NULL. */
static const struct sockaddr *
http_peer_addr(struct http_exchange *hx)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(
	    hx->req);

	return evcon != NULL ? evhttp_connection_get_addr(evcon) : NULL;
}

/* Answers what auth refused (a JSON error with its header), logging a
 * 401 or 403 within the budget. */
static void
http_refuse(struct http_exchange *hx, const struct auth_verdict *v)
{
	struct evhttp_connection *evcon =
	    evhttp_request_get_connection(hx->req);
	char *host = NULL;
	ev_uint16_t port = 0;

	evhttp_add_header(evhttp_request_get_output_headers(hx->req),
	    v->header, v->value);
	if (v->status != 429 && log_budget_take(&hx->gw->http->refusals,
	    HTTP_REFUSALS_LOG_PER_SECOND, "auth: %u more refusals, not "
	    "logged")) {
		if (evcon != NULL)
			evhttp_connection_get_peer(evcon, &host, &port);
		log_info("auth: %d for %s from %s port %u: %s", v->status,
		    hx->route != NULL ? hx->route->pattern : "?",
		    host != NULL ? host : "?", port, v->detail);
	}
	http_error(hx, v->status, v->code, "%s", v->detail);
}

/* Whether a and b, each len bytes, are equal: in constant time. */
static int
http_same(const char *a, const char *b, size_t len)
{
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < len; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* A role's rank against what a route needs (AUTH_UNSET: admin). Answers
 * 403 as auth does for a token of too low a role. */
static int
http_role_check(struct http_exchange *hx, enum auth_role role,
    enum auth_role need)
{
	if (need == AUTH_UNSET)
		need = AUTH_ADMIN;
	if (need == AUTH_PUBLIC || role >= need)
		return 0;
	http_error(hx, 403, "forbidden", "this needs the %s role; the "
	    "request's is %s", auth_role_name(need), auth_role_name(role));
	return -1;
}

/*
 * Routes req. role is the role of a request of the internal server
 * (http_internal), or AUTH_UNSET: the request's token says.
 */
static void
http_route(struct gateway *gw, struct evhttp_request *req,
    enum auth_role role)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *q = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct http_exchange *hx;
	int method = (int)evhttp_request_get_command(req), allowed = 0;
	struct auth_verdict verdict;
	char allow[128];
	size_t i;

	if ((hx = calloc(1, sizeof(*hx))) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	hx->gw = gw;
	hx->req = req;
	TAILQ_INIT(&hx->query);
	if (path == NULL || *path == '\0')
		path = "/";
	if (q != NULL && evhttp_parse_query_str(q, &hx->query) == -1) {
		http_error(hx, 400, "bad_request", "malformed query string");
		return;
	}
	for (i = 0; i < api_nroutes; i++) {
		if (!router_match(api_routes[i].pattern, path, &hx->params))
			continue;
		hx->route = &api_routes[i];
		allowed = api_routes[i].methods;
		if (method == EVHTTP_REQ_HEAD && (allowed & EVHTTP_REQ_GET))
			method = EVHTTP_REQ_GET;
		if (allowed & method) {
			if (role != AUTH_UNSET) {
				if (http_role_check(hx, role, method ==
				    EVHTTP_REQ_GET ? api_routes[i].get_role :
				    api_routes[i].change_role) == -1)
					return;
				hx->role = role;
			} else if (auth_check(gw->http->auth,
			    evhttp_find_header(
			    evhttp_request_get_input_headers(req),
			    "Authorization"), http_peer_addr(hx),
			    method == EVHTTP_REQ_GET ? api_routes[i].get_role :
			    api_routes[i].change_role, &verdict) == -1) {
				http_refuse(hx, &verdict);
				return;
			} else
				hx->role = verdict.role;
			api_routes[i].handler(hx);
			return;
		}
		break;
	}
	/* Misses count against the client's address too (scans). */
	if (role == AUTH_UNSET &&
	    auth_limit(gw->http->auth, http_peer_addr(hx), &verdict) == -1) {
		http_refuse(hx, &verdict);
		return;
	}
	if (hx->route == NULL) {
		http_error(hx, 404, "not_found", "no route for %s", path);
		return;
	}
	http_allow(allowed, allow, sizeof(allow));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allow);
	http_error(hx, 405, "method_not_allowed", "%s allows %s",
	    hx->route->pattern, allow);
}

static void	http_apply_config(struct gateway *);

static void
http_dispatch(struct evhttp_request *req, void *arg)
{
	http_route(arg, req, AUTH_UNSET);
}

/*
 * The internal server: requests the cloud link (cloud/) makes of the API
 * for its cloud clients, on a loopback port of its own. A request carries
 * the server's secret (made at start, never written anywhere) and the role
 * the cloud link gives it; anything else is refused.
 */
static void
http_dispatch_internal(struct evhttp_request *req, void *arg)
{
	struct gateway *gw = arg;
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *secret = evhttp_find_header(in, HTTP_INTERNAL_SECRET);
	const char *rname = evhttp_find_header(in, HTTP_INTERNAL_ROLE);
	int role;

	if (secret == NULL || strlen(secret) != HTTP_INTERNAL_SECRET_LEN ||
	    !http_same(secret, gw->http->internal_secret,
	    HTTP_INTERNAL_SECRET_LEN) || rname == NULL ||
	    (role = auth_role_parse(rname, strlen(rname))) == -1) {
		evhttp_send_error(req, 403, NULL);
		return;
	}
	http_route(gw, req, (enum auth_role)role);
}

int
http_internal(struct gateway *gw, uint16_t *port, const char **secret)
{
	struct http_server *hs = gw->http;
	struct evhttp_bound_socket *bound;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint8_t raw[HTTP_INTERNAL_SECRET_LEN / 2];

	if (hs == NULL)
		return -1;
	if (hs->internal == NULL) {
		if (getentropy(raw, sizeof(raw)) == -1 ||
		    (hs->internal = evhttp_new(gw->base)) == NULL)
			return -1;
		hex_encode(raw, sizeof(raw), hs->internal_secret);
		explicit_bzero(raw, sizeof(raw));
		evhttp_set_allowed_methods(hs->internal, EVHTTP_REQ_GET |
		    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
		    EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH);
		evhttp_set_gencb(hs->internal, http_dispatch_internal, gw);
		http_apply_config(gw);
		if ((bound = evhttp_bind_socket_with_handle(hs->internal,
		    "127.0.0.1", 0)) == NULL ||
		    getsockname(evhttp_bound_socket_get_fd(bound),
		    (struct sockaddr *)&ss, &sl) == -1 ||
		    ss.ss_family != AF_INET) {
			log_warn("http: cannot listen on 127.0.0.1 for the "
			    "cloud link");
			evhttp_free(hs->internal);
			hs->internal = NULL;
			return -1;
		}
		hs->internal_port = ntohs(((struct sockaddr_in *)&ss)->
		    sin_port);
	}
	*port = hs->internal_port;
	*secret = hs->internal_secret;
	return 0;
}

static void
http_apply_config(struct gateway *gw)
{
	struct evhttp *servers[3] = { gw->http->http, gw->http->https,
	    gw->http->internal };
	size_t i;

	for (i = 0; i < 3; i++) {
		if (servers[i] == NULL)
			continue;
		evhttp_set_max_body_size(servers[i], gw->cfg.http_max_body);
		evhttp_set_max_headers_size(servers[i],
		    gw->cfg.http_max_header_bytes);
		evhttp_set_timeout(servers[i], gw->cfg.http_timeout);
	}
	conn_guard_set_limits(gw->http->guard, &gw->cfg);
}

/* evhttp's bevcb for the plain server: a socket bufferevent whose socket
 * evhttp sets next, under the guard's filter (proxy/conn.h). */
static struct bufferevent *
http_plain_bevcb(struct event_base *base, void *arg)
{
	struct gateway *gw = arg;

	return conn_bufferevent_new(gw->http->guard,
	    bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
}

/* evhttp's bevcb for the HTTPS server: a TLS bufferevent whose socket
 * evhttp sets next, under the guard's filter. */
static struct bufferevent *
http_tls_bevcb(struct event_base *base, void *arg)
{
	struct gateway *gw = arg;

	return conn_bufferevent_new(gw->http->guard,
	    tls_bufferevent_new(gw->http->tls, base, -1, NULL));
}

/*
 * Requests on the HTTPS server. When its bevcb cannot make a TLS
 * bufferevent (out of memory), evhttp falls back to a plain one: a request
 * that came in clear on the TLS port is refused, never served.
 */
static void
http_dispatch_tls(struct evhttp_request *req, void *arg)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon != NULL ?
	    evhttp_connection_get_bufferevent(evcon) : NULL;

	if (bev == NULL || tls_bufferevent_socket(bev) == NULL) {
		evhttp_send_error(req, 503, NULL);
		return;
	}
	http_dispatch(req, arg);
}

static struct evhttp *
http_server_new(struct gateway *gw, int tls)
{
	struct evhttp *http;

	if ((http = evhttp_new(gw->base)) == NULL)
		return NULL;
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(http, tls ? http_dispatch_tls : http_dispatch, gw);
	return http;
}

/* Loads the certificate, key and client CAs of cfg. */
static struct tls_ctx *
http_tls_load(const struct gw_config *cfg)
{
	struct tls_ctx *t;
	char err[PATH_MAX + 128];

	if ((t = tls_server_new(cfg->http_tls_cert, cfg->http_tls_key,
	    cfg->http_tls_client_ca, err, sizeof(err))) == NULL)
		log_warnx("http: [http] %s", err);
	return t;
}

/* Whether cfg exposes a listener off loopback; tls_hp gets tls_listen. */
static int
http_exposed(const struct gw_config *cfg, struct gw_hostport *tls_hp)
{
	int exposed = !config_hostport_is_loopback(&cfg->http_listen);

	memset(tls_hp, 0, sizeof(*tls_hp));
	if (cfg->http_tls_listen[0] != '\0' &&
	    config_parse_hostport(cfg->http_tls_listen, tls_hp, NULL, 0) == 0)
		exposed |= !config_hostport_is_loopback(tls_hp);
	return exposed;
}

int
http_check_config(const struct gw_config *cfg, char *err, size_t errlen)
{
	struct gw_hostport tls_hp;
	struct auth *a;
	size_t ntokens;
	char buf[96], why[PATH_MAX + 128];

	config_hostport_str(&cfg->http_listen, buf, sizeof(buf));
	if (!config_hostport_is_loopback(&cfg->http_listen) &&
	    !cfg->http_plain_nonloopback) {
		snprintf(err, errlen, "[http] listen = %s is not a loopback "
		    "address: plain HTTP would be exposed; use tls_listen, or "
		    "set [http] plain_nonloopback = 1", buf);
		return -1;
	}
	if (cfg->http_tls_listen[0] != '\0') {
		if (config_parse_hostport(cfg->http_tls_listen, &tls_hp, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "[http] tls_listen: %s", why);
			return -1;
		}
		if (cfg->http_tls_cert[0] == '\0' ||
		    cfg->http_tls_key[0] == '\0') {
			snprintf(err, errlen, "[http] tls_listen needs tls_cert "
			    "and tls_key");
			return -1;
		}
	}
	/* The tokens as a start would load them (a token file may be bad, or
	 * hold none), unless the file is not there yet: outpost -n checks a
	 * configuration before its secrets are mounted (a ConfigMap, an
	 * image build), and the start checks again. */
	if (cfg->auth_token_file[0] != '\0' &&
	    access(cfg->auth_token_file, F_OK) != 0) {
		ntokens = 1;
	} else if ((a = auth_new(cfg, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	} else {
		ntokens = auth_count(a);
		auth_free(a);
	}
	if (http_exposed(cfg, &tls_hp) && ntokens == 0) {
		snprintf(err, errlen, "a listener is not on loopback and no API "
		    "token is configured ([auth] token_file or *_token, and a "
		    "token file must hold one): refusing to run without "
		    "authentication");
		return -1;
	}
	return 0;
}

int
http_check_files(const struct gw_config *cfg, char *err, size_t errlen)
{
	struct tls_ctx *t;
	char why[PATH_MAX + 128];

	if (cfg->http_tls_listen[0] == '\0')
		return 0;
	if ((t = tls_server_new(cfg->http_tls_cert, cfg->http_tls_key,
	    cfg->http_tls_client_ca, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "[http] %s", why);
		return -1;
	}
	tls_ctx_free(t);
	return 0;
}

/*
 * What a security reviewer asks of the listeners, checked before any is
 * bound (http_check_config, as outpost -n checks it); tls_hp gets
 * tls_listen.
 */
static int
http_check_exposure(struct gateway *gw, struct gw_hostport *tls_hp)
{
	char err[PATH_MAX + 128];

	(void)http_exposed(&gw->cfg, tls_hp);
	if (http_check_config(&gw->cfg, err, sizeof(err)) == -1) {
		log_warnx("http: %s", err);
		return -1;
	}
	if (auth_count(gw->http->auth) == 0)
		log_warnx("http: no API token configured: the API is open to "
		    "anyone on this host");
	return 0;
}

static int
http_module_init(struct gateway *gw)
{
	struct http_server *hs;
	char err[PATH_MAX + 128];

	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return -1;
	gw->http = hs;
	if ((hs->auth = auth_new(&gw->cfg, err, sizeof(err))) == NULL) {
		log_warnx("http: %s", err);
		return -1;
	}
	if ((hs->guard = conn_guard_new(gw->base, &gw->cfg)) == NULL ||
	    (hs->http = http_server_new(gw, 0)) == NULL)
		return -1;
	evhttp_set_bevcb(hs->http, http_plain_bevcb, gw);
	if (gw->cfg.http_tls_listen[0] != '\0') {
		if ((hs->tls = http_tls_load(&gw->cfg)) == NULL ||
		    (hs->https = http_server_new(gw, 1)) == NULL)
			return -1;
		evhttp_set_bevcb(hs->https, http_tls_bevcb, gw);
	}
	http_apply_config(gw);
	return 0;
}

static int
http_bind(struct gateway *gw, struct evhttp *http,
    const struct gw_hostport *hp, const char *what)
{
	struct evhttp_bound_socket *bound;
	char buf[96];

	config_hostport_str(hp, buf, sizeof(buf));
	if ((bound = evhttp_bind_socket_with_handle(http, hp->host,
	    hp->port)) == NULL) {
		log_warn("http: cannot listen on %s", buf);
		return -1;
	}
	if (conn_guard_listener(gw->http->guard,
	    evhttp_bound_socket_get_listener(bound), what) == -1) {
		log_warnx("http: cannot guard the listener on %s", buf);
		return -1;
	}
	log_info("http: listening on %s (%s)", buf, what);
	return 0;
}

static int
http_module_start(struct gateway *gw)
{
	struct gw_hostport tls_hp;

	if (http_check_exposure(gw, &tls_hp) == -1)
		return -1;
	if (http_bind(gw, gw->http->http, &gw->cfg.http_listen, "HTTP") ==
	    -1)
		return -1;
	if (gw->http->https != NULL &&
	    http_bind(gw, gw->http->https, &tls_hp, "HTTPS") == -1)
		return -1;
	return 0;
}

/*
 * SIGHUP: timeouts, tokens and the certificate (files re-read even when
 * their names stay, so a renewed certificate needs no restart). Anything
 * that fails keeps what runs; connections already open keep their TLS
 * context.
 */
/* A reload that leaves no API token where tokens run now is an accident
 * (an empty or truncated file) unless the file says [auth] open = 1. */
static int
http_module_check(struct gateway *gw, const struct gw_config *fresh,
    char *err, size_t errlen)
{
	struct auth *a;
	size_t now = auth_count(gw->http->auth), then;

	if (now == 0 || fresh->auth_open)
		return 0;
	if ((a = auth_new(fresh, err, errlen)) == NULL)
		return 0;	/* reload keeps the running tokens, and says so */
	then = auth_count(a);
	auth_free(a);
	if (then > 0)
		return 0;
	snprintf(err, errlen, "it has no API token, and %zu run now; set "
	    "[auth] open = 1 to leave the API without tokens", now);
	return -1;
}

static void
http_module_reload(struct gateway *gw, const struct gw_config *old)
{
	struct http_server *hs = gw->http;
	struct auth *fresh;
	struct tls_ctx *t;
	char err[PATH_MAX + 128];
	int loopback;

	(void)old;
	http_apply_config(gw);
	loopback = config_hostport_is_loopback(&gw->cfg.http_listen) &&
	    hs->https == NULL;
	if ((fresh = auth_new(&gw->cfg, err, sizeof(err))) == NULL)
		log_warnx("http: reload: %s; keeping the running tokens", err);
	else if (auth_count(fresh) == 0 && !loopback &&
	    auth_count(hs->auth) > 0) {
		log_warnx("http: reload: no API token left while a listener "
		    "is not on loopback; keeping the running tokens");
		auth_set_limits(hs->auth, &gw->cfg);
		auth_free(fresh);
	} else {
		auth_free(hs->auth);
		hs->auth = fresh;
		log_info("http: %zu API tokens", auth_count(fresh));
	}
	if (hs->https == NULL)
		return;
	if ((t = http_tls_load(&gw->cfg)) == NULL) {
		log_warnx("http: reload: keeping the running certificate");
		return;
	}
	tls_ctx_free(hs->tls);
	hs->tls = t;
}

static void
http_module_stop(struct gateway *gw)
{
	if (gw->http == NULL)
		return;
	if (gw->http->http != NULL)
		evhttp_free(gw->http->http);
	if (gw->http->https != NULL)
		evhttp_free(gw->http->https);
	if (gw->http->internal != NULL)
		evhttp_free(gw->http->internal);
	explicit_bzero(gw->http->internal_secret,
	    sizeof(gw->http->internal_secret));
	conn_guard_free(gw->http->guard);
	tls_ctx_free(gw->http->tls);
	auth_free(gw->http->auth);
	free(gw->http);
	gw->http = NULL;
}

const struct gw_module http_module = {
	.name = "http",
	.init = http_module_init,
	.start = http_module_start,
	.reload = http_module_reload,
	.check = http_module_check,
	.stop = http_module_stop,
};
