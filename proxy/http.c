/*
 * http.c: evhttp server, dispatch through the route table, replies.
 */
#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "gateway.h"
#include "log.h"
#include "proxy/http.h"

struct http_server {
	struct evhttp		*http;
};

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

void
http_reply(struct http_exchange *hx, int status, const char *ctype,
    struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(hx->req);

	if (ctype != NULL)
		evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	metrics_http_count(&hx->gw->metrics, hx->route != NULL ?
	    hx->route->pattern : "unmatched", status);
	evhttp_send_reply(hx->req, status, NULL, body);
	if (body != NULL)
		evbuffer_free(body);
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

void
http_json_time(cJSON *o, const char *key, int64_t t)
{
	char buf[GW_TIME_LEN];

	cJSON_AddStringToObject(o, key, gw_time_str(t, buf));
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
static void
http_dispatch(struct evhttp_request *req, void *arg)
{
	struct gateway *gw = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *q = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct http_exchange *hx;
	int method = (int)evhttp_request_get_command(req), allowed = 0;
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
			api_routes[i].handler(hx);
			return;
		}
		break;
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

static void
http_apply_config(struct gateway *gw)
{
	struct evhttp *http = gw->http->http;

	evhttp_set_max_body_size(http, gw->cfg.http_max_body);
	evhttp_set_timeout(http, gw->cfg.http_timeout);
}

static int
http_module_init(struct gateway *gw)
{
	struct http_server *hs;

	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return -1;
	gw->http = hs;
	if ((hs->http = evhttp_new(gw->base)) == NULL)
		return -1;
	evhttp_set_allowed_methods(hs->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(hs->http, http_dispatch, gw);
	http_apply_config(gw);
	return 0;
}

static int
http_module_start(struct gateway *gw)
{
	const struct gw_hostport *hp = &gw->cfg.http_listen;
	char buf[96];

	config_hostport_str(hp, buf, sizeof(buf));
	if (evhttp_bind_socket_with_handle(gw->http->http, hp->host,
	    hp->port) == NULL) {
		log_warn("http: cannot listen on %s", buf);
		return -1;
	}
	log_info("http: listening on %s", buf);
	return 0;
}

static void
http_module_reload(struct gateway *gw, const struct gw_config *old)
{
	(void)old;
	http_apply_config(gw);
}

static void
http_module_stop(struct gateway *gw)
{
	if (gw->http == NULL)
		return;
	if (gw->http->http != NULL)
		evhttp_free(gw->http->http);
	free(gw->http);
	gw->http = NULL;
}

const struct gw_module http_module = {
	.name = "http",
	.init = http_module_init,
	.start = http_module_start,
	.reload = http_module_reload,
	.stop = http_module_stop,
};
